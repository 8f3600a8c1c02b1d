"""The worklist found by the atasan pejabat penilai, as by the penilai: Beranda lists the overdue steps whose
escalation has reached a person as the superior of whoever must act (persistence.repositories.worklist
`escalated_to_superior`), among 100,000 entries.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_worklist_atasan", "worklist", ["atasan_nip", "cycle_id"])


def downgrade() -> None:
    op.drop_index("ix_worklist_atasan", table_name="worklist")
