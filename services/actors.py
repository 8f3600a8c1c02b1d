"""Who changes something outside an appraisal, and the audit entry that says so.

An appraisal's steps are recorded by its workflow with the actor of the Update. Everything else a person changes —
grants, accounts, imports, the policy, starting a cycle, calibration — is recorded here, in the same transaction as
the change: the signed-in person in the role the API checked, or the operator on the server (the direct command
line), never a NIP typed into a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.audit import OPERATOR_ACTOR, AuditEntry
from domain.stages import Role
from persistence.ports import AbstractUnitOfWork


@dataclass(frozen=True)
class Acting:
    nip: str  # the signed-in person's NIP, or OPERATOR_ACTOR
    role: Role


# The command line run on the server by whoever operates it (migrations, imports before the API existed).
OPERATOR = Acting(OPERATOR_ACTOR, Role.SYSTEM)


def audit(
    uow: AbstractUnitOfWork,
    by: Acting,
    action: str,
    *,
    subject: str | None = None,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    workflow_id: str | None = None,
    key: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Append the entry (in the caller's transaction); False when one with the same `key` was written already."""
    return uow.audit.append(
        AuditEntry(
            occurred_at=now or datetime.now(UTC),
            actor=by.nip,
            actor_role=by.role,
            action=action,
            subject=subject,
            reason=reason,
            before=before,
            after=after,
            workflow_id=workflow_id,
            idempotency_key=key,
        )
    )
