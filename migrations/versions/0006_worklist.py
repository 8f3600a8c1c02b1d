"""The worklist: where each appraisal stands, for the task lists, the supervision queue and the closing report.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Until now `kinerja tugas`, `kinerja terlambat`, the bulk actions and the report's "still open" and "overdue now"
counts asked Temporal visibility, and every step upserted six search attributes to keep it current: an extra command
and history event per step, visibility writes the server's store must keep up with at a province, and lists that are
only eventually consistent on a cluster. The step's own transaction now writes this table (domain.worklist,
persistence.repositories.worklist). Appraisals already running fill it as they take their next step; until then
`kinerja sinkron-worklist` copies their current search attributes into it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
CODE = sa.String(32)
NIP = sa.String(18)


def upgrade() -> None:
    op.create_table(
        "worklist",
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("cycle_id", sa.String(64), nullable=False),
        sa.Column("instansi_code", CODE, nullable=False),
        sa.Column("unit_code", CODE, nullable=False),
        sa.Column("employee_nip", NIP, nullable=False),
        sa.Column("penilai_nip", NIP, nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("assignee", NIP, nullable=True),
        sa.Column("deadline", TIMESTAMP, nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("workflow_id", name=op.f("pk_worklist")),
    )
    op.create_index("ix_worklist_assignee", "worklist", ["assignee", "cycle_id"])
    op.create_index("ix_worklist_cycle_overdue", "worklist", ["cycle_id", "overdue", "deadline"])
    op.create_index("ix_worklist_instansi_overdue", "worklist", ["instansi_code", "overdue", "deadline"])
    op.create_index("ix_worklist_penilai", "worklist", ["penilai_nip", "cycle_id"])


def downgrade() -> None:
    op.drop_table("worklist")
