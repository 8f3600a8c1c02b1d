"""A cycle's evaluation documents as one ZIP archive (issue 20: for the tunjangan kinerja of a whole instansi), each
PDF under its unit's folder: `<unit>/dokumen-evaluasi-kinerja-<period>-<NIP>.pdf`.

A document takes ~0.15 s to draw here, so an instansi of 25,000 is about an hour of one core: the whole cycle is an
operator's job (`kinerja siklus dokumen`), written to a file one document at a time; the kepegawaian page hands out
one unit's archive at a time, up to `limit` documents. A document that cannot be made (its appraisal removed or
moved back meanwhile) is listed with the reason in GAGAL.txt, and the others are written.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from documents import evaluation_pdf
from domain.errors import DomainError
from persistence.ports import AbstractUnitOfWork
from services import evaluation_document, steps

UowFactory = Callable[[], AbstractUnitOfWork]
FAILED = "GAGAL.txt"


@dataclass(frozen=True)
class Written:
    documents: int
    failed: int


def write(
    uow_factory: UowFactory,
    cycle_id: str,
    out: BinaryIO,
    *,
    now: datetime,
    unit_code: str | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Written:
    """Write the documents of the cycle (or of one unit) whose result is set into `out` as a ZIP. For a caller who
    has checked who may have them. NotFound for an unknown unit; DomainError past `limit` documents."""
    nips = evaluation_document.issued(uow_factory, cycle_id, unit_code)
    if limit is not None and len(nips) > limit:
        raise DomainError(
            f"unit ini punya {len(nips)} dokumen evaluasi, lebih dari {limit} yang dibuat di sini; seluruhnya dibuat"
            " dengan perintah `kinerja siklus dokumen --siklus ... --unit ...` di server",
            field="unit",
        )
    written, failed = 0, []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, nip in enumerate(nips, start=1):
            try:
                found = steps.parties(uow_factory, cycle_id, nip)
                if found is None:
                    raise DomainError("penilaian tidak ditemukan lagi", field="penilaian")
                document = evaluation_document.build(uow_factory, *found, now=now)
                content = evaluation_pdf.render(document)
            except DomainError as error:
                failed.append(f"{nip}: {error}")
            else:
                archive.writestr(f"{folder(document.unit_code)}/{document.file_name}", content)
                written += 1
            if progress is not None:
                progress(done, len(nips))
        if failed:
            archive.writestr(FAILED, "Dokumen yang tidak dapat dibuat:\n" + "\n".join(failed) + "\n")
    return Written(documents=written, failed=len(failed))


def folder(unit_code: str) -> str:
    """A unit code as a folder of the archive: letters, digits, '-' and '_' (no dots, no slashes: never outside)."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in unit_code) or "_"
