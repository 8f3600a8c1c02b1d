"""Deny by default, proven cell by cell: every route under /api/v1 × the eight roles × where the target stands from
the caller, and anonymous — generated from the app's route table (tests/web/matrix.py says what each cell expects).

The cells. Callers are one person per role in instansi A (tests/web/office.py). Targets, by the route's resource:
- appraisal: the employee's own appraisal (`sendiri`: the pegawai's, the one the penilai and atasan rate, one in the
  instansi of the granted roles), another appraisal of instansi A (`instansi-sama`), one of instansi B
  (`instansi-lain`);
- cycle: a cycle of A holding the employee's appraisal, another cycle of A, a cycle of B;
- instansi: A, and B (there is no "other appraisal" of an instansi);
- self and public: the caller's own account, or nobody's: the role is all that varies.
Anonymous is one more cell per route, about the `sendiri` target.

What is proven:
- A route that states no rule (`x-kinerja-akses`), or has no row in tests/web/calls.py, fails its cells; so do rows
  for routes that are gone and rules that cannot be checked as written.
- An allowed call succeeds (2xx). Every call is made about a target in the state it needs, so "allowed" means done,
  with no exception for the stage: a step goes to an appraisal brought to that very step (one of its own, since the
  step moves it on; tests/web/appraisals.py), and must leave it at the next step; the workflow's validator, which
  checks the person again, has the last word and is part of what passing proves. No cell accepts the workflow's
  stage refusal (409). An allowed call declared as changing something must have written something.
- Every other call is refused with exactly the status the rule gives (401 without credentials; 404 for anyone of
  another instansi, and for an appraisal the person may not see at all; else 403), as application/problem+json,
  and writes nothing: no row added, changed or removed in any table (audit_log and outbox among them; the two
  "last used" columns of a presented credential aside, tests/web/writes.py), and no event in the Temporal history
  of the target appraisal or cycle.

Bearer tokens for the matrix (one per persona, tests/web/harness.py); a read-only token, a browser session without
its CSRF token and one with a wrong token are each refused on every route that changes something, and a session with
its token takes a step. The matrix runs on SQLite; a slice of it (POSTGRES_SLICE) runs on PostgreSQL as well.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.access import Grant
from domain.audit import SYSTEM_ACTOR
from domain.stages import Role, Step
from identity import sessions
from tests.dbs import PostgresDatabases, SqliteDatabases
from tests.web.appraisals import Need, Target
from tests.web.calls import APPRAISAL, CYCLE, INSTANSI, ROWS, STEP, off_roster_nip, store_evidence
from tests.web.cells import (
    APPRAISED,
    PROBLEM,
    as_browser,
    assert_nothing_written,
    check,
    demand,
    needs,
    row_of,
    target_of,
)
from tests.web.harness import WebOffice, open_office
from tests.web.matrix import (
    GRANTED_ROLES,
    RESOURCES,
    Cell,
    Relation,
    Route,
    cells,
    route_table,
    routes,
    served_app,
)
from tests.web.office import GRANTED, INSTANSI_B, PEGAWAI_2, PERIOD, PERSONA, SASARAN_B, TEST_AUTH
from web import pages
from web.deps import CSRF_HEADER

TABLE = route_table()
CELLS = list(cells(TABLE))
# The slice that runs on PostgreSQL too: a read, a step of the penilai's and one of the pengelola's, the person's own
# tokens, a grant by the admin kepegawaian, and the supervision team's queue and a bulk action; every role and
# relation of each.
POSTGRES_SLICE = {
    ("GET", APPRAISAL),
    ("POST", STEP + "skp-approve"),
    ("POST", STEP + "withdrawal"),
    ("POST", "/api/v1/me/tokens"),
    ("POST", INSTANSI + "/roles"),
    ("GET", CYCLE + "/overdue"),
    ("POST", CYCLE + "/bulk/reassign"),
}
DOCS = {"/openapi.json", "/api/docs", "/docs/oauth2-redirect"}
ACTING = [route for route in TABLE if route.access is not None and route.access.acts]


def _cells_of(request: pytest.FixtureRequest, fixture: str) -> list[Cell]:
    """The cells this run collected that use `fixture` (all of them, or what -k left)."""
    found = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        ours = isinstance(item, pytest.Function) and item.module is request.module and fixture in item.fixturenames
        if ours and callspec is not None and "cell" in callspec.params:
            found.append(callspec.params["cell"])
    return found


@pytest.fixture(scope="module")
async def office(
    request: pytest.FixtureRequest, sqlite_databases: SqliteDatabases, dev_env: WorkflowEnvironment
) -> AsyncIterator[WebOffice]:
    async with open_office(sqlite_databases, dev_env.client) as found:
        await found.appraisals.prepare(*demand(_cells_of(request, "office")))
        yield found


@pytest.fixture(scope="module")
async def postgres_office(
    request: pytest.FixtureRequest, postgres_databases: PostgresDatabases, dev_env: WorkflowEnvironment
) -> AsyncIterator[WebOffice]:
    async with open_office(postgres_databases, dev_env.client) as found:
        await found.appraisals.prepare(*demand(_cells_of(request, "postgres_office")))
        yield found


# --- the route table itself --------------------------------------------------------------------------------------


def test_every_route_states_who_may_call_it() -> None:
    """Not only /api/v1: every route the app serves, but the API docs and the pages for people, is in the spec with
    its rule (the pages state theirs in web.pages.access, checked by tests/pages/test_page_access.py)."""
    missing = [
        str(r)
        for r in routes(served_app())
        if r.path not in DOCS and not pages.is_page(r.path) and r.path != "/static"
        if r.access is None or not r.in_spec
    ]
    assert not missing, f"routes without x-kinerja-akses in /openapi.json: {missing}"


def test_every_rule_names_its_resource_in_the_path() -> None:
    wrong = []
    for route in TABLE:
        access = route.access
        if access is None:
            continue  # failed by its cells and the test above
        if access.resource not in RESOURCES:
            wrong.append(f"{route}: unknown resource {access.resource!r}")
        needed = {"appraisal": ("{cycle_id}", "{nip}"), "cycle": ("{cycle_id}",), "instansi": ("{instansi_code}",)}
        for part in needed.get(access.resource, ()):
            if part not in route.path:
                wrong.append(f"{route}: a rule on {access.resource} needs {part} in the path")
        if access.resource in ("public", "self") and access.roles:
            wrong.append(f"{route}: a {access.resource} route names roles {sorted(access.roles)} it cannot check")
        if access.resource in ("instansi", "cycle") and not access.roles <= GRANTED_ROLES:
            # pegawai, penilai and atasan are relations to one appraisal: nobody holds them in an instansi
            wrong.append(f"{route}: roles {sorted(access.roles - GRANTED_ROLES)} are never held on {access.resource}")
        if access.resource != "public" and route.method != "GET" and not access.acts:
            wrong.append(f"{route}: a {route.method} by a signed-in person is a change (mengubah) unless said why")
    assert not wrong, "\n".join(wrong)


def test_every_row_is_a_route() -> None:
    served = {route.key for route in TABLE}
    assert not set(ROWS) - served, f"rows for routes the app does not serve: {sorted(set(ROWS) - served)}"


# --- the matrix --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS, ids=str)
async def test_matrix(cell: Cell, office: WebOffice) -> None:
    await check(office, cell)


@pytest.mark.postgres
@pytest.mark.parametrize("cell", [c for c in CELLS if c.route.key in POSTGRES_SLICE], ids=str)
async def test_matrix_on_postgres(cell: Cell, postgres_office: WebOffice) -> None:
    await check(postgres_office, cell)


# --- credentials that may not change anything ---------------------------------------------------------------------


def _allowed_caller(route: Route) -> Role:
    """A role that may make the call, on its own target."""
    access = route.access
    assert access is not None
    return min(access.roles, key=list(PERSONA).index) if access.roles else Role.PEGAWAI


async def _refused_change(office: WebOffice, route: Route, use: str) -> None:
    row = row_of(Cell(route, None, Relation.OWN))
    role = _allowed_caller(route)
    cell = Cell(route, role, Relation.OWN)
    need = needs(cell)
    target = await office.appraisals.shared(need) if need else await target_of(office, cell)
    call = await row.build(office, PERSONA[role], target)
    if use == "baca":
        call = replace(call, token=office.read_tokens[role])
    else:
        started = sessions.start_session(
            office.uow_factory, TEST_AUTH, nip=PERSONA[role].nip, method="password", now=datetime.now(UTC)
        )
        call = as_browser(call, started.secret, csrf=None if use == "cookie" else "salah-" + started.record.csrf_token)
    watched = (*target.workflow_ids, *call.watch)
    before = await office.recorder.snapshot(watched)
    response = await office.send(route.method, route.path, call, None if use != "baca" else PERSONA[role])
    after = await office.recorder.snapshot(watched)
    said = f"{route} as {role.value} with {use}: {response.status_code} {response.text[:300]}"
    assert response.status_code == 403, said
    assert response.headers["content-type"].startswith(PROBLEM), said
    if use != "baca":
        assert response.json().get("field") == CSRF_HEADER, said
    assert_nothing_written(office, before, after, said)


@pytest.mark.parametrize("route", ACTING, ids=str)
async def test_a_read_only_token_changes_nothing(route: Route, office: WebOffice) -> None:
    await _refused_change(office, route, "baca")


@pytest.mark.parametrize("route", ACTING, ids=str)
async def test_a_browser_session_without_its_csrf_token_changes_nothing(route: Route, office: WebOffice) -> None:
    await _refused_change(office, route, "cookie")


@pytest.mark.parametrize("route", ACTING, ids=str)
async def test_a_wrong_csrf_token_changes_nothing(route: Route, office: WebOffice) -> None:
    await _refused_change(office, route, "salah")


async def test_a_browser_session_with_its_csrf_token_takes_a_step(office: WebOffice) -> None:
    employee = PERSONA[Role.PEGAWAI]
    target = await office.appraisals.fresh(Need(APPRAISED[Relation.OWN]))
    started = sessions.start_session(
        office.uow_factory, TEST_AUTH, nip=employee.nip, method="password", now=datetime.now(UTC)
    )
    call = as_browser(
        await ROWS["POST", STEP + "skp-submit"].build(office, employee, target),
        started.secret,
        csrf=started.record.csrf_token,
    )
    response = await office.send("POST", STEP + "skp-submit", call, None)
    assert response.status_code == 200, response.text
    assert (await office.appraisals.state(target)).step is Step.SKP_APPROVAL
    timeline = (await office.appraisals.state(target)).timeline
    assert timeline[-1].actor == employee.nip  # the session's person, never anything the request said


# --- an identifier of someone else's, inside a path the caller may use ---------------------------------------------

# What a path parameter names besides the route's own resource, and one that belongs elsewhere: an account of
# instansi B, a role granted in B, another person's token. A route with a parameter not listed here fails, so a new
# one is checked too.
# A period's `number` is part of the appraisal itself (its first, second, ... period): it names nothing elsewhere.
OWN_PARAMETERS = {"appraisal": {"cycle_id", "nip", "number"}, "cycle": {"cycle_id"}, "instansi": {"instansi_code"}}
FOREIGN = ("nip", "grant_id", "token_id", "sha256")
REACHING = [
    route
    for route in TABLE
    if route.access is not None
    and set(re.findall(r"\{([^}:]+)", route.path)) - OWN_PARAMETERS.get(route.access.resource, set())
]


async def _foreign(office: WebOffice, name: str) -> str:
    if name == "nip":
        return SASARAN_B  # has an account, in instansi B
    if name == "sha256":  # a file of an appraisal of instansi B
        return store_evidence(office, "matriks-lain", SASARAN_B, INSTANSI_B)
    if name == "grant_id":
        with office.uow_factory() as uow:
            grant = Grant(role=Role.OPERATOR, instansi_code=INSTANSI_B)
            found = uow.identity.add_grant(off_roster_nip(), grant, by=SYSTEM_ACTOR, at=datetime.now(UTC))
            uow.commit()
        return str(found)
    return str(office.new_token(PEGAWAI_2)[1])  # token_id: another person's


@pytest.mark.parametrize("route", REACHING, ids=str)
async def test_an_identifier_from_elsewhere_is_not_found(route: Route, office: WebOffice) -> None:
    """The caller may use the route on their own resource, but the second identifier in the path is another
    instansi's (or another person's): 404, as if it did not exist, and nothing written."""
    own = OWN_PARAMETERS.get(route.access.resource if route.access else "", set())
    extra = set(re.findall(r"\{([^}:]+)", route.path)) - own
    assert extra <= set(FOREIGN), f"{route}: say in FOREIGN what {sorted(extra - set(FOREIGN))} names elsewhere"
    row = row_of(Cell(route, None, Relation.OWN))
    role = _allowed_caller(route)
    cell = Cell(route, role, Relation.OWN)
    need = needs(cell)
    target = await office.appraisals.shared(need) if need else await target_of(office, cell)
    call = await row.build(office, PERSONA[role], target)
    call = replace(call, params={**call.params, **{name: await _foreign(office, name) for name in extra}})
    watched = (*target.workflow_ids, *call.watch)
    before = await office.recorder.snapshot(watched)
    response = await office.send(route.method, route.path, call, PERSONA[role])
    after = await office.recorder.snapshot(watched)
    said = f"{route} as {role.value} with {sorted(extra)} from elsewhere: {response.status_code} {response.text[:300]}"
    assert response.status_code == 404, said
    assert response.headers["content-type"].startswith(PROBLEM), said
    assert_nothing_written(office, before, after, said)


# A cycle named in a request body, by the admin kepegawaian of instansi A, that is instansi B's: refused with nothing
# told of it (a grant or a survey import: as if it did not exist; a start: the id is taken, as cycle ids are one
# namespace), and nothing written.
CYCLE_IN_BODY: dict[tuple[str, str], tuple[int, Callable[[str], dict[str, Any]]]] = {
    ("POST", INSTANSI + "/roles"): (
        404,
        lambda cycle: {"json": {"nip": off_roster_nip(), "peran": "operator", "siklus": cycle}},
    ),
    ("POST", INSTANSI + "/imports/survey"): (404, lambda cycle: {"data": {"siklus": cycle}}),
    ("POST", INSTANSI + "/cycles"): (422, lambda cycle: {"json": {"periode": PERIOD, "siklus": cycle}}),
}


@pytest.mark.parametrize("key", list(CYCLE_IN_BODY), ids=lambda key: f"{key[0]} {key[1]}")
async def test_a_cycle_of_another_instansi_named_in_a_body_tells_nothing(
    key: tuple[str, str], office: WebOffice
) -> None:
    method, path = key
    status, naming = CYCLE_IN_BODY[key]
    other = await office.appraisals.shared(Need(APPRAISED[Relation.OTHER], calibrating=True))
    admin = PERSONA[Role.ADMIN_KEPEGAWAIAN]
    call = await ROWS[key].build(office, admin, Target(APPRAISED[Relation.OWN].instansi_code))
    call = replace(call, **naming(other.cycle_id))
    watched = (*other.workflow_ids, *call.watch)
    before = await office.recorder.snapshot(watched)
    response = await office.send(method, path, call, admin)
    after = await office.recorder.snapshot(watched)
    said = f"{method} {path} naming {other.cycle_id} of {other.instansi_code}: {response.status_code} {response.text}"
    assert response.status_code == status, said
    for secret in (other.instansi_code, *GRANTED[other.instansi_code]):  # its code, its officials
        assert secret not in response.text, said
    assert_nothing_written(office, before, after, said)
