"""Evidence files: what an employee uploads as evidence of a self-assessment, kept with the SHA-256 of its bytes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10

Until now a realisation's evidence was a list of links to elsewhere (a shared drive). The self-assessment page takes
files too (PDF, JPG, PNG, checked by their content and bounded in size: domain.evidence, services.evidence), and they
are kept here, one row per file per appraisal: the bytes, their SHA-256, the name it was uploaded with, its type as
read from its content, who uploaded it and when. A realisation names a stored file as `kinerja://bukti/<sha256>`, so
the workflow's history carries the reference, never the file; the same bytes are stored once per appraisal.

No foreign keys, as the worklist (0006): the appraisal is the workflow's, and a file outlives a roster change. A
downgrade drops the table and the files with it; realisations that named them keep their references.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
CODE = sa.String(32)
NIP = sa.String(18)
HASH = sa.String(64)  # SHA-256, hex


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cycle_id", sa.String(64), nullable=False),
        sa.Column("employee_nip", NIP, nullable=False),
        sa.Column("instansi_code", CODE, nullable=False),
        sa.Column("sha256", HASH, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("uploaded_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
        # One appraisal's files, and each of them once: the listing and the lookup by hash use it.
        sa.UniqueConstraint(
            "cycle_id", "employee_nip", "sha256", name=op.f("uq_evidence_files_cycle_id_employee_nip_sha256")
        ),
    )


def downgrade() -> None:
    op.drop_table("evidence_files")
