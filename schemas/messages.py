"""Chat messages: query and body schemas, and the JSON shape of `message_dict`."""
from __future__ import annotations

import json

from marshmallow import ValidationError, fields, pre_load, validate

from schemas.base import CamelSchema
from schemas.sessions import NULLABLE_STRING, PARTICIPANT_JSON, STRING, _nullable

# Upper bound of a page of messages.
MAX_MESSAGES_PAGE = 200
MAX_CONTENT_LENGTH = 10_000


class MessageListQuerySchema(CamelSchema):
    before = fields.String(validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_MESSAGES_PAGE))


class TemplateSchema(CamelSchema):
    """A WhatsApp template reference; components are passed through to the provider."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=512))
    language = fields.String(load_default="en_US", validate=validate.Length(min=2, max=16))
    components = fields.List(fields.Dict(), load_default=list)


class MessageCreateSchema(CamelSchema):
    content = fields.String(load_default="", validate=validate.Length(max=MAX_CONTENT_LENGTH))
    is_private = fields.Boolean(load_default=False)
    reply_to = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    template = fields.Nested(TemplateSchema, allow_none=True)
    client_message_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))


class MultipartMessageSchema(MessageCreateSchema):
    """The same fields sent as form fields next to `attachments[n]` files."""

    @pre_load
    def decode_form(self, data, **kwargs):
        data = dict(data)
        if isinstance(data.get("template"), str):
            try:
                data["template"] = json.loads(data["template"]) if data["template"] else None
            except ValueError:
                raise ValidationError({"template": ["not valid JSON"]}) from None
        return data


class ReadSchema(CamelSchema):
    message_ids = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                              required=True, validate=validate.Length(max=1000))


class TypingSchema(CamelSchema):
    is_typing = fields.Boolean(required=True)


class AttachmentQuerySchema(CamelSchema):
    thumbnail = fields.Boolean(load_default=False)


# Multipart body of a message with files (documented next to the JSON body).
MULTIPART_MESSAGE = {
    "type": "object",
    "properties": {
        "content": {"type": "string", "maxLength": MAX_CONTENT_LENGTH},
        "isPrivate": {"type": "boolean"},
        "replyTo": {"type": "string"},
        "clientMessageId": {"type": "string", "maxLength": 64},
        "attachments[0]": {"type": "string", "format": "binary"},
        "attachments[1]": {"type": "string", "format": "binary"},
    },
}
ATTACHMENT_JSON = {
    "type": "object",
    "required": ["id", "url", "type", "name", "size"],
    "properties": {"id": STRING, "url": STRING, "thumbnailUrl": NULLABLE_STRING,
                   "type": STRING, "name": STRING, "size": {"type": "integer"},
                   "kind": STRING, "status": STRING,
                   "metadata": {"type": "object", "properties": {
                       "width": {"type": "integer"}, "height": {"type": "integer"},
                       "duration": {"type": "number"}}}},
}
_MESSAGE_PROPERTIES = {
    "id": STRING, "conversationId": STRING, "sessionId": STRING, "content": STRING,
    "senderType": STRING, "senderId": NULLABLE_STRING, "senderName": NULLABLE_STRING,
    "direction": {"type": "string", "enum": ["in", "out"]}, "messageType": STRING,
    "platform": NULLABLE_STRING, "timestamp": STRING, "read": {"type": "boolean"},
    "status": STRING, "errorCode": NULLABLE_STRING, "errorReason": NULLABLE_STRING,
    "isPrivate": {"type": "boolean"}, "payload": {"type": "object"},
    "editedAt": NULLABLE_STRING, "deletedAt": NULLABLE_STRING,
    "attachments": {"type": "array", "items": ATTACHMENT_JSON},
}
# JSON shape of `hub.presenters.message_dict` (the ChatMessage of the Chat API).
MESSAGE_JSON = {
    "type": "object",
    "required": ["id", "content", "sender", "timestamp", "read", "status", "attachments"],
    "properties": {**_MESSAGE_PROPERTIES, "replyTo": NULLABLE_STRING,
                   "sender": {"type": "string", "enum": ["user", "support"]}},
}
MESSAGE_PAGE_JSON = {
    "type": "object",
    "required": ["messages", "totalCount", "hasMore"],
    "properties": {"messages": {"type": "array", "items": MESSAGE_JSON},
                   "totalCount": {"type": "integer"}, "hasMore": {"type": "boolean"}},
}
# The ChatMessage of the widget schema: `sender` is a User, `replyTo` a (short) message.
THREAD_MESSAGE_JSON = {
    "type": "object",
    "required": ["id", "content", "sender", "timestamp", "read"],
    "properties": {**_MESSAGE_PROPERTIES, "sender": PARTICIPANT_JSON,
                   "replyTo": _nullable({"type": "object", "properties": {
                       "id": STRING, "content": STRING, "timestamp": STRING}})},
}
THREAD_JSON = {
    "type": "object",
    "required": ["id", "participants", "messages", "createdAt", "updatedAt", "status"],
    "properties": {"id": STRING, "participants": {"type": "array", "items": PARTICIPANT_JSON},
                   "messages": {"type": "array", "items": THREAD_MESSAGE_JSON},
                   "createdAt": STRING, "updatedAt": STRING, "subject": NULLABLE_STRING,
                   "status": {"type": "string", "enum": ["active", "archived", "closed"]},
                   "hasMore": {"type": "boolean"}},
}
THREAD_PAGE_JSON = {
    "type": "object",
    "required": ["items", "totalCount", "page", "totalPages"],
    "properties": {"items": {"type": "array", "items": THREAD_JSON},
                   "totalCount": {"type": "integer"}, "page": {"type": "integer"},
                   "totalPages": {"type": "integer"}},
}
