"""How notices print a deadline: in WIB, WITA and WIT, since a notice does not know where its reader is."""

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
def test_a_deadline_is_printed_in_the_three_indonesian_zones(deadline: datetime, text: str) -> None:
    assert when(deadline) == text
