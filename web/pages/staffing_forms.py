"""The kepegawaian forms' fields read into what the services take, with the API's bounds: an import's options
(services.import_files.ImportOptions, as web.routes.imports reads its form fields) and a cycle's start
(services.cycle_start.StartBody, the API's body, with the calendar as text fields and the populations as lines).

Every refusal names the form's field; nothing here decides anything the services do not decide again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from domain.bounds import MAX_REASON_CHARS
from domain.calendar import FIELD_LABELS
from domain.errors import DomainError
from services.cycle_start import CalendarBody, StartBody
from services.import_files import ZONES, ImportKind, ImportOptions
from web.pages.deps import FormErrors
from web.problems import describe

CYCLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
NO_CONTROLS = re.compile(r"^[^\x00-\x1f\x7f]+$")
MAX_POPULATION_LINES = 1000
CALENDAR_FIELDS = list(FIELD_LABELS)  # start first, in the order of the appraisal year
ZONE_CHOICES = [("7", "WIB (UTC+7)"), ("8", "WITA (UTC+8)"), ("9", "WIT (UTC+9)")]
START_FIELDS = frozenset({"periode", "siklus", "populasi", "halaman", "utc_offset_hours", *CALENDAR_FIELDS})


class FormRefused(DomainError):
    """Fields of a form that cannot be read: each with its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        field, message = next(iter(problems.items()))
        super().__init__(message, field=field)

    def errors(self) -> FormErrors:
        return FormErrors(fields=dict(self.problems), status=422)


def import_options(kind: ImportKind, instansi_code: str, form: Mapping[str, str]) -> ImportOptions:
    """The options of an import of `kind` from its form (the fields web.routes.imports takes for it)."""
    problems: dict[str, str] = {}
    name = form.get("nama_instansi", "").strip() or None
    if name is not None and (len(name) > 200 or not NO_CONTROLS.match(name)):
        problems["nama_instansi"] = "paling panjang 200 karakter, tanpa karakter kendali"
    period = _period(form.get("periode", ""), problems)
    cycle_id = form.get("siklus", "").strip() or None
    if cycle_id is not None and (len(cycle_id) > 64 or not CYCLE_ID.match(cycle_id)):
        problems["siklus"] = "id siklus: huruf, angka, titik, garis bawah atau tanda hubung (paling panjang 64)"
    zone = form.get("zona", "").strip() or None
    if zone is not None and zone not in ZONES:
        problems["zona"] = "pilih WIB, WITA atau WIT"
    reason = form.get("alasan_koreksi", "").strip() or None  # IKU: a correction, with its reason
    if reason is not None and (len(reason) > MAX_REASON_CHARS or not NO_CONTROLS.match(reason)):
        problems["alasan_koreksi"] = f"paling panjang {MAX_REASON_CHARS} karakter, tanpa karakter kendali"
    if problems:
        raise FormRefused(problems)
    if kind is ImportKind.ROSTER:
        return ImportOptions(instansi_code=instansi_code, instansi_name=name)
    if kind is ImportKind.SURVEY:
        return ImportOptions(
            instansi_code=instansi_code,
            period=period,
            cycle_id=cycle_id,
            zone=zone,
        )
    if kind is ImportKind.IKU:
        return ImportOptions(instansi_code=instansi_code, period=period, correction_reason=reason)
    return ImportOptions(instansi_code=instansi_code, period=period)


def start_body(form: Mapping[str, str]) -> StartBody:
    """The API's cycle start body from the form: the calendar's fields as typed (empty: the policy's), the
    populations one `UNIT=JUMLAH` per line."""
    problems: dict[str, str] = {}
    period = _period(form.get("periode", ""), problems, required=True)
    calendar: dict[str, Any] = {name: form.get(name, "").strip() for name in CALENDAR_FIELDS}
    calendar = {name: value for name, value in calendar.items() if value}
    zone = form.get("utc_offset_hours", "").strip()
    if zone:
        calendar["utc_offset_hours"] = zone
    populations = _populations(form.get("populasi", ""), problems)
    batch = form.get("halaman", "").strip()
    body: dict[str, Any] = {"periode": period, "populasi": populations}
    if cycle_id := form.get("siklus", "").strip():
        body["siklus"] = cycle_id
    if batch:
        body["halaman"] = batch
    try:
        body["kalender"] = CalendarBody.model_validate(calendar) if calendar else None
    except ValidationError as invalid:
        problems.update(_messages(invalid))
    if problems:
        raise FormRefused(problems)
    try:
        return StartBody.model_validate(body)
    except ValidationError as invalid:
        raise FormRefused(_messages(invalid)) from None


def _period(text: str, problems: dict[str, str], *, required: bool = False) -> int | None:
    text = text.strip()
    if not text:
        if required:
            problems["periode"] = "wajib diisi (tahun, mis. 2026)"
        return None
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        problems["periode"] = "tahun 2000 sampai 2100"
        return None
    return int(text)


def _populations(text: str, problems: dict[str, str]) -> dict[str, str]:
    """`DAFDUK=1200` lines (blank lines skipped); the counts are checked by StartBody's bounds."""
    found: dict[str, str] = {}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_POPULATION_LINES:
        problems["populasi"] = f"paling banyak {MAX_POPULATION_LINES} unit"
        return found
    for line in lines:
        unit, equals, count = line.partition("=")
        if not equals or not unit.strip() or not count.strip().isdigit():
            problems["populasi"] = f"'{line[:40]}' harus berbentuk UNIT=JUMLAH, mis. DAFDUK=1200"
            return found
        found[unit.strip()] = count.strip()
    return found


def _messages(invalid: ValidationError) -> dict[str, str]:
    """Field → message in the API's words (web.problems.describe), by the form's field names."""
    found: dict[str, str] = {}
    for item in describe(RequestValidationError(invalid.errors())).errors or ():
        parts = str(item.get("field", "")).split(".")
        name = next((part for part in reversed(parts) if part in START_FIELDS), parts[0])
        found.setdefault(name, str(item.get("message", "")))
    return found
