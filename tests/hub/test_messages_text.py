"""Provider text with a stray NUL is stored without it instead of failing the whole event."""
from hub.db import transaction
from hub.messages import insert_message
from hub.models import Channel, Contact, Conversation


def test_nul_is_dropped_from_stored_text(db_conn, tenant):
    channel = Channel.create(company=tenant.company, kind="telegram", name="t", settings={})
    contact = Contact.create(company=tenant.company, name="C")
    conversation = Conversation.create(company=tenant.company, channel=channel, contact=contact,
                                       tags=[])
    with transaction():
        message, created = insert_message(company=tenant.company.id, conversation=conversation.id,
                                          channel=channel.id, provider_message_id="1:1",
                                          direction="in", sender_type="customer",
                                          content="bad\x00byte")
    assert created and message.content == "badbyte"
