"""An index for counting a cycle's audit entries by action.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

A cycle's closing report counts the reminders, escalations, objections and finished appraisals of the cycle from the
audit log (services.cycles.notice_counts, finished_count). It read every entry of each action, of every cycle and
year, into the worker and kept the cycle's: at a province, hundreds of thousands of entries a year. Now the database
counts them, reading `(action, workflow_id)` from this index instead of the table.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_log_action_workflow", "audit_log", ["action", "workflow_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_workflow", table_name="audit_log")
