"""A step an appraisal has checked and is about to record (workflows/appraisal.py).

Its own module, imported through the sandbox's passthrough: the sandbox executes workflows/appraisal.py afresh for
every workflow instance it creates (every new appraisal, and every one that left the worker's cache), and building
this dataclass was a third of that in a py-spy profile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.officials import Officials
from domain.skp import Skp
from domain.skp_versions import SkpVersion
from domain.stages import Role, Step
from workflows.contracts import ReviewChange, ReviewOutcome


@dataclass
class Change:
    """A checked step, ready to record: what the validator approved and the handler applies after recording."""

    action: str
    to: Step
    actor: str
    role: Role
    on_behalf_of: str | None = None
    reason: str | None = None
    after: dict[str, Any] = field(default_factory=dict)
    apply: Callable[[], None] = lambda: None
    skp: Skp | None = None  # the SKP to store with the step
    skp_status: str | None = None
    closed_skp: SkpVersion | None = None  # the version an approved change replaced, to keep
    review: ReviewOutcome | None = None  # the review to store with the step
    review_change: ReviewChange | None = None  # or what the step changes in the one stored
    notify: list[str] | None = None  # None: whoever must act next
    notice_deadline: datetime | None = None  # None: the next step's deadline
    entered_deadline: datetime | None = None  # the deadline of the step entered, where not the calendar's
    penilai_nip: str | None = None  # the new pejabat penilai of a reassignment
    atasan_nip: str | None = None  # and their atasan
    officials: Officials | None = None  # the cycle's officials as a change of them leaves the appraisal
