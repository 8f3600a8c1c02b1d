"""Journey modules (test_journey_*.py) are one story told in order: each test is one person's part and needs the
parts before it, so after a failure the rest of the story is skipped, not failed again for the same cause.

What every page looks like (tests.browser.checks) is not part of the plot: a journey collects those faults as it
goes (`PageChecks`) and its last test, marked `@always`, reports every one of them at once, even after the story
stopped. So an accessibility fault on one page neither hides the faults of later pages nor stops the year.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from playwright.async_api import Page

from tests.browser.checks import check_page

JOURNEYS = "test_journey_"
F = TypeVar("F", bound=Callable[..., object])
_stopped: dict[Path, str] = {}


def always(test: F) -> F:
    """Run this test of a journey even after an earlier part failed."""
    test.after_a_stop = True  # type: ignore[attr-defined]
    return test


def failed(path: Path, name: str) -> None:
    if path.name.startswith(JOURNEYS):
        _stopped.setdefault(path, name)


def stopped_at(path: Path, test: object) -> str | None:
    if getattr(test, "after_a_stop", False):
        return None
    return _stopped.get(path)


class PageChecks:
    """check_page for every page state a journey reaches, its faults kept for the journey's last test."""

    def __init__(self) -> None:
        self.checked: list[str] = []
        self.faults: list[str] = []

    async def __call__(self, page: Page, name: str) -> None:
        self.checked.append(name)
        try:
            await check_page(page, name)
        except AssertionError as fault:
            self.faults.append(str(fault))

    def report(self) -> str:
        return f"{len(self.faults)} of {len(self.checked)} page states failed their checks:\n" + "\n".join(self.faults)
