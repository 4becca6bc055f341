"""The REST API: one blueprint, one module per area."""
from web import openapi  # noqa: F401
from web.api import auth  # noqa: F401
from web.api import channels  # noqa: F401
from web.api import stats  # noqa: F401
from web.api import users  # noqa: F401
from web.api import webhook_events  # noqa: F401
from web.api.blueprint import bp

__all__ = ["bp"]
