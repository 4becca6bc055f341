"""Chat sessions (conversations) and ChatThreads: query and body schemas, response shapes."""
from __future__ import annotations

from marshmallow import fields, validate

from schemas.base import CamelSchema

SESSION_STATUSES = ("active", "closed", "archived")
PRIORITIES = ("low", "medium", "high")
# Upper bound of a page of sessions.
MAX_PAGE_SIZE = 100
Tag = fields.String(validate=validate.Length(min=1, max=50))


class SessionListQuerySchema(CamelSchema):
    status = fields.String(validate=validate.OneOf(SESSION_STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    q = fields.String(validate=validate.Length(min=1, max=200))
    channel = fields.String(validate=validate.Length(min=1, max=64))
    assignee = fields.String(validate=validate.Length(min=1, max=64))
    tag = fields.String(validate=validate.Length(min=1, max=50))


class SessionCreateSchema(CamelSchema):
    subject = fields.String(validate=validate.Length(max=300), allow_none=True)
    priority = fields.String(load_default="medium", validate=validate.OneOf(PRIORITIES))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)),
                       load_default=list, validate=validate.Length(max=50))


class AssignSchema(CamelSchema):
    agent_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class BotSchema(CamelSchema):
    enabled = fields.Boolean(required=True)


class TagsSchema(CamelSchema):
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)), required=True,
                       validate=validate.Length(max=50))


class ThreadListQuerySchema(CamelSchema):
    status = fields.String(validate=validate.OneOf(SESSION_STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


STRING = {"type": "string"}
NULLABLE_STRING = _nullable(STRING)
# JSON shape of `hub.presenters.conversation_dict` (a session).
SESSION_JSON = {
    "type": "object",
    "required": ["id", "status", "startedAt", "priority", "tags", "unreadCount"],
    "properties": {
        "id": STRING, "userId": NULLABLE_STRING, "agentId": NULLABLE_STRING,
        "assignedTo": NULLABLE_STRING,
        "status": {"type": "string", "enum": list(SESSION_STATUSES)},
        "startedAt": STRING, "endedAt": NULLABLE_STRING, "reopenedAt": NULLABLE_STRING,
        "subject": NULLABLE_STRING,
        "priority": {"type": "string", "enum": list(PRIORITIES)},
        "tags": {"type": "array", "items": STRING},
        "channel": _nullable({"type": "object", "properties": {
            "id": STRING, "kind": STRING, "name": STRING}}),
        "platform": NULLABLE_STRING,
        "contact": _nullable({"type": "object", "properties": {
            "id": STRING, "name": STRING, "phone": NULLABLE_STRING, "email": NULLABLE_STRING,
            "avatar": NULLABLE_STRING, "isClient": {"type": "boolean"}}}),
        "prospectId": NULLABLE_STRING, "isClientConverted": {"type": "boolean"},
        "unreadCount": {"type": "integer"}, "lastMessage": NULLABLE_STRING,
        "lastActivity": NULLABLE_STRING, "botEnabled": {"type": "boolean"},
        "createdAt": STRING, "updatedAt": NULLABLE_STRING,
    },
}
SESSION_PAGE_JSON = {
    "type": "object",
    "required": ["sessions", "totalCount", "page", "totalPages"],
    "properties": {"sessions": {"type": "array", "items": SESSION_JSON},
                   "totalCount": {"type": "integer"}, "page": {"type": "integer"},
                   "totalPages": {"type": "integer"}},
}
# The User of the product documents, as a participant of a thread (users and the contact).
PARTICIPANT_JSON = {
    "type": "object",
    "required": ["id", "name", "role"],
    "properties": {"id": STRING, "name": STRING, "email": NULLABLE_STRING,
                   "role": {"type": "string", "enum": ["admin", "support", "user"]},
                   "avatar": NULLABLE_STRING, "companyId": STRING,
                   "status": {"type": "string", "enum": ["online", "offline", "away"]},
                   "lastActive": NULLABLE_STRING, "isContact": {"type": "boolean"}},
}
