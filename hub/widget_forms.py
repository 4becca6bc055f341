"""Pre-chat forms: the field definitions an admin sets, and the checks of a visitor's answers."""
from __future__ import annotations

import re
from typing import Any

from hub.errors import ValidationError

# Field types; name, email and phone fill the contact's own columns, the others custom_fields.
FIELD_TYPES = ("name", "email", "phone", "text", "textarea", "select")
STANDARD_TYPES = ("name", "email", "phone")
MAX_LENGTH = {"name": 200, "email": 254, "phone": 40, "text": 500, "textarea": 2000, "select": 200}
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{4,30}$")
FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def check_definitions(fields: list[dict[str, Any]]) -> list[str]:
    """Problems of a list of field definitions (empty when valid)."""
    problems, keys = [], set()
    for i, f in enumerate(fields):
        if f["key"] in keys:
            problems.append(f"field {i}: the key {f['key']!r} is used twice")
        keys.add(f["key"])
        if f["type"] == "select" and not f.get("options"):
            problems.append(f"field {i}: a select needs options")
        if f["type"] in STANDARD_TYPES and sum(g["type"] == f["type"] for g in fields) > 1:
            problems.append(f"field {i}: only one field of type {f['type']}")
    return sorted(set(problems))


def validate_answers(fields: list[dict[str, Any]], answers: Any) -> dict[str, str]:
    """The visitor's answers checked against the form; 400 with per-field errors."""
    if not isinstance(answers, dict):
        raise ValidationError("the form must be an object", code="invalid_form")
    errors: dict[str, str] = {}
    known = {f["key"] for f in fields}
    for key in answers:
        if key not in known:
            errors[str(key)[:40]] = "unknown field"
    clean: dict[str, str] = {}
    for f in fields:
        value = answers.get(f["key"])
        if value is not None and not isinstance(value, str):
            errors[f["key"]] = "must be text"
            continue
        value = (value or "").strip()
        if not value:
            if f.get("required"):
                errors[f["key"]] = f"{f.get('label') or f['key']} is required"
            continue
        if len(value) > MAX_LENGTH[f["type"]]:
            errors[f["key"]] = f"at most {MAX_LENGTH[f['type']]} characters"
        elif f["type"] == "email" and not EMAIL.match(value):
            errors[f["key"]] = "not a valid email address"
        elif f["type"] == "phone" and not PHONE.match(value):
            errors[f["key"]] = "not a valid phone number"
        elif f["type"] == "select" and value not in (f.get("options") or []):
            errors[f["key"]] = "not one of the options"
        else:
            clean[f["key"]] = value
    if errors:
        raise ValidationError("the form is not valid", code="invalid_form", details=errors)
    return clean


def split_answers(fields: list[dict[str, Any]], clean: dict[str, str]) -> tuple[dict, dict]:
    """({name, email, phone}, {custom key: value}) from checked answers."""
    standard, custom = {}, {}
    for f in fields:
        if f["key"] in clean:
            if f["type"] in STANDARD_TYPES:
                standard[f["type"]] = clean[f["key"]]
            else:
                custom[f["key"]] = clean[f["key"]]
    return standard, custom
