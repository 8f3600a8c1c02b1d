"""A mid-year change of SKP (domain.skp_versions): which changes can be counted, the year's SKP across versions, and
the suggestion weighing each RHK by the days its version was in force (domain.assessment)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.assessment import suggest_hasil_kerja
from domain.errors import DomainError
from domain.policy import DEFAULT_POLICY
from domain.ratings import Expectation
from domain.skp import RhkKind, Skp
from domain.skp_versions import (
    MAX_SKP_VERSIONS,
    MAX_YEAR_INDICATORS,
    SkpChange,
    SkpVersion,
    check_change,
    closed_version,
    period_skp,
    year_skp,
    year_weights,
)
from tests.unit.test_assessment import _case

A, M, B = Expectation.ABOVE, Expectation.MEETS, Expectation.BELOW
UTAMA, TAMBAHAN = RhkKind.UTAMA, RhkKind.TAMBAHAN
YEAR = 2026


def _renamed(skp: Skp, prefix: str) -> Skp:
    """The same SKP with every id given `prefix`: a later version's distinct ids."""
    rhk = [
        r.model_copy(
            update={
                "id": f"{prefix}{r.id}",
                "indicators": [i.model_copy(update={"id": f"{prefix}{i.id}"}) for i in r.indicators],
            }
        )
        for r in skp.rhk
    ]
    return skp.model_copy(update={"rhk": rhk})


def _change(skp: Skp, effective_from: date) -> SkpChange:
    return SkpChange(
        skp=skp, effective_from=effective_from, reason="Reorganisasi", proposed_by="x", proposed_at=datetime.now(UTC)
    )


def test_a_change_takes_effect_after_the_version_in_force_and_within_the_year() -> None:
    current, _ = _case((UTAMA, M))
    new = _renamed(current, "v2-")
    check_change(YEAR, current, None, [], new, date(YEAR, 7, 1))
    check_change(YEAR, current, None, [], new, date(YEAR, 1, 2))
    for day in (date(YEAR, 1, 1), date(YEAR - 1, 12, 31), date(YEAR + 1, 1, 1)):
        with pytest.raises(DomainError) as refused:
            check_change(YEAR, current, None, [], new, day)
        assert refused.value.field == "berlaku_sejak"
    with pytest.raises(DomainError):  # not after the day the version in force took effect
        check_change(YEAR, current, date(YEAR, 7, 1), [], new, date(YEAR, 7, 1))


def test_a_new_version_may_not_reuse_an_id_of_any_earlier_version() -> None:
    first, _ = _case((UTAMA, M), (TAMBAHAN, M))
    second = _renamed(first, "v2-")
    earlier = [closed_version(1, first, None, YEAR, _change(second, date(YEAR, 4, 1)))]
    with pytest.raises(DomainError) as refused:  # the first version's ids, while the second is in force
        check_change(YEAR, second, date(YEAR, 4, 1), earlier, first, date(YEAR, 9, 1))
    assert refused.value.field == "skp" and "R1" in str(refused.value)
    check_change(YEAR, second, date(YEAR, 4, 1), earlier, _renamed(first, "v3-"), date(YEAR, 9, 1))


def test_versions_are_bounded() -> None:
    current, _ = _case((UTAMA, M))
    earlier = [
        SkpVersion(
            number=n, skp=_renamed(current, f"v{n}-"), effective_from=date(YEAR, n, 1), effective_until=date(YEAR, n, 2)
        )
        for n in range(1, MAX_SKP_VERSIONS)
    ]
    with pytest.raises(DomainError) as refused:
        check_change(YEAR, current, date(YEAR, 12, 1), earlier, _renamed(current, "new-"), date(YEAR, 12, 20))
    assert refused.value.field == "skp"


def test_the_years_indicators_stay_within_what_one_self_assessment_names() -> None:
    """Every version's indicators are realised together (at most MAX_YEAR_INDICATORS, the self-assessment's bound)."""
    wide = _wide(100, "a")
    check_change(YEAR, wide, None, [], _wide(100, "b"), date(YEAR, 7, 1))
    with pytest.raises(DomainError) as refused:
        check_change(YEAR, wide, None, [], _wide(MAX_YEAR_INDICATORS - 99, "b"), date(YEAR, 7, 1))
    assert refused.value.field == "skp" and str(MAX_YEAR_INDICATORS) in str(refused.value)


def _wide(indicators: int, prefix: str) -> Skp:
    """An SKP of `indicators` indicators in RHKs of 20, its ids starting with `prefix`."""
    skp, _ = _case(*[(UTAMA, M)] * ((indicators + 19) // 20))
    rhk = []
    for n, plan in enumerate(skp.rhk):
        count = min(20, indicators - 20 * n)
        template = plan.indicators[0]
        rows = [template.model_copy(update={"id": f"{prefix}{n}-{k}", "text": f"mutu {k}"}) for k in range(count)]
        rhk.append(plan.model_copy(update={"id": f"{prefix}{n}", "indicators": rows}))
    return skp.model_copy(update={"rhk": rhk})


def test_a_periods_skp_is_the_version_in_force_at_its_end_and_any_it_realised() -> None:
    first, _ = _case((UTAMA, M))
    second = _renamed(first, "v2-")
    kept = [closed_version(1, first, None, YEAR, _change(second, date(YEAR, 7, 1)))]
    assert period_skp(first, [], date(YEAR, 3, 31), set()) is first
    assert [r.id for r in period_skp(second, kept, date(YEAR, 3, 31), {"I1"}).rhk] == ["R1"]
    assert [r.id for r in period_skp(second, kept, date(YEAR, 9, 30), set()).rhk] == ["v2-R1"]
    both = period_skp(second, kept, date(YEAR, 9, 30), {"I1", "v2-I1"})  # the quarter realised both
    assert [r.id for r in both.rhk] == ["R1", "v2-R1"]


def test_the_replaced_version_is_kept_until_the_day_before_the_new_one() -> None:
    first, _ = _case((UTAMA, M))
    kept = closed_version(1, first, None, YEAR, _change(_renamed(first, "v2-"), date(YEAR, 7, 1)))
    assert (kept.effective_from, kept.effective_until, kept.reason) == (
        date(YEAR, 1, 1),
        date(YEAR, 6, 30),
        "Reorganisasi",
    )


def test_the_years_skp_holds_every_version_and_each_rhk_weighs_its_days() -> None:
    first, _ = _case((UTAMA, M), (TAMBAHAN, M))
    second = _renamed(first, "v2-")
    assert year_skp(first, []) is first and year_weights(YEAR, first, None, []) == {}
    kept = closed_version(1, first, None, YEAR, _change(second, date(YEAR, 7, 1)))
    year = year_skp(second, [kept])
    assert [r.id for r in year.rhk] == ["R1", "R2", "v2-R1", "v2-R2"]
    assert year_weights(YEAR, second, date(YEAR, 7, 1), [kept]) == {"R1": 181, "R2": 181, "v2-R1": 184, "v2-R2": 184}


def test_a_version_in_force_longer_outweighs_a_short_one() -> None:
    """Jan–Mar all above, Apr–Dec all meeting: counted once each, half the RHKs are above (not more than half: not
    Di Atas); weighed by days, still Sesuai. Reversed (nine months above), weighed it is Di Atas."""
    skp, achievements = _case((UTAMA, A), (UTAMA, M))
    short = {"R1": 90, "R2": 275}
    long = {"R1": 275, "R2": 90}
    assert suggest_hasil_kerja(skp, achievements, DEFAULT_POLICY).rating is M
    assert suggest_hasil_kerja(skp, achievements, DEFAULT_POLICY, short).rating is M
    weighed = suggest_hasil_kerja(skp, achievements, DEFAULT_POLICY, long)
    assert weighed.rating is A and any("hari-RHK" in line for line in weighed.explanation)


@given(st.lists(st.sampled_from([A, M, B]), min_size=1, max_size=8), st.integers(min_value=1, max_value=366))
def test_equal_weights_suggest_what_counting_does(levels: list[Expectation], days: int) -> None:
    skp, achievements = _case(*((UTAMA if n == 0 else TAMBAHAN, level) for n, level in enumerate(levels)))
    weights = {r.id: days for r in skp.rhk}
    plain = suggest_hasil_kerja(skp, achievements, DEFAULT_POLICY).rating
    assert suggest_hasil_kerja(skp, achievements, DEFAULT_POLICY, weights).rating is plain
