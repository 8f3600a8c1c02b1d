"""The audit trail: who did what, when, on whose behalf, why, with the before/after and the workflow it belongs to.

Entries are facts about the past, so the model is frozen and the store only ever appends (PP 30/2019 asks that an
appraisal be accountable; a keberatan is decided on this record).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from domain.stages import Role

SYSTEM_ACTOR = "system"
# The operator on the server (migrations, bootstrapping the first admin): named by the account they ran it as.
OPERATOR_ACTOR = "operator"
_NIP = re.compile(r"^\d{18}$")
_OPERATOR = re.compile(r"^operator(:[A-Za-z0-9_.-]{1,40})?$")


def idempotency_key(workflow_id: str, step: str) -> str:
    """The key of one recorded step: a retried activity computes the same key and so writes nothing twice."""
    if not workflow_id or not step:
        raise ValueError("kunci idempotensi memerlukan id workflow dan nama langkah")
    return f"{workflow_id}:{step}"


def _now() -> datetime:
    return datetime.now(UTC)


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    occurred_at: AwareDatetime = Field(default_factory=_now)
    actor: str  # the NIP of the person, or "system" for timers and imports
    actor_role: Role
    on_behalf_of: str | None = None  # the NIP whose step was taken over (pengelola kinerja fallback)
    action: str = Field(min_length=1, max_length=100)
    subject: str | None = Field(default=None, max_length=64)  # usually the NIP of the appraised employee
    reason: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    workflow_id: str | None = Field(default=None, max_length=200)
    idempotency_key: str | None = Field(default=None, max_length=300)

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("actor", "on_behalf_of")
    @classmethod
    def _nip_or_system(cls, value: str | None) -> str | None:
        if value is None or value == SYSTEM_ACTOR or _NIP.match(value) or _OPERATOR.match(value):
            return value
        raise ValueError(f"pelaku harus NIP 18 digit, '{SYSTEM_ACTOR}' atau '{OPERATOR_ACTOR}', bukan '{value}'")
