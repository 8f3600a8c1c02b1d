"""The request builders of the authorisation matrix: one row per route under /api/v1, keyed by method and path.

A route without a row fails the matrix (tests/web/test_matrix.py), so a new endpoint cannot be added without saying
here how it is called. A row builds a request that succeeds when the caller may make it: the body an allowed caller
would send, made about a target in the state the call needs (`at`, `overdue`, `calibrating`: tests.web.appraisals
Need) and, for an appraisal step, where the step takes it (`then`). The same request is then sent by everyone else,
who must be refused — so a refused request is one that would have changed something had it been let through.

A builder gets the office, the caller (None: anonymous) and the target; it may prepare what the request spends (a
one-time link, a token or a grant to revoke, an employee without an account) before the matrix takes its snapshot.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from domain.access import Grant
from domain.audit import SYSTEM_ACTOR
from domain.evidence import check_file
from domain.feedback import FeedbackNote
from domain.ratings import Expectation, OrgPredicate, Predicate
from domain.stages import Role, Step
from identity import accounts
from persistence.evidence import EvidenceFile
from services.skp_edit import draft_of, fresh_rows
from tests.evidence_samples import pdf_of
from tests.web.appraisals import REASON, Need, Target, later_than, until
from tests.web.harness import Call, WebOffice
from tests.web.office import (
    APPRAISED_1,
    APPRAISED_3,
    BY_NIP,
    CADANGAN,
    INSTANSI_A,
    PASSWORD,
    PEGAWAI_1,
    PENGAWAS,
    PENILAI_BARU,
    PERIOD,
    SASARAN,
    UNITS,
    Persona,
    calendar,
    people_of,
)
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import Actor, Reassign
from workflows.cycle_contracts import CyclePhase, cycle_workflow_id

Builder = Callable[[WebOffice, Persona | None, Target], Awaitable[Call]]
APPRAISAL = "/api/v1/cycles/{cycle_id}/appraisals/{nip}"
STEP = APPRAISAL + "/steps/"
INSTANSI = "/api/v1/instansi/{instansi_code}"
CYCLE = "/api/v1/cycles/{cycle_id}"
JUSTIFICATION = "Komite kalibrasi menerima usulan sesuai pola distribusi predikat organisasi"
_OFF_ROSTER = itertools.count(1)


@dataclass(frozen=True)
class Row:
    build: Builder
    at: Step | None = None  # about an appraisal (or its cycle): the step it is brought to before the call
    overdue: bool = False  # ... with its deadlines passed, escalated
    calibrating: bool = False  # about a real cycle at calibration (with a proposal)
    then: Step | None = None  # after an allowed step: where the appraisal is
    keeps: bool = False  # an allowed call leaves the target fit for every other cell: no fresh one is needed
    # Before an allowed call, on its fresh target: what the call needs to find there to act on
    prepare: Callable[[WebOffice, Target], Awaitable[None]] | None = None

    def need(self, appraised_nip: str) -> Need:
        step = self.at or (Step.AWAITING_CALIBRATION if self.calibrating else Step.OBJECTION_WINDOW)
        return Need(BY_NIP[appraised_nip], step, overdue=self.overdue, calibrating=self.calibrating)


def _appraisal(target: Target) -> dict[str, str]:
    return {"cycle_id": target.cycle_id, "nip": target.nip}


def body(json: object) -> Builder:
    """A call about the target appraisal (or its cycle) with a fixed body."""

    async def build(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
        return Call(params=_appraisal(target), json=json)

    return build


async def plain(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    return Call(params=_appraisal(target))


async def skp_draft(office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """The stored draft sent back with one RHK's text changed, at the version stored (a take-over gives a reason)."""
    with office.uow_factory() as uow:
        stored = uow.skp.get(target.nip, PERIOD)
    assert stored is not None, f"no SKP stored for {target.nip}"
    draft = draft_of(stored.skp)
    first = draft.rhk[0].model_copy(update={"text": draft.rhk[0].text + " (diperbaiki)"})
    changed = draft.model_copy(update={"rhk": [first, *draft.rhk[1:]]})
    return Call(
        params=_appraisal(target),
        json={"draf": changed.model_dump(), "versi": stored.version, "alasan": REASON},
    )


async def skp_change(office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """A new version of the SKP in force from 1 July: its rows as the editor would send them, given new ids."""
    with office.uow_factory() as uow:
        stored = uow.skp.get(target.nip, PERIOD)
    assert stored is not None, f"no SKP stored for {target.nip}"
    changed = fresh_rows(draft_of(stored.skp))
    json = {"berlaku_sejak": date(PERIOD, 7, 1).isoformat(), "alasan": REASON, "skp": changed.model_dump()}
    return Call(params=_appraisal(target), json=json)


def off_roster_nip() -> str:
    """A plausible NIP on no roster, new each time (born 1985, CPNS 2010)."""
    return f"198501012010011{next(_OFF_ROSTER):03d}"


# --- signing in and the person's own things -------------------------------------------------------------------------


async def login(_office: WebOffice, caller: Persona | None, _target: Target) -> Call:
    """Anyone may sign in: the caller with their own password (anonymous: the employee signing in)."""
    return Call(json={"nip": caller.nip if caller else PEGAWAI_1, "kata_sandi": PASSWORD})


async def logout(office: WebOffice, caller: Persona | None, _target: Target) -> Call:
    """Signing out revokes the token presented: a token of the caller's own that nothing else uses."""
    return Call(token=office.new_token(caller.nip)[0] if caller else None)


async def new_token(_office: WebOffice, _caller: Persona | None, _target: Target) -> Call:
    return Call(json={"nama": "matriks akses", "cakupan": ["baca"], "hari": 1})


async def revoke_token(office: WebOffice, caller: Persona | None, _target: Target) -> Call:
    """Revoke a token of the caller's (anonymous: of the employee's, which must survive)."""
    _secret, token_id = office.new_token(caller.nip if caller else PEGAWAI_1)
    return Call(params={"token_id": str(token_id)})


async def set_password(office: WebOffice, _caller: Persona | None, _target: Target) -> Call:
    """A one-time link of CADANGAN's (whose password nobody signs in with), used up by the call."""
    link = accounts.send_reset_link(
        office.uow_factory, office.settings.auth, nip=CADANGAN, actor=CADANGAN, now=datetime.now(UTC)
    )
    secret = link.url.rpartition("tautan=")[2]
    return Call(json={"tautan": secret, "kata_sandi": PASSWORD})


async def ask_reset(_office: WebOffice, _caller: Persona | None, _target: Target) -> Call:
    return Call(json={"nip": CADANGAN})


async def nothing(_office: WebOffice, _caller: Persona | None, _target: Target) -> Call:
    return Call()


# --- appraisal steps --------------------------------------------------------------------------------------------------


async def extend(office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    state = await office.appraisals.state(target)
    return Call(params=_appraisal(target), json={"sampai": later_than(state.deadline).isoformat(), "alasan": REASON})


REALISASI = [
    {"indikator": "I1", "realisasi": "1210", "bukti": ["https://drive.example.go.id/kinerja/2026/laporan.pdf"]},
    {"indikator": "I2", "realisasi": "98.2"},
]
TMT = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()


async def evidence_file(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """A file never stored before, so that an allowed upload writes (the same bytes again would write nothing)."""
    content = pdf_of(256, f"matriks-{uuid.uuid4().hex}".encode())
    return Call(params=_appraisal(target), files={"berkas": ("bukti.pdf", content, "application/pdf")})


async def feedback_note(office: WebOffice, caller: Persona | None, target: Target) -> Call:
    """A note from the penilai; from the employee, an answer to one the penilai wrote (stored first, as the penilai
    writes it)."""
    text = {"teks": f"Capaian triwulan ini baik; pertahankan ({uuid.uuid4().hex[:8]})"}
    if caller is None or caller.role is not Role.PEGAWAI:
        return Call(params=_appraisal(target), json=text)
    with office.uow_factory() as uow:
        given = uow.feedback.add(
            FeedbackNote(
                cycle_id=target.cycle_id,
                employee_nip=target.nip,
                author_nip=BY_NIP[target.nip].penilai_nip,
                writer="penilai",
                text="Perbaiki ketepatan waktu laporan bulanan",
                written_at=datetime.now(UTC),
            )
        )
        uow.commit()
    return Call(params=_appraisal(target), json={**text, "menjawab": given.id})


def store_evidence(office: WebOffice, cycle_id: str, nip: str, instansi_code: str) -> str:
    """Store a file never stored before as evidence of the appraisal (as its employee uploads one); its hash."""
    content = pdf_of(256, f"matriks-hapus-{uuid.uuid4().hex}".encode())
    checked = check_file(content, "bukti.pdf")
    with office.uow_factory() as uow:
        uow.evidence.add(
            EvidenceFile(
                cycle_id=cycle_id,
                employee_nip=nip,
                instansi_code=instansi_code,
                sha256=checked.sha256,
                name=checked.name,
                media_type=checked.media_type,
                size=checked.size,
                uploaded_by=nip,
                uploaded_at=datetime.now(UTC),
            ),
            content,
        )
        uow.commit()
    return checked.sha256


async def stored_evidence(office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """A file stored for the target appraisal just before, so that an allowed deletion has one to delete."""
    sha256 = store_evidence(office, target.cycle_id, target.nip, target.instansi_code)
    return Call(params={**_appraisal(target), "sha256": sha256})


# --- the instansi: roles, accounts, policy, imports, starting a cycle -------------------------------------------------


def _instansi(target: Target) -> dict[str, str]:
    return {"instansi_code": target.instansi_code}


async def of_instansi(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    return Call(params=_instansi(target))


async def grant_role(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """An operator's role for someone on no roster: a role no running cycle carries, so the grant is all it does."""
    return Call(params=_instansi(target), json={"nip": off_roster_nip(), "peran": Role.OPERATOR.value})


async def revoke_role(office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    with office.uow_factory() as uow:
        grant = Grant(role=Role.OPERATOR, instansi_code=target.instansi_code)
        grant_id = uow.identity.add_grant(off_roster_nip(), grant, by=SYSTEM_ACTOR, at=datetime.now(UTC))
        uow.commit()
    return Call(params={**_instansi(target), "grant_id": str(grant_id)})


async def create_account(office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """An account for an employee of the instansi who has none yet."""
    with office.uow_factory() as uow:
        without = [p.nip for p in people_of(target.instansi_code) if uow.identity.account(p.nip) is None]
    assert without, f"every employee of {target.instansi_code} has an account: the office needs more people"
    return Call(params=_instansi(target), json={"nip": without[0]})


async def of_account(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    return Call(params={**_instansi(target), "nip": SASARAN[target.instansi_code]})


async def set_policy(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """Back to the regulation's policy, which the instansi has: recorded, and no proposal computed under the policy
    goes stale (a calibration decision refuses one computed under another)."""
    return Call(params=_instansi(target), json={"penyesuaian": {}})


def _csv(name: str, text: str) -> dict[str, tuple[str, bytes, str]]:
    return {"berkas": (name, text.encode(), "text/csv")}


async def import_roster(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """The instansi's own roster again: a re-import that changes nobody, recorded all the same."""
    units = UNITS[target.instansi_code]
    lines = ["nip,nama,jabatan,unit,unit_nama,unit_induk,jenis,nip_atasan,aktif"]
    for person in people_of(target.instansi_code):
        unit_name, parent = units[person.unit_code]
        lines.append(
            f"{person.nip},{person.name},{person.jabatan},{person.unit_code},{unit_name},{parent or ''},PNS,"
            f"{person.superior_nip or ''},ya"
        )
    return Call(params=_instansi(target), files=_csv("roster.csv", "\n".join(lines) + "\n"))


async def import_iku(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    code = f"IKU-{uuid.uuid4().hex[:6].upper()}"
    unit = next(u for u, (_name, parent) in UNITS[target.instansi_code].items() if parent)
    text = (
        "Kode;Nama Indikator;Satuan;Polaritas;Target;Unit Kerja\n"
        f"{code};Persentase berkas terverifikasi;%;maksimal;95;{unit}\n"
    )
    return Call(params=_instansi(target), files=_csv("iku.csv", text), data={"periode": str(PERIOD)})


async def import_skp(office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """A draft SKP for an employee of the instansi who has none for the period."""
    with office.uow_factory() as uow:
        without = [p.nip for p in people_of(target.instansi_code) if uow.skp.get(p.nip, PERIOD) is None]
    assert without, f"every employee of {target.instansi_code} has an SKP: the office needs more people"
    text = (
        "nip,rhk,jenis_rhk,indikator,aspek,target,satuan,polaritas,iku,rhk_atasan\n"
        f"{without[0]},Berkas kependudukan terverifikasi,utama,Jumlah berkas terverifikasi,kuantitas,100,berkas,"
        "maksimal,,\n"
    )
    return Call(params=_instansi(target), files=_csv("skp.csv", text), data={"periode": str(PERIOD)})


async def import_survey(office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """Answers for a cycle of the instansi whose survey window is open, with tokens never used before."""
    appraised = APPRAISED_1 if target.instansi_code == INSTANSI_A else APPRAISED_3
    cycle = await office.appraisals.shared(Need(appraised))
    unit = appraised.unit_code
    answers = "\n".join(f"{unit},SKM-{uuid.uuid4().hex[:10]},3,4,3,3,4,3,3,4,3," for _ in range(2))
    text = f"unit,token,u1,u2,u3,u4,u5,u6,u7,u8,u9,komentar\n{answers}\n"
    return Call(params=_instansi(target), files=_csv("survei.csv", text), data={"siklus": cycle.cycle_id})


async def start_cycle(office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """A new cycle of the instansi, its deadlines weeks away; an allowed start is followed until its enrolment ends
    (the appraisals it starts write in the background)."""
    cycle_id = office.appraisals.new_cycle_id("mulai")
    spec = calendar(datetime.now(UTC)).model_dump(mode="json", exclude_none=True)
    spec.pop("utc_offset_hours", None)

    async def enrolled() -> None:
        cycle = Target(target.instansi_code, cycle_id, cycle_workflow=True)
        await office.appraisals.follow(cycle)

    return Call(
        params=_instansi(target),
        json={"periode": PERIOD, "siklus": cycle_id, "kalender": spec},
        settle=enrolled,
        watch=(cycle_workflow_id(cycle_id),),
    )


# --- a cycle: its state, calibration, the supervision team's queue and bulk actions -----------------------------------


def _cycle(target: Target) -> dict[str, str]:
    return {"cycle_id": target.cycle_id}


async def decide(office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """Accept the stored proposal; an allowed decision is followed until the cycle has pushed it to its appraisals."""

    async def pushed() -> None:
        async def signing_off() -> bool:
            return (await office.appraisals.cycle_state(target)).phase is CyclePhase.SIGNING_OFF

        await until(signing_off, f"the calibration of {target.cycle_id} pushed")
        await office.appraisals.quiet(target.cycle_id)

    return Call(params=_cycle(target), json={"terima": True, "justifikasi": JUSTIFICATION}, settle=pushed)


async def bulk_extend(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    until_day = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    return Call(params=_cycle(target), json={"sampai": until_day, "alasan": REASON})


async def bulk_reassign(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """Every appraisal of the target's penilai in the cycle, to PENILAI_BARU."""
    return Call(
        params=_cycle(target), json={"dari": BY_NIP[target.nip].penilai_nip, "penilai": PENILAI_BARU, "alasan": REASON}
    )


async def bulk_follow_roster(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """The cycle's appraisals whose reviewers the roster no longer names: the target's, once `away_from_roster`."""
    return Call(params=_cycle(target), json={"alasan": REASON})


async def away_from_roster(office: WebOffice, target: Target) -> None:
    """The target appraisal reassigned by hand to PENILAI_BARU: the roster still names its enrolled penilai, so
    following the roster moves it back."""
    reassign = Reassign(
        actor=Actor(nip=PENGAWAS, role=Role.PENGAWASAN), penilai_nip=PENILAI_BARU, atasan_nip=None, reason=REASON
    )
    await office.appraisals.handle(target).execute_update(AppraisalWorkflow.reassign, reassign)
    await office.appraisals.quiet(target.cycle_id)


async def open_plan(office: WebOffice, target: Target) -> None:
    """A development plan of the target's employee, waiting on the penilai (the appraisal stays where it is)."""
    await office.appraisals.open_plan(target)


async def sent_plan(office: WebOffice, target: Target) -> None:
    """The same, sent by the penilai and waiting on the employee."""
    await office.appraisals.open_plan(target, sent=True)


async def open_periods(office: WebOffice, target: Target) -> None:
    """The target's periodic evaluation with its first period open for the employee's realisation."""
    await office.appraisals.open_periods(target)


async def realised_period(office: WebOffice, target: Target) -> None:
    """The same, its realisation recorded and the penilai's dialog due."""
    await office.appraisals.open_periods(target, realised=True)


async def held_period(office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    """The target's first period done, its dialog held (made once per target, before the call is watched): a read
    of its document."""
    await office.appraisals.held_periods(target)
    return Call(params={**_appraisal(target), "number": "1"})


def of_period(json: object) -> Builder:
    """A call about the target appraisal's first period, with a fixed body."""

    async def build(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
        return Call(params={**_appraisal(target), "number": "1"}, json=json)

    return build


PERIODS = APPRAISAL + "/periods"
PLAN = APPRAISAL + "/development-plan"
PLAN_SENT = {
    "bimbingan": "Bimbingan dua mingguan atas ketepatan waktu layanan",
    "kompetensi": "Manajemen waktu",
    "pelatihan": "Pelatihan pelayanan prima",
    "tanggal_target": (datetime.now(UTC) + timedelta(days=90)).date().isoformat(),
}

ROWS: dict[tuple[str, str], Row] = {
    # signing in, the person's own account, tasks and tokens
    ("POST", "/api/v1/auth/login"): Row(login),
    ("POST", "/api/v1/auth/logout"): Row(logout),
    ("GET", "/api/v1/me"): Row(nothing),
    ("GET", "/api/v1/me/tokens"): Row(nothing),
    ("POST", "/api/v1/me/tokens"): Row(new_token),
    ("DELETE", "/api/v1/me/tokens/{token_id}"): Row(revoke_token),
    ("POST", "/api/v1/auth/password"): Row(set_password),
    ("POST", "/api/v1/auth/password-reset"): Row(ask_reset),
    ("GET", "/api/v1/me/tasks"): Row(nothing),
    # one appraisal
    ("GET", APPRAISAL): Row(plain, at=Step.OBJECTION_WINDOW),
    ("GET", APPRAISAL + "/history"): Row(plain, at=Step.OBJECTION_WINDOW),
    ("GET", APPRAISAL + "/skp-draft"): Row(plain, at=Step.SKP_DRAFTING),
    ("PUT", APPRAISAL + "/skp-draft"): Row(skp_draft, at=Step.SKP_DRAFTING),
    # an upload changes the appraisal's evidence, not its step: the shared target stays fit for every other cell
    ("POST", APPRAISAL + "/evidence"): Row(evidence_file, at=Step.SELF_ASSESSMENT, keeps=True),
    ("DELETE", APPRAISAL + "/evidence/{sha256}"): Row(stored_evidence, at=Step.SELF_ASSESSMENT, keeps=True),
    ("GET", APPRAISAL + "/evaluation-document"): Row(plain, at=Step.OBJECTION_WINDOW),
    ("GET", APPRAISAL + "/feedback"): Row(plain, at=Step.SKP_DRAFTING),
    ("POST", APPRAISAL + "/feedback"): Row(feedback_note, at=Step.SKP_DRAFTING, keeps=True),
    # the development plan after the appraisal (tindak lanjut): its workflow started on the fresh target
    ("GET", PLAN): Row(plain, at=Step.SKP_DRAFTING),
    ("POST", PLAN + "/send"): Row(body(PLAN_SENT), at=Step.SKP_DRAFTING, prepare=open_plan),
    ("POST", PLAN + "/agree"): Row(body({}), at=Step.SKP_DRAFTING, prepare=sent_plan),
    ("POST", PLAN + "/change"): Row(body({"alasan": REASON}), at=Step.SKP_DRAFTING, prepare=sent_plan),
    ("POST", PLAN + "/reviewer"): Row(
        body({"penilai": PENILAI_BARU, "alasan": REASON}), at=Step.SKP_DRAFTING, prepare=open_plan
    ),
    # the periodic evaluation: its workflow started on the fresh target, its first period ended
    ("GET", PERIODS): Row(plain, at=Step.SKP_DRAFTING),
    ("GET", PERIODS + "/{number}/evaluation-document"): Row(held_period, at=Step.SKP_DRAFTING),
    ("POST", PERIODS + "/{number}/realisation"): Row(
        of_period({"realisasi": [{"indikator": "I1", "realisasi": "300"}]}), at=Step.SKP_DRAFTING, prepare=open_periods
    ),
    ("POST", PERIODS + "/{number}/dialog"): Row(
        of_period({"umpan_balik": "Capaian triwulan sesuai rencana"}), at=Step.SKP_DRAFTING, prepare=realised_period
    ),
    ("POST", STEP + "skp-submit"): Row(body({"alasan": REASON}), at=Step.SKP_DRAFTING, then=Step.SKP_APPROVAL),
    ("POST", STEP + "skp-approve"): Row(
        body({"catatan": "Sesuai rencana strategis"}), at=Step.SKP_APPROVAL, then=Step.SELF_ASSESSMENT
    ),
    ("POST", STEP + "skp-return"): Row(body({"catatan": REASON}), at=Step.SKP_APPROVAL, then=Step.SKP_DRAFTING),
    ("POST", STEP + "skp-change"): Row(skp_change, at=Step.SELF_ASSESSMENT, then=Step.SKP_CHANGE_APPROVAL),
    ("POST", STEP + "self-assessment"): Row(
        body({"realisasi": REALISASI, "alasan": REASON}), at=Step.SELF_ASSESSMENT, then=Step.SUPERVISOR_REVIEW
    ),
    ("POST", STEP + "review"): Row(
        body({"hasil_kerja": Expectation.MEETS.value, "perilaku": Expectation.MEETS.value}),
        at=Step.SUPERVISOR_REVIEW,
        then=Step.AWAITING_CALIBRATION,
    ),
    ("POST", STEP + "calibration"): Row(
        body({"predikat": Predicate.BAIK.value, "alasan": REASON}), at=Step.AWAITING_CALIBRATION, then=Step.SIGN_OFF
    ),
    ("POST", STEP + "sign"): Row(body({}), at=Step.SIGN_OFF, then=Step.OBJECTION_WINDOW),
    ("POST", STEP + "acknowledge"): Row(body({"alasan": REASON}), at=Step.OBJECTION_WINDOW, then=Step.FINAL),
    ("POST", STEP + "objection"): Row(body({"alasan": REASON}), at=Step.OBJECTION_WINDOW, then=Step.OBJECTION_REVIEW),
    ("POST", STEP + "objection-decision"): Row(
        body({"predikat": None, "alasan": REASON}), at=Step.OBJECTION_REVIEW, then=Step.FINAL
    ),
    ("POST", STEP + "deadline"): Row(extend, at=Step.SKP_DRAFTING, then=Step.SKP_DRAFTING),
    ("POST", STEP + "reviewer"): Row(
        body({"penilai": PENILAI_BARU, "alasan": REASON}), at=Step.SKP_DRAFTING, then=Step.SKP_DRAFTING
    ),
    ("POST", STEP + "withdrawal"): Row(
        body({"sebab": "mutasi", "tmt": TMT, "alasan": REASON}), at=Step.SKP_DRAFTING, then=Step.WITHDRAWN
    ),
    # an instansi
    ("GET", INSTANSI + "/roles"): Row(of_instansi),
    ("POST", INSTANSI + "/roles"): Row(grant_role),
    ("DELETE", INSTANSI + "/roles/{grant_id}"): Row(revoke_role),
    ("POST", INSTANSI + "/accounts"): Row(create_account),
    ("POST", INSTANSI + "/accounts/{nip}/reset-link"): Row(of_account),
    ("POST", INSTANSI + "/accounts/{nip}/disable"): Row(of_account),
    ("POST", INSTANSI + "/accounts/{nip}/enable"): Row(of_account),
    ("POST", INSTANSI + "/accounts/{nip}/unlock"): Row(of_account),
    ("GET", INSTANSI + "/policy"): Row(of_instansi),
    ("PUT", INSTANSI + "/policy"): Row(set_policy),
    ("POST", INSTANSI + "/imports/roster"): Row(import_roster),
    ("POST", INSTANSI + "/imports/iku"): Row(import_iku),
    ("POST", INSTANSI + "/imports/skp"): Row(import_skp),
    ("POST", INSTANSI + "/imports/survey"): Row(import_survey),
    ("POST", INSTANSI + "/cycles"): Row(start_cycle),
    # a cycle
    ("GET", CYCLE): Row(plain, calibrating=True),
    ("POST", CYCLE + "/calibration/proposal"): Row(
        body({"predikat_organisasi": OrgPredicate.ISTIMEWA.value}), calibrating=True, keeps=True
    ),
    ("POST", CYCLE + "/calibration/decision"): Row(decide, calibrating=True),
    # counted again on the instansi's working days now: recorded (an audit entry) whether or not a deadline moves
    ("POST", CYCLE + "/calendar"): Row(body({"alasan": "SKB cuti bersama baru"}), calibrating=True, keeps=True),
    ("GET", CYCLE + "/report"): Row(plain, calibrating=True),
    ("GET", CYCLE + "/development-plans"): Row(plain, at=Step.SKP_DRAFTING),
    ("GET", CYCLE + "/overdue"): Row(plain, at=Step.SKP_DRAFTING, overdue=True),
    ("POST", CYCLE + "/bulk/extend"): Row(bulk_extend, at=Step.SKP_DRAFTING, overdue=True, then=Step.SKP_DRAFTING),
    ("POST", CYCLE + "/bulk/reassign"): Row(bulk_reassign, at=Step.SKP_DRAFTING, then=Step.SKP_DRAFTING),
    ("POST", CYCLE + "/bulk/follow-roster"): Row(
        bulk_follow_roster, at=Step.SKP_DRAFTING, then=Step.SKP_DRAFTING, prepare=away_from_roster
    ),
}
