"""The REST API: one blueprint, one module per area."""
from web import openapi  # noqa: F401
from web.api import attachments  # noqa: F401
from web.api import audit_logs  # noqa: F401
from web.api import auth  # noqa: F401
from web.api import canned_responses  # noqa: F401
from web.api import channels  # noqa: F401
from web.api import chat_messages  # noqa: F401
from web.api import companies  # noqa: F401
from web.api import contacts  # noqa: F401
from web.api import docs  # noqa: F401
from web.api import notifications  # noqa: F401
from web.api import sessions  # noqa: F401
from web.api import stats  # noqa: F401
from web.api import threads  # noqa: F401
from web.api import users  # noqa: F401
from web.api import webhook_events  # noqa: F401
from web.api.blueprint import bp

__all__ = ["bp"]
