"""Responses of the ranking views: JSON bytes, or CSV and XLSX files, named by their snapshot.

Every response says which model and data version computed it, in ``X-Model-Version`` and
``X-Data-Version`` (and, for JSON, in the body). Files come as attachments whose name is
given twice in ``Content-Disposition``: plain ASCII in ``filename`` and UTF-8 in
``filename*`` (RFC 6266 and RFC 5987), so Chinese names survive in every browser.

A file is laid out for Excel by :mod:`recommender.targeting.exports`: UTF-8 CSV with a BOM;
XLSX with widths, a frozen header, an auto-filter, numbers in their format and, given an
:class:`~recommender.targeting.exports.About`, a second sheet saying what each column holds,
where the rows come from, the data version and as-of day and the model.

Exporting needs the ``export`` permission (officers and admins): a viewer may read a ranking
as JSON but not download it as a file. A park manager (``export:parks``) downloads its own
parks' matches (:func:`require_park_export`); another park is a 404 before that, as absent as
one that does not exist.

:func:`gzipped` compresses a response for a client that accepts gzip (the pages and the
map's GeoJSON use it).
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Callable, Sequence
from urllib.parse import quote

import pandas as pd
from flask import Response, request

from recommender.store.auth import EXPORT, PARK_EXPORT, roles_with
from recommender.targeting.exports import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    About,
    to_csv_bytes,
    to_xlsx_bytes,
)
from service.http.auth import current_principal
from service.http.errors import ApiError

__all__ = [
    "COMPRESSIBLE",
    "DATA_HEADER",
    "FILE_DESCRIPTION",
    "FILE_FORMATS",
    "GZIP_LEVEL",
    "GZIP_MIN_BYTES",
    "JSON_MEDIA_TYPE",
    "MODEL_HEADER",
    "content_disposition",
    "export_parks",
    "file_response",
    "file_responses",
    "gzipped",
    "json_response",
    "may_export_park",
    "media_response",
    "require_export",
    "require_park_export",
]

JSON_MEDIA_TYPE = "application/json"
FILE_FORMATS = ("csv", "xlsx")
MODEL_HEADER = "X-Model-Version"
DATA_HEADER = "X-Data-Version"
GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6
COMPRESSIBLE = frozenset({"text/html", "application/geo+json", "application/json"})
FILE_DESCRIPTION = ("JSON; with format=csv or format=xlsx the list as an attachment (CSV in "
                    "UTF-8 with a BOM, or an Excel workbook with a second sheet describing "
                    "each column and the data)")


def file_responses(bp):
    """Document a ranking view's other 200 answers: the CSV and XLSX attachments."""

    def decorator(view):
        for media_type, schema in (("text/csv", {"type": "string"}),
                                   (XLSX_MEDIA_TYPE, {"type": "string", "format": "binary"})):
            view = bp.alt_response(200, schema=schema, content_type=media_type, success=True,
                                   description=FILE_DESCRIPTION)(view)
        return view

    return decorator


def content_disposition(filename: str) -> str:
    """Return an attachment header naming ``filename`` in ASCII and in UTF-8 (RFC 5987).

    A name with no ASCII letter in its stem is ``export`` in ASCII.

    >>> print(content_disposition("名单-vacuum_pumps.csv"))
    attachment; filename="vacuum_pumps.csv"; filename*=UTF-8''%E5%90%8D%E5%8D%95-vacuum_pumps.csv
    >>> content_disposition("招商目标清单.xlsx").split(";")[1]
    ' filename="export.xlsx"'
    """
    stem, dot, suffix = filename.rpartition(".") if "." in filename else (filename, "", "")
    ascii_name = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'[^A-Za-z0-9._-]+', "_", ascii_name).strip("._-") or "export"
    if dot:
        ascii_name += "." + re.sub(r"[^A-Za-z0-9]+", "", suffix)
    return (f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}")


def require_export(fmt: str) -> None:
    """Refuse a file download (403) to a key whose role may not export."""
    principal = current_principal()
    if fmt in FILE_FORMATS and not principal.can(EXPORT):
        roles = roles_with(EXPORT)
        raise ApiError(403, "forbidden",
                       f"a {principal.role} key may read this ranking as JSON but not export "
                       f"it as {fmt}; exporting needs {EXPORT} ({', '.join(roles)})",
                       {"permission": EXPORT, "roles": roles})


def may_export_park(principal) -> bool:
    """Whether ``principal`` may download a park's matches that it sees: with ``export``, or
    a park manager's own (``export:parks``)."""
    return principal.can(EXPORT) or (principal.can(PARK_EXPORT)
                                      and principal.park_scope is not None)


def require_park_export(fmt: str) -> None:
    """Refuse a park's matches as a file (403) to a key that may export neither every list
    nor its own parks' matches. The caller has already found the park among the key's."""
    principal = current_principal()
    if fmt in FILE_FORMATS and not may_export_park(principal):
        roles = sorted(set(roles_with(EXPORT)) | set(roles_with(PARK_EXPORT)))
        raise ApiError(403, "forbidden",
                       f"a {principal.role} key may read a park's matches as JSON but not "
                       f"export them as {fmt}; that needs {EXPORT}, or {PARK_EXPORT} for "
                       f"one's own parks ({', '.join(roles)})",
                       {"permission": EXPORT, "roles": roles})


def export_parks() -> pd.DataFrame:
    """The parks the request's key may see: a file names the best of them for each firm."""
    from service.answers.matching import visible_parks
    from service.runtime.state import state

    return visible_parks(state().store, current_principal().park_scope)


def _tagged(response: Response, snapshot) -> Response:
    response.headers[MODEL_HEADER] = snapshot.model_version
    response.headers[DATA_HEADER] = str(snapshot.data_version)
    return response


def json_response(body: bytes, snapshot) -> Response:
    """Return JSON ``body`` as a 200, tagged with the snapshot's versions."""
    return _tagged(Response(body, status=200, mimetype=JSON_MEDIA_TYPE), snapshot)


def media_response(body: bytes, media_type: str, snapshot) -> Response:
    """Return ``body`` of ``media_type`` (a map, say) as a 200, tagged with the snapshot's
    versions."""
    return _tagged(Response(body, status=200, content_type=media_type), snapshot)


def file_response(rows: pd.DataFrame, columns: Sequence[str], *, fmt: str, lang: str,
                  stem: str, snapshot, about: About | None = None, **layout) -> Response:
    """Return ``rows`` as a CSV or XLSX attachment named ``<stem>.<fmt>``; ``about`` and
    ``layout`` (``headers``, ``number_formats``, and for XLSX ``sheet`` and
    ``descriptions``) as :func:`recommender.targeting.exports.to_xlsx_bytes` takes them."""
    if fmt == "csv":
        layout = {k: v for k, v in layout.items() if k in ("headers", "number_formats")}
        data = to_csv_bytes(rows, columns, lang=lang, about=about, **layout)
        media_type = CSV_MEDIA_TYPE
    else:
        data = to_xlsx_bytes(rows, columns, lang=lang, about=about, **layout)
        media_type = XLSX_MEDIA_TYPE
    response = Response(data, status=200, content_type=media_type)
    response.headers["Content-Disposition"] = content_disposition(f"{stem}.{fmt}")
    return _tagged(response, snapshot)


def gzipped(response: Response, packed: Callable[[], bytes] | None = None) -> Response:
    """Return ``response`` gzip-compressed when the request accepts gzip and it is worth it
    (a 200 of a :data:`COMPRESSIBLE` type, :data:`GZIP_MIN_BYTES` or more, not already
    encoded); ``Vary: Accept-Encoding`` either way. ``packed``, if given, returns the body
    already compressed (kept by the caller, so that a large answer is compressed once). A
    strong ETag becomes weak: the bytes differ from those it named."""
    response.vary.add("Accept-Encoding")
    if (response.status_code != 200 or response.direct_passthrough
            or response.mimetype not in COMPRESSIBLE or "Content-Encoding" in response.headers
            or "gzip" not in request.accept_encodings):
        return response
    body = response.get_data()
    if len(body) < GZIP_MIN_BYTES:
        return response
    response.set_data(packed() if packed else gzip.compress(body, compresslevel=GZIP_LEVEL))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:  # another byte sequence: the tag can only be weak now
        response.set_etag(etag, weak=True)
    return response
