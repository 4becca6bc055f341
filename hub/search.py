"""Session search: contact name, phone and email, and message text by full-text search.

Message text goes through the index of migration v0002: FTS5 `message_fts` on SQLite (rowid =
message rowid), the GIN index on `to_tsvector('simple', content)` on PostgreSQL.
"""
from __future__ import annotations

import re

import peewee
from peewee import SQL, Expression, fn

from hub.db import is_postgres
from hub.models import Contact, Conversation, Message

# Words beyond this many are ignored: a search box, not a query language.
MAX_TERMS = 8
_WORD = re.compile(r"\w+", re.UNICODE)


def terms(q: str) -> list[str]:
    """The words of a search string (punctuation and operators dropped)."""
    return _WORD.findall(q.lower())[:MAX_TERMS]


def _message_conversations(company_id: str, words: list[str]) -> peewee.Node:
    """Ids of the company's conversations with a message matching every word (as prefixes)."""
    if is_postgres():
        query = " & ".join(f"{w}:*" for w in words)
        matches = Expression(fn.to_tsvector(SQL("'simple'"), Message.content), "@@",
                             fn.to_tsquery(SQL("'simple'"), query))
        return (Message.select(Message.conversation)
                .where((Message.company == company_id) & matches))
    # FTS5: each word quoted (no operators from user input) and matched as a prefix.
    query = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
    return SQL("(SELECT message.conversation_id FROM message JOIN message_fts"
               " ON message_fts.rowid = message.rowid"
               " WHERE message_fts MATCH ? AND message.company_id = ?)", (query, company_id))


def _contact_matches(company_id: str, q: str) -> peewee.Node:
    """Ids of the company's contacts whose name, email or phone contains `q`."""
    needle = q.strip().lower()
    condition = (fn.LOWER(Contact.name).contains(needle)
                 | fn.LOWER(Contact.email).contains(needle))
    digits = re.sub(r"\D", "", needle)
    if len(digits) >= 3:  # "+33 6 12" finds "+33612345678"
        condition |= Contact.phone.contains(digits)
    return Contact.select(Contact.id).where((Contact.company == company_id) & condition)


def matching(query: peewee.ModelSelect, company_id: str, q: str) -> peewee.ModelSelect:
    """Narrow a conversation query to those whose contact or messages match `q`."""
    condition = Conversation.contact.in_(_contact_matches(company_id, q))
    words = terms(q)
    if words:
        condition |= Conversation.id.in_(_message_conversations(company_id, words))
    return query.where(condition)
