"""One appraisal: read it, and take its human steps as the signed-in person.

Every step is `POST /cycles/{cycle_id}/appraisals/{nip}/steps/{step}` with the step's body; the actor is whoever is
signed in, in the role they hold on this appraisal (services.steps). Send an `Idempotency-Key` header to make a retry
safe: the same key is the same Update, answered with the first result and recorded once.

Evidence files of the self-assessment (PDF, JPG, PNG, by content, bounded) are uploaded first, `POST .../evidence`
(multipart field `berkas`), and named in a realisation's `bukti` by the reference the upload answers with
(`kinerja://bukti/<sha256>`): the step carries the reference, never the file (services.evidence).

Continuous feedback through the year (`GET|POST .../feedback`): the pejabat penilai's dated notes and the employee's
answers; not steps of the workflow (services.feedback).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Path, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from domain.bounds import MAX_EVIDENCE_FILE_BYTES, MAX_FEEDBACK_CHARS, Reason
from domain.feedback import FeedbackNote
from domain.stages import Role
from services import evidence, feedback, skp_drafts, steps
from services.skp_edit import SkpDraft, draft_of
from services.steps import STEPS, StepKind
from web.access import Rule
from web.deps import CurrentPrincipal, Svc, guard
from web.downloads import evaluation_pdf_response
from workflows.contracts import AppraisalState, AppraisalSummary, TimelineEvent

router = APIRouter(prefix="/cycles/{cycle_id}/appraisals/{nip}", tags=["penilaian"])
READERS = (
    Role.PEGAWAI,
    Role.PENILAI,
    Role.ATASAN_PENILAI,
    Role.PIMPINAN,
    Role.PENGAWASAN,
    Role.PENGELOLA_KINERJA,
    Role.OPERATOR,
)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=steps.MAX_IDEMPOTENCY_KEY,
        description="kunci dari pengirim: kirim ulang dengan kunci yang sama bila jawaban tidak sampai",
    ),
]


@router.get("", summary="Keadaan penilaian", **guard(Rule("appraisal", READERS)))
async def appraisal(cycle_id: str, nip: str, principal: CurrentPrincipal, svc: Svc) -> AppraisalState:
    await run_in_threadpool(steps.visible, svc.uow_factory, principal, cycle_id, nip)
    return await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)


@router.get("/history", summary="Riwayat langkah", **guard(Rule("appraisal", READERS)))
async def history(cycle_id: str, nip: str, principal: CurrentPrincipal, svc: Svc) -> list[TimelineEvent]:
    await run_in_threadpool(steps.visible, svc.uow_factory, principal, cycle_id, nip)
    state = await steps.appraisal_state(await svc.temporal.client(), cycle_id, nip)
    return state.timeline


class SkpDraftState(BaseModel):
    """The stored SKP draft as the SKP page edits it (numbers as typed: 85,5), its version, and whether this person
    may change it now (the employee, or a take-over role with a reason, while the appraisal is at SKP drafting)."""

    versi: int | None
    status: str | None
    dapat_diubah: bool
    atas_nama: bool  # the person would edit on the employee's behalf (a reason is then required)
    draf: SkpDraft


class SkpDraftChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    draf: SkpDraft
    versi: int | None = Field(default=None, ge=0, description="versi yang dibaca; kosong bila belum ada draf")
    alasan: Reason | None = Field(default=None, description="wajib bila diubah atas nama pegawai")


class SkpDraftSaved(BaseModel):
    versi: int


@router.get("/skp-draft", summary="Draf SKP", **guard(Rule("appraisal", READERS)))
async def skp_draft(cycle_id: str, nip: str, principal: CurrentPrincipal, svc: Svc) -> SkpDraftState:
    view = await run_in_threadpool(skp_drafts.draft_view, svc.uow_factory, principal, cycle_id, nip)
    return SkpDraftState(
        versi=view.record.version if view.record is not None else None,
        status=view.record.status if view.record is not None else None,
        dapat_diubah=view.editable,
        atas_nama=view.on_behalf,
        draf=draft_of(view.record.skp) if view.record is not None else SkpDraft(),
    )


@router.put(
    "/skp-draft",
    summary="Ubah draf SKP (juga setelah dikembalikan penilai)",
    **guard(Rule("appraisal", skp_drafts.EDITORS, acts=True)),
)
async def change_skp_draft(
    cycle_id: str, nip: str, body: SkpDraftChange, principal: CurrentPrincipal, svc: Svc
) -> SkpDraftSaved:
    saved = await run_in_threadpool(
        partial(
            skp_drafts.save_draft,
            svc.uow_factory,
            principal,
            cycle_id,
            nip,
            body.draf.compact(),
            version=body.versi,
            reason=body.alasan,
            now=svc.clock(),
        )
    )
    return SkpDraftSaved(versi=saved)


class EvidenceStored(BaseModel):
    """A stored evidence file: name it in a realisation's `bukti` by its reference."""

    bukti: str = Field(description="rujukan untuk daftar bukti realisasi: kinerja://bukti/<sha256>")
    sha256: str
    nama: str
    jenis: str = Field(description="jenis menurut isinya: application/pdf, image/jpeg atau image/png")
    ukuran: int = Field(description="byte")
    baru: bool = Field(description="false: berkas yang sama sudah tersimpan, tidak ada yang ditulis")


EvidenceUpload = Annotated[
    UploadFile, File(description="berkas PDF, JPG atau PNG (jenis dibaca dari isinya), paling besar 4 MB")
]


@router.get(
    "/evaluation-document",
    summary="Dokumen evaluasi kinerja pegawai (PDF), setelah hasil penilaian ditetapkan",
    response_class=Response,
    **guard(Rule("appraisal", READERS), {200: {"content": {"application/pdf": {}}, "description": "berkas PDF"}}),
)
async def evaluation_document(cycle_id: str, nip: str, principal: CurrentPrincipal, svc: Svc) -> Response:
    return await evaluation_pdf_response(svc, principal, cycle_id, nip)


@router.post(
    "/evidence",
    summary="Unggah berkas bukti realisasi (pada tahap penilaian diri)",
    status_code=201,
    **guard(Rule("appraisal", evidence.UPLOADERS, acts=True)),
)
async def upload_evidence(
    cycle_id: str, nip: str, berkas: EvidenceUpload, principal: CurrentPrincipal, svc: Svc
) -> EvidenceStored:
    data = await berkas.read(MAX_EVIDENCE_FILE_BYTES + 1)
    stored = await run_in_threadpool(
        partial(
            evidence.upload,
            svc.uow_factory,
            principal,
            cycle_id,
            nip,
            data,
            berkas.filename or "bukti",
            now=svc.clock(),
        )
    )
    file = stored.file
    return EvidenceStored(
        bukti=stored.reference,
        sha256=file.sha256,
        nama=file.name,
        jenis=file.media_type.value,
        ukuran=file.size,
        baru=stored.new,
    )


@router.delete(
    "/evidence/{sha256}",
    summary="Hapus berkas bukti yang belum dikirim (pada tahap penilaian diri)",
    status_code=204,
    **guard(Rule("appraisal", evidence.UPLOADERS, acts=True)),
)
async def remove_evidence(
    cycle_id: str,
    nip: str,
    sha256: Annotated[str, Path(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")],
    principal: CurrentPrincipal,
    svc: Svc,
) -> None:
    await run_in_threadpool(
        partial(evidence.remove, svc.uow_factory, principal, cycle_id, nip, sha256, now=svc.clock())
    )


# An Update's answer is kept in Temporal's history with every step, so it says only what the step changed.
STEP_ANSWER = (
    "Langkah tercatat: tahap penilaian sekarang, siapa yang menunggu, batas waktu, predikat, dan langkah yang baru"
    " dicatat (timeline). Keadaan lengkap (SKP, realisasi, penilaian): GET penilaian"
)


def _route(kind: StepKind) -> None:
    async def take(
        cycle_id: str,
        nip: str,
        body: Any,
        principal: CurrentPrincipal,
        svc: Svc,
        idempotency_key: IdempotencyKey = None,
    ) -> AppraisalSummary:
        prepared = await run_in_threadpool(
            partial(
                steps.prepare_step,
                svc.uow_factory,
                principal,
                cycle_id=cycle_id,
                nip=nip,
                kind=kind,
                body=body,
                idempotency_key=idempotency_key,
            )
        )
        return await steps.send_step(await svc.temporal.client(), prepared)

    take.__name__ = f"step_{kind.name.replace('-', '_')}"
    # This module's annotations are strings (PEP 563): give FastAPI the step's own body model to parse and document.
    take.__annotations__["body"] = kind.body
    router.post(
        f"/steps/{kind.name}",
        summary=kind.summary,
        response_description=STEP_ANSWER,
        name=take.__name__,
        **guard(Rule("appraisal", kind.roles, acts=True)),
    )(take)


for _kind in STEPS:
    _route(_kind)


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    teks: str = Field(min_length=1, max_length=MAX_FEEDBACK_CHARS, description="isi umpan balik atau jawabannya")
    menjawab: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="nomor catatan yang dijawab (wajib bagi pegawai)"
    )


class FeedbackShown(BaseModel):
    id: int
    penulis: str = Field(description="NIP penulis")
    sebagai: str = Field(description="penilai atau pegawai")
    teks: str
    menjawab: int | None
    ditulis: datetime


def _shown(note: FeedbackNote) -> FeedbackShown:
    return FeedbackShown(
        id=note.id or 0,
        penulis=note.author_nip,
        sebagai=note.writer,
        teks=note.text,
        menjawab=note.answers,
        ditulis=note.written_at,
    )


@router.get("/feedback", summary="Umpan balik berkelanjutan", **guard(Rule("appraisal", READERS)))
async def feedback_notes(cycle_id: str, nip: str, principal: CurrentPrincipal, svc: Svc) -> list[FeedbackShown]:
    found = await run_in_threadpool(feedback.notes, svc.uow_factory, principal, cycle_id, nip)
    return [_shown(note) for note in found]


@router.post(
    "/feedback",
    summary="Tulis umpan balik (pejabat penilai) atau jawabannya (pegawai), selama penilaian berjalan",
    status_code=201,
    **guard(Rule("appraisal", tuple(feedback.WRITERS), acts=True)),
)
async def write_feedback(
    cycle_id: str, nip: str, body: FeedbackBody, principal: CurrentPrincipal, svc: Svc
) -> FeedbackShown:
    note = await run_in_threadpool(
        partial(feedback.write, svc.uow_factory, principal, cycle_id, nip, body.teks, body.menjawab, now=svc.clock())
    )
    return _shown(note)
