"""The data commands, run as an operator would: `python -m hub.cli ...` in a subprocess."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from hub import db as hubdb
from hub.models import AnalyticsRollup, ArchiveManifest, AuditLog, Company, Contact, Message, utcnow
from tests.hub.builders import channel, contact, conversation, message


def hub(env, *args):
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_archive_restore_erase_and_recompute_commands(tenant, hub_env):
    # Given a company keeping 30 days, with a 90-day-old thread and one from today
    with hubdb.db.connection_context():
        Company.update(settings={"retentionDays": 30}).execute()
    ch = channel(tenant.company)
    who = contact(tenant.company, ch)
    old_day = utcnow() - timedelta(days=90)
    conv = conversation(tenant.company, ch, who, old_day)
    message(conv, old_day, content="old question")
    message(conv, utcnow() - timedelta(minutes=1), content="new question")
    # When the operator runs archive, restore, recompute and erase
    archived = hub(hub_env, "archive", "run")
    month = old_day.strftime("%Y-%m")
    restored = hub(hub_env, "archive", "restore", tenant.company.id, month)
    recomputed = hub(hub_env, "analytics", "recompute", "--days", "2")
    erased = hub(hub_env, "erase-contact", who.id, "--actor", "dpo@example.test")
    # Expect each to succeed and say what it did
    assert archived.returncode == 0, archived.stderr
    assert "messages moved to archives: 1" in archived.stdout
    assert restored.returncode == 0 and "restored 1 messages" in restored.stdout, restored.stderr
    assert recomputed.returncode == 0 and "recomputed 2 days" in recomputed.stdout
    assert erased.returncode == 0 and "erased:" in erased.stdout
    with hubdb.db.connection_context():
        assert ArchiveManifest.select().count() == 1 and Message.select().count() == 2
        assert AnalyticsRollup.select().where(AnalyticsRollup.channel_key == "").count() >= 1
        assert Contact.get_by_id(who.id).erased_at is not None
        assert AuditLog.get(AuditLog.action == "contact.erased").actor == "dpo@example.test"
    # And an unknown month is a clear error, not a traceback
    missing = hub(hub_env, "archive", "restore", tenant.company.id, "1999-01")
    assert missing.returncode == 1 and "no archive" in missing.stderr
