from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.achievement import IndicatorAchievement, achievement, skp_achievements
from domain.errors import DomainError
from domain.policy import AchievementPolicy, AppraisalPolicy
from domain.skp import Aspect, Indicator, Polarity, Realisation, RencanaHasilKerja, RhkKind, Skp, Target

D = Decimal
POLICY = AchievementPolicy()


def higher(value: str) -> Target:
    return Target(value=D(value))


def lower(value: str) -> Target:
    return Target(polarity=Polarity.LOWER_IS_BETTER, value=D(value))


def band(lo: str, hi: str) -> Target:
    return Target(polarity=Polarity.RANGE, value=D(lo), upper=D(hi))


# --- the reference's worked examples (PermenPANRB 8/2021 annex, reference 3) ----------------------------------------


@pytest.mark.parametrize(
    ("target", "realisation", "expected"),
    [
        (lower("7"), "6.5", "107.14"),  # annex: "107%"
        (lower("8"), "9", "87.50"),
        (band("80", "90"), "70", "87.50"),
        (band("80", "90"), "92", "102.22"),  # the annex misprints 113%
    ],
)
def test_worked_examples(target: Target, realisation: str, expected: str) -> None:
    result = achievement(target, D(realisation), POLICY)
    assert result == D(expected)
    assert str(result) == expected  # exactly two decimals, not 87.5


# --- higher is better ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "realisation", "expected"),
    [("10", "10", "100.00"), ("10", "12", "120.00"), ("3", "2", "66.67"), ("3", "1", "33.33"), ("10", "0", "0.00")],
)
def test_higher_is_realisation_over_target(target: str, realisation: str, expected: str) -> None:
    assert achievement(higher(target), D(realisation), POLICY) == D(expected)


def test_rounding_is_half_up_once_at_the_end() -> None:
    # 1/8 = 12.5 %: half up gives 13 at 0 dp (banker's rounding would give 12).
    assert achievement(higher("8"), D(1), AchievementPolicy(decimal_places=0)) == D(13)
    assert achievement(higher("8"), D(1), AchievementPolicy(decimal_places=3)) == D("12.500")
    # 2/3 = 66.666…: 66.67, not 66.66.
    assert achievement(higher("3"), D(2), POLICY) == D("66.67")


def test_no_float_error_creeps_in() -> None:
    assert achievement(higher("0.3"), D("0.1"), AchievementPolicy(decimal_places=6)) == D("33.333333")
    assert achievement(higher("0.1"), D("0.3"), POLICY) == D("300.00")


def test_negative_realisation_of_a_higher_target_is_not_floored() -> None:
    # A growth indicator can shrink; the floor is for the lower-is-better formula only.
    assert achievement(higher("5"), D(-2), POLICY) == D("-40.00")


# --- lower is better ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("realisation", "expected"),
    [("10", "100.00"), ("5", "150.00"), ("0", "200.00"), ("15", "50.00"), ("19", "10.00")],
)
def test_lower_is_two_minus_ratio(realisation: str, expected: str) -> None:
    assert achievement(lower("10"), D(realisation), POLICY) == D(expected)


@pytest.mark.parametrize("realisation", ["20", "21", "1000"])
def test_lower_clamps_at_zero_from_twice_the_target(realisation: str) -> None:
    assert achievement(lower("10"), D(realisation), POLICY) == D("0.00")


def test_lower_floor_is_policy() -> None:
    assert achievement(lower("10"), D(30), AchievementPolicy(negative_floor=D(-50))) == D("-50.00")
    assert achievement(lower("10"), D(25), AchievementPolicy(negative_floor=D(-100))) == D("-50.00")


# --- range --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("realisation", ["80", "85", "90", "80.000"])
def test_range_inside_the_band_inclusive_is_100(realisation: str) -> None:
    assert achievement(band("80", "90"), D(realisation), POLICY) == D("100.00")


def test_range_just_outside_the_band() -> None:
    assert achievement(band("80", "90"), D("90.09"), POLICY) == D("100.10")
    assert achievement(band("80", "90"), D("79.9"), POLICY) == D("99.88")


def test_range_of_one_point() -> None:
    assert achievement(band("5", "5"), D(5), POLICY) == D("100.00")
    assert achievement(band("5", "5"), D(6), POLICY) == D("120.00")
    assert achievement(band("5", "5"), D(4), POLICY) == D("80.00")


def test_range_from_zero_works_for_non_negative_realisations() -> None:
    assert achievement(band("0", "5"), D(0), POLICY) == D("100.00")
    assert achievement(band("0", "5"), D(10), POLICY) == D("200.00")


def test_range_below_a_zero_lower_bound_is_a_clear_error() -> None:
    with pytest.raises(DomainError, match=r"batas bawah 0 <= 0: capaian realisasi/batas bawah tidak terdefinisi") as e:
        achievement(band("0", "5"), D(-1), POLICY)
    assert e.value.field == "target"


def test_range_above_a_non_positive_upper_bound_is_a_clear_error() -> None:
    assert achievement(band("-3", "0"), D(-1), POLICY) == D("100.00")  # inside: no division
    with pytest.raises(DomainError, match="batas atas 0 <= 0"):
        achievement(band("-3", "0"), D(1), POLICY)
    with pytest.raises(DomainError, match="batas bawah -3 <= 0"):
        achievement(band("-3", "0"), D(-4), POLICY)


# --- cap, precision, bad input ------------------------------------------------------------------------------------


def test_no_cap_by_default_and_cap_applies_after_the_formula() -> None:
    assert achievement(higher("10"), D(20), POLICY) == D("200.00")
    capped = AchievementPolicy(cap=D(120))
    assert achievement(higher("10"), D(20), capped) == D("120.00")
    assert achievement(lower("10"), D(0), capped) == D("120.00")
    assert achievement(band("80", "90"), D(180), capped) == D("120.00")
    assert achievement(higher("10"), D(11), capped) == D("110.00")


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_realisation_is_refused(bad: str) -> None:
    with pytest.raises(DomainError, match="bukan bilangan"):
        achievement(higher("10"), D(bad), POLICY)


# --- a whole SKP --------------------------------------------------------------------------------------------------


def _indicator(indicator_id: str, target: Target) -> Indicator:
    return Indicator(id=indicator_id, aspect=Aspect.KUANTITAS, text="jumlah", target=target, unit_of_measure="unit")


def _skp() -> Skp:
    return Skp(
        employee_nip="198609262015051001",
        period=2026,
        rhk=[
            RencanaHasilKerja(
                id="R1",
                kind=RhkKind.UTAMA,
                text="layanan",
                indicators=[_indicator("I1", higher("10")), _indicator("I2", lower("7"))],
            ),
            RencanaHasilKerja(
                id="R2", kind=RhkKind.TAMBAHAN, text="laporan", indicators=[_indicator("I3", band("80", "90"))]
            ),
        ],
    )


def _real(indicator_id: str, value: str) -> Realisation:
    return Realisation(indicator_id=indicator_id, value=D(value))


def test_skp_achievements_in_skp_order_with_the_policy_version() -> None:
    policy = AppraisalPolicy()
    results = skp_achievements(_skp(), [_real("I3", "92"), _real("I1", "12"), _real("I2", "6.5")], policy)
    assert results == [
        IndicatorAchievement(
            indicator_id="I1", rhk_id="R1", realisation=D(12), percent=D("120.00"), policy_version=policy.version
        ),
        IndicatorAchievement(
            indicator_id="I2", rhk_id="R1", realisation=D("6.5"), percent=D("107.14"), policy_version=policy.version
        ),
        IndicatorAchievement(
            indicator_id="I3", rhk_id="R2", realisation=D(92), percent=D("102.22"), policy_version=policy.version
        ),
    ]


def test_skp_achievements_use_the_policy_override() -> None:
    policy = AppraisalPolicy().with_overrides({"achievement": {"cap": "110"}}, revision="pemda-x")
    results = skp_achievements(_skp(), [_real("I1", "20"), _real("I2", "7"), _real("I3", "85")], policy)
    assert [r.percent for r in results] == [D("110.00"), D("100.00"), D("100.00")]
    assert {r.policy_version for r in results} == {policy.version}


def test_unknown_indicator_is_named() -> None:
    realisations = [_real("I1", "1"), _real("I2", "1"), _real("I3", "85"), _real("X9", "1"), _real("A0", "1")]
    with pytest.raises(DomainError, match="indikator yang tidak ada di SKP 198609262015051001/2026: A0, X9") as e:
        skp_achievements(_skp(), realisations, AppraisalPolicy())
    assert e.value.field == "realisasi"


def test_duplicate_realisation_is_named() -> None:
    realisations = [_real("I1", "1"), _real("I2", "1"), _real("I3", "85"), _real("I2", "2")]
    with pytest.raises(DomainError, match="realisasi ganda untuk indikator: I2"):
        skp_achievements(_skp(), realisations, AppraisalPolicy())


def test_missing_realisations_are_all_named() -> None:
    with pytest.raises(DomainError, match="realisasi belum diisi untuk indikator: I1, I3"):
        skp_achievements(_skp(), [_real("I2", "1")], AppraisalPolicy())


def test_error_inside_an_skp_names_the_indicator() -> None:
    skp = Skp(
        employee_nip="198609262015051001",
        period=2026,
        rhk=[RencanaHasilKerja(id="R1", kind=RhkKind.UTAMA, text="x", indicators=[_indicator("Z1", band("0", "5"))])],
    )
    with pytest.raises(DomainError, match="realisasi indikator Z1 -1 di luar rentang target"):
        skp_achievements(skp, [_real("Z1", "-1")], AppraisalPolicy())


# --- properties ---------------------------------------------------------------------------------------------------

_amounts = st.decimals(min_value=D("0.01"), max_value=D(10_000), places=2, allow_nan=False, allow_infinity=False)
_realisations = st.decimals(min_value=D(-10_000), max_value=D(100_000), places=3, allow_nan=False, allow_infinity=False)
_floors = st.decimals(min_value=D(-200), max_value=D(50), places=1, allow_nan=False, allow_infinity=False)


@settings(max_examples=200)
@given(_amounts, _realisations, _floors)
def test_lower_is_never_below_the_floor(target: Decimal, realisation: Decimal, floor: Decimal) -> None:
    result = achievement(lower(str(target)), realisation, AchievementPolicy(negative_floor=floor))
    assert result >= floor


@settings(max_examples=200)
@given(_amounts, _realisations, _realisations)
def test_higher_is_monotonic_in_realisation(target: Decimal, a: Decimal, b: Decimal) -> None:
    small, large = sorted((a, b))
    assert achievement(higher(str(target)), small, POLICY) <= achievement(higher(str(target)), large, POLICY)


@settings(max_examples=200)
@given(_amounts, _amounts, _amounts)
def test_range_is_100_inside_more_above_less_below(x: Decimal, y: Decimal, realisation: Decimal) -> None:
    lo, hi = sorted((x, y))
    result = achievement(band(str(lo), str(hi)), realisation, POLICY)
    if lo <= realisation <= hi:
        assert result == D(100)
    elif realisation > hi:
        assert result >= D(100)
    else:
        assert result <= D(100)
