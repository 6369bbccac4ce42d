"""The suite, mirroring the tree: ``tests/<domain>/`` for each domain (``api``, ``schema``,
``config`` and ``models`` for theirs), shared factories and helpers in ``tests/support/``, fixtures
in ``conftest.py``."""
