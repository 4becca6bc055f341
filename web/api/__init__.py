"""The REST API: one blueprint, one module per area."""
from web import openapi  # noqa: F401
from web.api import (audit_logs, auth, canned_responses, companies, contacts,  # noqa: F401
                     notifications, users)
from web.api.blueprint import bp

__all__ = ["bp"]
