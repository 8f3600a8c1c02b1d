"""What the pages of an appraisal's later steps show beside their forms, from the workflow's state and the rules of
domain/ (no rule of its own): each indicator with its target, realisation and capaian; the capaian of a realisation as
typed, before it is sent; the 3×3 predicate matrix with the chosen cell; the policy the appraisal's cycle runs on.

What is shown before a step is a preview by the same functions the workflow uses (domain.achievement,
domain.assessment); the workflow's own figures, once recorded, are the ones that count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.achievement import IndicatorAchievement, achievement
from domain.bounds import check_amount
from domain.errors import DomainError
from domain.policy import AchievementPolicy, AppraisalPolicy
from domain.ratings import Expectation, Predicate
from domain.skp import Indicator, Polarity, Realisation, RencanaHasilKerja, Skp
from domain.skp_versions import year_skp
from importing.tables import NumberStyle
from importing.values import parse_decimal
from persistence.ports import AbstractUnitOfWork
from workflows.contracts import AppraisalState

UowFactory = Callable[[], AbstractUnitOfWork]
MAX_TYPED_CHARS = 30
REALISATION_PLACES = 4  # services.steps.RealisationBody: decimal_places=4
POLARITY_LABELS = {
    Polarity.HIGHER_IS_BETTER: "Maksimal (semakin tinggi semakin baik)",
    Polarity.LOWER_IS_BETTER: "Minimal (semakin rendah semakin baik)",
    Polarity.RANGE: "Rentang (antara target dan target atas)",
}


def policy_of(uow_factory: UowFactory, cycle_id: str, instansi_code: str) -> AppraisalPolicy:
    """The policy the cycle's appraisals were started with (recorded when the cycle began), else the instansi's."""
    with uow_factory() as uow:
        cycle = uow.cycles.get(cycle_id)
        if cycle is not None and cycle.policy is not None:
            return cycle.policy
        return uow.instansi.policy(instansi_code)


@dataclass(frozen=True)
class IndicatorRow:
    """One indicator of the SKP, in SKP order, with what the self-assessment and the workflow recorded for it."""

    index: int  # its place in the SKP (0-based): the realisation form's field names use it
    rhk_number: int  # 1-based
    rhk: RencanaHasilKerja
    indicator: Indicator
    realisation: Realisation | None
    achievement: IndicatorAchievement | None

    @property
    def polarity_label(self) -> str:
        return POLARITY_LABELS[self.indicator.target.polarity]


def indicator_rows(
    skp: Skp, realisations: Sequence[Realisation] = (), achievements: Sequence[IndicatorAchievement] = ()
) -> list[IndicatorRow]:
    by_realisation = {r.indicator_id: r for r in realisations}
    by_achievement = {a.indicator_id: a for a in achievements}
    rows: list[IndicatorRow] = []
    for number, rhk in enumerate(skp.rhk, start=1):
        for indicator in rhk.indicators:
            rows.append(
                IndicatorRow(
                    index=len(rows),
                    rhk_number=number,
                    rhk=rhk,
                    indicator=indicator,
                    realisation=by_realisation.get(indicator.id),
                    achievement=by_achievement.get(indicator.id),
                )
            )
    return rows


def year_rows(state: AppraisalState, *, recorded: bool = False) -> list[IndicatorRow]:
    """Every indicator the year's realisation covers (every version's where the SKP changed during the year,
    domain.skp_versions), with what the self-assessment and the workflow recorded for it when `recorded`."""
    if state.skp is None:
        return []
    skp = year_skp(state.skp, state.skp_versions)
    return indicator_rows(skp, state.realisations, state.achievements) if recorded else indicator_rows(skp)


def parse_realisation(typed: str, field: str) -> Decimal:
    """A realisation as typed on the form ("1.210", "98,2"), or DomainError naming `field` and the rule: a number,
    not negative, at most 10^12, at most four decimals (what the step accepts)."""
    cleaned = typed.strip()
    if not cleaned:
        raise DomainError("wajib diisi", field=field)
    if len(cleaned) > MAX_TYPED_CHARS:
        raise DomainError(f"paling panjang {MAX_TYPED_CHARS} karakter", field=field)
    try:
        value = parse_decimal(cleaned, NumberStyle.INDONESIAN)
    except ValueError as error:
        raise DomainError(str(error), field=field) from None
    check_amount(value, field)
    # "98,20" is 98.2 and "100,0" is 100: trailing zeros are no precision the step must carry.
    normalized = value.normalize()
    exponent = normalized.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= 0:
        return value.to_integral_value()
    if -exponent > REALISATION_PLACES:
        raise DomainError(f"paling banyak {REALISATION_PLACES} angka di belakang koma", field=field)
    return normalized


@dataclass(frozen=True)
class CapaianPreview:
    """The capaian of a realisation as typed: the percent, or why there is none (nothing typed yet, or the message
    of the rule the typed value breaks)."""

    percent: Decimal | None = None
    message: str | None = None


def preview_capaian(indicator: Indicator, typed: str, policy: AchievementPolicy) -> CapaianPreview:
    """The capaian the workflow would compute for `typed` (domain.achievement: lower-is-better and ranges included)."""
    if not typed.strip():
        return CapaianPreview()
    try:
        value = parse_realisation(typed, "realisasi")
        return CapaianPreview(percent=achievement(indicator.target, value, policy))
    except DomainError as refused:
        return CapaianPreview(message=str(refused).removeprefix("realisasi: ").removeprefix("target: "))


@dataclass(frozen=True)
class MatrixCell:
    perilaku: Expectation
    predicate: Predicate
    chosen: bool


@dataclass(frozen=True)
class MatrixRow:
    hasil_kerja: Expectation
    cells: list[MatrixCell]


@dataclass(frozen=True)
class PredicateMatrix:
    """The policy's 3×3 matrix (rows hasil kerja, columns perilaku kerja, PermenPANRB 6/2022), the chosen cell
    marked; `predicate` is what the chosen pair gives (None until both are chosen)."""

    rows: list[MatrixRow]
    columns: list[Expectation]
    predicate: Predicate | None
    hasil_kerja: Expectation | None
    perilaku: Expectation | None


def predicate_matrix(
    policy: AppraisalPolicy, hasil_kerja: Expectation | None, perilaku: Expectation | None
) -> PredicateMatrix:
    columns = list(Expectation)
    rows = [
        MatrixRow(
            hasil_kerja=hasil,
            cells=[
                MatrixCell(
                    perilaku=column,
                    predicate=policy.predicate_matrix[hasil][column],
                    chosen=hasil is hasil_kerja and column is perilaku,
                )
                for column in columns
            ],
        )
        for hasil in Expectation
    ]
    chosen = policy.predicate_matrix[hasil_kerja][perilaku] if hasil_kerja and perilaku else None
    return PredicateMatrix(rows=rows, columns=columns, predicate=chosen, hasil_kerja=hasil_kerja, perilaku=perilaku)


def expectation_or_none(text: str | None) -> Expectation | None:
    """A rating as a form sends it (its code), or None for anything else: a preview shows no cell then."""
    try:
        return Expectation(text) if text else None
    except ValueError:
        return None
