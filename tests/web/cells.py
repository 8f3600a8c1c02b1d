"""Running one cell of the authorisation matrix: the target, the request, the answer, and what it wrote."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pytest

from tests.web.appraisals import Need, Target
from tests.web.calls import ROWS, Row
from tests.web.harness import Call, WebOffice
from tests.web.matrix import OK, Cell, Relation, expected
from tests.web.office import APPRAISED_1, APPRAISED_2, APPRAISED_3, INSTANSI_A, PERSONA
from tests.web.writes import SHOWN, Snapshot
from web.deps import CSRF_HEADER, SESSION_COOKIE

APPRAISED = {Relation.OWN: APPRAISED_1, Relation.SAME: APPRAISED_2, Relation.OTHER: APPRAISED_3}
PROBLEM = "application/problem+json"


def row_of(cell: Cell) -> Row:
    if cell.route.access is None:
        pytest.fail(
            f"{cell.route} states no rule: give it `**guard(Rule(...))` (web.access) so the spec's"
            " x-kinerja-akses says who may call it",
            pytrace=False,
        )
    row = ROWS.get(cell.route.key)
    if row is None:
        pytest.fail(
            f"{cell.route} has no row in the matrix's request builders (tests/web/calls.py ROWS): add how it is"
            " called, so the matrix checks who may call it",
            pytrace=False,
        )
    return row


def spends(cell: Cell) -> bool:
    """An allowed call that changes its target gets one of its own: the shared ones must stay as the other cells
    need them (unless the row says the change leaves them so)."""
    access, row = cell.route.access, ROWS.get(cell.route.key)
    if access is None or row is None or row.keeps:
        return False
    return access.acts and expected(access, cell.role, cell.relation) == OK


def needs(cell: Cell) -> Need | None:
    """The appraisal or cycle a cell is about, if any."""
    access = cell.route.access
    row = ROWS.get(cell.route.key)
    if access is None or row is None or access.resource not in ("appraisal", "cycle"):
        return None
    return row.need(APPRAISED[cell.relation].nip)


def demand(found: Iterable[Cell]) -> tuple[list[Need], list[Need]]:
    """The shared targets and the fresh ones the cells will ask for, to prepare them all at once."""
    shared: dict[Need, None] = {}
    fresh: list[Need] = []
    for cell in found:
        need = needs(cell)
        if need is not None:
            if spends(cell):
                fresh.append(need)
            else:
                shared[need] = None
    return list(shared), fresh


async def target_of(office: WebOffice, cell: Cell) -> Target:
    need = needs(cell)
    if need is not None:
        return await (office.appraisals.fresh(need) if spends(cell) else office.appraisals.shared(need))
    access = cell.route.access
    if access is not None and access.resource == "instansi":
        return Target(APPRAISED[cell.relation].instansi_code)
    return Target(INSTANSI_A)


async def check(office: WebOffice, cell: Cell) -> None:
    row = row_of(cell)
    access = cell.route.access
    assert access is not None
    outcome = expected(access, cell.role, cell.relation)
    target = await target_of(office, cell)
    caller = PERSONA[cell.role] if cell.role is not None else None
    if row.prepare is not None and spends(cell):
        await row.prepare(office, target)
    call = await row.build(office, caller, target)
    watched = (*target.workflow_ids, *call.watch)
    before = await office.recorder.snapshot(watched)
    response = await office.send(cell.route.method, cell.route.path, call, caller)
    after = await office.recorder.snapshot(watched)
    said = f"{cell}: {response.status_code} {response.text[:400]}"
    if outcome == OK:
        assert response.is_success, f"allowed, but refused: {said}"
        if call.settle is not None:
            await call.settle()
        if target.cycle_id:  # whatever the call set going in the target's workflows is over before the next cell
            await office.appraisals.quiet(target.cycle_id)
        if access.acts:
            assert before.changes(after), f"allowed and declared as changing something, but wrote nothing: {said}"
        if row.then is not None:
            state = await office.appraisals.state(target)
            assert state.step is row.then, f"{said}: the appraisal is at {state.step}, not {row.then}"
        return
    assert response.status_code == outcome, f"expected {outcome}: {said}"
    assert response.headers["content-type"].startswith(PROBLEM), said
    assert_nothing_written(office, before, after, said)


def assert_nothing_written(office: WebOffice, before: Snapshot, after: Snapshot, said: str) -> None:
    changes = before.changes(after)
    if changes:
        shown = [
            f"newest {name}: {office.recorder.newest(name, 3)}" for name in SHOWN if any(name in c for c in changes)
        ]
        pytest.fail(f"refused, but wrote: {'; '.join(changes + shown)} ({said})", pytrace=False)


def as_browser(call: Call, session_secret: str, csrf: str | None) -> Call:
    """The call as a browser makes it: the session cookie instead of a token, and the CSRF token when given."""
    headers = {**call.headers, "Cookie": f"{SESSION_COOKIE}={session_secret}"}
    if csrf is not None:
        headers[CSRF_HEADER] = csrf
    return replace(call, headers=headers, token=None)
