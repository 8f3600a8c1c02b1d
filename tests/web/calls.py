"""The request builders of the authorisation matrix: one row per route under /api/v1, keyed by method and path.

A route without a row fails the matrix (tests/web/test_matrix.py), so a new endpoint cannot be added without saying
here how it is called. A row builds a request that succeeds when the caller may make it: the body an allowed caller
would send, and for an appraisal step the step the appraisal must be at (`at`) and where the step takes it (`then`).
The same request is then sent by everyone else, who must be refused.

A builder gets the office, the caller (None: anonymous) and the target the cell is about; it may prepare what the
request spends (a one-time link, a token to revoke) before the matrix takes its snapshot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.ratings import Expectation
from domain.stages import Step
from identity import accounts
from tests.web.appraisals import REASON, Target, later_than
from tests.web.harness import Call, WebOffice
from tests.web.office import CADANGAN, PASSWORD, PEGAWAI_1, PENILAI_BARU, Persona

Builder = Callable[[WebOffice, Persona | None, Target], Awaitable[Call]]
APPRAISAL = "/api/v1/cycles/{cycle_id}/appraisals/{nip}"
STEP = APPRAISAL + "/steps/"


@dataclass(frozen=True)
class Row:
    build: Builder
    at: Step | None = None  # an appraisal route: the step the target is brought to before the call
    then: Step | None = None  # after an allowed step: where the appraisal is


def _appraisal(target: Target) -> dict[str, str]:
    return {"cycle_id": target.cycle_id, "nip": target.nip}


def body(json: object) -> Builder:
    """A call about the target appraisal with a fixed body."""

    async def build(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
        return Call(params=_appraisal(target), json=json)

    return build


async def plain(_office: WebOffice, _caller: Persona | None, target: Target) -> Call:
    return Call(params=_appraisal(target))


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

ROWS: dict[tuple[str, str], Row] = {
    ("POST", "/api/v1/auth/login"): Row(login),
    ("POST", "/api/v1/auth/logout"): Row(logout),
    ("GET", "/api/v1/me"): Row(nothing),
    ("GET", "/api/v1/me/tokens"): Row(nothing),
    ("POST", "/api/v1/me/tokens"): Row(new_token),
    ("DELETE", "/api/v1/me/tokens/{token_id}"): Row(revoke_token),
    ("POST", "/api/v1/auth/password"): Row(set_password),
    ("POST", "/api/v1/auth/password-reset"): Row(ask_reset),
    ("GET", "/api/v1/me/tasks"): Row(nothing),
    ("GET", APPRAISAL): Row(plain, at=Step.OBJECTION_WINDOW),
    ("GET", APPRAISAL + "/history"): Row(plain, at=Step.OBJECTION_WINDOW),
    ("POST", STEP + "skp-submit"): Row(body({"alasan": REASON}), at=Step.SKP_DRAFTING, then=Step.SKP_APPROVAL),
    ("POST", STEP + "skp-approve"): Row(
        body({"catatan": "Sesuai rencana strategis"}), at=Step.SKP_APPROVAL, then=Step.SELF_ASSESSMENT
    ),
    ("POST", STEP + "skp-return"): Row(body({"catatan": REASON}), at=Step.SKP_APPROVAL, then=Step.SKP_DRAFTING),
    ("POST", STEP + "self-assessment"): Row(
        body({"realisasi": REALISASI, "alasan": REASON}), at=Step.SELF_ASSESSMENT, then=Step.SUPERVISOR_REVIEW
    ),
    ("POST", STEP + "review"): Row(
        body({"hasil_kerja": Expectation.MEETS.value, "perilaku": Expectation.MEETS.value}),
        at=Step.SUPERVISOR_REVIEW,
        then=Step.AWAITING_CALIBRATION,
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
}
