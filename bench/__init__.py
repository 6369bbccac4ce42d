"""The benchmark harness: seeds a large data set, serves the real app in production mode and
a plain Starlette baseline, drives both with wrk over loopback and prints one table.

Run it with ``make bench`` (or ``.venv/bin/python -m bench --help``); results and how to
read them are in ``bench/RESULTS.md``.
"""
