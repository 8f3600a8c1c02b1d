"""One appraisal as its page shows it: what this person may do now (a link to the page of each step, by the roles of
services.steps.STEPS), the timeline in words, and the names and zone the page prints with.

The appraisal's state comes from its workflow (services.steps.appraisal_state) after services.steps.visible has
said the person may see it; everything here reads the database or is pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from domain.access import acting_role
from domain.stages import Action, Role, Step
from persistence.ports import AbstractUnitOfWork
from services.steps import STEP_BY_NAME, TAKE_OVER
from workflows.contracts import AppraisalState, TimelineEvent

UowFactory = Callable[[], AbstractUnitOfWork]

# Where each step is taken (the path after /penilaian/{cycle}/{nip}/) and at which step of the appraisal it applies.
STEP_PAGES: dict[str, tuple[str, tuple[Step, ...]]] = {
    "skp-submit": ("skp", (Step.SKP_DRAFTING,)),
    "skp-approve": ("skp", (Step.SKP_APPROVAL, Step.SKP_CHANGE_APPROVAL)),
    "skp-return": ("skp", (Step.SKP_APPROVAL, Step.SKP_CHANGE_APPROVAL)),
    "self-assessment": ("realisasi", (Step.SELF_ASSESSMENT,)),
    "skp-change": ("skp", (Step.SELF_ASSESSMENT,)),  # after the realisation: the step at hand comes first
    "review": ("nilai", (Step.SUPERVISOR_REVIEW,)),
    "sign": ("penetapan", (Step.SIGN_OFF,)),
    "acknowledge": ("penetapan", (Step.OBJECTION_WINDOW,)),
    "objection": ("penetapan", (Step.OBJECTION_WINDOW,)),
    "objection-decision": ("penetapan", (Step.OBJECTION_REVIEW,)),
}
# What the supervision team and the pengelola kinerja do to any open appraisal, on its own page.
MANAGEMENT = ("deadline", "reviewer", "calibration", "withdrawal")
_CALIBRATION_OPEN = (
    Step.SKP_DRAFTING,
    Step.SKP_APPROVAL,
    Step.SKP_CHANGE_APPROVAL,
    Step.SELF_ASSESSMENT,
    Step.SUPERVISOR_REVIEW,
    Step.AWAITING_CALIBRATION,
)
_PAGE_LABELS = {
    "skp": "SKP",
    "realisasi": "Realisasi (penilaian diri)",
    "nilai": "Penilaian pejabat penilai",
    "penetapan": "Penetapan dan keberatan",
    "tindakan": "Tindakan pengawasan",
    "riwayat": "Riwayat lengkap",
}


@dataclass(frozen=True)
class Offer:
    """A page where this person can act now, with the steps they may take there."""

    page: str  # the path after /penilaian/{cycle}/{nip}/
    label: str
    steps: tuple[str, ...]  # the steps' summaries (services.steps.StepKind.summary)
    on_behalf: bool = False  # a take-over of the employee's step


def offers(step: Step, roles: set[Role], *, has_deadline: bool) -> list[Offer]:
    """What a person holding `roles` on the appraisal may do at `step`, grouped by the page it is done on. The
    workflow's validator still has the last word (it knows, for instance, which officials the appraisal started
    with); this only decides which links to show."""
    found: dict[str, list[str]] = {}
    on_behalf: dict[str, bool] = {}
    for name, (page, steps) in STEP_PAGES.items():
        kind = STEP_BY_NAME[name]
        role = acting_role(roles, kind.roles)
        if step in steps and role is not None:
            found.setdefault(page, []).append(kind.summary)
            on_behalf[page] = on_behalf.get(page, True) and role in TAKE_OVER
    if not step.closed:
        for name in MANAGEMENT:
            kind = STEP_BY_NAME[name]
            if acting_role(roles, kind.roles) is None or not _manageable(name, step, has_deadline=has_deadline):
                continue
            found.setdefault("tindakan", []).append(kind.summary)
    if Role.OPERATOR in roles:
        found.setdefault("riwayat", []).append("Riwayat lengkap penilaian (operator)")
    return [
        Offer(page=page, label=_PAGE_LABELS[page], steps=tuple(summaries), on_behalf=on_behalf.get(page, False))
        for page, summaries in found.items()
    ]


def _manageable(name: str, step: Step, *, has_deadline: bool) -> bool:
    if name == "deadline":
        return has_deadline and step is not Step.OBJECTION_WINDOW
    if name == "calibration":
        return step in _CALIBRATION_OPEN
    return True


# --- the timeline in words -----------------------------------------------------------------------------------------

_OTHER_ACTIONS = {
    "extend_deadline": "Perpanjang batas waktu",
    "reassign": "Alihkan pejabat penilai",
    "change_officials": "Perubahan pejabat siklus (tim pengawasan, pengelola kinerja)",
    "change_calendar": "Batas waktu dihitung ulang: hari kerja instansi berubah",
    "notice.reminder": "Pengingat batas waktu dikirim",
    "notice.escalation": "Eskalasi: batas waktu terlewati",
}
_NIP = re.compile(r"\b\d{18}\b")


def action_label(action: str) -> str:
    try:
        return Action(action).label
    except ValueError:
        return _OTHER_ACTIONS.get(action, action)


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    label: str
    actor: str  # the person's name (NIP when the roster does not know them), or "Sistem"
    role: str
    on_behalf_of: str | None
    reason: str | None
    note: str | None  # for a notice: who was told, by name
    step_from: str
    step_to: str


def timeline(events: Iterable[TimelineEvent], names: dict[str, str]) -> list[TimelineLine]:
    """The appraisal's history, newest first, with names instead of NIPs."""
    return [
        TimelineLine(
            at=event.at,
            label=action_label(event.action),
            actor="Sistem" if event.role is Role.SYSTEM else names.get(event.actor, event.actor),
            role=event.role.label,
            on_behalf_of=names.get(event.on_behalf_of, event.on_behalf_of) if event.on_behalf_of else None,
            reason=event.reason,
            note=_NIP.sub(lambda m: names.get(m.group(0), m.group(0)), event.note) if event.note else None,
            step_from=event.step_from.label,
            step_to=event.step_to.label,
        )
        for event in reversed(list(events))
    ]


@dataclass(frozen=True)
class Escalation:
    level: int
    at: datetime
    recipients: list[str]  # NIPs


def last_escalation(state: AppraisalState) -> Escalation | None:
    """The escalation of the current step, if it escalated: when, how far up, and to whom."""
    if not state.overdue or state.escalation_level == 0:
        return None
    for event in reversed(state.timeline):
        if event.action == "notice.escalation":
            return Escalation(state.escalation_level, event.at, _NIP.findall(event.note or ""))
        if event.role is not Role.SYSTEM:
            break
    return None


def people_in(state: AppraisalState) -> set[str]:
    """Every NIP the appraisal's page names: its parties, who must act, and everyone in the timeline."""
    found = {state.employee_nip, state.penilai_nip, *state.assignees}
    if state.atasan_nip:
        found.add(state.atasan_nip)
    for event in state.timeline:
        found.add(event.actor)
        if event.on_behalf_of:
            found.add(event.on_behalf_of)
        found.update(_NIP.findall(event.note or ""))
    return {nip for nip in found if _NIP.fullmatch(nip)}


def names_and_zone(uow_factory: UowFactory, cycle_id: str, nips: set[str]) -> tuple[dict[str, str], int | None]:
    """The names of these people, whichever roster has them (the supervision team may come from the Inspektorat;
    someone on no roster, a Sekda, is left out and keeps their NIP), and the cycle's UTC offset in hours (None: its
    calendar is not recorded)."""
    with uow_factory() as uow:
        found = uow.employees.names(nips) if nips else {}
        cycle = uow.cycles.get(cycle_id)
    return found, cycle.deadlines.utc_offset_hours if cycle is not None else None
