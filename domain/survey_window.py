"""The SKM window of a cycle: when a citizen's answer counts toward the unit's IKM (PermenPANRB 14/2017).

PermenPANRB 14/2017 obliges every penyelenggara to survey its users periodically, at least once a year (reference 2,
[C]), and each round gives one IKM. The regulation sets the frequency, not the dates [U]: here a round is the cycle
calendar's `survey_opens` – `survey_closes` (policy default 1 October – 30 November, a policy setting). Hence:

- an answer counts only if it was given inside the window (from the opening instant to the closing one, both
  included), and never after the moment it is imported;
- once the window has closed the cycle computes the IKM from the answers stored, and the index is reported to the
  penilai and in the closing report: an import after that would change a published index, so it is refused whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum

from domain.calendar import ZONE_NAMES
from domain.errors import DomainError

WINDOW_RULE = "jawaban dihitung dalam IKM hanya bila diisi dalam masa survei siklus (PermenPANRB 14/2017)"
CLOSED_RULE = (
    "IKM dihitung dari jawaban yang tersimpan saat masa survei ditutup; sesudahnya tidak ada jawaban yang"
    " ditambahkan (PermenPANRB 14/2017)"
)
FUTURE_RULE = "waktu pengisian survei tidak boleh sesudah waktu impor"


class SurveyPhase(StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return _PHASE_LABELS[self]


_PHASE_LABELS = {
    SurveyPhase.NOT_OPEN: "belum dibuka",
    SurveyPhase.OPEN: "sedang berlangsung",
    SurveyPhase.CLOSED: "ditutup",
}


@dataclass(frozen=True)
class SurveyWindow:
    """From `opens` to `closes`, both included (a deadline "paling lambat 30 November" runs to the end of that day,
    which the calendar resolves to 23:59:59 local time)."""

    opens: datetime
    closes: datetime

    def __post_init__(self) -> None:
        for name, value in (("survey_opens", self.opens), ("survey_closes", self.closes)):
            _require_aware(value, name)
        if self.closes <= self.opens:
            raise DomainError(
                f"penutupan survei ({shown(self.closes)}) harus setelah pembukaannya ({shown(self.opens)})",
                field="survey_closes",
            )

    def phase(self, at: datetime) -> SurveyPhase:
        _require_aware(at, "waktu")
        if at < self.opens:
            return SurveyPhase.NOT_OPEN
        if at <= self.closes:
            return SurveyPhase.OPEN
        return SurveyPhase.CLOSED

    def contains(self, at: datetime) -> bool:
        return self.phase(at) is SurveyPhase.OPEN

    def text(self, zone: tzinfo = UTC) -> str:
        return f"{shown(self.opens, zone)} – {shown(self.closes, zone)}"


@dataclass(frozen=True)
class Problem:
    """A broken rule, as an importer puts it on a row: what is wrong and the rule."""

    message: str
    rule: str


def submission_problem(
    window: SurveyWindow, submitted_at: datetime, *, received_at: datetime, zone: tzinfo = UTC
) -> Problem | None:
    """What is wrong with an answer given at `submitted_at` and imported at `received_at`, or None.

    An answer counts if given inside the window; one dated after it reached us is a typo in the date, usually.
    """
    phase = window.phase(submitted_at)
    if phase is not SurveyPhase.OPEN:
        relation = "sebelum survei dibuka" if phase is SurveyPhase.NOT_OPEN else "sesudah survei ditutup"
        return Problem(f"diisi {shown(submitted_at, zone)}, {relation}; masa survei {window.text(zone)}", WINDOW_RULE)
    if submitted_at > received_at:
        return Problem(
            f"diisi {shown(submitted_at, zone)}, sesudah waktu impor {shown(received_at, zone)}; periksa tanggalnya",
            FUTURE_RULE,
        )
    return None


def check_submission(
    window: SurveyWindow, submitted_at: datetime, *, received_at: datetime, zone: tzinfo = UTC, field: str = "waktu"
) -> None:
    """DomainError naming `field` for an answer outside the window or dated after its import."""
    problem = submission_problem(window, submitted_at, received_at=received_at, zone=zone)
    if problem is not None:
        raise DomainError(problem.message, field=field, rule=problem.rule)


def check_import_open(
    window: SurveyWindow,
    now: datetime,
    *,
    computed_at: datetime | None = None,
    cycle_id: str | None = None,
    zone: tzinfo = UTC,
) -> None:
    """Refuse an import once the IKM has been computed, or once the window has closed (it is computed at the close,
    so an answer arriving later would come after the index that was reported)."""
    of_cycle = f" siklus {cycle_id}" if cycle_id else ""
    if computed_at is not None:
        raise DomainError(
            f"IKM{of_cycle} sudah dihitung pada {shown(computed_at, zone)} dari jawaban yang tersimpan"
            f" (masa survei {window.text(zone)}); jawaban survei tidak dapat diimpor lagi",
            field="survei",
            rule=CLOSED_RULE,
        )
    if window.phase(now) is SurveyPhase.CLOSED:
        raise DomainError(
            f"masa survei{of_cycle} sudah ditutup {shown(window.closes, zone)}; IKM dihitung dari jawaban yang"
            " tersimpan saat penutupan, jawaban survei tidak dapat diimpor lagi",
            field="survei",
            rule=CLOSED_RULE,
        )


def shown(at: datetime, zone: tzinfo = UTC) -> str:
    """'2026-11-30 23:59:59 WIB': the instant in `zone`, named when it is one of Indonesia's three zones."""
    local = at.astimezone(zone)
    offset = local.utcoffset() or timedelta()
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    name = ZONE_NAMES.get(hours) if not rest else None
    if name is None:
        name = "UTC" if offset == timedelta() else local.strftime("UTC%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {name}"


def _require_aware(value: datetime, field: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise DomainError(f"waktu {value.isoformat()} tanpa zona waktu", field=field)
