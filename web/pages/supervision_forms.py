"""Reading the supervision and operator forms: text fields, a deadline typed as a date and a time in the cycle's zone,
days overdue, an idempotency key; and a refusal turned into messages beside the fields the form shows.

A form's fields carry its prefix (`perpanjang-tanggal`, `alihkan-penilai`), so several forms on one page keep
distinct ids; the services and the workflow name fields their own way (`new_deadline`, `penilai_nip`), which
`refused` maps to the form's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

from pydantic import ValidationError

from domain.errors import DomainError
from domain.stages import OPEN_STAGES, Stage
from importing.values import validation_messages
from services.supervision import MAX_DAYS
from web.pages.deps import FormErrors
from web.problems import Described, describe

_KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")
_TIME = re.compile(r"^\d{2}:\d{2}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What the services, the step bodies and the workflow call a field → the form's field (after its prefix).
FIELD_NAMES = {
    "new_deadline": "tanggal",
    "sampai": "tanggal",
    "alasan": "alasan",
    "reason": "alasan",
    "penilai_nip": "penilai",
    "penilai": "penilai",
    "atasan_nip": "atasan",
    "atasan": "atasan",
    "dari": "dari",
    "unit": "unit",
    "tahap_filter": "tahap",
    "terlambat_sejak": "terlambat",
    "terlambat": "terlambat",
    "tmt": "tmt",
    "effective_on": "tmt",
    "sebab": "sebab",
    "cause": "sebab",
    "tanggal": "tanggal",
    "jam": "jam",
}
STAGES = [(value, Stage(value).label) for value in OPEN_STAGES]


def text_values(form: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    """The form's text fields whose name starts with `prefix`, named without it (files are ignored)."""
    return {
        name.removeprefix(prefix): value.strip()
        for name, value in form.items()
        if isinstance(value, str) and name.startswith(prefix)
    }


def optional(value: str | None) -> str | None:
    return value if value else None


def idempotency_key(value: str | None) -> str | None:
    """The key a form carries (made when the page was shown): the same form sent twice is one step."""
    return value if value and _KEY.match(value) else None


def deadline(day: str, clock: str, utc_offset_hours: int | None) -> datetime:
    """A date and a time typed in the cycle's zone, as the instant they name."""
    if not day:
        raise DomainError("tanggal batas waktu baru wajib diisi", field="tanggal")
    try:
        typed = date.fromisoformat(day) if _DATE.match(day) else None
    except ValueError:
        typed = None
    if typed is None:
        raise DomainError(f"'{day[:20]}' bukan tanggal (tttt-bb-hh)", field="tanggal")
    try:
        at = time.fromisoformat(clock or "23:59") if not clock or _TIME.match(clock) else None
    except ValueError:
        at = None
    if at is None:
        raise DomainError(f"'{clock[:20]}' bukan jam (jj:mm)", field="jam")
    zone = timezone(timedelta(hours=utc_offset_hours if utc_offset_hours in (7, 8, 9) else 7))
    return datetime.combine(typed, at, tzinfo=zone)


def day_of(value: str) -> date | None:
    """An optional date (the TMT)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value) if _DATE.match(value) else _not_a_date(value)
    except ValueError:
        return _not_a_date(value)


def _not_a_date(value: str) -> date:
    raise DomainError(f"'{value[:20]}' bukan tanggal (tttt-bb-hh)", field="tmt")


def days_overdue(value: str) -> int | None:
    """Days overdue at least (empty or 0: any)."""
    if not value:
        return None
    if not value.isdigit() or int(value) > MAX_DAYS:
        raise DomainError(f"jumlah hari 0 sampai {MAX_DAYS}", field="terlambat")
    return int(value) or None


def stage_of(value: str) -> Stage | None:
    if not value:
        return None
    if value not in OPEN_STAGES:
        raise DomainError("bukan salah satu tahap yang masih berjalan", field="tahap_filter")
    return Stage(value)


def refused(error: BaseException, prefix: str, shown: set[str]) -> FormErrors:
    """The refusal's messages beside the form's fields (`shown`, without the prefix), the rest above the form."""
    if isinstance(error, ValidationError):
        fields: dict[str, str] = {}
        general: list[str] = []
        for name, message in validation_messages(error):
            mine = FIELD_NAMES.get(name, name)
            if mine in shown:
                fields.setdefault(prefix + mine, message)
            else:
                general.append(f"{name}: {message}")
        return FormErrors(fields=fields, general="; ".join(general) or None)
    found = describe(error)
    named = found.field or ""
    mine = FIELD_NAMES.get(named, named)
    errors = [
        {**item, "field": prefix + FIELD_NAMES.get(str(item.get("field")), str(item.get("field")))}
        for item in found.errors or ()
    ]
    renamed: Described = replace(found, field=prefix + mine if mine in shown else found.field, errors=errors or None)
    return FormErrors.described(renamed, {prefix + name for name in shown})
