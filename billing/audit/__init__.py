"""The access log: the HMAC-chained rows (``chain``), the records of one request
(``buffer``) and reading them back for auditors (``reads``)."""
