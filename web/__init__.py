"""The Flask application factory."""
from __future__ import annotations

from typing import Any, Optional

from flask import Flask
from flask.sessions import SessionInterface

from hub import db
from hub.settings import configure, get_settings


def create_app(test_config: Optional[dict[str, Any]] = None) -> Flask:
    """Build the web app; `test_config` may carry `settings` (a hub Settings) and Flask keys."""
    test_config = dict(test_config or {})
    if "settings" in test_config:
        configure(test_config.pop("settings"))
    settings = get_settings()

    from web.observability import configure_logging

    configure_logging()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # Uploads are bounded by the company's maxFileSize; this is the hard cap above it.
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 1024 * 1024,
        JSON_SORT_KEYS=False,
        SOCK_SERVER_OPTIONS={"ping_interval": 25, "max_message_size": 64 * 1024},
    )
    app.config.update(test_config)
    app.session_interface = NoCookieSessions()
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    if db.db.obj is None or test_config.get("REINIT_DB"):
        db.init_db(settings.resolved_database_url)

    import workers.broker  # noqa: F401  (enqueueing from requests goes through this broker)
    import workers.actors  # noqa: F401

    from web import errors, observability
    from web.api import bp as api_bp
    from web.health import bp as health_bp

    errors.register_error_handlers(app)
    observability.init_app(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(api_bp)
    for module in _optional_blueprints():
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)

    from web.webhook_wsgi import WebhookFastPath

    # Provider webhook POSTs, the hot path of every inbound message, are answered below Flask.
    app.wsgi_app = WebhookFastPath(app.wsgi_app)  # type: ignore[method-assign]

    @app.before_request
    def open_db():
        from flask import request

        if request.blueprint == "health":
            return  # /healthz reports a database that is down instead of failing on it
        if request.blueprint == "webhooks":
            return  # the intake batches borrow a connection per batch (hub.webhook_intake)
        db.open_connection()

    @app.teardown_request
    def close_db(exc):
        db.close_connection()

    return app


class NoCookieSessions(SessionInterface):
    """The hub authenticates with tokens, never with a cookie session: none is read or signed.

    Flask's default opens a signed-cookie session on every request (a key derivation and a
    serializer, a tenth of a webhook request's Flask overhead) for nothing.
    """

    def open_session(self, app, request):
        return None  # Flask hands views its read-only null session

    def save_session(self, app, session, response):
        return None


def _optional_blueprints():
    """Blueprints of the other areas (webhooks, sockets, inbox, widget), as they exist."""
    import importlib

    for name in ("web.webhooks", "web.sockets", "web.inbox", "web.widget"):
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
