"""Reading ratings and predicates as people type them on the command line or in a file."""

from __future__ import annotations

import pytest

from domain.errors import DomainError
from domain.ratings import Expectation, Predicate, parse_enum


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sesuai", Expectation.MEETS),
        ("Sesuai Ekspektasi", Expectation.MEETS),
        ("di atas", Expectation.ABOVE),
        ("DI-BAWAH", Expectation.BELOW),
        ("below", Expectation.BELOW),
    ],
)
def test_expectations_by_code_label_or_short_label(text: str, expected: Expectation) -> None:
    assert parse_enum(Expectation, text, "hasil_kerja") is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("sangat baik", Predicate.SANGAT_BAIK), ("kurang", Predicate.KURANG), ("Kurang/Misconduct", Predicate.KURANG)],
)
def test_predicates(text: str, expected: Predicate) -> None:
    assert parse_enum(Predicate, text, "predikat") is expected


def test_unknown_names_the_field_and_the_choices() -> None:
    with pytest.raises(DomainError) as error:
        parse_enum(Expectation, "lumayan", "perilaku")
    assert error.value.field == "perilaku"
    assert "Sesuai Ekspektasi" in str(error.value)
