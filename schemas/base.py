"""Schema conventions: camelCase on the wire, ISO-8601 UTC times with a Z, unknown keys refused."""
from __future__ import annotations

from datetime import datetime

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class UtcDateTime(fields.DateTime):
    """A naive UTC datetime written as `2026-01-01T12:00:00Z`."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, str):
            return value
        return value.replace(microsecond=(value.microsecond // 1000) * 1000).isoformat(
            timespec="milliseconds") + "Z"

    def _deserialize(self, value, attr, data, **kwargs):
        parsed: datetime = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is not None:
            parsed = (parsed - parsed.utcoffset()).replace(tzinfo=None)
        return parsed


class CamelSchema(Schema):
    """Python snake_case attributes, camelCase JSON keys."""

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name, field_obj):
        field_obj.data_key = field_obj.data_key or camel(field_name)

    @pre_load
    def refuse_nul(self, data, **kwargs):
        """No NUL characters: PostgreSQL text cannot hold them, so say so with a 400."""
        if _has_nul(data):
            raise ValidationError("text must not contain NUL (\\u0000) characters")
        return data


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False
