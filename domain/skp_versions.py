"""An SKP changed during the year (issue 20): a new version, approved like the first, with the old one kept.

A new position, a mutasi within the instansi or a reorganisation changes what an employee is to deliver from a given
day (berlaku sejak). The employee (or, with a reason, the pengelola kinerja or the supervision team, as for the first
SKP) proposes the new SKP while the year runs, the pejabat penilai approves it or returns it, and the version it
replaces is kept with the days it was in force. The regulation read (PermenPANRB 6/2022, reference 1.2–1.3) says
an SKP is set and may be revised during the year, but not how the year's result then counts both [U]; the rules
here are Kinerja's, stated so an instansi can see them:

- every version's indicators are realised in the self-assessment (the work done under each counts), so an RHK or
  indicator id is never reused by a later version: a realisation names exactly one;
- the suggested hasil-kerja rating weighs each RHK by the days its version was in force in the period's year
  (domain.assessment.suggest_hasil_kerja): a version in force for nine months counts three times one in force for
  three. With a single version nothing is weighed and the rule is the ordinary one;
- a version takes effect on a day after the one before it took effect, within the period's year;
- the first version is in force from 1 January (a partial period of someone who joined later is not weighed apart).

Pure: no clock, no database.
"""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.bounds import MAX_LIST_ITEMS
from domain.errors import DomainError
from domain.skp import Skp

MAX_SKP_VERSIONS = 12  # a change a month at most: more is a sign something else is wrong
# Every version's indicators are realised in one self-assessment, which names at most this many (domain.bounds).
MAX_YEAR_INDICATORS = MAX_LIST_ITEMS
RULE = "perubahan SKP di tengah tahun: versi baru disetujui pejabat penilai, versi lama tetap tercatat"


# The state below is built by the workflow's handlers and decoded again on every replay: its fields carry no bounds
# (a bound lowered later would refuse, on replay, what was accepted); check_change and the Update's validator do.


class SkpVersion(BaseModel):
    """A version of the year's SKP that is no longer in force, with the days it was."""

    model_config = ConfigDict(frozen=True)

    number: int
    skp: Skp
    effective_from: date
    effective_until: date  # its last day in force: the day before the next version took effect
    reason: str = ""  # why the next version replaced it


class SkpChange(BaseModel):
    """A new version proposed and waiting for the pejabat penilai's approval, with the self-assessment's deadline as
    it stood (an extension's, maybe): the year goes on at that deadline plus the time the decision took."""

    model_config = ConfigDict(frozen=True)

    skp: Skp
    effective_from: date
    reason: str
    proposed_by: str
    proposed_at: AwareDatetime
    resume_deadline: AwareDatetime | None = None


def year_start(period: int) -> date:
    return date(period, 1, 1)


def check_change(
    period: int, current: Skp, current_from: date | None, earlier: list[SkpVersion], new: Skp, effective_from: date
) -> None:
    """Refuse a change that cannot be counted: out of the year, not after the version in force took effect, too many
    versions, or an id an earlier version used. DomainError naming the field."""
    since = current_from or year_start(period)
    last_day = date(period, 12, 31)
    if not since < effective_from <= last_day:
        raise DomainError(
            f"berlaku sejak {effective_from.isoformat()} harus setelah SKP yang berlaku sekarang mulai berlaku"
            f" ({since.isoformat()}) dan paling lambat {last_day.isoformat()}",
            field="berlaku_sejak",
            rule=RULE,
        )
    if len(earlier) + 2 > MAX_SKP_VERSIONS:
        raise DomainError(
            f"SKP periode {period} sudah {len(earlier) + 1} versi, batas {MAX_SKP_VERSIONS} versi setahun",
            field="skp",
            rule=RULE,
        )
    indicators = sum(len(plan.indicators) for skp in (current, new, *(v.skp for v in earlier)) for plan in skp.rhk)
    if indicators > MAX_YEAR_INDICATORS:
        raise DomainError(
            f"bersama versi sebelumnya SKP tahun ini akan memuat {indicators} indikator, batas {MAX_YEAR_INDICATORS}:"
            " realisasi tahunan diisi untuk indikator setiap versi; kurangi indikator versi baru",
            field="skp",
            rule=RULE,
        )
    used = _ids([current, *(version.skp for version in earlier)])
    reused = sorted(used & _ids([new]))
    if reused:
        raise DomainError(
            f"id {', '.join(reused[:5])} sudah dipakai versi SKP sebelumnya; RHK dan indikator versi baru memakai id"
            " baru agar realisasi tiap versi terpisah",
            field="skp",
            rule=RULE,
        )


def closed_version(number: int, skp: Skp, current_from: date | None, period: int, change: SkpChange) -> SkpVersion:
    """The version in force until `change` takes effect, as kept once it is approved."""
    return SkpVersion(
        number=number,
        skp=skp,
        effective_from=current_from or year_start(period),
        effective_until=change.effective_from - timedelta(days=1),
        reason=change.reason,
    )


def year_skp(current: Skp, earlier: list[SkpVersion]) -> Skp:
    """The year's SKP for the self-assessment and the review: every version's RHKs, the earliest first (their ids are
    distinct: check_change), with the perilaku expectations in force now. The SKP itself with a single version."""
    if not earlier:
        return current
    rhk = [plan for version in earlier for plan in version.skp.rhk] + list(current.rhk)
    return current.model_copy(update={"rhk": rhk})


def period_skp(current: Skp, earlier: list[SkpVersion], last_day: date, named: set[str]) -> Skp:
    """What a period of the periodic evaluation ending on `last_day` was evaluated on: the version in force that day,
    and any other whose indicators the period's realisation `named` (the earliest first), so a period's document lists
    the same indicators after a later change. The SKP itself when it never changed."""
    if not earlier:
        return current
    kept = [
        v.skp
        for v in earlier
        if v.effective_from <= last_day <= v.effective_until or named & {i.id for r in v.skp.rhk for i in r.indicators}
    ]
    current_from = earlier[-1].effective_until + timedelta(days=1)
    if current_from <= last_day or named & {i.id for r in current.rhk for i in r.indicators}:
        kept.append(current)
    if not kept:  # every day of the year is some version's: only a last day outside the year gets here
        return current
    return kept[-1].model_copy(update={"rhk": [plan for skp in kept for plan in skp.rhk]})


def year_weights(period: int, current: Skp, current_from: date | None, earlier: list[SkpVersion]) -> dict[str, int]:
    """Each RHK's weight in the suggestion: the days its version was in force in the period's year (the version in
    force now: from its day to 31 December). Empty with a single version: nothing is weighed."""
    if not earlier:
        return {}
    weights: dict[str, int] = {}
    for version in earlier:
        days = (version.effective_until - version.effective_from).days + 1
        weights |= {plan.id: days for plan in version.skp.rhk}
    start = current_from or year_start(period)
    days = (date(period, 12, 31) - start).days + 1
    weights |= {plan.id: days for plan in current.rhk}
    return weights


def _ids(skps: list[Skp]) -> set[str]:
    plans = [plan for skp in skps for plan in skp.rhk]
    return {plan.id for plan in plans} | {indicator.id for plan in plans for indicator in plan.indicators}
