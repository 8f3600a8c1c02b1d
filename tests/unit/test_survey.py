from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.policy import DEFAULT_POLICY, SurveyPolicy
from domain.survey import (
    UNSUR,
    IkmResult,
    SurveyResponse,
    compute_ikm,
    grade_for,
    ikm_by_unit,
    ikm_from_nrr,
    required_sample_size,
    round_half_up,
)

D = Decimal
POLICY = SurveyPolicy()
# Bantul 2023 (skm.bantulkab.go.id): the published NRRs and the published IKM 87,28.
BANTUL_NRR = [D(x) for x in ("3.31", "3.35", "3.49", "3.93", "3.45", "3.39", "3.39", "3.76", "3.35")]


def _responses(*rows: Sequence[int | None], unit: str | None = None) -> list[SurveyResponse]:
    return [SurveyResponse.of(row, unit=unit) for row in rows]


# --- the unsur ----------------------------------------------------------------------------------------------------


def test_the_nine_unsur_in_regulation_order() -> None:
    assert [u.code for u in UNSUR] == [f"U{i}" for i in range(1, 10)]
    assert UNSUR[0].name == "Persyaratan"
    assert UNSUR[2].name == "Waktu Penyelesaian"
    assert UNSUR[7].name == "Penanganan Pengaduan, Saran dan Masukan"
    assert UNSUR[8].name == "Sarana dan Prasarana"
    assert UNSUR[3].field == "u4"


# --- the formula --------------------------------------------------------------------------------------------------


def test_bantul_worked_example() -> None:
    score = ikm_from_nrr(BANTUL_NRR, POLICY)
    assert score.ni == D("3.4911")
    assert score.ikm == D("87.28")
    assert (score.grade, score.label) == ("B", "Baik")


def test_rounded_weight_0_11_reads_low() -> None:
    # The pitfall of writing 1/9 as 0,11: 31,42 x 0,11 x 25 = 86,405 -> 86,41 instead of 87,28.
    rounded = ikm_from_nrr(BANTUL_NRR, SurveyPolicy(unsur_weight=D("0.11")))
    assert rounded.ikm == D("86.41")
    assert rounded.ikm < ikm_from_nrr(BANTUL_NRR, POLICY).ikm


def test_exact_weight_is_exact() -> None:
    # Every NRR 3,5324 exactly: NI 3,5324, IKM 88,31 (A) -- a float weight of 0.111… could slip below.
    score = ikm_from_nrr([D("3.5324")] * 9, POLICY)
    assert (score.ni, score.ikm, score.grade) == (D("3.5324"), D("88.31"), "A")
    assert ikm_from_nrr([1] * 9, POLICY).ikm == D("25.00")
    assert ikm_from_nrr([4] * 9, POLICY).ikm == D("100.00")
    assert ikm_from_nrr([Fraction(10, 3)] * 9, POLICY).ikm == D("83.33")


def test_ikm_from_nrr_refuses_wrong_input() -> None:
    with pytest.raises(DomainError, match="perlu NRR untuk 9 unsur, bukan 8") as error:
        ikm_from_nrr(BANTUL_NRR[:8], POLICY)
    assert error.value.field == "nrr"
    with pytest.raises(DomainError, match=r"NRR unsur U2 Sistem, Mekanisme, dan Prosedur '4\.01' di luar rentang"):
        ikm_from_nrr([D(3), D("4.01"), *BANTUL_NRR[2:]], POLICY)


# --- grading ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "grade", "label"),
    [
        ("100", "A", "Sangat Baik"),
        ("88.31", "A", "Sangat Baik"),
        ("88.305", "A", "Sangat Baik"),  # rounds half up to 88,31
        ("88.3049", "B", "Baik"),
        ("88.30", "B", "Baik"),
        ("76.61", "B", "Baik"),
        ("76.605", "B", "Baik"),
        ("76.60", "C", "Kurang Baik"),
        ("65.00", "C", "Kurang Baik"),
        ("64.995", "C", "Kurang Baik"),
        ("64.99", "D", "Tidak Baik"),
        ("25", "D", "Tidak Baik"),
    ],
)
def test_band_edges_on_the_2_dp_value(value: str, grade: str, label: str) -> None:
    band = grade_for(D(value), POLICY)
    assert (band.grade, band.label) == (grade, label)


def test_grade_of_an_exact_fraction() -> None:
    # 2649/30 = 88,3 exactly -> B; 52993/600 = 88,32166… -> A.
    assert grade_for(Fraction(2649, 30), POLICY).grade == "B"
    assert grade_for(Fraction(52993, 600), POLICY).grade == "A"


def test_round_half_up_is_exact() -> None:
    assert round_half_up(Fraction(1, 9), 4) == D("0.1111")
    assert round_half_up(D("88.305"), 2) == D("88.31")
    assert round_half_up(D("-0.125"), 2) == D("-0.13")
    assert round_half_up(Fraction(785, 9), 2) == D("87.22")


# --- responses ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, 5, -1, 2.5, 3.0, True, "3"])
def test_invalid_score_names_the_field_and_the_rule(bad: object) -> None:
    with pytest.raises(DomainError, match="untuk unsur U3 Waktu Penyelesaian tidak sah; isi bilangan bulat 1–4") as e:
        SurveyResponse(u1=4, u3=bad)  # type: ignore[arg-type]
    assert e.value.field == "u3"
    assert e.value.rule is not None and "1–4" in e.value.rule


def test_response_from_a_list_of_scores() -> None:
    response = SurveyResponse.of([4, 3, None, 2, 1, 4, 4, 3, 2], unit="DPMPTSP", respondent="t-01", comment="cepat")
    assert response.scores == (4, 3, None, 2, 1, 4, 4, 3, 2)
    assert (response.u5, response.unit, response.respondent) == (1, "DPMPTSP", "t-01")
    with pytest.raises(DomainError, match="kuesioner memuat 9 unsur, bukan 8") as error:
        SurveyResponse.of([4] * 8)
    assert error.value.field == "jawaban"
    with pytest.raises(DomainError) as error:
        SurveyResponse.of([4, 4, 4, 4, 4, 4, 4, 4, 0])
    assert error.value.field == "u9"


# --- compute_ikm --------------------------------------------------------------------------------------------------


def test_unanswered_items_divide_by_the_answered_count() -> None:
    result = compute_ikm(_responses([4, 3, None, 2, 1, 4, 4, 3, 2], [3, 3, 3, 3, 3, 3, 3, 3, 3]), POLICY)
    u3 = result.unsur[2]
    assert (u3.answered, u3.score_sum, u3.nrr, u3.nrr_exact) == (1, 3, D("3.00"), Fraction(3))
    u1 = result.unsur[0]
    assert (u1.answered, u1.nrr) == (2, D("3.50"))
    # NRRs 3,5 3 3 2,5 2 3,5 3,5 3 2,5 -> sum 26,5 -> NI 2,9444… -> IKM 73,611… -> 73,61 C.
    assert result.complete
    assert (result.ni, result.ikm, result.grade, result.label) == (D("2.9444"), D("73.61"), "C", "Kurang Baik")
    assert result.ikm_exact == Fraction(265, 360) * 100


def test_nrr_is_reported_to_2_dp_and_kept_exact() -> None:
    result = compute_ikm(_responses([4] * 9, [4] * 9, [3] * 9), POLICY)
    assert result.unsur[0].nrr == D("3.67")
    assert result.unsur[0].nrr_exact == Fraction(11, 3)
    assert result.ikm == D("91.67")
    assert result.ikm_exact == Fraction(275, 3)


def test_an_unsur_nobody_answered_gives_an_incomplete_result() -> None:
    result = compute_ikm(_responses([4, 4, None, 4, 4, 4, 4, 4, None], [3, 3, None, 3, 3, 3, 3, 3, None]), POLICY)
    assert not result.complete
    assert (result.ni, result.ikm, result.grade, result.label, result.ikm_exact) == (None,) * 5
    assert result.unsur[2].nrr is None and result.unsur[2].nrr_exact is None
    assert (
        "unsur U3 Waktu Penyelesaian, U9 Sarana dan Prasarana belum dijawab satu responden pun; "
        "IKM tidak dapat dihitung" in result.messages
    )


def test_no_responses_at_all() -> None:
    result = compute_ikm([], POLICY, population=40)
    assert not result.complete and result.response_count == 0 and not result.adequate
    assert result.messages[0] == "belum ada respons survei; IKM tidak dapat dihitung"
    assert result.required_sample == 36  # the published table for N 40


def test_policy_version_and_survey_policy_from_the_appraisal_policy() -> None:
    result = compute_ikm(_responses([4] * 9), DEFAULT_POLICY)
    assert result.policy_version == DEFAULT_POLICY.version
    assert compute_ikm(_responses([4] * 9), POLICY).policy_version is None
    assert compute_ikm(_responses([4] * 9), POLICY, policy_version="v9").policy_version == "v9"
    rounded = DEFAULT_POLICY.with_overrides({"survey": {"unsur_weight": "0.11"}}, revision="bobot")
    result = compute_ikm(_responses([4] * 9), rounded)
    assert (result.ikm, result.unsur_weight, result.policy_version) == (D("99.00"), D("0.11"), rounded.version)


# --- sample size --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "size"),
    [(1, 1), (10, 10), (50, 45), (100, 80), (500, 218), (1000, 278), (10_000, 370), (1_000_000, 384)],
)
def test_krejcie_morgan_sample_size_can_round_up(population: int, size: int) -> None:
    assert required_sample_size(population, SurveyPolicy(sample_rounding="up")) == size


@pytest.mark.parametrize(
    ("population", "size"),
    [(10, 10), (15, 14), (20, 19), (40, 36), (50, 44), (100, 80), (500, 217), (1000, 278), (100_000, 383)],
)
def test_default_reproduces_the_published_krejcie_morgan_table(population: int, size: int) -> None:
    assert required_sample_size(population, POLICY) == size


@pytest.mark.parametrize("population", [0, -5])
def test_population_must_be_positive(population: int) -> None:
    with pytest.raises(DomainError, match="isi jumlah penerima layanan") as error:
        required_sample_size(population, POLICY)
    assert error.value.field == "populasi"
    with pytest.raises(DomainError):
        compute_ikm(_responses([4] * 9), POLICY, population=population)


def test_too_few_responses_for_a_known_population_are_flagged() -> None:
    rows = [[4] * 9] * 79
    short = compute_ikm(_responses(*rows), POLICY, population=100)
    assert short.complete and short.ikm == D("100.00")
    assert (short.required_sample, short.adequate) == (80, False)
    assert short.messages == [
        "79 responden kurang dari sampel minimal 80 untuk populasi 100 (Krejcie & Morgan); "
        "IKM belum mewakili penerima layanan"
    ]
    enough = compute_ikm(_responses(*rows, [4] * 9), POLICY, population=100)
    assert (enough.adequate, enough.messages) == (True, [])


def test_too_few_responses_without_a_population_use_the_policy_minimum() -> None:
    short = compute_ikm(_responses(*[[3] * 9] * 29), POLICY)
    assert (short.population, short.required_sample, short.adequate) == (None, None, False)
    assert short.messages[0].startswith("29 responden kurang dari batas minimal 30 (populasi penerima layanan")
    assert compute_ikm(_responses(*[[3] * 9] * 30), POLICY).adequate
    assert compute_ikm(_responses([3] * 9), SurveyPolicy(min_responses_without_population=1)).adequate


# --- per unit -----------------------------------------------------------------------------------------------------


def test_ikm_by_unit_is_ordered_by_unit_and_uses_each_population() -> None:
    responses = [
        *_responses([4] * 9, [4] * 9, unit="RSUD"),
        *_responses([2] * 9, unit="DISDUKCAPIL"),
        *_responses([3] * 9, unit="DPMPTSP"),
    ]
    listed = ikm_by_unit(responses, DEFAULT_POLICY, {"RSUD": 2, "DISDUKCAPIL": 5, "BAPPEDA": 10})
    assert [r.unit for r in listed] == ["BAPPEDA", "DISDUKCAPIL", "DPMPTSP", "RSUD"]
    assert all(isinstance(r, IkmResult) and r.policy_version == DEFAULT_POLICY.version for r in listed)
    results = {r.unit: r for r in listed}
    assert (results["RSUD"].ikm, results["RSUD"].adequate, results["RSUD"].unit) == (D("100.00"), True, "RSUD")
    assert (results["DISDUKCAPIL"].ikm, results["DISDUKCAPIL"].required_sample) == (D("50.00"), 5)
    assert results["DPMPTSP"].population is None and not results["DPMPTSP"].adequate
    assert not results["BAPPEDA"].complete and results["BAPPEDA"].response_count == 0


def test_ikm_by_unit_needs_a_unit_on_every_response() -> None:
    with pytest.raises(DomainError, match="2 respons tanpa unit layanan") as error:
        ikm_by_unit([*_responses([4] * 9, unit="RSUD"), *_responses([4] * 9, [3] * 9)], POLICY)
    assert error.value.field == "unit"


# --- properties ---------------------------------------------------------------------------------------------------

_score = st.one_of(st.none(), st.integers(min_value=1, max_value=4))


@settings(max_examples=200)
@given(
    st.lists(st.integers(min_value=1, max_value=4), min_size=9, max_size=9),
    st.lists(st.lists(_score, min_size=9, max_size=9), max_size=25),
)
def test_ikm_lies_between_25_and_100(first: list[int], rest: list[list[int | None]]) -> None:
    # The first response answers every unsur, so every NRR is defined.
    result = compute_ikm(_responses(first, *rest), POLICY)
    assert result.complete and result.ikm is not None and result.ikm_exact is not None
    assert D(25) <= result.ikm <= D(100)
    assert 25 <= result.ikm_exact <= 100
    assert result.grade == grade_for(result.ikm_exact, POLICY).grade
    assert result.response_count == len(rest) + 1
