"""Below every other package of ours: the settings, read once from the environment
(``settings``), and the id of the request being served (``request_context``)."""
