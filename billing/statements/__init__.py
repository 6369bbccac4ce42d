"""Statements: printable PDFs (``pdf``) behind short-lived links (``links``), and paper
statements by post (``paper``)."""
