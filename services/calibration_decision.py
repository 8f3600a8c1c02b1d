"""The pimpinan's calibration decision as the page's form sends it, turned into the API's body (services.cycle_actions.
DecisionBody): accept or reject the proposal, and any predicate the committee sets differently, each with its own
justification.

SE MenPAN-RB 3/2023 leaves the committee free to deviate from the pattern or the proposal, in writing
(domain.calibration.JUSTIFICATION_RULE). The API takes one justification for the whole decision; the form asks for
one beside each change, so every deviation is explained where it is made, and sends them joined with the general
one. The workflow then applies its own rule to the whole (a rejection, or a pattern left broken, needs one too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import ValidationError

from domain.assessment import MIN_OVERRIDE_REASON_CHARS
from domain.bounds import MAX_LIST_ITEMS, MAX_REASON_CHARS, check_text
from domain.calibration import JUSTIFICATION_RULE, Change
from domain.errors import DomainError
from domain.ratings import Predicate
from services.cycle_actions import DecisionBody

ACCEPT, REJECT = "terima", "tolak"
EXTRA_ROWS = 3  # rows for employees the proposal does not change
MAX_CHANGE_REASON_CHARS = 500
GENERAL = "justifikasi"


class DecisionRefused(DomainError):
    """The form breaks one or more rules: every problem with the field it is about (None: the form as a whole).
    Nothing was sent."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        self.problems = problems
        first_field, first = problems[0]
        summary = first if len(problems) == 1 else f"{len(problems)} isian perlu diperbaiki; yang pertama: {first}"
        super().__init__(f"keputusan belum dikirim: {summary}", field=first_field, rule=JUSTIFICATION_RULE)


def change_field(nip: str) -> str:
    return f"ubah-{nip}"


def reason_field(nip: str) -> str:
    return f"alasan-{nip}"


def extra_fields(row: int) -> tuple[str, str, str]:
    return f"lain-{row}-nip", f"lain-{row}-predikat", f"lain-{row}-alasan"


def decision_from_form(form: Mapping[str, str], changes: Sequence[Change], proposal_id: str) -> DecisionBody:
    """The DecisionBody of the form, or DecisionRefused naming every field to fix."""
    problems: list[tuple[str | None, str]] = []
    choice = form.get("keputusan", "")
    if choice not in (ACCEPT, REJECT):
        problems.append(("keputusan", "pilih: terima usulan, atau tolak usulan"))
    overrides: dict[str, Predicate] = {}
    lines: list[str] = []
    for change in changes:
        nip = change.employee_id
        where = f"{nip} {change.name or ''}".strip()
        _row(form, nip, change_field(nip), reason_field(nip), where, overrides, lines, problems)
    listed = {change.employee_id for change in changes}
    for row in range(EXTRA_ROWS):
        nip_field, predicate_field, why_field = extra_fields(row)
        nip = "".join(form.get(nip_field, "").split())
        if not (nip or form.get(predicate_field) or form.get(why_field, "").strip()):
            continue
        if len(nip) != 18 or not nip.isdigit():
            problems.append((nip_field, "NIP 18 digit pegawai dalam kalibrasi ini"))
            continue
        if nip in listed or nip in overrides:
            problems.append((nip_field, f"NIP {nip} sudah ada di atas; ubah predikatnya di baris itu"))
            continue
        _row(form, nip, predicate_field, why_field, nip, overrides, lines, problems, required=True)
    general = " ".join(form.get(GENERAL, "").split())
    try:
        check_text(general, GENERAL)
    except DomainError as error:
        problems.append((GENERAL, str(error).removeprefix(f"{GENERAL}: ")))
    if len(overrides) > MAX_LIST_ITEMS:
        problems.append((None, f"paling banyak {MAX_LIST_ITEMS} predikat diubah dalam satu keputusan"))
    text = "\n".join(([general] if general else []) + lines)
    if len(text) > MAX_REASON_CHARS:
        problems.append(
            (GENERAL, f"justifikasi bersama alasan setiap perubahan paling panjang {MAX_REASON_CHARS} karakter")
        )
    if problems:
        raise DecisionRefused(problems)
    try:
        return DecisionBody(
            terima=choice == ACCEPT, usulan=proposal_id or None, ubah=overrides, justifikasi=text or None
        )
    except ValidationError as invalid:  # bounded above; kept so a missed bound is a refusal, not a server error
        raise DecisionRefused([(None, str(e["msg"])) for e in invalid.errors()]) from None


def _row(
    form: Mapping[str, str],
    nip: str,
    predicate_field: str,
    why_field: str,
    who: str,
    overrides: dict[str, Predicate],
    lines: list[str],
    problems: list[tuple[str | None, str]],
    *,
    required: bool = False,
) -> None:
    """One employee whose predicate the committee may set: the predicate chosen (blank: as proposed) and why."""
    chosen = form.get(predicate_field, "")
    why = " ".join(form.get(why_field, "").split())
    if not chosen:
        if required:
            problems.append((predicate_field, "pilih predikat yang ditetapkan komite"))
        elif why:
            problems.append((predicate_field, "pilih predikat yang ditetapkan komite, atau kosongkan alasannya"))
        return
    try:
        predicate = Predicate(chosen)
    except ValueError:
        problems.append((predicate_field, "bukan salah satu predikat"))
        return
    try:
        check_text(why, why_field, limit=MAX_CHANGE_REASON_CHARS)
    except DomainError as error:
        problems.append((why_field, str(error).removeprefix(f"{why_field}: ")))
        return
    if len(why.replace(" ", "")) < MIN_OVERRIDE_REASON_CHARS:
        problems.append(
            (why_field, f"tuliskan justifikasi perubahan ini (paling sedikit {MIN_OVERRIDE_REASON_CHARS} karakter)")
        )
        return
    overrides[nip] = predicate
    lines.append(f"{who} → {predicate.label}: {why}")
