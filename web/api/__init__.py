"""The REST API: one blueprint, one module per area."""
from web import openapi  # noqa: F401
from web.api import auth, deliveries, users  # noqa: F401
from web.api.blueprint import bp

__all__ = ["bp"]
