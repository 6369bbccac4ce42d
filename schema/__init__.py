"""The GraphQL schema, one folder per domain (``types``, ``queries``, ``mutations``,
``loaders``), assembled in ``root``. A mutation decodes its input, calls one use case of
``billing/<domain>/use_cases.py`` (or ``auth.use_cases``) and maps the result; a
``DomainError`` becomes its payload's ``errors`` in one place (``common.payload_errors``)."""

from schema.root import build_schema

__all__ = ["build_schema"]
