"""One appraisal's history as `kinerja riwayat` prints it and the operator's page shows it: the recorded steps and
notices of its workflow's state, with the timers that fired (read from its Temporal history), in time order.

Shared by the command line (cli.worklist) and the pages (web.pages.operator, web.pages.supervision), so the words
of a timeline are the same wherever it is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from domain.nip import NIP_LENGTH
from domain.stages import Action, Role
from services.steps import appraisal_state
from temporal_client import appraisal_handle
from workflows.contracts import AppraisalState

TIMER = "timer berbunyi"
_NIP = re.compile(rf"\b\d{{{NIP_LENGTH}}}\b")
_ACTION_LABELS = {
    "notice.reminder": "pengingat dikirim",
    "notice.escalation": "ESKALASI (langkah terlambat)",
    "extend_deadline": "batas waktu diperpanjang",
    "change_calendar": "batas waktu dihitung ulang (hari kerja berubah)",
    "reassign": "pejabat penilai dialihkan",
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    who: str
    what: str
    detail: str


def timeline(state: AppraisalState, timers: list[datetime], names: Mapping[str, str] | None = None) -> list[Entry]:
    """The recorded steps and notices, with the timers that fired, in time order. With `names`, people are named
    (their NIP where the roster does not know them), in a notice's words too; without, by NIP as the command line
    prints them."""
    known = names or {}
    entries = [
        Entry(
            at=event.at,
            who=_who(event.actor, event.role, event.on_behalf_of, known),
            what=_ACTION_LABELS.get(event.action) or _label(event.action),
            detail="; ".join(
                part
                for part in (
                    f"{event.step_from.label} → {event.step_to.label}" if event.step_from is not event.step_to else "",
                    event.reason or "",
                    _NIP.sub(lambda m: known.get(m.group(0), m.group(0)), event.note or ""),
                )
                if part
            ),
        )
        for event in state.timeline
    ]
    entries += [Entry(at=at, who="Temporal", what=TIMER, detail="") for at in timers]
    return sorted(entries, key=lambda e: (e.at, e.what != TIMER))


def _who(actor: str, role: Role, on_behalf_of: str | None, names: Mapping[str, str]) -> str:
    if role is Role.SYSTEM:
        who = f"{names.get(actor, actor)} (kalibrasi)" if actor.isdigit() else "sistem"
    else:
        who = f"{names.get(actor, actor)} ({role.label})"
    return who + (f" atas nama {names.get(on_behalf_of, on_behalf_of)}" if on_behalf_of else "")


def _label(action: str) -> str:
    try:
        return Action(action).label
    except ValueError:
        return action


async def fired_timers(client: Client, cycle_id: str, nip: str) -> list[datetime]:
    """When the timers of the appraisal's current run fired (a run continued as new starts a new history)."""
    handle = appraisal_handle(client, cycle_id, nip)
    return [
        event.event_time.ToDatetime().replace(tzinfo=UTC)
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_TIMER_FIRED
    ]


async def of_appraisal(client: Client, cycle_id: str, nip: str) -> tuple[AppraisalState, list[datetime]]:
    """The appraisal's state and its fired timers (call services.steps.visible first)."""
    return await appraisal_state(client, cycle_id, nip), await fired_timers(client, cycle_id, nip)


def web_ui_link(ui_url: str | None, namespace: str, workflow_id: str) -> str | None:
    """The workflow's page in Temporal's Web UI (None: no UI address is set)."""
    if not ui_url:
        return None
    return f"{ui_url.rstrip('/')}/namespaces/{quote(namespace, safe='')}/workflows/{quote(workflow_id, safe='')}"
