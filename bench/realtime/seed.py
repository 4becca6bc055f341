"""Companies with agents and a WhatsApp channel each, created through the hub's services."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

APP_SECRET = "bench-app-secret"


@dataclass
class Tenant:
    """One company: its channel, its phone number id, and its agents' socket tokens."""

    company_id: str
    channel_id: str
    phone_number_id: str
    tokens: list[str]


def seed(companies: int, agents: int) -> list[Tenant]:
    """`companies` companies of `agents` support agents (plus an admin) and one channel."""
    from hub import db
    from hub.auth import Principal, hash_password, issue_access_token
    from hub.channels import create_channel
    from hub.models import Company, User, new_id

    password = hash_password("bench")
    tenants = []
    with db.connection():
        for c in range(companies):
            company = Company.create(name=f"Bench {c}", settings={})
            admin = User.create(company=company.id, email=f"admin{c}-{secrets.token_hex(3)}@b.test",
                                name="Admin", password_hash=password, role="admin", settings={})
            rows = [dict(id=new_id(), company=company.id, name=f"Agent {a}", role="support",
                         email=f"a{c}-{a}-{secrets.token_hex(3)}@b.test",
                         password_hash=password, settings={}) for a in range(agents)]
            User.insert_many(rows).execute()
            phone_number_id = f"1065{c:011d}"
            channel = create_channel(Principal(admin.id, company.id, "admin"), "whatsapp",
                                     f"bench {c}", {"accessToken": "t", "appSecret": APP_SECRET,
                                                    "phoneNumberId": phone_number_id})
            tokens = [issue_access_token(User.get_by_id(r["id"])) for r in rows]
            tenants.append(Tenant(company.id, channel.id, phone_number_id, tokens))
    return tenants
