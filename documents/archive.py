"""A cycle's evaluation documents as one ZIP archive (issue 20: for the tunjangan kinerja of a whole instansi), each
PDF under its unit's folder: `<unit>/dokumen-evaluasi-kinerja-<period>-<NIP>.pdf`.

A document takes ~0.15 s to draw here, so an instansi of 25,000 is about an hour of one core: the whole cycle is an
operator's job (`kinerja siklus dokumen`), written to a file one document at a time; the kepegawaian page hands out
one unit's archive at a time.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import BinaryIO

from documents import evaluation_pdf
from persistence.ports import AbstractUnitOfWork
from services import evaluation_document, steps
from workflows.contracts import appraisal_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]


def write(
    uow_factory: UowFactory,
    cycle_id: str,
    out: BinaryIO,
    *,
    now: datetime,
    unit_code: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the documents of the cycle (or of one unit) whose result is set into `out` as a ZIP; how many. For a
    caller who has checked who may have them."""
    nips = evaluation_document.issued(uow_factory, cycle_id, unit_code)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, nip in enumerate(nips, start=1):
            found = steps.parties(uow_factory, cycle_id, nip)
            if found is None:  # removed by an operator meanwhile
                continue
            parties, period = found
            document = evaluation_document.build(uow_factory, parties, period, now=now)
            unit = _unit_of(uow_factory, cycle_id, nip)
            archive.writestr(f"{unit}/{document.file_name}", evaluation_pdf.render(document))
            if progress is not None:
                progress(done, len(nips))
    return len(nips)


def _unit_of(uow_factory: UowFactory, cycle_id: str, nip: str) -> str:
    with uow_factory() as uow:
        item = uow.worklist.get(appraisal_workflow_id(cycle_id, nip))
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in item.unit_code) if item else "_"
