"""The appraisal policy: every threshold, table and offset the rules use, as one versioned value.

The defaults are the regulation defaults as far as `shared/domain/asn-appraisal.md` could confirm them. Items the
reference marks [C-2nd] or [U] are exactly the ones an instansi may need to override, so nothing here is hard-coded
in the rules: they take a policy and every computed result records `policy.version`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.periods import PeriodKind
from domain.ratings import Expectation, OrgPredicate, Predicate
from domain.workdays import WorkingDaysPolicy

BASE_POLICY_VERSION = "permenpanrb-6-2022/2026.1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AchievementPolicy(_Frozen):
    """Capaian of one indicator (PermenPANRB 8/2021 annex formulas, kept by SAKIP practice)."""

    # [U] The regulation caps the 8/2021 *nilai* at 120 for capaian >110 %, not the capaian itself: no cap by default.
    cap: Decimal | None = None
    # [U] practice: (2 - r/t) x 100 goes negative once realisasi >= 2 x target; clamp it.
    negative_floor: Decimal = Decimal(0)
    decimal_places: int = Field(default=2, ge=0, le=6)


class SuggestionPolicy(_Frozen):
    """How achievements suggest a hasil-kerja rating; only a suggestion, the penilai may override it with a reason.

    [C-2nd, partial] Di Atas = most results above and no utama below; Sesuai = most results meet and only a small
    part of the utama below; Di Bawah = most results below. The per-indicator cut-offs are [U].
    """

    above_from: Decimal = Decimal(110)
    meets_from: Decimal = Decimal(100)
    # "sebagian besar": strictly more than this share.
    majority_share: Decimal = Decimal("0.5")
    # "sebagian kecil": strictly less than this share of the utama may be below expectation for Sesuai.
    minority_share: Decimal = Decimal("0.5")

    @model_validator(mode="after")
    def _ordered(self) -> SuggestionPolicy:
        if self.meets_from > self.above_from:
            raise ValueError("suggestion.meets_from harus <= suggestion.above_from")
        return self


def _default_matrix() -> dict[Expectation, dict[Expectation, Predicate]]:
    # PermenPANRB 6/2022 predicate matrix [C-2nd]: rows hasil kerja, columns perilaku kerja.
    a, m, b = Expectation.ABOVE, Expectation.MEETS, Expectation.BELOW
    return {
        a: {b: Predicate.KURANG, m: Predicate.BAIK, a: Predicate.SANGAT_BAIK},
        m: {b: Predicate.KURANG, m: Predicate.BAIK, a: Predicate.BAIK},
        b: {b: Predicate.SANGAT_KURANG, m: Predicate.BUTUH_PERBAIKAN, a: Predicate.BUTUH_PERBAIKAN},
    }


class QuotaRule(_Frozen):
    """One constraint of a distribution pattern on the share or count of some predicates in a group."""

    predicates: frozenset[Predicate]
    min_share: Decimal | None = None
    max_share: Decimal | None = None
    min_count: int | None = None
    max_count: int | None = None
    text: str  # the rule as SE 3/2023 words it, for messages


def _rule(preds: set[Predicate], text: str, **limits: Any) -> QuotaRule:
    return QuotaRule(predicates=frozenset(preds), text=text, **limits)


def _default_patterns() -> dict[OrgPredicate, list[QuotaRule]]:
    # SE MenPAN-RB 3/2023 distribution patterns [C-2nd]; "sebagian besar" is written "maksimal 70%": copied as is.
    sb, b, bp, k, sk = (
        Predicate.SANGAT_BAIK,
        Predicate.BAIK,
        Predicate.BUTUH_PERBAIKAN,
        Predicate.KURANG,
        Predicate.SANGAT_KURANG,
    )
    pct = Decimal
    return {
        OrgPredicate.ISTIMEWA: [_rule({sb}, "Sangat Baik paling banyak 70%", max_share=pct("0.70"))],
        OrgPredicate.BAIK: [
            _rule({b}, "Baik paling banyak 70%", max_share=pct("0.70")),
            _rule({bp, k}, "paling sedikit 1 pegawai Butuh Perbaikan dan/atau Kurang/Misconduct", min_count=1),
        ],
        OrgPredicate.BUTUH_PERBAIKAN: [
            _rule({bp}, "Butuh Perbaikan paling sedikit 60%", min_share=pct("0.60")),
            _rule({sb}, "Sangat Baik paling banyak 10%", max_share=pct("0.10")),
        ],
        OrgPredicate.KURANG: [
            _rule({k}, "Kurang/Misconduct paling sedikit 60%", min_share=pct("0.60")),
            _rule({bp}, "Butuh Perbaikan paling sedikit 10%", min_share=pct("0.10")),
            _rule({sb}, "Sangat Baik paling banyak 10%", max_share=pct("0.10")),
        ],
        OrgPredicate.SANGAT_KURANG: [
            _rule({sk}, "Sangat Kurang paling sedikit 60%", min_share=pct("0.60")),
            _rule({k, bp}, "Kurang/Misconduct dan/atau Butuh Perbaikan paling sedikit 10%", min_share=pct("0.10")),
            _rule({sb}, "tidak boleh ada Sangat Baik", max_count=0),
        ],
    }


class CalibrationPolicy(_Frozen):
    patterns: dict[OrgPredicate, list[QuotaRule]] = Field(default_factory=_default_patterns)
    # [U] SE 3/2023 does not say how shares round for small groups. "strict": a maximum rounds down and a minimum
    # rounds up (the quota is never exceeded); "nearest": both round half up.
    rounding: Literal["strict", "nearest"] = "strict"


class SurveyBand(_Frozen):
    min_index: Decimal  # lower bound of the IKM konversi (x25), on the value rounded to 2 decimals
    grade: str
    label: str


def _default_bands() -> list[SurveyBand]:
    # PermenPANRB 14/2017 category bands [C-2nd]; gaps between bands closed as thresholds on 2-dp values.
    return [
        SurveyBand(min_index=Decimal("88.31"), grade="A", label="Sangat Baik"),
        SurveyBand(min_index=Decimal("76.61"), grade="B", label="Baik"),
        SurveyBand(min_index=Decimal("65.00"), grade="C", label="Kurang Baik"),
        SurveyBand(min_index=Decimal("25.00"), grade="D", label="Tidak Baik"),
    ]


class SurveyPolicy(_Frozen):
    """SKM -> IKM (PermenPANRB 14/2017)."""

    # None = exact 1/9; some offices use the rounded 0.11, which reads ~1 % low (reference 2.2).
    unsur_weight: Decimal | None = None
    bands: list[SurveyBand] = Field(default_factory=_default_bands)
    # Krejcie & Morgan sample size [C-2nd]: chi^2 (1 df, 95 %), population proportion, margin of error.
    chi_square: Decimal = Decimal("3.841")
    proportion: Decimal = Decimal("0.5")
    margin: Decimal = Decimal("0.05")
    # "nearest" (default): half up, which reproduces the published Krejcie & Morgan (1970) table that the SKM
    # guidance points to (N 50 -> 44, N 500 -> 217); "up": the formula rounded up (45 and 218), never fewer
    # respondents than the formula asks. [C-2nd] reference 2: "ukuran sampel diperoleh dari tabel Krejcie and Morgan".
    sample_rounding: Literal["up", "nearest"] = "nearest"
    # Used when the served population is unknown: below this many responses the IKM is flagged. [U]
    min_responses_without_population: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _bands_descending(self) -> SurveyPolicy:
        mins = [band.min_index for band in self.bands]
        if not mins or mins != sorted(mins, reverse=True):
            raise ValueError("survey.bands harus terurut dari nilai tertinggi ke terendah")
        return self


class CalendarDate(_Frozen):
    """A date relative to the appraisal year Y: `year_offset` 0 is Y, 1 is Y+1."""

    year_offset: int = Field(default=0, ge=0, le=1)
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)

    def in_period(self, year: int) -> date:
        return date(year + self.year_offset, self.month, self.day)


class CalendarPolicy(_Frozen):
    """Default deadlines of an annual cycle (reference 1.7); a cycle may set its own dates."""

    skp_draft_due: CalendarDate = CalendarDate(month=1, day=14)  # minggu kedua Januari: pengelola kinerja drafts
    skp_due: CalendarDate = CalendarDate(month=1, day=31)  # penetapan SKP paling lambat akhir Januari
    survey_opens: CalendarDate = CalendarDate(month=10, day=1)
    survey_closes: CalendarDate = CalendarDate(month=11, day=30)
    self_assessment_due: CalendarDate = CalendarDate(year_offset=1, month=1, day=5)
    review_due: CalendarDate = CalendarDate(year_offset=1, month=1, day=10)
    calibration_due: CalendarDate = CalendarDate(year_offset=1, month=1, day=20)
    sign_off_due: CalendarDate = CalendarDate(year_offset=1, month=1, day=31)
    # PP 30/2019 Pasal 59: keberatan within 14 days of receiving the result [C].
    objection_window: timedelta = timedelta(days=14)
    objection_decision_due: timedelta = timedelta(days=14)  # [U] not in the sources read
    # [U] policy (issue 20): an extension of the SKP's drafting or approval, or of the realisation, moves the
    # appraisal's later deadlines before the review by as many days as it gave, never past the review deadline (the
    # cycle then takes every predicate for calibration). Counted from the old deadline's day to the new one's in the
    # cycle's zone: working days where the cycle counts them (Deadlines.workdays), else, or through a year whose
    # holidays are not listed, calendar days. The review, calibration, sign-off and objection deadlines do not move.
    extension_shifts_later: bool = False
    # [U] policy (issue 20, domain.skp_versions): the pejabat penilai approves or returns an SKP changed during the
    # year within this many days of its proposal, working days where the cycle counts them (Deadlines.workdays), else
    # calendar days; never later than the self-assessment's deadline.
    skp_change_approval_days: int = Field(default=5, ge=1, le=30)


class EscalationPolicy(_Frozen):
    reminders_before: list[timedelta] = Field(
        default_factory=lambda: [timedelta(days=7), timedelta(days=3), timedelta(days=1)]
    )
    # After the deadline: escalate at once to pengawasan + the actor's superior; after this grace, one level up.
    grace: timedelta = timedelta(days=3)
    max_levels: int = Field(default=2, ge=1, le=5)
    # In hari kerja where the instansi says so (issue 20; domain.workdays, its working week and days off): reminders
    # this many working days before the deadline instead of `reminders_before`, and each further level this many
    # working days after the one before instead of `grace`. Counted from the cycle's own table of working days
    # (Deadlines.workdays); into a year whose holidays are not listed, in calendar days.
    reminders_before_working_days: list[Annotated[int, Field(ge=1, le=60)]] = Field(default_factory=list, max_length=10)
    grace_working_days: int | None = Field(default=None, ge=1, le=60)

    @property
    def in_working_days(self) -> bool:
        return bool(self.reminders_before_working_days) or self.grace_working_days is not None


class FollowUpPolicy(_Frozen):
    """Tindak lanjut (issue 20, domain.development) [U]: the regulation asks for pengembangan kinerja (bimbingan
    kinerja, PermenPANRB 6/2022 Pasal 5) and names no deadline. A final predicate in `predicates` opens a
    development plan; the penilai sends it within `plan_working_days` of the final result, and the employee agrees
    within `agreement_working_days` of its sending, each in the cycle's working days (calendar days into a year whose
    holidays are not listed), with the reminders and escalation of `escalation`."""

    predicates: list[Predicate] = Field(
        default_factory=lambda: [Predicate.BUTUH_PERBAIKAN, Predicate.KURANG, Predicate.SANGAT_KURANG], max_length=5
    )
    plan_working_days: int = Field(default=10, ge=1, le=60)
    agreement_working_days: int = Field(default=5, ge=1, le=60)


class PeriodPolicy(_Frozen):
    """Periodic evaluation (issue 20, domain.periods) [U]: PermenPANRB 6/2022 evaluates periodically and yearly and
    leaves the frequency to the instansi (its annex form: TRIWULAN I/II/III/IV-AKHIR). After each period but the
    last, the employee records the realisation so far within `realisation_working_days` of the period's end, and the
    penilai holds the dialog kinerja within `dialog_working_days` of that record, with a periodic rating where
    `rating` says so; reminders and escalation as for an appraisal's step."""

    kind: PeriodKind = "triwulan"
    realisation_working_days: int = Field(default=5, ge=1, le=60)
    dialog_working_days: int = Field(default=5, ge=1, le=60)
    rating: bool = False


class AppraisalPolicy(_Frozen):
    version: str = BASE_POLICY_VERSION
    achievement: AchievementPolicy = AchievementPolicy()
    suggestion: SuggestionPolicy = SuggestionPolicy()
    predicate_matrix: dict[Expectation, dict[Expectation, Predicate]] = Field(default_factory=_default_matrix)
    calibration: CalibrationPolicy = CalibrationPolicy()
    survey: SurveyPolicy = SurveyPolicy()
    calendar: CalendarPolicy = CalendarPolicy()
    working_days: WorkingDaysPolicy = WorkingDaysPolicy()  # hari kerja, for deadlines stated in them (domain.workdays)
    escalation: EscalationPolicy = EscalationPolicy()
    follow_up: FollowUpPolicy = FollowUpPolicy()  # development plans after a final predicate below Baik
    periods: PeriodPolicy = PeriodPolicy()  # periodic evaluation before the annual one (domain.periods)
    # [U] No source bounds how often a penilai may return a draft SKP; after this many returns only approval (or the
    # supervision team) moves it on, so target setting cannot loop until the deadline.
    max_skp_returns: int = Field(default=3, ge=0, le=10)

    @model_validator(mode="after")
    def _complete_tables(self) -> AppraisalPolicy:
        for hasil in Expectation:
            row = self.predicate_matrix.get(hasil, {})
            missing = [p.label for p in Expectation if p not in row]
            if missing:
                raise ValueError(f"predicate_matrix[{hasil.label}] tidak lengkap: {', '.join(missing)} belum diisi")
        missing_patterns = [o.label for o in OrgPredicate if o not in self.calibration.patterns]
        if missing_patterns:
            raise ValueError(f"calibration.patterns tidak lengkap: {', '.join(missing_patterns)} belum diisi")
        return self

    def with_overrides(self, overrides: dict[str, Any], revision: str) -> AppraisalPolicy:
        """This policy with an instansi's overrides deep-merged in, under the version `<base>+<revision>`.

        Raises pydantic.ValidationError naming the field when an override breaks a rule.
        """
        merged = _deep_merge(self.model_dump(mode="json"), overrides)
        merged["version"] = f"{self.version}+{revision}"
        return AppraisalPolicy.model_validate(merged)


def _deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


DEFAULT_POLICY = AppraisalPolicy()
