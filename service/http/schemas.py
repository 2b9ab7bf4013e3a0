"""Schemas shared by every resource: the error body, paging, ``k``, times.

Limits that are settings (``PAGE_SIZE_DEFAULT``, ``PAGE_SIZE_MAX``, ``K_DEFAULT``, ``K_MAX``)
are read from the app's config when a request is parsed, so tests and deployments can change
them without new schemas; the OpenAPI document, made in the app's context, states the app's.

Every integer a request may send has a range (a page number at most ``MAX_PAGE``), so that
no number past what the store's integers hold reaches it.

Times are stored in UTC without a zone; :class:`UtcDateTime` writes them with ``+00:00``, as
RFC 3339 (and the OpenAPI ``date-time`` format) wants.
"""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask import current_app
from marshmallow import fields, validate

__all__ = [
    "AtMostSetting",
    "ErrorDetailSchema",
    "ErrorSchema",
    "MAX_PAGE",
    "PageQuerySchema",
    "PaginationSchema",
    "TopKQuerySchema",
    "UtcDateTime",
    "at_most_setting",
    "table_schema",
]

MAX_PAGE = 1_000_000


def _config(name: str) -> int:
    return int(current_app.config[name])


class AtMostSetting:
    """A validator refusing values above the app's setting ``setting``.

    It has ``min`` and ``max`` like marshmallow's ``Range``, so that apispec documents the
    setting's value as the field's ``maximum``.
    """

    min = None

    def __init__(self, setting: str):
        self.setting = setting

    @property
    def max(self) -> int:
        return _config(self.setting)

    def __call__(self, value: int) -> int:
        most = self.max
        if value > most:
            raise ma.ValidationError(f"must be at most {most}")
        return value


def at_most_setting(setting: str) -> AtMostSetting:
    """Return a validator refusing values above the app's setting ``setting``."""
    return AtMostSetting(setting)


class UtcDateTime(fields.DateTime):
    """An ISO 8601 time with its zone; a time without one is UTC (as the store keeps them).

    >>> UtcDateTime().serialize("t", {"t": dt.datetime(2026, 1, 2, 3, 4, 5)})
    '2026-01-02T03:04:05+00:00'
    """

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return super()._serialize(value, attr, obj, **kwargs)


# --- errors ---------------------------------------------------------------------------------
class ErrorDetailSchema(ma.Schema):
    status = fields.Integer(required=True, metadata={"description": "HTTP status"})
    code = fields.String(required=True, metadata={
        "description": "Machine-readable error code, e.g. not_found, validation_error"})
    message = fields.String(required=True, metadata={"description": "What went wrong"})
    details = fields.Dict(required=True, metadata={
        "description": "fields: messages per invalid field; problems: rows the library "
                       "rejected; other keys per code"})
    request_id = fields.String(required=True, metadata={
        "description": "Quote it when reporting a problem (also in X-Request-ID)"})


class ErrorSchema(ma.Schema):
    """The body of every error response."""

    error = fields.Nested(ErrorDetailSchema, required=True)


# --- paging ---------------------------------------------------------------------------------
class PageQuerySchema(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE),
                          metadata={"description": "1-based page number"})
    page_size = fields.Integer(
        load_default=lambda: _config("PAGE_SIZE_DEFAULT"),
        validate=[validate.Range(min=1), at_most_setting("PAGE_SIZE_MAX")],
        metadata={"description": "Items per page (default 50, at most 200 unless the "
                                 "service is configured otherwise)"},
    )


class PaginationSchema(ma.Schema):
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Items on all pages together"})
    pages = fields.Integer(required=True, metadata={"description": "Number of pages"})


# --- ranked lists ---------------------------------------------------------------------------
class TopKQuerySchema(ma.Schema):
    """``k``, the length of a ranked list (recommendations, target lists)."""

    k = fields.Integer(
        load_default=lambda: _config("K_DEFAULT"),
        validate=[validate.Range(min=1), at_most_setting("K_MAX")],
        metadata={"description": "How many to return (default 50, at most 500 unless the "
                                 "service is configured otherwise)"},
    )


# --- schemas of store tables ----------------------------------------------------------------
_FIELD_BY_KIND = {
    "text": fields.String, "float": fields.Float, "int": fields.Integer,
    "bool": fields.Boolean, "date": fields.Date, "time": UtcDateTime,
}


def table_schema(name: str, table, names=None, **extra: fields.Field) -> type[ma.Schema]:
    """Return a response schema named ``name`` with a field per column of a store table.

    Each field's type follows the column's (:func:`recommender.store.frames.column_kind`);
    nullable columns may be null. ``extra`` adds fields.
    """
    from recommender.store.frames import column_kind

    declared: dict[str, fields.Field] = {}
    for column in table.columns:
        if names is not None and column.name not in names:
            continue
        kind = column_kind(column)
        if kind == "list":
            declared[column.name] = fields.List(fields.String(), required=True)
        else:
            declared[column.name] = _FIELD_BY_KIND[kind](
                required=True, allow_none=bool(column.nullable))
    declared.update(extra)
    return ma.Schema.from_dict(declared, name=name)
