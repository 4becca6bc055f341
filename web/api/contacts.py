"""Contacts (prospects and clients), conversion, notes and quotes: `/api/contacts`."""
from __future__ import annotations

from flask import jsonify

from hub import client_records, clients
from hub.crm_presenters import note_dict, quote_dict
from hub.paging import page_info
from schemas.contacts import (ContactDetailSchema, ContactPageSchema, ContactQuerySchema,
                              ContactUpdateSchema, ConvertSchema, NoteCreateSchema, NoteSchema,
                              QuoteCreateSchema, QuoteSchema, QuoteUpdateSchema)
from web.api.blueprint import bp
from web.auth import current_principal
from web.loading import load_json, load_query
from web.openapi import doc

TAGS = ("contacts",)


@bp.get("/contacts")
@doc(summary="Contacts of the company (type, text search, pages)", tags=TAGS,
     query=ContactQuerySchema, response=ContactPageSchema, errors=(403,))
def list_contacts():
    query = load_query(ContactQuerySchema())
    rows, total = clients.search(current_principal(), type=query.get("type"), q=query.get("q"),
                                 page=query["page"], limit=query["limit"])
    return jsonify({"contacts": rows, **page_info(total, query["page"], query["limit"])})


@bp.get("/contacts/<contact_id>")
@doc(summary="A contact with its channel identities, notes and quotes", tags=TAGS,
     response=ContactDetailSchema, errors=(403, 404))
def get_contact(contact_id: str):
    return jsonify(clients.detail(clients.get_contact(current_principal(), contact_id)))


@bp.put("/contacts/<contact_id>")
@doc(summary="Edit a contact", tags=TAGS, body=ContactUpdateSchema,
     response=ContactDetailSchema, errors=(403, 404))
def update_contact(contact_id: str):
    body = load_json(ContactUpdateSchema())
    return jsonify(clients.detail(clients.update_contact(current_principal(), contact_id, body)))


@bp.post("/contacts/<contact_id>/convert")
@doc(summary="Convert a prospect into a client", tags=TAGS, body=ConvertSchema,
     response=ContactDetailSchema, errors=(403, 404, 409))
def convert_contact(contact_id: str):
    body = load_json(ConvertSchema())
    return jsonify(clients.detail(clients.convert(current_principal(), contact_id, **body)))


@bp.get("/contacts/<contact_id>/notes")
@doc(summary="A contact's notes, newest first", tags=TAGS, response=NoteSchema(many=True),
     errors=(403, 404))
def list_notes(contact_id: str):
    return jsonify(client_records.list_notes(current_principal(), contact_id))


@bp.post("/contacts/<contact_id>/notes")
@doc(summary="Add a note to a contact", tags=TAGS, body=NoteCreateSchema, response=NoteSchema,
     status=201, errors=(403, 404))
def add_note(contact_id: str):
    body = load_json(NoteCreateSchema())
    principal = current_principal()
    note = client_records.add_note(principal, contact_id, body["content"])
    return jsonify(note_dict(note, note.author.name if note.author_id else None)), 201


@bp.delete("/contacts/<contact_id>/notes/<note_id>")
@doc(summary="Delete a note (its author or an admin)", tags=TAGS, status=204,
     errors=(403, 404))
def delete_note(contact_id: str, note_id: str):
    client_records.delete_note(current_principal(), contact_id, note_id)
    return "", 204


@bp.get("/contacts/<contact_id>/quotes")
@doc(summary="A contact's quotes, newest first", tags=TAGS, response=QuoteSchema(many=True),
     errors=(403, 404))
def list_quotes(contact_id: str):
    return jsonify([quote_dict(q) for q in client_records.list_quotes(current_principal(),
                                                                       contact_id)])


@bp.post("/contacts/<contact_id>/quotes")
@doc(summary="Add a quote to a contact", tags=TAGS, body=QuoteCreateSchema,
     response=QuoteSchema, status=201, errors=(403, 404))
def add_quote(contact_id: str):
    body = load_json(QuoteCreateSchema())
    return jsonify(quote_dict(client_records.add_quote(current_principal(), contact_id,
                                                       body))), 201


@bp.put("/contacts/<contact_id>/quotes/<quote_id>")
@doc(summary="Edit a quote (status, amount, currency ...)", tags=TAGS, body=QuoteUpdateSchema,
     response=QuoteSchema, errors=(403, 404))
def update_quote(contact_id: str, quote_id: str):
    body = load_json(QuoteUpdateSchema())
    return jsonify(quote_dict(client_records.update_quote(current_principal(), contact_id,
                                                          quote_id, body)))

