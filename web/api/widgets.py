"""Website chat widgets (admin): `/api/widgets`, their domains and their stats."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Optional

from flask import jsonify

from hub import widget_access, widget_domains, widgets as widget_service
from hub.errors import ValidationError
from hub.models import AuthorizedDomain, Widget, utcnow
from schemas.widgets import (DomainCreateSchema, DomainSchema, StatsQuerySchema,
                             WidgetCreateSchema, WidgetSchema, WidgetStatsSchema,
                             WidgetUpdateSchema, camel_keys)
from web.api.blueprint import bp
from web.auth import current_principal, roles
from web.loading import load_json, load_query
from web.openapi import doc

TAGS = ("widgets",)
# Longest period one stats request may cover.
MAX_STATS_DAYS = 366


def domain_dict(d: AuthorizedDomain) -> dict[str, Any]:
    data = DomainSchema().dump(d)
    data["instructions"] = widget_domains.instructions(d)
    return data


def widget_dict(w: Widget, secret: Optional[str] = None) -> dict[str, Any]:
    """The API shape; the secret in clear only right after it was made."""
    data = WidgetSchema(exclude=("domains",)).dump({
        "id": w.id, "name": w.name, "type": w.type, "status": w.status,
        "settings": widget_service.widget_settings(w), "pre_chat_fields": w.pre_chat_fields or [],
        "allow_localhost": w.allow_localhost, "channel_id": w.channel_id,
        "refused_count": w.refused_count, "embed_code": widget_service.embed_snippet(w.id),
        "secret": secret or widget_service.masked_secret(w), "secret_masked": secret is None,
        "created_at": w.created_at, "updated_at": w.updated_at,
    })
    data["domains"] = [domain_dict(d) for d in
                       AuthorizedDomain.select().where(AuthorizedDomain.widget == w.id)
                       .order_by(AuthorizedDomain.created_at)]
    return data


def _writable(body: dict[str, Any]) -> dict[str, Any]:
    if "settings" in body:
        body["settings"] = camel_keys(body["settings"])
    return body


@bp.get("/widgets")
@doc(summary="The company's chat widgets", tags=TAGS, response=WidgetSchema(many=True),
     errors=(403,))
@roles("admin")
def list_widgets():
    return jsonify([widget_dict(w) for w in widget_service.list_widgets(current_principal())])


@bp.post("/widgets")
@doc(summary="Create a widget (and its widget channel); the answer shows the secret once",
     tags=TAGS, body=WidgetCreateSchema, response=WidgetSchema, status=201, errors=(403,))
@roles("admin")
def create_widget():
    body = _writable(load_json(WidgetCreateSchema()))
    widget, secret = widget_service.create_widget(current_principal(), **body)
    return jsonify(widget_dict(widget, secret)), 201


@bp.get("/widgets/<widget_id>")
@doc(summary="A widget with its embed code and domains", tags=TAGS, response=WidgetSchema,
     errors=(403, 404))
@roles("admin")
def get_widget(widget_id: str):
    return jsonify(widget_dict(widget_service.get_widget(current_principal(), widget_id)))


@bp.patch("/widgets/<widget_id>")
@doc(summary="Change a widget (settings merge into the stored ones)", tags=TAGS,
     body=WidgetUpdateSchema, response=WidgetSchema, errors=(403, 404))
@roles("admin")
def update_widget(widget_id: str):
    principal = current_principal()
    widget = widget_service.get_widget(principal, widget_id)
    body = _writable(load_json(WidgetUpdateSchema()))
    return jsonify(widget_dict(widget_service.update_widget(principal, widget, body)))


@bp.delete("/widgets/<widget_id>")
@doc(summary="Delete a widget (its past conversations stay)", tags=TAGS, status=204,
     errors=(403, 404))
@roles("admin")
def delete_widget(widget_id: str):
    principal = current_principal()
    widget_service.delete_widget(principal, widget_service.get_widget(principal, widget_id))
    return "", 204


@bp.post("/widgets/<widget_id>/secret")
@doc(summary="Replace the identity-verification secret; the answer shows the new one once",
     tags=TAGS, response=WidgetSchema, errors=(403, 404))
@roles("admin")
def rotate_secret(widget_id: str):
    principal = current_principal()
    widget, secret = widget_service.rotate_secret(
        principal, widget_service.get_widget(principal, widget_id))
    return jsonify(widget_dict(widget, secret))


@bp.get("/widgets/<widget_id>/domains")
@doc(summary="Domains the widget may be embedded on", tags=TAGS, response=DomainSchema(many=True),
     errors=(403, 404))
@roles("admin")
def list_domains(widget_id: str):
    widget = widget_service.get_widget(current_principal(), widget_id)
    rows = AuthorizedDomain.select().where(AuthorizedDomain.widget == widget.id).order_by(
        AuthorizedDomain.created_at)
    return jsonify([domain_dict(d) for d in rows])


@bp.post("/widgets/<widget_id>/domains")
@doc(summary="Add a domain; the answer holds its verification token and instructions",
     tags=TAGS, body=DomainCreateSchema, response=DomainSchema, status=201,
     errors=(403, 404, 409))
@roles("admin")
def add_domain(widget_id: str):
    principal = current_principal()
    widget = widget_service.get_widget(principal, widget_id)
    body = load_json(DomainCreateSchema())
    return jsonify(domain_dict(widget_domains.add_domain(principal, widget, body["domain"]))), 201


@bp.delete("/widgets/<widget_id>/domains/<domain_id>")
@doc(summary="Remove a domain", tags=TAGS, status=204, errors=(403, 404))
@roles("admin")
def remove_domain(widget_id: str, domain_id: str):
    principal = current_principal()
    widget = widget_service.get_widget(principal, widget_id)
    widget_domains.remove_domain(principal, widget_domains.get_domain(principal, widget, domain_id))
    return "", 204


@bp.post("/widgets/<widget_id>/domains/<domain_id>/verify")
@doc(summary="Check the domain's DNS TXT record or verification file now", tags=TAGS,
     response=DomainSchema, errors=(403, 404))
@roles("admin")
def verify_domain(widget_id: str, domain_id: str):
    principal = current_principal()
    widget = widget_service.get_widget(principal, widget_id)
    domain = widget_domains.get_domain(principal, widget, domain_id)
    return jsonify(domain_dict(widget_domains.verify_domain(domain)))


@bp.get("/widgets/<widget_id>/stats")
@doc(summary="Loads, conversations, messages and refused embeddings per day", tags=TAGS,
     query=StatsQuerySchema, response=WidgetStatsSchema, errors=(403, 404))
@roles("admin")
def widget_stats(widget_id: str):
    widget = widget_service.get_widget(current_principal(), widget_id)
    query = load_query(StatsQuerySchema())
    end = query.get("to") or utcnow().date()
    start = query.get("from_") or end - timedelta(days=29)
    if start > end or (end - start).days >= MAX_STATS_DAYS:
        raise ValidationError(f"from must be before to, at most {MAX_STATS_DAYS} days apart",
                              code="invalid_period")
    return jsonify(widget_access.stats(widget, start, end))
