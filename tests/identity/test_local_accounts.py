"""Local accounts as an office without an identity provider uses them, through the real app on a real database (both
backends): a one-time link sets the first password, a session cookie signs in, logout really ends it, repeated
failures lock the account and slow an address, sessions expire when idle and after their absolute lifetime, a
cookie alone cannot change anything without the CSRF token, and personal access tokens are scoped, expiring and
revocable.

The clock is the app's own (`Services.clock`), moved forward by the test: no test waits on wall-clock time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from domain.access import Grant
from domain.errors import NotFound
from domain.organisation import Employee, Instansi, Unit
from domain.stages import Role
from identity import accounts
from persistence.ports import AbstractUnitOfWork
from settings import AuthSettings, Settings
from web.app import create_app
from web.deps import CSRF_HEADER, SESSION_COOKIE

INSTANSI = "ID-TEST"
SRI = "199212252019032001"
HERMAN = "198009092005011001"
ADMIN = "197807212003122001"
PASSWORD = "kata-sandi-yang-panjang"
START = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
# Cheap argon2id for tests: the parameters are the settings' business, the flow is what is tested here.
AUTH = AuthSettings(
    argon2_time_cost=1,
    argon2_memory_kib=8 * 1024,
    argon2_parallelism=1,
    max_failed_logins=3,
    lockout_minutes=15,
    failures_per_address=6,
    failure_window_minutes=15,
    session_idle_minutes=30,
    session_hours=12,
)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def office(uow_factory: Callable[[], AbstractUnitOfWork]) -> Callable[[], AbstractUnitOfWork]:
    with uow_factory() as uow:
        uow.instansi.add(Instansi(code=INSTANSI, name="Dinas Uji"))
        uow.units.add(Unit(code="DUK", name="Dinas"), INSTANSI)
        for nip, name, email in ((SRI, "Sri Wahyuni", None), (HERMAN, "Herman", "herman@dinas.example.go.id")):
            uow.employees.add(Employee(nip=nip, name=name, jabatan="Staf", unit_code="DUK", email=email), INSTANSI)
        uow.commit()
    return uow_factory


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(office: Callable[[], AbstractUnitOfWork], clock: Clock, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, auth=AUTH), uow_factory=office)
    with TestClient(app) as client:
        app.state.services.clock = clock
        yield client


def _account(uow_factory: Callable[[], AbstractUnitOfWork], api: TestClient, nip: str, clock: Clock) -> None:
    link = accounts.create_account(uow_factory, AUTH, nip=nip, instansi_code=INSTANSI, actor=ADMIN, now=clock.now)
    secret = link.url.split("tautan=", 1)[1]
    done = api.post("/api/v1/auth/password", json={"tautan": secret, "kata_sandi": PASSWORD})
    assert done.status_code == 204, done.text


def _login(api: TestClient, nip: str = SRI, password: str = PASSWORD) -> dict[str, object]:
    answer = api.post("/api/v1/auth/login", json={"nip": nip, "kata_sandi": password})
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _audit(uow_factory: Callable[[], AbstractUnitOfWork], action: str) -> int:
    with uow_factory() as uow:
        return len(uow.audit.list(action=action))


def test_a_link_sets_the_first_password_once_and_a_session_signs_in_until_logout(
    office: Callable[[], AbstractUnitOfWork], api: TestClient, clock: Clock
) -> None:
    link = accounts.create_account(office, AUTH, nip=SRI, instansi_code=INSTANSI, actor=ADMIN, now=clock.now)
    assert not link.sent_by_email  # Sri has no address in the roster: the admin hands the link over
    secret = link.url.split("tautan=", 1)[1]
    too_short = api.post("/api/v1/auth/password", json={"tautan": secret, "kata_sandi": "pendek"})
    assert too_short.status_code == 422 and too_short.json()["field"] == "kata_sandi"
    assert api.post("/api/v1/auth/password", json={"tautan": secret, "kata_sandi": PASSWORD}).status_code == 204
    again = api.post("/api/v1/auth/password", json={"tautan": secret, "kata_sandi": PASSWORD + "x"})
    assert again.status_code == 422 and again.json()["field"] == "tautan"

    me = _login(api)
    assert me["nip"] == SRI and me["nama"] == "Sri Wahyuni" and me["csrf_token"]
    cookie = api.cookies.get(SESSION_COOKIE)
    assert cookie and api.get("/api/v1/me").json()["nip"] == SRI

    assert api.post("/api/v1/auth/logout", headers={CSRF_HEADER: str(me["csrf_token"])}).status_code == 204
    # The server ended the session: the old cookie, sent again, signs nobody in.
    api.cookies.set(SESSION_COOKIE, cookie)
    assert api.get("/api/v1/me").status_code == 401
    assert _audit(office, "account.create") == 1 and _audit(office, "account.password_set") == 1


def test_an_account_with_an_address_gets_its_link_through_the_outbox(
    office: Callable[[], AbstractUnitOfWork], clock: Clock
) -> None:
    link = accounts.create_account(office, AUTH, nip=HERMAN, instansi_code=INSTANSI, actor=ADMIN, now=clock.now)
    assert link.sent_by_email
    with office() as uow:
        waiting = uow.outbox.pending(limit=10)
    assert [m.recipient for m in waiting] == ["herman@dinas.example.go.id"]
    assert link.url in waiting[0].body


def test_wrong_passwords_lock_the_account_and_each_failure_is_audited(
    office: Callable[[], AbstractUnitOfWork], api: TestClient, clock: Clock
) -> None:
    _account(office, api, SRI, clock)
    unknown = api.post("/api/v1/auth/login", json={"nip": "199001012015011001", "kata_sandi": "x" * 12})
    wrong = api.post("/api/v1/auth/login", json={"nip": SRI, "kata_sandi": "salah-sekali-ini"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]  # nothing tells which NIPs have an account
    for _ in range(AUTH.max_failed_logins - 1):
        assert api.post("/api/v1/auth/login", json={"nip": SRI, "kata_sandi": "salah"}).status_code == 401
    locked = api.post("/api/v1/auth/login", json={"nip": SRI, "kata_sandi": PASSWORD})
    # Refused even with the right password, in the same words as an unknown NIP (which says how locking works).
    assert locked.status_code == 401 and locked.json()["detail"] == unknown.json()["detail"]
    assert "terkunci" in unknown.json()["detail"]
    assert _audit(office, "login.failed") == AUTH.max_failed_logins + 2

    clock.advance(minutes=AUTH.lockout_minutes + 1)
    assert _login(api)["nip"] == SRI  # the lock passes by itself

    for _ in range(AUTH.max_failed_logins):
        api.post("/api/v1/auth/login", json={"nip": SRI, "kata_sandi": "salah"})
    accounts.unlock(office, nip=SRI, actor=ADMIN, now=clock.now)
    assert _login(api)["nip"] == SRI  # or the admin kepegawaian unlocks it


def test_an_address_that_keeps_failing_is_slowed_whatever_nip_it_tries(
    office: Callable[[], AbstractUnitOfWork], api: TestClient, clock: Clock
) -> None:
    _account(office, api, SRI, clock)
    for n in range(AUTH.failures_per_address):
        nip = f"1990010120150110{n:02d}"
        assert api.post("/api/v1/auth/login", json={"nip": nip, "kata_sandi": "x" * 12}).status_code == 401
    limited = api.post("/api/v1/auth/login", json={"nip": SRI, "kata_sandi": PASSWORD})
    assert limited.status_code == 429 and "alamat ini" in limited.json()["detail"]
    clock.advance(minutes=AUTH.failure_window_minutes + 1)
    assert _login(api)["nip"] == SRI


def test_a_session_ends_when_idle_and_after_its_absolute_lifetime(
    office: Callable[[], AbstractUnitOfWork], api: TestClient, clock: Clock
) -> None:
    _account(office, api, SRI, clock)
    _login(api)
    clock.advance(minutes=AUTH.session_idle_minutes + 1)
    assert api.get("/api/v1/me").status_code == 401

    clock.advance(minutes=1)
    _login(api)
    began = clock.now
    while clock.now + timedelta(minutes=20) < began + timedelta(hours=AUTH.session_hours):
        clock.advance(minutes=20)  # active every 20 minutes: never idle
        assert api.get("/api/v1/me").status_code == 200
    clock.advance(minutes=20)
    assert api.get("/api/v1/me").status_code == 401  # past its absolute lifetime however active


def test_a_cookie_alone_changes_nothing_without_the_csrf_token(
    office: Callable[[], AbstractUnitOfWork], api: TestClient, clock: Clock
) -> None:
    _account(office, api, SRI, clock)
    csrf = str(_login(api)["csrf_token"])
    body = {"nama": "laptop", "cakupan": ["baca"]}
    refused = api.post("/api/v1/me/tokens", json=body)
    assert refused.status_code == 403 and refused.json()["field"] == CSRF_HEADER
    wrong = api.post("/api/v1/me/tokens", json=body, headers={CSRF_HEADER: "bukan-token-ini"})
    assert wrong.status_code == 403
    assert _audit(office, "token.create") == 0  # nothing was written by the refused calls
    made = api.post("/api/v1/me/tokens", json=body, headers={CSRF_HEADER: csrf})
    assert made.status_code == 201 and made.json()["token"].startswith("knj_")


def test_personal_access_tokens_are_scoped_expiring_and_revocable(
    office: Callable[[], AbstractUnitOfWork], api: TestClient, clock: Clock
) -> None:
    _account(office, api, SRI, clock)
    issued = api.post(
        "/api/v1/auth/login",
        json={"nip": SRI, "kata_sandi": PASSWORD, "token": {"nama": "kinerja masuk", "hari": 30}},
    ).json()
    token = issued["token"]
    assert api.cookies.get(SESSION_COOKIE) is None  # a token, not a cookie
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=bearer).json()["nip"] == SRI

    reader = api.post("/api/v1/me/tokens", json={"nama": "dasbor", "cakupan": ["baca"]}, headers=bearer).json()
    # Made with a 30-day token, the new one cannot outlive it, whatever it asks for.
    assert datetime.fromisoformat(reader["berlaku_sampai"]) == datetime.fromisoformat(issued["berlaku_sampai"])
    read_only = {"Authorization": f"Bearer {reader['token']}"}
    assert api.get("/api/v1/me/tasks", headers=read_only).status_code == 200
    writes = api.post("/api/v1/me/tokens", json={"nama": "lagi", "cakupan": ["baca"]}, headers=read_only)
    assert writes.status_code == 403  # reading only

    listed = api.get("/api/v1/me/tokens", headers=bearer).json()
    assert {t["nama"] for t in listed} == {"kinerja masuk", "dasbor"}
    assert api.delete(f"/api/v1/me/tokens/{reader['id']}", headers=bearer).status_code == 204
    assert api.get("/api/v1/me", headers=read_only).status_code == 401
    assert api.delete(f"/api/v1/me/tokens/{reader['id']}", headers=bearer).status_code == 404

    clock.advance(days=31)
    expired = api.get("/api/v1/me", headers=bearer)
    assert expired.status_code == 401 and "kedaluwarsa" in expired.json()["detail"]


def test_a_disabled_account_signs_in_no_more_and_its_sessions_end(
    office: Callable[[], AbstractUnitOfWork], api: TestClient, clock: Clock
) -> None:
    _account(office, api, SRI, clock)
    _login(api)
    token = api.post("/api/v1/auth/login", json={"nip": SRI, "kata_sandi": PASSWORD, "token": {"nama": "cli"}}).json()[
        "token"
    ]
    accounts.set_disabled(office, nip=SRI, disabled=True, actor=ADMIN, now=clock.now)
    assert api.get("/api/v1/me").status_code == 401
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert api.post("/api/v1/auth/login", json={"nip": SRI, "kata_sandi": PASSWORD}).status_code == 401
    accounts.set_disabled(office, nip=SRI, disabled=False, actor=ADMIN, now=clock.now)
    assert _login(api)["nip"] == SRI


def test_someone_on_no_roster_gets_an_account_only_while_holding_a_role_in_the_instansi(
    office: Callable[[], AbstractUnitOfWork], clock: Clock
) -> None:
    sekda = "196801011990031001"  # pimpinan of the dinas, on no dinas roster
    with pytest.raises(NotFound):
        accounts.create_account(office, AUTH, nip=sekda, instansi_code=INSTANSI, actor=ADMIN, now=clock.now)
    with office() as uow:
        uow.identity.add_grant(sekda, Grant(role=Role.PIMPINAN, instansi_code=INSTANSI), ADMIN, clock.now)
        uow.commit()
    link = accounts.create_account(office, AUTH, nip=sekda, instansi_code=INSTANSI, actor=ADMIN, now=clock.now)
    assert not link.sent_by_email and "tautan=" in link.url


def test_an_admin_cannot_take_over_the_account_of_someone_holding_roles_elsewhere(
    office: Callable[[], AbstractUnitOfWork], clock: Clock
) -> None:
    """Someone on no roster who holds a role in another instansi too is looked after by neither admin: otherwise an
    admin could grant them a small role here, take a link for their account and act with their roles there."""
    sekda = "196801011990031001"
    with office() as uow:
        uow.instansi.add(Instansi(code="LAIN", name="Dinas Lain"))
        uow.identity.add_grant(sekda, Grant(role=Role.PIMPINAN, instansi_code="LAIN"), ADMIN, clock.now)
        uow.identity.add_grant(sekda, Grant(role=Role.OPERATOR, instansi_code=INSTANSI), ADMIN, clock.now)
        uow.commit()
    with pytest.raises(NotFound):
        accounts.create_account(office, AUTH, nip=sekda, instansi_code=INSTANSI, actor=ADMIN, now=clock.now)


def test_reset_requests_answer_alike_and_count_against_their_address(
    office: Callable[[], AbstractUnitOfWork], api: TestClient, clock: Clock
) -> None:
    accounts.create_account(office, AUTH, nip=HERMAN, instansi_code=INSTANSI, actor=ADMIN, now=clock.now)
    known = api.post("/api/v1/auth/password-reset", json={"nip": HERMAN})
    unknown = api.post("/api/v1/auth/password-reset", json={"nip": "199001012015011001"})
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    with office() as uow:
        assert len(uow.outbox.pending(limit=10)) == 2  # Herman's first link, and the reset link; nothing for unknown
    for _ in range(AUTH.failures_per_address - 2):
        assert api.post("/api/v1/auth/password-reset", json={"nip": HERMAN}).status_code == 202
    assert api.post("/api/v1/auth/password-reset", json={"nip": HERMAN}).status_code == 429
