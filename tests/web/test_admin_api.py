"""The admin kepegawaian, the leader and the supervision team run an office through the HTTP API, on the dev server
with a real worker, on SQLite and PostgreSQL.

The operator registers the instansi and grants its first admin kepegawaian (the one thing done on the server). The
admin imports the sample Dukcapil office, sets its policy, grants the officials (the Sekda, on no roster, as
pimpinan), creates an account whose first password is set with its one-time link, and starts a cycle whose officials
come from those grants. The pengelola kinerja imports the survey, one appraisal is reviewed through its steps, the
Sekda proposes and decides the calibration, and the supervision team extends the overdue steps of a unit in one
request. Every change is in the audit log with the signed-in person who made it; an admin of another instansi
learns nothing of this one.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.access import ALL_SCOPES, Grant
from domain.audit import AuditEntry
from domain.organisation import Instansi
from domain.stages import Role
from identity import accounts, sessions
from identity.passwords import hasher
from persistence.ports import AbstractUnitOfWork
from services.roles import OFF_ROSTER
from settings import AuthSettings, Settings, TemporalSettings
from web.app import create_app
from worker import run_worker

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
INSTANSI = "API-DUKCAPIL"
OTHER = "API-LAIN"
PERIOD = 2026

SRI = "199212252019032001"  # Verifikator Data Kependudukan, DAFDUK
HERMAN = "198009092005011001"  # Kepala Bidang DAFDUK: Sri's pejabat penilai
KEPALA = "197203151998031001"  # Kepala Dinas: no penilai in the roster, skipped
BUDI = "198808082011021001"  # Analis Pencatatan Sipil, CAPIL
PENGAWAS = "197807212003122001"  # Sekretaris Dinas: tim pengawasan
PENGELOLA = "198511022009031002"  # Kasubbag Umum dan Kepegawaian: pengelola kinerja
ADMIN = "199005302014032001"  # Fransiska Mirino: admin kepegawaian
SEKDA = "196801011990031001"  # Sekretaris Daerah: pimpinan, on no roster
OTHER_ADMIN = "198703142010012005"  # admin kepegawaian of another instansi, on no roster
API = "/api/v1"
PASSWORD = "Kata-Sandi-Dinas-2026"  # a test account's password
AUTH = AuthSettings(argon2_time_cost=1, argon2_memory_kib=8 * 1024, argon2_parallelism=1)
REVIEW_DUE_SECONDS = 20  # the cycle calibrates once this has passed (a step taken late is still taken)


@dataclass
class Office:
    http: httpx.AsyncClient
    uow_factory: Callable[[], AbstractUnitOfWork]
    settings: Settings
    tokens: dict[str, str]

    def token_for(self, nip: str) -> str:
        """A personal access token, as the person (local account or their instansi's SSO) would hold after
        signing in."""
        if nip not in self.tokens:
            secret, _ = sessions.create_token(
                self.uow_factory, self.settings.auth, nip=nip, name="uji", scopes=ALL_SCOPES, days=1,
                now=datetime.now(UTC),
            )  # fmt: skip
            self.tokens[nip] = secret
        return self.tokens[nip]

    async def call(self, method: str, path: str, nip: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token_for(nip)}", **kwargs.pop("headers", {})}
        return await self.http.request(method, f"{API}{path}", headers=headers, **kwargs)

    async def ok(self, method: str, path: str, nip: str, **kwargs: Any) -> Any:
        response = await self.call(method, path, nip, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    async def upload(self, kind: str, nip: str, file: Path, **fields: str) -> httpx.Response:
        files = {"berkas": (file.name, file.read_bytes(), "text/csv")}
        return await self.call("POST", f"/instansi/{INSTANSI}/imports/{kind}", nip, files=files, data=fields)

    def audit(self) -> list[AuditEntry]:
        with self.uow_factory() as uow:
            return uow.audit.list()


@pytest.fixture
async def office(
    dev_env: WorkflowEnvironment, database_url: str, uow_factory: Callable[[], AbstractUnitOfWork]
) -> AsyncIterator[Office]:
    """The app and a worker of this test's database on their own task queue; the first admin granted by the
    operator, as on a fresh server."""
    address = dev_env.client.service_client.config.target_host
    settings = Settings(
        database_url=database_url,
        auth=AUTH,
        temporal=TemporalSettings(address=address, task_queue=f"kinerja-api-{uuid.uuid4().hex[:8]}"),
    )
    with uow_factory() as uow:
        uow.instansi.add(Instansi(code=INSTANSI, name="Dinas Dukcapil Kota Jayapura (uji)"))
        uow.identity.add_grant(ADMIN, Grant(role=Role.ADMIN_KEPEGAWAIAN, instansi_code=INSTANSI), "operator", _now())
        uow.instansi.add(Instansi(code=OTHER, name="Dinas Lain"))
        uow.identity.add_grant(OTHER_ADMIN, Grant(role=Role.ADMIN_KEPEGAWAIAN, instansi_code=OTHER), "operator", _now())
        uow.commit()
    stop, ready = asyncio.Event(), asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, client=dev_env.client, stop=stop, ready=ready, migrate=False))
    await asyncio.wait_for(ready.wait(), 60)
    app = create_app(settings, uow_factory=uow_factory, client=dev_env.client)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kinerja.test") as http,
        ):
            yield Office(http=http, uow_factory=uow_factory, settings=settings, tokens={})
    finally:
        stop.set()
        await asyncio.wait_for(worker, 60)


async def test_an_office_run_through_the_api(office: Office) -> None:
    # --- data: the admin imports the office, sets the policy -------------------------------------------------------
    roster = await office.upload("roster", ADMIN, EXAMPLES / "roster_dukcapil.csv")
    assert roster.status_code == 200, roster.text
    assert (roster.json()["baru"], roster.json()["rincian"]["unit_baru"]) == (12, 4)
    for kind, file in (("iku", "iku_dukcapil.csv"), ("skp", "skp_dukcapil.csv")):
        done = await office.upload(kind, ADMIN, EXAMPLES / file, periode=str(PERIOD))
        assert done.status_code == 200, done.text
    refused = await office.upload("roster", ADMIN, EXAMPLES / "roster_bad.csv")
    assert refused.status_code == 422 and refused.json()["field"] == "berkas"
    assert refused.json()["errors"] and all("baris" in e["message"] for e in refused.json()["errors"])
    # Reminders 15 and 5 seconds before a deadline, one level further up after 10 minutes.
    escalation = {"escalation": {"reminders_before": ["PT15S", "PT5S"], "grace": "PT10M"}}
    policy = await office.ok("PUT", f"/instansi/{INSTANSI}/policy", ADMIN, json={"penyesuaian": escalation})
    assert policy["version"].endswith(f"{INSTANSI}.1")
    assert (await office.ok("GET", f"/instansi/{INSTANSI}/policy", ADMIN))["version"] == policy["version"]

    # --- officials: no cycle without them; granted from the roster, the Sekda from no roster ------------------------
    cycle = f"API-{uuid.uuid4().hex[:6]}"
    body = {"periode": PERIOD, "siklus": cycle, "kalender": _calendar(), "populasi": {"DAFDUK": 40}}
    missing = await office.call("POST", f"/instansi/{INSTANSI}/cycles", ADMIN, json=body)
    assert (missing.status_code, missing.json()["field"]) == (422, "pimpinan")
    assert "Pimpinan" in missing.json()["detail"] and "/roles" in missing.json()["detail"]
    for nip, role in ((PENGAWAS, "pengawasan"), (PENGELOLA, "pengelola_kinerja"), (SEKDA, "pimpinan")):
        granted = await office.ok("POST", f"/instansi/{INSTANSI}/roles", ADMIN, json={"nip": nip, "peran": role})
        assert (granted["nip"], granted["peran"], granted["diberikan_oleh"]) == (nip, role, ADMIN)
    again = await office.call("POST", f"/instansi/{INSTANSI}/roles", ADMIN, json={"nip": SEKDA, "peran": "pimpinan"})
    assert (again.status_code, again.json()["field"]) == (422, "peran")
    bogus = await office.call(
        "POST", f"/instansi/{INSTANSI}/roles", ADMIN, json={"nip": "199913452019032001", "peran": "pimpinan"}
    )
    assert (bogus.status_code, bogus.json()["field"]) == (422, "nip")  # month 13: no NIP at all
    listed = await office.ok("GET", f"/instansi/{INSTANSI}/roles", ADMIN)
    assert {(g["nip"], g["peran"], g["instansi_roster"]) for g in listed} == {
        (ADMIN, "admin_kepegawaian", INSTANSI),
        (PENGAWAS, "pengawasan", INSTANSI),
        (PENGELOLA, "pengelola_kinerja", INSTANSI),
        (SEKDA, "pimpinan", None),
    }
    own = next(g["id"] for g in listed if g["nip"] == ADMIN)
    last = await office.call("DELETE", f"/instansi/{INSTANSI}/roles/{own}", ADMIN)
    assert (last.status_code, last.json()["field"]) == (422, "hibah")  # nobody would be left to manage the instansi
    operator_grant = await office.ok(
        "POST", f"/instansi/{INSTANSI}/roles", ADMIN, json={"nip": KEPALA, "peran": "operator"}
    )
    await office.ok("DELETE", f"/instansi/{INSTANSI}/roles/{operator_grant['id']}", ADMIN)
    gone = await office.call("DELETE", f"/instansi/{INSTANSI}/roles/{operator_grant['id']}", ADMIN)
    assert gone.status_code == 404

    # --- an account: created from the roster, its first password set with the link ---------------------------------
    created = await office.ok("POST", f"/instansi/{INSTANSI}/accounts", ADMIN, json={"nip": SRI})
    assert created["dikirim_lewat_email"] is False and created["tautan"]  # no address on the roster: handed over
    secret = parse_qs(urlparse(created["tautan"]).query)["tautan"][0]
    accounts.set_password(office.uow_factory, hasher(AUTH), secret=secret, password=PASSWORD, now=_now())
    await _sign_in(office, SRI)
    assert (await office.call("GET", "/me", SRI)).json()["nip"] == SRI
    for action in ("disable", "enable", "unlock"):
        done = await office.call("POST", f"/instansi/{INSTANSI}/accounts/{SRI}/{action}", ADMIN)
        assert done.status_code == 204, done.text
    assert (await office.call("GET", "/me", SRI)).status_code == 401  # disabling ended her token
    await _sign_in(office, SRI)
    reset = await office.ok("POST", f"/instansi/{INSTANSI}/accounts/{SRI}/reset-link", ADMIN)
    assert reset["tautan"] and reset["tautan"] != created["tautan"]

    # --- the cycle: started by the admin, its officials from the grants -------------------------------------------
    started = await office.ok("POST", f"/instansi/{INSTANSI}/cycles", ADMIN, json=body)
    assert (started["cycle_id"], started["new"]) == (cycle, True)
    assert started["officials"] == {
        "supervision_team": [PENGAWAS],
        "pengelola_kinerja": [PENGELOLA],
        "pimpinan": [SEKDA],
    }
    assert (await office.ok("POST", f"/instansi/{INSTANSI}/cycles", ADMIN, json=body))["new"] is False
    running = await _phase(office, cycle, PENGAWAS, "running")
    assert (running["enrolled"], running["skipped_count"]) == (11, 1)  # the Kepala Dinas has no penilai

    survey = await office.upload("survey", PENGELOLA, EXAMPLES / "survey_dukcapil.csv", siklus=cycle)
    assert survey.status_code == 200, survey.text
    assert survey.json()["siklus"] == cycle

    # --- Sri's appraisal through its steps, before the review deadline --------------------------------------------
    steps = f"/cycles/{cycle}/appraisals/{SRI}/steps"
    await office.ok("POST", f"{steps}/skp-submit", SRI, json={})
    await office.ok("POST", f"{steps}/skp-approve", HERMAN, json={})
    state = await office.ok("GET", f"/cycles/{cycle}/appraisals/{SRI}", SRI)
    realised = [
        {"indikator": i["id"], "realisasi": str(i["target"]["value"])}
        for rhk in state["skp"]["rhk"]
        for i in rhk["indicators"]
    ]
    await office.ok("POST", f"{steps}/self-assessment", SRI, json={"realisasi": realised})
    await office.ok("POST", f"{steps}/review", HERMAN, json={"hasil_kerja": "meets", "perilaku": "meets"})

    # --- the supervision team: who is late, and the deadlines of a unit extended in one request -------------------
    overdue = await _overdue(office, cycle, BUDI)
    assert overdue["jumlah"] == len(overdue["langkah"]) and {r["unit"] for r in overdue["langkah"]} == {"CAPIL"}
    until = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    extend = {"unit": "CAPIL", "sampai": until, "alasan": "Layanan keliling ke distrik selama dua minggu"}
    trial = await office.ok("POST", f"/cycles/{cycle}/bulk/extend", PENGAWAS, json={**extend, "coba": True})
    # More steps may fall due between the two reads (the calendar is minutes long): the trial covers every step
    # overdue before it, and none that is not overdue after it.
    after = await _overdue(office, cycle, BUDI)
    touched = {o["nip"] for o in trial["hasil"]}
    assert trial["coba"] and {r["nip"] for r in overdue["langkah"]} <= touched <= {r["nip"] for r in after["langkah"]}
    before = await office.ok("GET", f"/cycles/{cycle}/overdue", PENGAWAS, params={"unit": "CAPIL"})
    extended = await office.ok("POST", f"/cycles/{cycle}/bulk/extend", PENGAWAS, json=extend)
    assert extended["berhasil"] == extended["jumlah"] >= trial["jumlah"], extended
    late = await office.ok("GET", f"/cycles/{cycle}/overdue", PENGAWAS, params={"unit": "CAPIL"})
    # Nothing the request extended is late any more, and nothing late before it was sent is late after it: the
    # request took every step the list held. A step late now was marked late after the request read the list (the
    # calendar is minutes long; on a loaded machine a deadline's escalation is recorded seconds after it passed, so
    # its deadline may be before the request and still not be in the list it read).
    late_now = {r["nip"] for r in late["langkah"]}
    assert not late_now & {o["nip"] for o in extended["hasil"]}, late
    assert not late_now & {r["nip"] for r in before["langkah"]}, (before, late)

    # --- the supervision team changes mid-year: the running cycle takes it up ---------------------------------------
    roles = f"/instansi/{INSTANSI}/roles"
    joined = await office.ok("POST", roles, ADMIN, json={"nip": ADMIN, "peran": "pengawasan"})
    assert (joined["siklus_diperbarui"], joined["belum_diperbarui"]) == ([cycle], [])
    outsider_team = await office.call("POST", roles, ADMIN, json={"nip": SEKDA, "peran": "pengawasan"})
    assert (outsider_team.status_code, outsider_team.json()["field"]) == (422, "nip")  # not of this roster
    old = next(g["id"] for g in await office.ok("GET", roles, ADMIN) if g["nip"] == PENGAWAS)
    left = await office.ok("DELETE", f"{roles}/{old}", ADMIN)
    assert left["siklus_diperbarui"] == [cycle]
    last = await office.call("DELETE", f"{roles}/{joined['id']}", ADMIN)
    assert (last.status_code, last.json()["field"]) == (422, "hibah")  # the cycle needs a supervision team
    team = (await office.ok("GET", f"/cycles/{cycle}", ADMIN))["officials"]
    assert (team["supervision_team"], team["pimpinan"]) == ([ADMIN], [SEKDA])

    # --- the operator's `kinerja siklus mulai` on the server: the same service, the same officials ----------------
    # Started while the first cycle waits for its review deadline (some 15 s of the calendar): the command's process
    # starts meanwhile instead of after it. The officials are those of now, as they would be after calibration.
    by_operator = f"CLI-{uuid.uuid4().hex[:6]}"

    # --- calibration by the Sekda, signed in ----------------------------------------------------------------------
    async def calibrated() -> None:
        await _phase(office, cycle, SEKDA, "calibrating", timeout=REVIEW_DUE_SECONDS + 40)
        not_pimpinan = await office.call(
            "POST", f"/cycles/{cycle}/calibration/proposal", HERMAN, json={"predikat_organisasi": "baik"}
        )
        assert not_pimpinan.status_code == 403  # of this instansi, without the role
        proposed = await office.ok(
            "POST",
            f"/cycles/{cycle}/calibration/proposal",
            SEKDA,
            json={"predikat_organisasi": "baik", "rekomendasi_pengelola": "baik"},
        )
        view = proposed["calibration"]
        assert (view["set_by"], view["total"]) == (SEKDA, 1)
        decided = await office.ok(
            "POST",
            f"/cycles/{cycle}/calibration/decision",
            SEKDA,
            json={"terima": True, "usulan": view["proposal_id"], "justifikasi": "Sesuai hasil rapat komite kinerja"},
            headers={"Idempotency-Key": "putusan-1"},
        )
        assert decided["outcome"]["decided_by"] == SEKDA
        report = await office.ok("GET", f"/cycles/{cycle}/report", ADMIN)
        assert report["jumlah_pegawai"] == 1 and report["pegawai"][0]["nip"] == SRI

    async with asyncio.TaskGroup() as both:
        both.create_task(
            _kinerja(office, "siklus", "mulai", "--instansi", INSTANSI, "--periode", str(PERIOD),
                     "--siklus", by_operator, "--tanpa-tunggu", "--json")
        )  # fmt: skip
        both.create_task(calibrated())

    # --- the audit log: every action with the signed-in person who took it -----------------------------------------
    office.token_for(OTHER_ADMIN)  # signed in before the log is read: creating a token is audited
    entries = office.audit()
    by_action: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        by_action.setdefault(entry.action, []).append(entry)
    for action in ("import.roster", "import.iku", "import.skp", "policy.set", "account.create"):
        assert [(e.actor, e.actor_role) for e in by_action[action]] == [(ADMIN, Role.ADMIN_KEPEGAWAIAN)], action
    starts = {e.subject: e for e in entries if e.action == "cycle.start"}
    assert set(starts) == {cycle, by_operator}  # the second request found the running cycle and wrote nothing
    assert (starts[by_operator].actor, starts[by_operator].actor_role) == ("operator", Role.SYSTEM)
    for subject, team in ((cycle, [PENGAWAS]), (by_operator, [ADMIN])):  # the grants when each started
        after = starts[subject].after
        assert after is not None and (after["pimpinan"], after["supervision_team"]) == ([SEKDA], team)
    changed = by_action["cycle.change_officials"]
    assert [(e.actor, e.subject) for e in changed] == [(ADMIN, cycle), (ADMIN, cycle)]
    assert changed[-1].after is not None and changed[-1].after["supervision_team"] == [ADMIN]
    for action in ("account.disable", "account.enable", "account.unlock", "account.reset_link"):
        assert [(e.actor, e.subject) for e in by_action[action]] == [(ADMIN, SRI)], action
    grants = {e.subject: e for e in by_action["role.grant"]}
    assert all(e.actor == ADMIN for e in grants.values()) and set(grants) == {PENGAWAS, PENGELOLA, SEKDA, KEPALA, ADMIN}
    assert grants[SEKDA].reason == OFF_ROSTER and grants[PENGAWAS].reason is None
    assert [e.subject for e in by_action["role.revoke"]] == [KEPALA, PENGAWAS]
    assert [(e.actor, e.actor_role) for e in by_action["import.survey"]] == [(PENGELOLA, Role.PENGELOLA_KINERJA)]
    for action in ("calibration.propose", "calibration.decide"):
        assert [(e.actor, e.actor_role, e.subject) for e in by_action[action]] == [(SEKDA, Role.PIMPINAN, cycle)]
    assert by_action["calibration.decide"][0].reason == "Sesuai hasil rapat komite kinerja"
    extended_by = [e for e in entries if e.action == "extend_deadline"]
    assert len(extended_by) == extended["berhasil"] and {e.actor for e in extended_by} == {PENGAWAS}

    # --- an admin of another instansi learns nothing of this one ---------------------------------------------------
    for method, path, payload in (
        ("GET", f"/instansi/{INSTANSI}/roles", None),
        ("POST", f"/instansi/{INSTANSI}/roles", {"nip": OTHER_ADMIN, "peran": "pimpinan"}),
        ("POST", f"/instansi/{INSTANSI}/accounts/{SRI}/disable", None),
        ("GET", f"/cycles/{cycle}", None),
        ("GET", f"/cycles/{cycle}/report", None),
    ):
        outsider = await office.call(method, path, OTHER_ADMIN, json=payload)
        assert outsider.status_code == 404, (method, path, outsider.text)
    # ... nor, from their own instansi, of this one's people
    for path in (f"/instansi/{OTHER}/accounts/{SRI}/disable", f"/instansi/{OTHER}/accounts/{SRI}/reset-link"):
        assert (await office.call("POST", path, OTHER_ADMIN)).status_code == 404
    foreign = await office.call("POST", f"/instansi/{OTHER}/accounts", OTHER_ADMIN, json={"nip": HERMAN})
    assert foreign.status_code == 404
    # None of the refusals wrote anything (the worker may have logged notices meanwhile).
    written = office.audit()[len(entries) :]
    assert not [e for e in written if e.actor == OTHER_ADMIN or e.action.startswith(("role.", "account."))]


async def _kinerja(office: Office, *args: str) -> str:
    """`kinerja ...` (what the installed script runs) as the operator on the server runs it, with this test's
    database and task queue."""
    env = {
        **os.environ,
        "DATABASE_URL": office.settings.database_url,
        "TEMPORAL__ADDRESS": office.settings.temporal.address,
        "TEMPORAL__TASK_QUEUE": office.settings.temporal.task_queue,
        "PYTHONPATH": str(ROOT),
    }
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "starter", *args], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, f"kinerja {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


async def _sign_in(office: Office, nip: str) -> None:
    login = await office.http.post(
        f"{API}/auth/login", json={"nip": nip, "kata_sandi": PASSWORD, "token": {"nama": "laptop"}}
    )
    assert login.status_code == 200, login.text
    office.tokens[nip] = login.json()["token"]


def _calendar() -> dict[str, Any]:
    """Deadlines seconds apart: the cycle reaches calibration within the test."""
    return {
        "start": datetime.now(UTC).isoformat(),
        "skp_draft_due": "PT2S",
        "skp_due": "PT16S",
        "survey_opens": "PT0S",
        "survey_closes": f"PT{REVIEW_DUE_SECONDS - 1}S",
        "self_assessment_due": f"PT{REVIEW_DUE_SECONDS - 1}S",
        "review_due": f"PT{REVIEW_DUE_SECONDS}S",
        "calibration_due": "PT30M",
        "sign_off_due": "PT40M",
        "objection_window": "PT30M",
        "objection_decision_due": "PT30M",
    }


async def _phase(office: Office, cycle: str, nip: str, phase: str, *, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        state = await office.ok("GET", f"/cycles/{cycle}", nip)
        if state["phase"] == phase:
            return state
        assert time.monotonic() < deadline, f"cycle {cycle} stayed at {state['phase']}, never reached {phase}"
        await asyncio.sleep(0.3)


async def _overdue(office: Office, cycle: str, nip: str) -> Any:
    """The unit's overdue steps once `nip`'s SKP draft is among them (its deadline passes seconds after the start)."""
    deadline = time.monotonic() + 30
    while True:
        found = await office.ok("GET", f"/cycles/{cycle}/overdue", PENGAWAS, params={"unit": "CAPIL"})
        if nip in {row["nip"] for row in found["langkah"]}:
            return found
        assert time.monotonic() < deadline, f"{nip} never became overdue"
        await asyncio.sleep(0.3)


def _now() -> datetime:
    return datetime.now(UTC)
