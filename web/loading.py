"""Loading request input through marshmallow schemas: 400 with field errors on bad input."""
from __future__ import annotations

from typing import Any

import marshmallow
from flask import request

from hub.errors import ValidationError


def load_json(schema: marshmallow.Schema, *, partial: bool = False) -> Any:
    """The JSON body loaded by `schema`; 400 for a body that is not a JSON object."""
    body = request.get_json(silent=True)
    if body is None and request.get_data():
        raise ValidationError("the body is not valid JSON", code="invalid_json")
    if body is None:
        body = {}
    if not isinstance(body, (dict, list)):
        raise ValidationError("the body must be a JSON object", code="invalid_json")
    return schema.load(body, partial=partial)


def load_query(schema: marshmallow.Schema) -> Any:
    """Query-string parameters loaded by `schema`."""
    return schema.load({k: v for k, v in request.args.items()})


def load_input(schema: marshmallow.Schema, data: Any) -> Any:
    """Load a dict that did not come from an HTTP body (socket requests) through `schema`."""
    try:
        return schema.load(data)
    except marshmallow.ValidationError as exc:
        raise ValidationError("the request is not valid", details=exc.normalized_messages()) from None
