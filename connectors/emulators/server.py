"""The emulator's Flask app and a background server for tests, benchmarks and the demo."""
from __future__ import annotations

import threading
from typing import Optional

from flask import Flask, jsonify
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from connectors.emulators import control_routes, graph_routes, telegram_routes, whatsapp_routes
from connectors.emulators.common import GraphVersionConverter
from connectors.emulators.state import EmulatorState


def create_emulator_app(state: Optional[EmulatorState] = None) -> Flask:
    """A Flask app speaking the WhatsApp Cloud, Graph Send and Telegram Bot APIs."""
    app = Flask("connectors.emulators")
    app.url_map.converters["gv"] = GraphVersionConverter
    app.extensions["emulator_state"] = state or EmulatorState()
    for module in (whatsapp_routes, graph_routes, telegram_routes, control_routes):
        app.register_blueprint(module.bp)

    @app.errorhandler(404)
    def not_found(_exc: Exception):  # type: ignore[no-untyped-def]
        # Graph answers unknown paths with its error shape; clients parse it, not HTML.
        return jsonify({"error": {"message": "Unknown path components", "type":
                                  "OAuthException", "code": 2500}}), 404

    return app


class _QuietHandler(WSGIRequestHandler):
    """Skips the per-request access log, which would drown test and benchmark output."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class EmulatorServer:
    """Runs the emulator on 127.0.0.1 (a free port unless given) in a background thread."""

    def __init__(self, state: Optional[EmulatorState] = None, host: str = "127.0.0.1",
                 port: int = 0, quiet: bool = True):
        self.state = state or EmulatorState()
        self.app = create_emulator_app(self.state)
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True,
            request_handler=_QuietHandler if quiet else None)
        # Sleeping fault threads must not keep the process alive after the test ends.
        self._server.daemon_threads = True
        self.host, self.port = host, self._server.server_port
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "EmulatorServer":
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=f"emulator-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
