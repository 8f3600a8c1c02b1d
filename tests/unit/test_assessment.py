import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.achievement import IndicatorAchievement, skp_achievements
from domain.assessment import (
    PredicateResult,
    RatingDecision,
    decide_hasil_kerja,
    indicator_level,
    parse_expectation,
    predicate,
    predicate_result,
    rhk_level,
    rhk_mean,
    suggest_hasil_kerja,
)
from domain.errors import DomainError
from domain.policy import DEFAULT_POLICY, AppraisalPolicy, SuggestionPolicy
from domain.ratings import Expectation, Predicate
from domain.skp import Aspect, Indicator, Realisation, RencanaHasilKerja, RhkKind, Skp, Target

D = Decimal
A, M, B = Expectation.ABOVE, Expectation.MEETS, Expectation.BELOW
UTAMA, TAMBAHAN = RhkKind.UTAMA, RhkKind.TAMBAHAN
# Percentages that the default cut-offs (110 / 100) read as each level.
PCT = {A: "120", M: "100", B: "80"}


# --- indicator and RHK levels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "level"),
    [("110", A), ("110.00", A), ("250", A), ("109.99", M), ("100", M), ("99.99", B), ("0", B), ("-40", B)],
)
def test_indicator_level_with_default_cut_offs(percent: str, level: Expectation) -> None:
    assert indicator_level(D(percent), SuggestionPolicy()) is level


def test_indicator_level_cut_offs_are_policy() -> None:
    policy = SuggestionPolicy(above_from=D(105), meets_from=D(90))
    assert [indicator_level(D(p), policy) for p in ("105", "104.99", "90", "89.99")] == [A, M, M, B]


def test_rhk_level_is_the_level_of_the_mean() -> None:
    # 130 and 95: one above, one below; the mean 112.5 is above.
    assert rhk_level([D(130), D(95)], DEFAULT_POLICY) is A
    # 105 and 90 -> 97.5: below, though one aspect meets.
    assert rhk_level([D(105), D(90)], DEFAULT_POLICY) is B
    assert rhk_level([D(100)], DEFAULT_POLICY) is M


def test_rhk_mean_is_rounded_like_the_achievements_before_the_level() -> None:
    # (109.99 + 109.99 + 110.00) / 3 = 109.9933… -> 109.99: meets, as the user sees it.
    assert rhk_mean([D("109.99"), D("109.99"), D("110.00")], 2) == D("109.99")
    # (109.99 + 110.00) / 2 = 109.995 -> 110.00 half up: above, as the user sees it.
    assert rhk_mean([D("109.99"), D("110.00")], 2) == D("110.00")
    assert rhk_level([D("109.99"), D("110.00")], DEFAULT_POLICY) is A


def test_rhk_mean_of_nothing_is_an_error() -> None:
    with pytest.raises(DomainError, match="tanpa capaian"):
        rhk_mean([], 2)


# --- the suggestion -----------------------------------------------------------------------------------------------


def _case(*rhks: tuple[RhkKind, Expectation]) -> tuple[Skp, list[IndicatorAchievement]]:
    """An SKP with one indicator per RHK and achievements giving each RHK the wanted level."""
    rhk_list, achievements = [], []
    for n, (kind, level) in enumerate(rhks, start=1):
        indicator = Indicator(
            id=f"I{n}", aspect=Aspect.KUALITAS, text="mutu", target=Target(value=D(100)), unit_of_measure="%"
        )
        rhk_list.append(RencanaHasilKerja(id=f"R{n}", kind=kind, text=f"hasil {n}", indicators=[indicator]))
        achievements.append(
            IndicatorAchievement(
                indicator_id=f"I{n}",
                rhk_id=f"R{n}",
                realisation=D(PCT[level]),
                percent=D(PCT[level]),
                policy_version=DEFAULT_POLICY.version,
            )
        )
    return Skp(employee_nip="198609262015051001", period=2026, rhk=rhk_list), achievements


def _suggest(*rhks: tuple[RhkKind, Expectation]) -> Expectation:
    skp, achievements = _case(*rhks)
    return suggest_hasil_kerja(skp, achievements, DEFAULT_POLICY).rating


def test_all_above_is_above() -> None:
    assert _suggest((UTAMA, A), (UTAMA, A), (TAMBAHAN, A)) is A


def test_above_needs_strictly_more_than_half_above() -> None:
    assert _suggest((UTAMA, A), (UTAMA, A), (UTAMA, M)) is A  # 2 of 3
    assert _suggest((UTAMA, A), (UTAMA, M)) is M  # 1 of 2 is half, not most
    assert _suggest((UTAMA, A), (UTAMA, A), (UTAMA, M), (UTAMA, M)) is M


def test_above_needs_no_utama_below() -> None:
    assert _suggest((UTAMA, A), (UTAMA, A), (UTAMA, A), (UTAMA, B)) is M  # 1 of 4 utama below: sebagian kecil
    # A tambahan below does not block Di Atas.
    assert _suggest((UTAMA, A), (UTAMA, A), (TAMBAHAN, B)) is A


def test_meets_counts_above_as_meeting() -> None:
    assert _suggest((UTAMA, A), (UTAMA, M), (UTAMA, M)) is M
    assert _suggest((UTAMA, M)) is M


def test_meets_needs_strictly_more_than_half_meeting() -> None:
    assert _suggest((UTAMA, M), (TAMBAHAN, B)) is B  # 1 of 2 is half
    assert _suggest((UTAMA, M), (UTAMA, M), (TAMBAHAN, B)) is M


def test_meets_needs_fewer_than_half_of_the_utama_below() -> None:
    # 3 of 4 RHK meet, but the only utama is below: 1 of 1 utama is not "sebagian kecil".
    assert _suggest((UTAMA, B), (TAMBAHAN, A), (TAMBAHAN, A), (TAMBAHAN, M)) is B
    # 1 of 2 utama below is half, not less than half.
    assert _suggest((UTAMA, B), (UTAMA, M), (TAMBAHAN, M), (TAMBAHAN, M)) is B
    # 1 of 3 utama below is fewer than half.
    assert _suggest((UTAMA, B), (UTAMA, M), (UTAMA, M), (TAMBAHAN, M)) is M


def test_mostly_below_is_below() -> None:
    assert _suggest((UTAMA, B), (UTAMA, B), (TAMBAHAN, A)) is B
    assert _suggest((UTAMA, B)) is B


def test_shares_are_policy() -> None:
    skp, achievements = _case((UTAMA, A), (UTAMA, A), (UTAMA, M))  # 2 of 3 above
    strict = DEFAULT_POLICY.with_overrides({"suggestion": {"majority_share": "0.7"}}, revision="t")
    retagged = [a.model_copy(update={"policy_version": strict.version}) for a in achievements]
    assert suggest_hasil_kerja(skp, retagged, strict).rating is M


def test_suggestion_records_levels_policy_and_a_bahasa_explanation() -> None:
    skp, achievements = _case((UTAMA, A), (UTAMA, B), (UTAMA, A))
    suggestion = suggest_hasil_kerja(skp, achievements, DEFAULT_POLICY)
    assert suggestion.rating is M
    assert [(r.rhk_id, r.kind, r.mean_percent, r.level) for r in suggestion.rhk] == [
        ("R1", UTAMA, D("120.00"), A),
        ("R2", UTAMA, D("80.00"), B),
        ("R3", UTAMA, D("120.00"), A),
    ]
    assert suggestion.policy_version == DEFAULT_POLICY.version
    text = "\n".join(suggestion.explanation)
    assert "RHK R1 (utama): rata-rata capaian 120,00% → Di Atas Ekspektasi" in text
    assert "2 dari 3 RHK di atas ekspektasi" in text
    assert "Bukan Di Atas Ekspektasi: RHK utama di bawah ekspektasi: R2" in text
    assert "Saran Sesuai Ekspektasi: lebih dari 50% RHK sesuai ekspektasi atau lebih" in text
    assert suggestion.explanation[-1].startswith("Saran ini dapat diubah oleh pejabat penilai")


def test_below_explanation_says_which_condition_failed() -> None:
    skp, achievements = _case((UTAMA, B), (TAMBAHAN, A), (TAMBAHAN, A))
    text = "\n".join(suggest_hasil_kerja(skp, achievements, DEFAULT_POLICY).explanation)
    assert "Bukan Sesuai Ekspektasi: RHK utama di bawah ekspektasi tidak kurang dari 50%" in text
    assert "Bukan Sesuai Ekspektasi: perlu lebih" not in text
    assert "Saran Di Bawah Ekspektasi" in text


def test_suggestion_from_realisations_end_to_end() -> None:
    def ind(indicator_id: str, value: str) -> Indicator:
        return Indicator(
            id=indicator_id, aspect=Aspect.KUANTITAS, text="x", target=Target(value=D(value)), unit_of_measure="u"
        )

    skp = Skp(
        employee_nip="198609262015051001",
        period=2026,
        rhk=[
            RencanaHasilKerja(id="R1", kind=UTAMA, text="a", indicators=[ind("K1", "10"), ind("K2", "10")]),
            RencanaHasilKerja(id="R2", kind=UTAMA, text="b", indicators=[ind("K3", "10")]),
        ],
    )
    realisations = [Realisation(indicator_id=i, value=D(v)) for i, v in [("K1", "13"), ("K2", "10"), ("K3", "12")]]
    suggestion = suggest_hasil_kerja(skp, skp_achievements(skp, realisations, DEFAULT_POLICY), DEFAULT_POLICY)
    assert [r.mean_percent for r in suggestion.rhk] == [D("115.00"), D("120.00")]
    assert suggestion.rating is A


def test_suggestion_needs_every_indicator_once() -> None:
    skp, achievements = _case((UTAMA, A), (UTAMA, M))
    with pytest.raises(DomainError, match="capaian belum diisi untuk indikator: I2") as error:
        suggest_hasil_kerja(skp, achievements[:1], DEFAULT_POLICY)
    assert error.value.field == "capaian"
    with pytest.raises(DomainError, match="capaian ganda untuk indikator: I1"):
        suggest_hasil_kerja(skp, [*achievements, achievements[0]], DEFAULT_POLICY)


def test_suggestion_refuses_achievements_of_another_policy_version() -> None:
    skp, achievements = _case((UTAMA, A))
    other = DEFAULT_POLICY.with_overrides({}, revision="baru")
    with pytest.raises(DomainError, match=re.escape(f"bukan {other.version}; hitung ulang capaian")):
        suggest_hasil_kerja(skp, achievements, other)


# --- the penilai's decision ---------------------------------------------------------------------------------------


def test_accepting_the_suggestion_needs_no_reason() -> None:
    assert decide_hasil_kerja(M, M, None) == RatingDecision(suggested=M, chosen=M, overridden=False, reason=None)
    assert decide_hasil_kerja(M, M, "  ") == RatingDecision(suggested=M, chosen=M, overridden=False, reason=None)
    assert decide_hasil_kerja(M, M, " ok ").reason == "ok"


def test_override_with_a_reason_is_recorded_with_both_ratings() -> None:
    decision = decide_hasil_kerja(M, A, "  Inovasi layanan daring melampaui target unit  ")
    assert decision == RatingDecision(
        suggested=M, chosen=A, overridden=True, reason="Inovasi layanan daring melampaui target unit"
    )


@pytest.mark.parametrize("reason", [None, "", "   ", "ok", "setuju", "a b c d e f g h i", "\tsetuju   sj\n"])
def test_override_without_a_real_reason_is_refused_on_the_alasan_field(reason: str | None) -> None:
    with pytest.raises(DomainError, match="berbeda dari saran Sesuai Ekspektasi; tuliskan alasannya") as error:
        decide_hasil_kerja(M, B, reason)
    assert error.value.field == "alasan"


def test_reason_length_counts_non_space_characters_and_is_adjustable() -> None:
    assert decide_hasil_kerja(M, B, "a b c d e f g h i j").overridden  # exactly 10 non-space characters
    assert decide_hasil_kerja(M, B, "terlambat", min_reason_chars=5).reason == "terlambat"


# --- perilaku kerja -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level"),
    [("above", A), ("Di Atas Ekspektasi", A), ("sesuai ekspektasi", M), (" meets ", M), ("DI BAWAH EKSPEKTASI", B)],
)
def test_perilaku_rating_is_one_of_three_levels(text: str, level: Expectation) -> None:
    assert parse_expectation(text, "rating_perilaku") is level
    assert parse_expectation(level, "rating_perilaku") is level


def test_unknown_perilaku_rating_names_the_field_and_choices() -> None:
    with pytest.raises(DomainError, match="'baik' bukan rating yang dikenal; pilihan: Di Atas Ekspektasi") as error:
        parse_expectation("baik", "rating_perilaku")
    assert error.value.field == "rating_perilaku"


# --- predicate ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hasil", "perilaku", "expected"),
    [
        (A, B, Predicate.KURANG),
        (A, M, Predicate.BAIK),
        (A, A, Predicate.SANGAT_BAIK),
        (M, B, Predicate.KURANG),
        (M, M, Predicate.BAIK),
        (M, A, Predicate.BAIK),
        (B, B, Predicate.SANGAT_KURANG),
        (B, M, Predicate.BUTUH_PERBAIKAN),
        (B, A, Predicate.BUTUH_PERBAIKAN),
    ],
)
def test_predicate_matrix_of_permenpanrb_6_2022(hasil: Expectation, perilaku: Expectation, expected: Predicate) -> None:
    assert predicate(hasil, perilaku, DEFAULT_POLICY) is expected


def test_predicate_follows_an_overridden_matrix_and_records_the_version() -> None:
    policy = DEFAULT_POLICY.with_overrides({"predicate_matrix": {"meets": {"above": "sangat_baik"}}}, revision="x")
    assert predicate_result(M, A, policy) == PredicateResult(
        hasil=M, perilaku=A, predicate=Predicate.SANGAT_BAIK, policy_version=policy.version
    )
    assert predicate_result(M, A, DEFAULT_POLICY).predicate is Predicate.BAIK


@settings(max_examples=200)
@given(st.sampled_from(Expectation), st.sampled_from(Expectation))
def test_predicate_respects_the_rules_of_thumb(hasil: Expectation, perilaku: Expectation) -> None:
    result = predicate(hasil, perilaku, AppraisalPolicy())
    if perilaku is B:
        assert not result.is_better_than(Predicate.KURANG)
    if hasil is B:
        assert not result.is_better_than(Predicate.BUTUH_PERBAIKAN)
    # And a better rating on either axis never gives a worse predicate.
    for better in Expectation:
        if better.rank < hasil.rank:
            assert not result.is_better_than(predicate(better, perilaku, DEFAULT_POLICY))
        if better.rank < perilaku.rank:
            assert not result.is_better_than(predicate(hasil, better, DEFAULT_POLICY))


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(RhkKind), st.sampled_from(Expectation)), min_size=1, max_size=8))
def test_suggestion_rules_hold_for_any_skp(rhks: list[tuple[RhkKind, Expectation]]) -> None:
    rhks = [(UTAMA, rhks[0][1]), *rhks[1:]]  # an SKP needs an utama
    rating = _suggest(*rhks)
    utama_below = [level for kind, level in rhks if kind is UTAMA and level is B]
    above = sum(1 for _, level in rhks if level is A)
    if rating is A:
        assert not utama_below and 2 * above > len(rhks)
    if all(level is A for _, level in rhks):
        assert rating is A
    if all(level is B for _, level in rhks):
        assert rating is B
