"""The later steps of one appraisal as pages, and what they share: sign-off and the objection
(`/penilaian/{cycle}/{nip}/penetapan`) here; the self-assessment (web.pages.realisation) and the review
(web.pages.review) in their own modules, on the helpers below.

- `penetapan`: the pejabat penilai signs the result (`sign`); in the 14 days after, the employee accepts it
  (`acknowledge`) or objects with a reason (`objection`), the days left shown; the atasan pejabat penilai decides the
  objection (`objection-decision`: a predicate, or none to let the result stand, with a reason). Each form is shown
  only to whoever may take its step now; the workflow's validator still has the last word.

Every step goes through services.steps.prepare_step and send_step, as the API's; a refusal comes back as the same
page with the message beside the field it names and what was typed kept. Someone who may not see the appraisal is
told it does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from domain.access import AppraisalParties, acting_role, roles_on
from domain.errors import DomainError
from domain.evidence import referenced
from domain.ratings import Predicate
from domain.stages import Role, Step
from persistence.evidence import EvidenceFile
from services import steps
from services.appraisal_view import STEP_PAGES, names_and_zone, people_in
from services.skp_edit import shown_number
from services.steps import TAKE_OVER
from web.deps import Caller, Svc
from web.pages.access import page, signed_in
from web.pages.deps import FormErrors, FormUser, PageUser, base_path, render
from web.pages.skp_form import text_values
from workflows.contracts import AppraisalState, AppraisalSummary

router = APIRouter()
PENETAPAN = "/penilaian/{cycle_id}/{nip}/penetapan"
PENETAPAN_PAGE = "pages/penetapan.html"
# Refusals that are not about what was typed: the error page says them (the person may not see or do this).
NOT_FORM = (401, 403, 404)
REFUSALS = (DomainError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError)
PREDICATES = [(p.value, p.label) for p in Predicate]


# --- what every step page loads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """One appraisal as a step page shows it: who is who, the workflow's state, this person's roles on it, names and
    the cycle's zone."""

    parties: AppraisalParties
    period: int
    state: AppraisalState
    roles: set[Role]
    names: dict[str, str]
    zone: int | None

    @property
    def base(self) -> str:
        return base_path(self.parties.cycle_id, self.parties.employee_nip)

    def acting(self, step: str) -> Role | None:
        """The role this person would take `step` in now (None: not theirs, or not at this step of the appraisal)."""
        kind = steps.STEP_BY_NAME[step]
        if self.state.step not in STEP_PAGES[step][1]:
            return None
        return acting_role(self.roles, kind.roles)

    def may(self, step: str) -> bool:
        return self.acting(step) is not None

    def on_behalf(self, step: str) -> bool:
        return self.acting(step) in TAKE_OVER

    def context(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "names": self.names,
            "zone": self.zone,
            "base": self.base,
            "number": shown_number,
            "key": uuid.uuid4().hex,  # a step sent twice from this page (a double click, a reload) is taken once
        }


async def load(svc: Svc, user: Caller, cycle_id: str, nip: str) -> Loaded:
    parties, period = await run_in_threadpool(steps.visible, svc.uow_factory, user.principal, cycle_id, nip)
    state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
    names, zone = await run_in_threadpool(names_and_zone, svc.uow_factory, cycle_id, people_in(state))
    return Loaded(parties, period, state, roles_on(user.principal, parties), names, zone)


async def take_step(
    svc: Svc, user: Caller, cycle_id: str, nip: str, name: str, body: Mapping[str, Any], key: str | None
) -> AppraisalSummary:
    """Validate the step's body as the API does, then prepare and send it (services.steps). Raises what refuses it:
    ValidationError for the body, a DomainError or the workflow's refusal."""
    kind = steps.STEP_BY_NAME[name]
    checked = kind.body.model_validate(dict(body))
    prepared = await run_in_threadpool(
        partial(
            steps.prepare_step,
            svc.uow_factory,
            user.principal,
            cycle_id=cycle_id,
            nip=nip,
            kind=kind,
            body=checked,
            idempotency_key=key or None,
        )
    )
    return await steps.send_step(await svc.temporal.client(), prepared)


def refused(error: Exception, shown: Iterable[str]) -> FormErrors:
    """A refused step as the form shows it (the fields named beside them); re-raised when it is not about the form
    (the person may not see or do this: the error page says so)."""
    if isinstance(error, ValidationError):
        errors = FormErrors()
        for location, message in validation_messages(error):
            name = str(location[0]) if location else ""
            if name in shown:
                errors.fields.setdefault(name, message)
            else:
                errors.general = f"{name}: {message}" if name else message
        return errors
    found = FormErrors.of(error, frozenset(shown))
    if found.status in NOT_FORM:
        raise error
    return found


def validation_messages(error: ValidationError) -> list[tuple[tuple[int | str, ...], str]]:
    """(where, message in Bahasa Indonesia) for each problem pydantic found, with its whole location (a list item's
    index included), in the words of importing.values.validation_messages."""
    found: list[tuple[tuple[int | str, ...], str]] = []
    for item in error.errors():
        context = item.get("ctx") or {}
        kind = item["type"]
        if kind == "missing":
            message = "wajib diisi"
        elif kind == "string_too_long":
            message = f"paling banyak {context.get('max_length')} karakter"
        elif kind == "string_too_short":
            message = "wajib diisi"
        elif kind == "string_pattern_mismatch":
            message = "format tidak sesuai"
        elif kind == "too_long":
            message = f"paling banyak {context.get('max_length')} butir"
        elif kind == "enum":
            message = "pilih salah satu pilihan yang tersedia"
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
        found.append((tuple(item["loc"]), message))
    return found


def evidence_context(files: Sequence[EvidenceFile]) -> dict[str, Any]:
    """What a page needs to show evidence lists: the appraisal's stored files by hash, and how to read a link."""
    return {
        "files": list(files),
        "files_by_sha": {f.sha256: f for f in files},
        "referenced": referenced,
        "ukuran": size,
    }


def size(count: int) -> str:
    """A file's size as people read it: 820 KB, 1,4 MB."""
    if count < 1024 * 1024:
        return f"{max(1, round(count / 1024))} KB"
    return f"{count / (1024 * 1024):.1f}".replace(".", ",").removesuffix(",0") + " MB"


# --- penetapan: sign-off, acknowledgement, objection, the atasan's decision ------------------------------------------

# The form of each step: its path after /penetapan, its text fields, and what a refusal may name beside them.
PENETAPAN_STEPS = {
    "sign": ("tetapkan", ("catatan",)),
    "acknowledge": ("terima", ("alasan",)),
    "objection": ("keberatan", ("alasan",)),
    "objection-decision": ("putuskan", ("predikat", "alasan")),
}


@router.get(PENETAPAN, response_class=HTMLResponse, **page(signed_in()))
async def penetapan(request: Request, user: PageUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    found = await load(svc, user, cycle_id, nip)
    return _penetapan(request, user, found)


async def _penetapan_step(request: Request, user: Caller, svc: Svc, cycle_id: str, nip: str, name: str) -> Response:
    form = text_values(await request.form())
    _path, fields = PENETAPAN_STEPS[name]
    body: dict[str, Any] = {field: form.get(field, "") for field in fields}
    if "alasan" in body and name == "acknowledge":
        body["alasan"] = body["alasan"] or None  # only a take-over gives (and needs) a reason
    if "predikat" in body:
        body["predikat"] = body["predikat"] or None  # none chosen: the objection is refused, the result stands
    try:
        await take_step(svc, user, cycle_id, nip, name, body, form.get("kunci"))
    except (ValidationError, *REFUSALS) as error:
        errors = refused(error, fields)
        found = await load(svc, user, cycle_id, nip)
        return _penetapan(request, user, found, step_form=form, step_errors=errors, refused_step=name)
    return RedirectResponse(f"{base_path(cycle_id, nip)}/penetapan?pesan=terkirim", status_code=303)


@router.post(PENETAPAN + "/tetapkan", response_class=HTMLResponse, **page(signed_in()))
async def sign(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    return await _penetapan_step(request, user, svc, cycle_id, nip, "sign")


@router.post(PENETAPAN + "/terima", response_class=HTMLResponse, **page(signed_in()))
async def acknowledge(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    return await _penetapan_step(request, user, svc, cycle_id, nip, "acknowledge")


@router.post(PENETAPAN + "/keberatan", response_class=HTMLResponse, **page(signed_in()))
async def object_to(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    return await _penetapan_step(request, user, svc, cycle_id, nip, "objection")


@router.post(PENETAPAN + "/putuskan", response_class=HTMLResponse, **page(signed_in()))
async def decide(request: Request, user: FormUser, svc: Svc, cycle_id: str, nip: str) -> Response:
    return await _penetapan_step(request, user, svc, cycle_id, nip, "objection-decision")


def _penetapan(
    request: Request,
    user: Caller,
    found: Loaded,
    *,
    step_form: dict[str, str] | None = None,
    step_errors: FormErrors | None = None,
    refused_step: str = "",
) -> HTMLResponse:
    state = found.state
    context = {
        **found.context(),
        "may": {name: found.may(name) for name in PENETAPAN_STEPS},
        "on_behalf": {name: found.on_behalf(name) for name in PENETAPAN_STEPS},
        "paths": {name: path for name, (path, _fields) in PENETAPAN_STEPS.items()},
        "review": state.review,
        "objection": state.objection,
        "window_open": state.step is Step.OBJECTION_WINDOW,
        "predicates": PREDICATES,
        "step_form": step_form or {},
        "step_errors": step_errors or FormErrors(),
        "refused_step": refused_step,
    }
    status = step_errors.status if step_errors else 200
    return render(request, PENETAPAN_PAGE, context, user=user, status=status)
