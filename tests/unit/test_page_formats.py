"""The pages' Indonesian formats of a span of time (web.pages.templating.lama)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.formats import lama


@pytest.mark.parametrize(
    ("span", "shown"),
    [
        (timedelta(days=14), "14 hari"),
        (timedelta(hours=2, minutes=30), "2 jam 30 menit"),
        (timedelta(seconds=5), "5 detik"),  # a demo's compressed objection window, which used to read "0 hari"
        (timedelta(days=1, seconds=1), "1 hari 1 detik"),
        (timedelta(0), "0 detik"),
    ],
)
def test_a_span_reads_in_its_units(span: timedelta, shown: str) -> None:
    assert lama(span) == shown
