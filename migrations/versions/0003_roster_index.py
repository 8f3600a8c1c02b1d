"""An index for reading an instansi's active roster a page at a time, in NIP order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

A cycle's enrolment reads the active employees after the last NIP of the previous page (services.appraisals.plan_page).
On the index by instansi alone every page sorted the whole instansi again: at 100,000 employees each of the 200 pages
cost more than the one before. `(instansi_code, active, nip)` answers a page and the count from the index; its prefix
serves every lookup by instansi, so it replaces `ix_employees_instansi_code`.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_employees_roster", "employees", ["instansi_code", "active", "nip"])
    op.drop_index(op.f("ix_employees_instansi_code"), table_name="employees")


def downgrade() -> None:
    op.create_index(op.f("ix_employees_instansi_code"), "employees", ["instansi_code"])
    op.drop_index("ix_employees_roster", table_name="employees")
