"""Every table of the hub; `ALL_MODELS` is in creation order.

A foreign key whose column leads one of its model's composite indexes has `index=False`: the
composite serves the same lookups, and one index less is one write less per row (migration
v0007; a test checks that the migrated schema has no such index).
"""
from hub.models.base import BaseModel, new_id, utcnow
from hub.models.channels import Channel, ChannelTemplate
from hub.models.contacts import ClientNote, Contact, ContactIdentity, Quote
from hub.models.conversations import MESSAGE_STATUSES, Attachment, Conversation, Message, MessagePart, \
    PendingEvent, PendingStatus
from hub.models.operations import AnalyticsRollup, ArchiveManifest, CannedResponse, JobRun
from hub.models.pipeline import Delivery, DeliveryAttempt, WebhookEvent
from hub.models.tenancy import ApiToken, AuditLog, Company, Notification, User
from hub.models.widgets import AuthorizedDomain, Widget, WidgetStat

ALL_MODELS = [
    Company, User, ApiToken, Notification, AuditLog,
    Channel, ChannelTemplate,
    Contact, ContactIdentity, ClientNote, Quote,
    Conversation, Message, Attachment, MessagePart, PendingStatus, PendingEvent,
    WebhookEvent, Delivery, DeliveryAttempt,
    Widget, AuthorizedDomain, WidgetStat,
    CannedResponse, AnalyticsRollup, ArchiveManifest, JobRun,
]

__all__ = [m.__name__ for m in ALL_MODELS] + [
    "ALL_MODELS", "BaseModel", "MESSAGE_STATUSES", "new_id", "utcnow",
]
