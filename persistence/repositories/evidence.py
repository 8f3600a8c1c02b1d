"""Evidence files (migration 0009): one row per file per appraisal, its bytes beside its SHA-256."""

from __future__ import annotations

import builtins

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from domain.evidence import EvidenceType
from persistence.evidence import EvidenceFile
from persistence.orm import EvidenceFileRow

# Everything but the bytes: a listing never reads a file.
_DESCRIBED = (
    EvidenceFileRow.id,
    EvidenceFileRow.cycle_id,
    EvidenceFileRow.employee_nip,
    EvidenceFileRow.instansi_code,
    EvidenceFileRow.sha256,
    EvidenceFileRow.name,
    EvidenceFileRow.media_type,
    EvidenceFileRow.size_bytes,
    EvidenceFileRow.uploaded_by,
    EvidenceFileRow.uploaded_at,
)


def _record(row: tuple[object, ...]) -> EvidenceFile:
    id, cycle_id, nip, instansi, sha256, name, media_type, size, by, at = row
    return EvidenceFile.model_validate(
        {
            "id": id,
            "cycle_id": cycle_id,
            "employee_nip": nip,
            "instansi_code": instansi,
            "sha256": sha256,
            "name": name,
            "media_type": EvidenceType(str(media_type)),
            "size": size,
            "uploaded_by": by,
            "uploaded_at": at,
        }
    )


class SqlEvidenceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, file: EvidenceFile, content: bytes) -> EvidenceFile:
        """Store a file (the caller checked it is not stored yet: the same bytes twice in one appraisal are refused by
        the unique constraint)."""
        row = EvidenceFileRow(
            cycle_id=file.cycle_id,
            employee_nip=file.employee_nip,
            instansi_code=file.instansi_code,
            sha256=file.sha256,
            name=file.name,
            media_type=file.media_type.value,
            size_bytes=file.size,
            content=content,
            uploaded_by=file.uploaded_by,
            uploaded_at=file.uploaded_at,
        )
        self._session.add(row)
        self._session.flush()
        return file.model_copy(update={"id": row.id})

    def get(self, cycle_id: str, employee_nip: str, sha256: str) -> EvidenceFile | None:
        found = self._session.execute(select(*_DESCRIBED).where(*_one(cycle_id, employee_nip, sha256))).first()
        return _record(tuple(found)) if found is not None else None

    def content(self, cycle_id: str, employee_nip: str, sha256: str) -> bytes | None:
        found = self._session.execute(
            select(EvidenceFileRow.content).where(*_one(cycle_id, employee_nip, sha256))
        ).scalar_one_or_none()
        return bytes(found) if found is not None else None

    def list(self, cycle_id: str, employee_nip: str) -> builtins.list[EvidenceFile]:
        rows = self._session.execute(
            select(*_DESCRIBED)
            .where(EvidenceFileRow.cycle_id == cycle_id, EvidenceFileRow.employee_nip == employee_nip)
            .order_by(EvidenceFileRow.id)
        )
        return [_record(tuple(row)) for row in rows]

    def usage(self, cycle_id: str, employee_nip: str) -> tuple[int, int]:
        """How many files the appraisal stores, and their bytes together."""
        count, total = self._session.execute(
            select(func.count(), func.coalesce(func.sum(EvidenceFileRow.size_bytes), 0)).where(
                EvidenceFileRow.cycle_id == cycle_id, EvidenceFileRow.employee_nip == employee_nip
            )
        ).one()
        return int(count), int(total)

    def remove(self, cycle_id: str, employee_nip: str, sha256: str) -> bool:
        """Delete a stored file and its bytes; False when there was none."""
        removed = self._session.execute(delete(EvidenceFileRow).where(*_one(cycle_id, employee_nip, sha256)))
        return bool(removed.rowcount)  # type: ignore[attr-defined]


def _one(cycle_id: str, employee_nip: str, sha256: str) -> tuple[ColumnElement[bool], ...]:
    return (
        EvidenceFileRow.cycle_id == cycle_id,
        EvidenceFileRow.employee_nip == employee_nip,
        EvidenceFileRow.sha256 == sha256,
    )
