"""Which GraphQL-over-HTTP media type a request gets, and which results are request errors.

The GraphQL-over-HTTP spec has two response types: ``application/json`` (the default, always
200 with ``data`` and ``errors``) and ``application/graphql-response+json``, whose status
code tells a request error (the document does not parse or validate, or the variables do
not coerce: 400, and no ``data``) from an executed operation (200).
"""

from __future__ import annotations

from graphql import GraphQLError

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
_SUPPORTED = (GRAPHQL_RESPONSE_JSON, JSON)


def preferred_media_type(accept: str | None) -> str:
    """The response type ``accept`` prefers: ``application/graphql-response+json`` when it
    ranks that type at least as high as ``application/json`` (by quality, then by being
    named); ``application/json`` otherwise, and when the header is absent."""
    if not accept:
        return JSON
    quality = dict.fromkeys(_SUPPORTED, 0.0)
    named: set[str] = set()
    for media_range in accept.split(","):
        media, *parameters = (part.strip() for part in media_range.split(";"))
        value = _quality(parameters)
        for candidate in _SUPPORTED:
            if media.lower() == candidate:
                quality[candidate] = value
                named.add(candidate)
            elif candidate not in named and media in ("*/*", "application/*"):
                quality[candidate] = max(quality[candidate], value)
    wanted = quality[GRAPHQL_RESPONSE_JSON]
    if wanted > 0 and GRAPHQL_RESPONSE_JSON in named and wanted >= quality[JSON]:
        return GRAPHQL_RESPONSE_JSON
    return JSON


def is_request_error(data: object, errors: list[GraphQLError] | None) -> bool:
    """Whether a result is a request error: nothing was executed, so there is no data and
    no error belongs to a field (parse, validation and variable-coercion errors)."""
    if data is not None or not errors:
        return False
    return all(error.path is None for error in errors)


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0
