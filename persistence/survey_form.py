"""What the citizens' survey form keeps (persistence.repositories.survey_form): the units' short addresses, their
one-time tokens, the per-address counts of the limit, a site secret, and the answers with their profile."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.survey_form import Profile

if TYPE_CHECKING:  # persistence.ports names this repository on the unit of work
    from persistence.ports import SurveyResponseRecord


class SurveyLink(BaseModel):
    """A unit's short address (`/s/{code}`) for one cycle's survey window."""

    model_config = ConfigDict(frozen=True)

    code: str
    cycle_id: str
    instansi_code: str
    period: int
    unit_code: str
    created_at: AwareDatetime
    created_by: str


class FormTarget(BaseModel):
    """Everything the public form needs about an address, read at once: the unit, its cycle's window and zone,
    whether the index has been computed, whether the unit hands out tokens."""

    model_config = ConfigDict(frozen=True)

    link: SurveyLink
    instansi_name: str
    unit_name: str
    opens: AwareDatetime
    closes: AwareDatetime
    utc_offset_hours: int | None
    computed_at: AwareDatetime | None
    uses_tokens: bool


class TokenSpent(StrEnum):
    SPENT = "spent"
    USED = "used"  # spent already by an earlier answer
    UNKNOWN = "unknown"  # no such token for this address


class TokenCount(BaseModel):
    model_config = ConfigDict(frozen=True)

    issued: int = 0
    used: int = 0


class SurveyFormRepository(Protocol):
    def links(self, cycle_id: str) -> builtins.list[SurveyLink]: ...
    def add_links(self, links: Sequence[SurveyLink]) -> int: ...
    def target(self, code: str) -> FormTarget | None: ...
    def hold(self, instansi_code: str) -> None: ...
    def computed_at(self, cycle_id: str) -> datetime | None: ...
    def add_tokens(self, code: str, hashes: Collection[str], now: datetime) -> int: ...
    def spend_token(self, code: str, token_hash: str, now: datetime) -> TokenSpent: ...
    def token_counts(self, cycle_id: str) -> dict[str, TokenCount]: ...
    def hit(self, key: str, window_start: datetime, *, prune_before: datetime) -> int: ...
    def add_answer(self, response: SurveyResponseRecord, profile: Profile) -> bool: ...
    def answers_by_unit(self, instansi_code: str, period: int) -> dict[str, int]: ...
    def secret(self, name: str, candidate: str, now: datetime) -> str: ...
