"""The citizens' survey form of one unit (`/s/{code}`): what the page shows, and an answer stored where
`kinerja impor survei` stores answers (PermenPANRB 14/2017).

An answer counts only inside the cycle's survey window and before the IKM is computed at its close: the submission
holds the instansi as the computation and an import do (services.imports.import_survey,
services.cycles.survey_by_unit), so it is either in the index or refused, never stored beside an index that left it
out. Where the unit hands out tokens, each token allows one answer; elsewhere an answer is counted against the
address it came from (as a keyed hash, in the database, so every web process applies one limit) and against the
browser (a signed counter the page keeps in a cookie).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

from domain.calendar import WIB, ZONE_NAMES
from domain.errors import DomainError, NotFound
from domain.survey_form import TOKEN_RULE, FormAnswers, normal_code, normal_token
from domain.survey_window import SurveyPhase, SurveyWindow
from persistence.ports import AbstractUnitOfWork, SurveyResponseRecord
from persistence.survey_form import FormTarget, TokenSpent

UowFactory = Callable[[], AbstractUnitOfWork]
SOURCE = "form"  # survey_responses.source of an answer given on the form ("csv", "xlsx": imported)
LIMIT_WINDOW = timedelta(hours=1)
KEEP_COUNTS = timedelta(days=2)  # counts of windows older than this are cleared
LIMIT_RULE = "batas jawaban per alamat jaringan dan per perangkat untuk unit tanpa token survei"


class FormStatus(StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"  # the window has closed, or the index has been computed


@dataclass(frozen=True)
class FormView:
    """What the page of an address shows."""

    code: str
    instansi_code: str
    instansi_name: str
    unit_code: str
    unit_name: str
    cycle_id: str
    period: int
    opens: datetime
    closes: datetime
    utc_offset_hours: int | None
    status: FormStatus
    uses_tokens: bool
    computed: bool

    @property
    def results_path(self) -> str:
        return results_path(self.instansi_code, self.cycle_id)


def results_path(instansi_code: str, cycle_id: str) -> str:
    return f"/survei/hasil/{instansi_code}/{cycle_id}"


class SurveyClosed(DomainError):
    """The window is not open (yet, or any more): the page says when it opens, or that it has closed."""

    def __init__(self, view: FormView) -> None:
        self.view = view
        said = "belum dibuka" if view.status is FormStatus.NOT_OPEN else "sudah ditutup"
        super().__init__(f"survei unit {view.unit_name} {said}", field="survei")


class LimitReached(DomainError):
    """Too many answers from one address or one browser: answered 429, in words that say what to do."""


@dataclass(frozen=True)
class Submission:
    code: str
    answers: FormAnswers
    token: str | None  # as typed on the form (units that hand out tokens)
    address_key: str  # a keyed hash of the address the answer came from, never the address
    device_answers: int  # answers this browser gave today, by its signed counter
    per_address_per_hour: int
    per_device_per_day: int


@dataclass(frozen=True)
class Accepted:
    view: FormView
    counted_on_device: bool  # the browser's counter goes up (a unit without tokens)


def form_view(uow_factory: UowFactory, code: str, *, now: datetime) -> FormView:
    """The page of the address `code` (any case), or NotFound."""
    with uow_factory() as uow:
        return _view(_target(uow, code), now)


def submit(uow_factory: UowFactory, submission: Submission, *, now: datetime) -> Accepted:
    """Store the answer, or refuse it: SurveyClosed outside the window, DomainError on the token (field `token`),
    LimitReached past a limit. Nothing is stored unless everything holds."""
    with uow_factory() as uow:
        target = _target(uow, submission.code)
        view = _view(target, now)
        if view.status is not FormStatus.OPEN:
            raise SurveyClosed(view)
        token_hash = _token_hash(submission.token) if target.uses_tokens else None
        if token_hash is None and submission.device_answers >= submission.per_device_per_day:
            raise LimitReached(
                f"Perangkat ini sudah mengirim {submission.device_answers} jawaban hari ini, batas untuk satu"
                " perangkat. Bila Anda mengisi untuk layanan lain, coba lagi besok, atau minta token survei kepada"
                " petugas.",
                field="perangkat",
                rule=LIMIT_RULE,
            )
        uow.survey_form.hold(target.link.instansi_code)
        if uow.survey_form.computed_at(target.link.cycle_id) is not None:  # computed while we waited for it
            raise SurveyClosed(_view(target, now, computed=True))
        if token_hash is not None:
            _spend(uow, target, token_hash, now)
            respondent = f"web-{token_hash}"
        else:
            _count(uow, target, submission, now)
            respondent = f"web-{uuid.uuid4().hex}"
        link = target.link
        uow.survey_form.add_answer(
            SurveyResponseRecord(
                instansi_code=link.instansi_code,
                period=link.period,
                unit_code=link.unit_code,
                respondent_token=respondent,
                answers=submission.answers.scores,
                comment=submission.answers.comment,
                source=SOURCE,
                submitted_at=now,
            ),
            submission.answers.profile,
        )
        uow.commit()
    return Accepted(view=view, counted_on_device=token_hash is None)


def _target(uow: AbstractUnitOfWork, code: str) -> FormTarget:
    normal = normal_code(code)
    target = uow.survey_form.target(normal) if normal is not None else None
    if target is None:
        raise NotFound(
            "alamat survei ini tidak dikenal; periksa lagi alamat pada poster di loket layanan", field="alamat"
        )
    return target


def _view(target: FormTarget, now: datetime, *, computed: bool = False) -> FormView:
    computed = computed or target.computed_at is not None
    phase = SurveyWindow(target.opens, target.closes).phase(now)
    status = {
        SurveyPhase.NOT_OPEN: FormStatus.NOT_OPEN,
        SurveyPhase.OPEN: FormStatus.OPEN,
        SurveyPhase.CLOSED: FormStatus.CLOSED,
    }[phase]
    if computed:
        status = FormStatus.CLOSED
    link = target.link
    return FormView(
        code=link.code,
        instansi_code=link.instansi_code,
        instansi_name=target.instansi_name,
        unit_code=link.unit_code,
        unit_name=target.unit_name,
        cycle_id=link.cycle_id,
        period=link.period,
        opens=target.opens,
        closes=target.closes,
        utc_offset_hours=target.utc_offset_hours,
        status=status,
        uses_tokens=target.uses_tokens,
        computed=computed,
    )


def token_hash(normal: str) -> str:
    """How a token is stored: the SHA-256 of its normal form (it is random and long; services.survey_links)."""
    return hashlib.sha256(normal.encode("ascii")).hexdigest()


def _token_hash(typed: str | None) -> str:
    return token_hash(normal_token(typed or ""))


def _spend(uow: AbstractUnitOfWork, target: FormTarget, hashed: str, now: datetime) -> None:
    spent = uow.survey_form.spend_token(target.link.code, hashed, now)
    if spent is TokenSpent.USED:
        raise DomainError(
            "Token ini sudah dipakai untuk mengisi survei; satu token hanya untuk satu jawaban.",
            field="token",
            rule=TOKEN_RULE,
        )
    if spent is TokenSpent.UNKNOWN:
        raise DomainError(
            f"Token ini tidak dikenal untuk {target.unit_name}; periksa lagi yang tercetak pada bukti layanan Anda.",
            field="token",
            rule=TOKEN_RULE,
        )


def _count(uow: AbstractUnitOfWork, target: FormTarget, submission: Submission, now: datetime) -> None:
    window = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hits = uow.survey_form.hit(submission.address_key, window, prune_before=now - KEEP_COUNTS)
    if hits > submission.per_address_per_hour:
        hours = target.utc_offset_hours or WIB
        again = (window + LIMIT_WINDOW).astimezone(timezone(timedelta(hours=hours)))
        raise LimitReached(
            f"Sudah ada {submission.per_address_per_hour} jawaban dari jaringan ini dalam jam ini, batas untuk satu"
            f" alamat. Coba lagi sesudah pukul {again:%H.%M} {ZONE_NAMES.get(hours, 'WIB')}, atau minta token"
            " survei kepada petugas.",
            field="alamat",
            rule=LIMIT_RULE,
        )
