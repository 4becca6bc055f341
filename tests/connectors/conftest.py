"""Shared test parts: a real local Graph API emulator and an event-matching helper."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ROOT = Path(__file__).resolve().parents[2]


def fixture_files(kind: str) -> list[Path]:
    """Every `<event>__<variant>.json` of a connector, sorted for stable test ids."""
    return sorted((ROOT / "connectors" / kind / "fixtures").glob("*.json"))


@dataclass
class Recorded:
    """One request the emulator received."""

    method: str
    path: str
    args: dict[str, str]
    headers: dict[str, str]
    json: Any
    form: dict[str, str]
    files: dict[str, tuple[str, bytes, str]]


@dataclass
class GraphStub:
    """A real HTTP server on 127.0.0.1 answering scripted Graph API responses."""

    base_url: str = ""
    routes: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def on(self, method: str, path: str, *, status: int = 200, json_body: Any = None,
           body: Optional[bytes] = None, headers: Optional[dict] = None, delay: float = 0,
           times: Optional[int] = None) -> None:
        """Script the answer to `method path`; the last scripted answer repeats."""
        answer = dict(status=status, json=json_body, body=body, headers=headers or {},
                      delay=delay)
        self.routes.setdefault((method, path), []).extend([answer] * (times or 1))

    def _answer(self, request: Request) -> Response:
        files = {k: (f.filename, f.read(), f.mimetype) for k, f in request.files.items()}
        self.requests.append(Recorded(request.method, request.path, dict(request.args),
                                      dict(request.headers), request.get_json(silent=True),
                                      dict(request.form), files))
        queue = self.routes.get((request.method, request.path))
        if not queue:
            return Response(json.dumps({"error": {"message": "Unknown path", "code": 803}}),
                            status=404, mimetype="application/json")
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if answer["delay"]:
            time.sleep(answer["delay"])
        if answer["body"] is not None:
            return Response(answer["body"], status=answer["status"], headers=answer["headers"])
        return Response(json.dumps(answer["json"]), status=answer["status"],
                        headers=answer["headers"], mimetype="application/json")

    def __call__(self, environ, start_response):
        return self._answer(Request(environ))(environ, start_response)


@pytest.fixture
def graph():
    """A running Graph API emulator; `graph.base_url` goes in the channel's apiBaseUrl."""
    stub = GraphStub()
    server = make_server("127.0.0.1", 0, stub, threaded=True)
    stub.base_url = f"http://127.0.0.1:{server.server_port}/v21.0"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    thread.join(5)


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def graph_error(code: int, message: str, *, details: Optional[str] = None,
                is_transient: Optional[bool] = None, subcode: Optional[int] = None) -> dict:
    """A Graph API error body as Meta documents it."""
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                             "fbtrace_id": "AbCdEfGhIjKlMnOpQrStUv"}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if is_transient is not None:
        error["is_transient"] = is_transient
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


def assert_events(events: list, expected: list[dict]) -> None:
    """Each event matches its expectation: `type` is the class name, other keys are
    attributes, dotted for nested ones (`contact.name`, `media.0.kind`)."""
    summary = [type(e).__name__ for e in events]
    assert len(events) == len(expected), f"got {summary}"
    for event, want in zip(events, expected):
        assert type(event).__name__ == want["type"], f"got {summary}"
        for key, value in want.items():
            if key == "type":
                continue
            actual: Any = event
            for part in key.split("."):
                if isinstance(actual, list):
                    actual = actual[int(part)]
                elif isinstance(actual, dict):
                    actual = actual[part]
                else:
                    actual = getattr(actual, part)
            assert actual == value, f"{want['type']}.{key}: {actual!r} != {value!r}"
