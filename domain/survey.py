"""Survei Kepuasan Masyarakat → Indeks Kepuasan Masyarakat (PermenPANRB 14/2017, reference 2).

Every step is exact: NRR per unsur is kept as a sum and a count, the weight 1/9 is a Fraction, and only the values
users read (NRR, NI, IKM) are rounded, half up. The grade comes from the IKM rounded to 2 decimals, as published.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from domain.errors import DomainError
from domain.policy import AppraisalPolicy, SurveyBand, SurveyPolicy

# PermenPANRB 14/2017: the answer scale is 1 (tidak baik/tidak sesuai) … 4 (sangat baik/sangat sesuai) [C-2nd].
MIN_SCORE = 1
MAX_SCORE = 4
# IKM konversi = NI x 25, so the 1–4 scale maps onto 25–100.
CONVERSION = 25
IKM_PLACES = 2
# The category table gives NI to 4 decimals (2,5996 / 3,0644 / 3,5324); NI is shown the same way.
NI_PLACES = 4
NRR_PLACES = 2

SCORE_RULE = "skala jawaban SKM: bilangan bulat 1–4 atau kosong (PermenPANRB 14/2017)"


@dataclass(frozen=True)
class Unsur:
    code: str  # "U1" … "U9"
    name: str

    @property
    def field(self) -> str:
        return self.code.lower()


# PermenPANRB 14/2017, in the order of the regulation (some apps swap U8/U9; this order is the regulation's) [C].
UNSUR: tuple[Unsur, ...] = (
    Unsur("U1", "Persyaratan"),
    Unsur("U2", "Sistem, Mekanisme, dan Prosedur"),
    Unsur("U3", "Waktu Penyelesaian"),
    Unsur("U4", "Biaya/Tarif"),
    Unsur("U5", "Produk Spesifikasi Jenis Pelayanan"),
    Unsur("U6", "Kompetensi Pelaksana"),
    Unsur("U7", "Perilaku Pelaksana"),
    Unsur("U8", "Penanganan Pengaduan, Saran dan Masukan"),
    Unsur("U9", "Sarana dan Prasarana"),
)
EXACT_WEIGHT = Fraction(1, len(UNSUR))


@dataclass(frozen=True, kw_only=True)
class SurveyResponse:
    """One filled SKM questionnaire: a score 1–4 per unsur, None where the respondent left it blank.

    A plain dataclass so a wrong score raises DomainError naming the field ("u3") at construction.
    """

    u1: int | None = None
    u2: int | None = None
    u3: int | None = None
    u4: int | None = None
    u5: int | None = None
    u6: int | None = None
    u7: int | None = None
    u8: int | None = None
    u9: int | None = None
    unit: str | None = None
    respondent: str | None = None  # an anonymous token, never a name
    comment: str | None = None
    submitted_at: datetime | None = None  # when the respondent answered, if the form says (see survey_window.py)

    def __post_init__(self) -> None:
        for unsur, value in zip(UNSUR, self.scores, strict=True):
            _check_score(unsur, value)

    @property
    def scores(self) -> tuple[int | None, ...]:
        return (self.u1, self.u2, self.u3, self.u4, self.u5, self.u6, self.u7, self.u8, self.u9)

    @classmethod
    def of(
        cls,
        scores: Sequence[int | None],
        *,
        unit: str | None = None,
        respondent: str | None = None,
        comment: str | None = None,
        submitted_at: datetime | None = None,
    ) -> SurveyResponse:
        """A response from the 9 scores in regulation order."""
        if len(scores) != len(UNSUR):
            raise DomainError(
                f"kuesioner memuat {len(UNSUR)} unsur, bukan {len(scores)}", field="jawaban", rule=SCORE_RULE
            )
        u1, u2, u3, u4, u5, u6, u7, u8, u9 = scores
        return cls(
            u1=u1,
            u2=u2,
            u3=u3,
            u4=u4,
            u5=u5,
            u6=u6,
            u7=u7,
            u8=u8,
            u9=u9,
            unit=unit,
            respondent=respondent,
            comment=comment,
            submitted_at=submitted_at,
        )


def _check_score(unsur: Unsur, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_SCORE <= value <= MAX_SCORE:
        raise DomainError(
            f"nilai '{value}' untuk unsur {unsur.code} {unsur.name} tidak sah; isi bilangan bulat 1–4 "
            "(1 tidak baik … 4 sangat baik) atau kosongkan",
            field=unsur.field,
            rule=SCORE_RULE,
        )


class UnsurResult(BaseModel):
    """NRR of one unsur: kept exact as `score_sum / answered`; `nrr` is that value rounded for reports."""

    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    answered: int
    score_sum: int
    nrr: Decimal | None  # None when nobody answered this unsur

    @property
    def nrr_exact(self) -> Fraction | None:
        return Fraction(self.score_sum, self.answered) if self.answered else None


class IkmScore(BaseModel):
    """NI, IKM konversi and the category, from 9 NRRs."""

    model_config = ConfigDict(frozen=True)

    ni: Decimal  # rounded to NI_PLACES, for display
    ikm: Decimal  # rounded to IKM_PLACES: the published value, and the one that is graded
    grade: str
    label: str


class IkmResult(BaseModel):
    """The IKM of a set of responses, with everything needed to show and audit it."""

    model_config = ConfigDict(frozen=True)

    unit: str | None = None
    response_count: int
    unsur: list[UnsurResult]
    complete: bool  # every unsur answered at least once; otherwise no IKM
    ni: Decimal | None
    ikm: Decimal | None
    grade: str | None
    label: str | None
    unsur_weight: Decimal | None  # the policy's weight; None = exact 1/9
    population: int | None
    required_sample: int | None
    adequate: bool
    messages: list[str]
    policy_version: str | None

    @property
    def ikm_exact(self) -> Fraction | None:
        """IKM konversi before rounding, exactly."""
        if not self.complete:
            return None
        nrrs = [Fraction(u.score_sum, u.answered) for u in self.unsur]
        return _ni(nrrs, _weight(self.unsur_weight)) * CONVERSION


Number = Decimal | Fraction | int


def round_half_up(value: Number, places: int) -> Decimal:
    """`value` rounded half up (away from zero) to `places` decimals, exactly, also for Fractions such as 1/9."""
    exact = Fraction(value)
    scaled = abs(exact) * 10**places
    digits = math.floor(scaled + Fraction(1, 2))
    return Decimal(-digits if exact < 0 else digits).scaleb(-places)


def grade_for(value: Number, policy: SurveyPolicy) -> SurveyBand:
    """The category of an IKM konversi: the first band whose minimum the value rounded to 2 dp reaches.

    The published table leaves gaps (64,99|65,00, 76,60|76,61, 88,30|88,31); grading the 2-dp value closes them,
    so 88,305 reads 88,31 and is A. Below the lowest minimum the lowest band applies.
    """
    shown = round_half_up(value, IKM_PLACES)
    for band in policy.bands:
        if shown >= band.min_index:
            return band
    return policy.bands[-1]


def ikm_from_nrr(nrrs: Sequence[Number], policy: SurveyPolicy) -> IkmScore:
    """NI = Σ NRR_u x weight, IKM = NI x 25, graded (PermenPANRB 14/2017 formula, reference 2.2).

    The weight is exactly 1/9 unless the policy sets one: the rounded "0,11" many offices use reads about 1 % low.
    """
    if len(nrrs) != len(UNSUR):
        raise DomainError(f"perlu NRR untuk {len(UNSUR)} unsur, bukan {len(nrrs)}", field="nrr")
    exact: list[Fraction] = []
    for unsur, value in zip(UNSUR, nrrs, strict=True):
        nrr = Fraction(value)
        if not MIN_SCORE <= nrr <= MAX_SCORE:
            raise DomainError(f"NRR unsur {unsur.code} {unsur.name} '{value}' di luar rentang 1–4", field="nrr")
        exact.append(nrr)
    ni = _ni(exact, _weight(policy.unsur_weight))
    return _score(ni, policy)


def required_sample_size(population: int, policy: SurveyPolicy) -> int:
    """Krejcie & Morgan: S = χ²NP(1−P) / (d²(N−1) + χ²P(1−P)) [C-2nd, reference 2], never more than N.

    With the default χ² 3,841, P 0,5 and d 0,05: N 10 → 10, N 100 → 80, N 1000 → 278. By default S is rounded to
    the nearest whole respondent, which gives the values of the published table (N 50 → 44); `sample_rounding="up"`
    rounds up instead (N 50 → 45).
    """
    if isinstance(population, bool) or not isinstance(population, int) or population <= 0:
        raise DomainError(
            f"populasi '{population}' tidak sah; isi jumlah penerima layanan, bilangan bulat lebih dari 0",
            field="populasi",
        )
    chi2, p, d = Fraction(policy.chi_square), Fraction(policy.proportion), Fraction(policy.margin)
    variance = chi2 * p * (1 - p)
    size = variance * population / (d * d * (population - 1) + variance)
    rounded = math.ceil(size) if policy.sample_rounding == "up" else math.floor(size + Fraction(1, 2))
    return min(rounded, population)


def compute_ikm(
    responses: Iterable[SurveyResponse],
    policy: SurveyPolicy | AppraisalPolicy,
    population: int | None = None,
    *,
    unit: str | None = None,
    policy_version: str | None = None,
) -> IkmResult:
    """The IKM of `responses` (PermenPANRB 14/2017).

    NRR of an unsur = the sum of its scores / the number of respondents who answered it (a blank answer is not a
    zero; the KEP/25/M.PAN/2004 convention "jumlah kuesioner yang terisi", assumed for 14/2017 [U]). An unsur nobody
    answered leaves the IKM undefined: the result is then `complete=False` with a message, not an error.
    Too few responses (below the Krejcie–Morgan size for a known population, or below the policy minimum when the
    population is unknown) still give an IKM, flagged `adequate=False` with a message.
    Given an AppraisalPolicy, its survey policy is used and its version recorded.
    """
    survey, version = _survey_policy(policy, policy_version)
    items = list(responses)
    sums = [0] * len(UNSUR)
    answered = [0] * len(UNSUR)
    for response in items:
        for i, value in enumerate(response.scores):
            if value is not None:
                sums[i] += value
                answered[i] += 1
    unsur = [
        UnsurResult(
            code=u.code,
            name=u.name,
            answered=answered[i],
            score_sum=sums[i],
            nrr=round_half_up(Fraction(sums[i], answered[i]), NRR_PLACES) if answered[i] else None,
        )
        for i, u in enumerate(UNSUR)
    ]
    messages: list[str] = []
    missing = [u for u in unsur if not u.answered]
    score: IkmScore | None = None
    if not items:
        messages.append("belum ada respons survei; IKM tidak dapat dihitung")
    elif missing:
        names = ", ".join(f"{u.code} {u.name}" for u in missing)
        messages.append(f"unsur {names} belum dijawab satu responden pun; IKM tidak dapat dihitung")
    else:
        exact = [Fraction(u.score_sum, u.answered) for u in unsur]
        score = _score(_ni(exact, _weight(survey.unsur_weight)), survey)

    required = required_sample_size(population, survey) if population is not None else None
    count = len(items)
    if required is not None:
        adequate = count >= required
        if not adequate:
            messages.append(
                f"{count} responden kurang dari sampel minimal {required} untuk populasi {population} "
                "(Krejcie & Morgan); IKM belum mewakili penerima layanan"
            )
    else:
        adequate = count >= survey.min_responses_without_population
        if not adequate:
            messages.append(
                f"{count} responden kurang dari batas minimal {survey.min_responses_without_population} "
                "(populasi penerima layanan tidak diketahui); IKM belum mewakili penerima layanan"
            )
    return IkmResult(
        unit=unit,
        response_count=count,
        unsur=unsur,
        complete=score is not None,
        ni=score.ni if score else None,
        ikm=score.ikm if score else None,
        grade=score.grade if score else None,
        label=score.label if score else None,
        unsur_weight=survey.unsur_weight,
        population=population,
        required_sample=required,
        adequate=adequate,
        messages=messages,
        policy_version=version,
    )


def ikm_by_unit(
    responses: Iterable[SurveyResponse],
    policy: SurveyPolicy | AppraisalPolicy,
    populations: Mapping[str, int] | None = None,
    *,
    policy_version: str | None = None,
) -> list[IkmResult]:
    """The IKM of every unit, ordered by unit code (each result names its unit).

    A unit listed in `populations` without any response is included (incomplete), so a unit that collected
    nothing is seen rather than silently left out. Every response must name its unit.
    """
    populations = populations or {}
    by_unit: dict[str, list[SurveyResponse]] = {unit: [] for unit in populations}
    without_unit = 0
    for response in responses:
        if response.unit is None or not response.unit.strip():
            without_unit += 1
        else:
            by_unit.setdefault(response.unit, []).append(response)
    if without_unit:
        raise DomainError(
            f"{without_unit} respons tanpa unit layanan; IKM per unit memerlukan unit pada setiap respons",
            field="unit",
        )
    return [
        compute_ikm(by_unit[unit], policy, populations.get(unit), unit=unit, policy_version=policy_version)
        for unit in sorted(by_unit)
    ]


def _survey_policy(
    policy: SurveyPolicy | AppraisalPolicy, policy_version: str | None
) -> tuple[SurveyPolicy, str | None]:
    if isinstance(policy, AppraisalPolicy):
        return policy.survey, policy_version or policy.version
    return policy, policy_version


def _weight(unsur_weight: Decimal | None) -> Fraction:
    return EXACT_WEIGHT if unsur_weight is None else Fraction(unsur_weight)


def _ni(nrrs: Sequence[Fraction], weight: Fraction) -> Fraction:
    return sum((nrr * weight for nrr in nrrs), Fraction(0))


def _score(ni: Fraction, policy: SurveyPolicy) -> IkmScore:
    ikm = ni * CONVERSION
    band = grade_for(ikm, policy)
    return IkmScore(
        ni=round_half_up(ni, NI_PLACES), ikm=round_half_up(ikm, IKM_PLACES), grade=band.grade, label=band.label
    )
