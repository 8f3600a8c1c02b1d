"""Capaian (achievement) of an indicator against its target, in exact decimals (SAKIP formulas, reference 3)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from domain.errors import DomainError
from domain.policy import AchievementPolicy, AppraisalPolicy
from domain.skp import Polarity, Realisation, Skp, Target

HUNDRED = Decimal(100)


class IndicatorAchievement(BaseModel):
    """The capaian of one SKP indicator, in percent, and the policy version that computed it."""

    model_config = ConfigDict(frozen=True)

    indicator_id: str
    rhk_id: str
    realisation: Decimal
    percent: Decimal
    policy_version: str


def achievement(target: Target, realisation: Decimal, policy: AchievementPolicy) -> Decimal:
    """Capaian in percent, rounded half up to `policy.decimal_places`.

    Raises DomainError for a non-finite realisation, or when a range target would divide by a bound <= 0.
    """
    return _achievement(target, realisation, policy, subject="realisasi")


def skp_achievements(
    skp: Skp, realisations: Sequence[Realisation], policy: AppraisalPolicy
) -> list[IndicatorAchievement]:
    """The capaian of every indicator of `skp`, in SKP order; needs exactly one realisation per indicator."""
    by_id = index_by_indicator(skp, realisations, what="realisasi")
    results: list[IndicatorAchievement] = []
    for rhk in skp.rhk:
        for indicator in rhk.indicators:
            value = by_id[indicator.id].value
            percent = _achievement(
                indicator.target, value, policy.achievement, subject=f"realisasi indikator {indicator.id}"
            )
            results.append(
                IndicatorAchievement(
                    indicator_id=indicator.id,
                    rhk_id=rhk.id,
                    realisation=value,
                    percent=percent,
                    policy_version=policy.version,
                )
            )
    return results


class _HasIndicatorId(Protocol):
    @property
    def indicator_id(self) -> str: ...


T = TypeVar("T", bound=_HasIndicatorId)


def index_by_indicator(skp: Skp, items: Sequence[T], *, what: str) -> dict[str, T]:
    """`items` keyed by indicator id; an unknown id, a duplicate or a missing indicator is a DomainError naming it.

    `what` names the items in the message ("realisasi", "capaian"). All offending ids are listed at once so the
    user can fix the whole list in one go.
    """
    known = [i.id for r in skp.rhk for i in r.indicators]
    ids = [item.indicator_id for item in items]
    unknown = sorted({i for i in ids if i not in known})
    if unknown:
        raise DomainError(
            f"{what} untuk indikator yang tidak ada di SKP {skp.employee_nip}/{skp.period}: {', '.join(unknown)}",
            field=what,
            rule="setiap isian harus merujuk indikator SKP yang telah ditetapkan",
        )
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise DomainError(
            f"{what} ganda untuk indikator: {', '.join(duplicates)}",
            field=what,
            rule="satu isian untuk setiap indikator",
        )
    missing = [i for i in known if i not in ids]
    if missing:
        raise DomainError(
            f"{what} belum diisi untuk indikator: {', '.join(missing)}",
            field=what,
            rule="setiap indikator SKP harus memiliki isian",
        )
    return {item.indicator_id: item for item in items}


def _achievement(target: Target, realisation: Decimal, policy: AchievementPolicy, *, subject: str) -> Decimal:
    if not realisation.is_finite():
        raise DomainError(f"{subject} '{realisation}' bukan bilangan", field="realisasi")
    t, r = target.value, realisation
    if target.polarity is Polarity.HIGHER_IS_BETTER:
        # Kondisi normal (PermenPANRB 8/2021 annex): realisasi / target x 100 %. Target > 0 is enforced by Target.
        percent = r * HUNDRED / t
    elif target.polarity is Polarity.LOWER_IS_BETTER:
        # Kondisi khusus (PermenPANRB 8/2021 annex): (1 + (1 - realisasi/target)) x 100 % = (2t - r)/t x 100 %.
        # It turns negative once realisasi >= 2 x target; practice clamps it at the policy floor (0 by default) [U].
        percent = max((2 * t - r) * HUNDRED / t, policy.negative_floor)
    else:
        percent = _range_percent(target, r, subject)
    if policy.cap is not None:
        percent = min(percent, policy.cap)
    # One rounding, at the end, so the worked examples come out exactly (750/7 -> 107.14).
    return percent.quantize(Decimal(1).scaleb(-policy.decimal_places), rounding=ROUND_HALF_UP)


def _range_percent(target: Target, r: Decimal, subject: str) -> Decimal:
    """Range targets (PermenPANRB 8/2021 annex): inside [lo, hi] -> 100 %, above -> r/hi, below -> r/lo.

    The annex prints 113 % for 92 vs 80–90, but 92/90 is 102.22 %: an arithmetic slip we do not copy.
    The ratio only means something against a positive bound, so a bound <= 0 is refused when (and only when) the
    realisation falls on its side. A band [0, hi] therefore works for every non-negative realisation: nothing can
    fall below 0, and above hi the ratio r/hi applies.
    """
    lo, hi = target.value, target.upper
    assert hi is not None  # Target guarantees an upper bound for range polarity
    if lo <= r <= hi:
        return HUNDRED
    bound, side = (hi, "atas") if r > hi else (lo, "bawah")
    if bound <= 0:
        raise DomainError(
            f"{subject} {r} di luar rentang target [{lo}, {hi}] dan batas {side} {bound} <= 0: "
            f"capaian realisasi/batas {side} tidak terdefinisi",
            field="target",
            rule="rumus rentang (PermenPANRB 8/2021) membagi dengan batas rentang, yang harus > 0",
        )
    return r * HUNDRED / bound
