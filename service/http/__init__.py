"""The request path's two ends: reading a request and writing its answer.

A view parses its request (:mod:`~service.http.auth` for the key,
:mod:`~service.http.limits` for size, shape and rate, :mod:`~service.http.schemas` for
parameters), makes one call into :mod:`service.answers`, and serialises the result
(:mod:`~service.http.encoding` for JSON, :mod:`~service.http.downloads` for files). Errors of
every kind leave through :mod:`~service.http.errors` as one JSON body;
:mod:`~service.http.openapi` documents it all from the schemas.
"""

__all__: list[str] = []
