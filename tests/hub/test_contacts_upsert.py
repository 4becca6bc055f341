"""upsert_contact: a known contact is found and touched by one UPDATE ... RETURNING; profile
changes still reach the identity and, where it only echoed the provider, the contact's name."""
from __future__ import annotations

from hub import db as hubdb
from hub.contacts import upsert_contact
from hub.db import transaction
from hub.events import ContactProfile
from hub.models import Contact, ContactIdentity
from tests.hub import builders


def _upsert(tenant, channel, profile, created=None):
    with transaction():
        return upsert_contact(tenant.company.id, channel.id, profile, created=created)


def test_new_then_known_contact(tenant, db_conn):
    channel = builders.channel(tenant.company.id)
    created: list[bool] = []
    first = _upsert(tenant, channel, ContactProfile(external_id="155501", name="Ann",
                                                   phone="155501"), created)
    assert created == [True] and first.name == "Ann" and first.last_seen is not None
    statements: list[str] = []
    original = hubdb.db.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return original(sql, params, *args, **kwargs)

    hubdb.db.obj.execute_sql = counting
    try:
        again: list[bool] = []
        known = _upsert(tenant, channel, ContactProfile(external_id="155501", name="Ann"), again)
    finally:
        del hubdb.db.obj.execute_sql
    assert again == [] and known.id == first.id
    assert len(statements) == 1, statements  # the UPDATE ... RETURNING, identity included
    assert known.identity_id == ContactIdentity.get().id and known.identity_name == "Ann"
    stored = Contact.get_by_id(first.id)
    assert stored.last_seen == known.last_seen and stored.last_seen >= first.last_seen
    assert stored.updated_at == known.last_seen
    assert Contact.select().count() == 1 and ContactIdentity.select().count() == 1


def test_a_new_profile_name_and_avatar_reach_identity_and_contact(tenant, db_conn):
    channel = builders.channel(tenant.company.id)
    _upsert(tenant, channel, ContactProfile(external_id="155502", name="Bob"))
    renamed = _upsert(tenant, channel, ContactProfile(external_id="155502", name="Robert",
                                                      avatar_url="https://x.test/a.png"))
    assert (renamed.name, renamed.avatar) == ("Robert", "https://x.test/a.png")
    assert Contact.get_by_id(renamed.id).name == "Robert"
    assert ContactIdentity.get().display_name == "Robert"


def test_a_name_an_agent_gave_is_kept(tenant, db_conn):
    channel = builders.channel(tenant.company.id)
    contact = _upsert(tenant, channel, ContactProfile(external_id="155503", name="Cat"))
    Contact.update(name="Catherine (VIP)").where(Contact.id == contact.id).execute()
    again = _upsert(tenant, channel, ContactProfile(external_id="155503", name="Cathy"))
    assert again.name == "Catherine (VIP)" and Contact.get_by_id(contact.id).name == again.name
    assert ContactIdentity.get().display_name == "Cathy"


def test_the_loser_of_a_new_contact_race_uses_the_winners_contact(tenant, db_conn, monkeypatch):
    """Two jobs see the same new contact: the second one's lookup ran before the first one's
    identity was committed, so it inserts a contact too; its identity INSERT then conflicts
    (unique on channel + external id), and it must drop its contact and use the winner's, not
    keep a second contact for one person."""
    from hub import contacts

    channel = builders.channel(tenant.company.id)
    winner = _upsert(tenant, channel, ContactProfile(external_id="155504", name="Dan"))
    lookups = []
    touch_known = contacts._touch_known

    def missed_first_time(*args):
        lookups.append(args)
        return None if len(lookups) == 1 else touch_known(*args)

    monkeypatch.setattr(contacts, "_touch_known", missed_first_time)
    created: list[bool] = []
    loser = _upsert(tenant, channel, ContactProfile(external_id="155504", name="Dan"), created)
    assert len(lookups) == 2 and created == []
    assert loser.id == winner.id
    assert Contact.select().count() == 1 and ContactIdentity.select().count() == 1
