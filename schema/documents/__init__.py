"""Trusted documents: the operations our clients send, registered in advance.

The ``.graphql`` files here are copies of the clients' contract files; ``registry`` turns
each operation into a registered document with a ``sha256:`` id. In production the API
runs only these (``GRAPHQL_DOCUMENTS=registered``), and ``billing export-operations``
prints the list for clients that send ids instead of texts.
"""
