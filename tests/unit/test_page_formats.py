"""The pages' Indonesian formats of a span of time (web.pages.templating.lama)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain.formats import angka_tercetak, lama


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


def test_a_typed_value_is_printed_with_grouped_thousands_and_no_trailing_zeros() -> None:
    cases = {"1210": "1.210", "98.50": "98,5", "-0.25": "-0,25", "1234567.125": "1.234.567,125", "0": "0"}
    assert {text: angka_tercetak(Decimal(text)) for text in cases} == cases
