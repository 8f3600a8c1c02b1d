"""The cycle reads stored reviews through a narrow view (services.cycles.ReviewedView). Its defaults would hide a
renamed field of ReviewOutcome (a calibrated predicate silently read as the reviewer's), so every field it reads must
exist, under the same name, in what is stored."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from domain.achievement import IndicatorAchievement
from domain.assessment import PredicateResult
from services.cycles import ReviewedAchievement, ReviewedResult, ReviewedView
from workflows.contracts import ReviewOutcome


def _fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def test_every_field_the_view_reads_is_stored_under_that_name() -> None:
    pairs: list[tuple[type[BaseModel], type[Any]]] = [
        (ReviewedView, ReviewOutcome),
        (ReviewedResult, PredicateResult),
        (ReviewedAchievement, IndicatorAchievement),
    ]
    for view, stored in pairs:
        assert _fields(view) <= _fields(stored), f"{view.__name__} reads fields {stored.__name__} does not have"
    assert ReviewOutcome.model_fields["result"].annotation is PredicateResult
    assert ReviewOutcome.model_fields["achievements"].annotation == list[IndicatorAchievement]
