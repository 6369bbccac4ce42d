"""Domain rules, one package per domain, named as in ``schema/`` and ``models/``.

Each domain package holds its rules (``rules.py`` or modules named after what they decide),
its reads for the API (``reads.py``) and ``use_cases.py``: one function per request, which
opens the transaction, applies the rules and appends its access-log record inside it.
Cross-domain basics stay here at the top: ``errors`` (the one ``DomainError`` and its codes),
``money`` (minor units inside, ``Decimal`` at the edge) and ``phi_cipher`` (PHI at rest);
``gateways/`` holds the Stripe adapter, ``wiring`` connects the domains that listen to others
and ``demo`` seeds demo data. Nothing here imports ``schema``, ``webhooks``, ``api``,
Starlette or Strawberry; the domains form no cycle (``lint-imports`` checks both).
"""
