"""The top: the Starlette app assembled from routes, middleware and a lifespan (``app``),
its HTTP adapters (GraphQL view, health, statements), logging, the database connection and
the ``billing`` command. Nothing imports this package."""
