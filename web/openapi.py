"""OpenAPI 3 generated from the same marshmallow schemas the handlers load and dump.

Views declare what they take and give with `@doc(...)`; `/api/openapi.json` walks the app's
routes and builds the document with apispec.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Callable, Optional

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app, jsonify

from web.api.blueprint import bp
from web.auth import public

ERROR_SCHEMA = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "details": {}}},
    },
}
# Default descriptions of the error statuses views list.
ERROR_TEXT = {400: "Invalid input", 401: "Not authenticated", 403: "Not allowed",
              404: "Not found", 409: "Conflict", 413: "Too large", 422: "Not processable",
              429: "Rate limited", 503: "Unavailable"}


def doc(*, summary: str, tags: tuple[str, ...] = (), body: Any = None, query: Any = None,
        response: Any = None, status: int = 200, errors: tuple[int, ...] = (),
        multipart: Optional[dict[str, Any]] = None, content_type: Optional[str] = None,
        response_schema: Optional[dict[str, Any]] = None) -> Callable:
    """Attach OpenAPI facts to a view: its body/query schema, response schema and errors.

    `response` is a marshmallow schema (class or instance); `response_schema` a raw JSON schema
    for shapes built by presenters; `content_type` for non-JSON answers (files).
    """

    def decorator(view: Callable) -> Callable:
        # apispec reads a schema class's unbound fields, missing CamelSchema's camelCase keys.
        instance = lambda s: s() if isinstance(s, type) else s  # noqa: E731
        view.openapi = dict(summary=summary, tags=tags, body=instance(body), query=instance(query),
                            response=instance(response), status=status, errors=errors,
                            multipart=multipart, content_type=content_type,
                            response_schema=response_schema)
        return view

    return decorator


def _decimal_bounds(self, field, ret, **kwargs) -> dict[str, Any]:
    """Decimal fields' Range bounds as numbers: Flask would write a Decimal as "0.00"."""
    return {k: float(ret[k]) for k in ("minimum", "maximum") if isinstance(ret.get(k), Decimal)}


def _path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def build_spec(app: Flask) -> dict[str, Any]:
    spec = APISpec(title="Hub API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()])
    spec.components.schema("Error", ERROR_SCHEMA)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    plugin = spec.plugins[0]
    plugin.converter.add_attribute_function(_decimal_bounds)
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "openapi", None)
        if meta is None:
            continue
        operations: dict[str, Any] = {}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operations[method.lower()] = _operation(meta, view, rule, plugin)
        spec.path(path=_path(rule.rule), operations=operations)
    return spec.to_dict()


def _operation(meta: dict[str, Any], view: Callable, rule, plugin) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": meta["summary"], "tags": list(meta["tags"]),
                          "operationId": rule.endpoint.replace(".", "_")}
    if not getattr(view, "is_public", False):
        op["security"] = [{"bearer": []}]
    params = [{"in": "path", "name": arg, "required": True, "schema": {"type": "string"}}
              for arg in rule.arguments]
    if meta["query"] is not None:
        params += plugin.converter.schema2parameters(meta["query"], location="query")
    if params:
        op["parameters"] = params
    if meta["body"] is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": meta["body"]}}}
    if meta["multipart"] is not None:
        op.setdefault("requestBody", {"content": {}})["content"]["multipart/form-data"] = {
            "schema": meta["multipart"]}
    responses: dict[str, Any] = {}
    status = str(meta["status"])
    if meta["content_type"]:
        responses[status] = {"description": "File", "content": {meta["content_type"]: {
            "schema": {"type": "string", "format": "binary"}}}}
    elif meta["response"] is not None or meta["response_schema"] is not None:
        schema = meta["response"] if meta["response"] is not None else meta["response_schema"]
        responses[status] = {"description": "OK",
                             "content": {"application/json": {"schema": schema}}}
    else:
        responses[status] = {"description": "No content" if status == "204" else "OK"}
    errors = set(meta["errors"]) | ({401} if "security" in op else set()) | {400}
    for code in sorted(errors):
        responses[str(code)] = {"description": ERROR_TEXT.get(code, "Error"), "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    op["responses"] = responses
    return op


@bp.get("/openapi.json")
@public
def openapi_json():
    return jsonify(build_spec(current_app))
