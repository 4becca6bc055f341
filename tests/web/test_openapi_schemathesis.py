"""Schemathesis against `/api/openapi.json`, in process over WSGI, as an authenticated admin.

Every documented operation is called with generated input: no answer may be a 5xx, and every
answer must match the schema the spec documents for its status. Half of the calls use ids of
real rows (a session, a message, an attachment) so the happy paths run too, not only 404s.
"""
import io
import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from web import create_app
from tests.web.chat_data import inbound, make_conversation, png_bytes

# Small on purpose: the whole run stays well under two minutes on a shared 2-core machine.
MAX_EXAMPLES = 5
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.fixture
def real_ids(client, tenant):
    """Ids of real rows of the caller's company, by the path parameter names the API uses."""
    conversation = make_conversation(tenant.company.id, name="Ana")
    message = inbound(conversation, "hello")
    sent = client.post(f"/api/chat/sessions/{conversation.id}/messages", headers=tenant.headers,
                       content_type="multipart/form-data",
                       data={"attachments[0]": (io.BytesIO(png_bytes()), "a.png")}).get_json()
    return {"session_id": conversation.id, "chat_id": conversation.id,
            "message_id": message.id, "attachment_id": sent["attachments"][0]["id"],
            "user_id": tenant.admin.id}


# Loaded at collection, after the harness configured the database (schemathesis' lazy
# `from_fixture` loader does not work with pytest 9); one test per documented operation.
APP = create_app({"TESTING": True})
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, tenant, real_ids):
    turn = next(_turns)
    if case.path_parameters and turn % 2 == 0:
        case.path_parameters = {name: real_ids.get(name, value)
                                for name, value in case.path_parameters.items()}
    case.call_and_validate(headers=tenant.headers, checks=CHECKS)


_turns = itertools.count()
