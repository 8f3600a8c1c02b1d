"""What evidence storage keeps and the repository protocol the evidence service asks of it (no SQLAlchemy here):
files uploaded as evidence of a self-assessment, per appraisal, with the SHA-256 of their bytes (domain.evidence)."""

from __future__ import annotations

import builtins
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.evidence import EvidenceType


class EvidenceFile(BaseModel):
    """A stored evidence file, without its bytes (`EvidenceRepository.content` reads them)."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    cycle_id: str = Field(min_length=1, max_length=64)
    employee_nip: str = Field(pattern=r"^\d{18}$")
    instansi_code: str = Field(min_length=1, max_length=32)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    name: str = Field(min_length=1, max_length=200)
    media_type: EvidenceType
    size: int = Field(gt=0)
    uploaded_by: str = Field(min_length=1, max_length=64)
    uploaded_at: AwareDatetime


class EvidenceRepository(Protocol):
    def add(self, file: EvidenceFile, content: bytes) -> EvidenceFile: ...
    def get(self, cycle_id: str, employee_nip: str, sha256: str) -> EvidenceFile | None: ...
    def content(self, cycle_id: str, employee_nip: str, sha256: str) -> bytes | None: ...
    def list(self, cycle_id: str, employee_nip: str) -> builtins.list[EvidenceFile]: ...
    def usage(self, cycle_id: str, employee_nip: str) -> tuple[int, int]: ...
    def remove(self, cycle_id: str, employee_nip: str, sha256: str) -> bool: ...
