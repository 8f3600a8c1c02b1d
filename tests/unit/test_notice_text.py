"""How notices print a deadline: in the cycle's own zone, or in WIB, WITA and WIT for a cycle that did not keep it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.notices import when

WIT = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("deadline", "text"),
    [
        (datetime(2027, 1, 31, 23, 59, 59, tzinfo=WIT), "31-01-2027 21.59 WIB / 22.59 WITA / 23.59 WIT"),  # Jayapura
        (
            datetime(2027, 1, 20, 16, 59, 59, tzinfo=UTC),  # the end of 20 January in Jakarta
            "20-01-2027 23.59 WIB / 21-01-2027 00.59 WITA / 21-01-2027 01.59 WIT",
        ),
    ],
)
def test_a_deadline_of_a_cycle_without_its_zone_is_printed_in_the_three_indonesian_zones(
    deadline: datetime, text: str
) -> None:
    assert when(deadline) == text


@pytest.mark.parametrize(
    ("hours", "text"), [(9, "31-01-2027 23.59 WIT"), (8, "31-01-2027 22.59 WITA"), (7, "31-01-2027 21.59 WIB")]
)
def test_a_deadline_is_printed_in_the_cycles_own_zone_when_it_is_known(hours: int, text: str) -> None:
    assert when(datetime(2027, 1, 31, 23, 59, 59, tzinfo=WIT), hours) == text
