"""Hasil-kerja suggestion, the penilai's decision, and the predikat kinerja (PermenPANRB 6/2022, reference 1.3–1.4).

The system only suggests the hasil-kerja rating; the pejabat penilai decides it (with a written reason when it
differs) and rates perilaku kerja directly. The predicate then follows from the policy's matrix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

from domain.achievement import IndicatorAchievement, index_by_indicator
from domain.errors import DomainError
from domain.policy import AppraisalPolicy, SuggestionPolicy
from domain.ratings import Expectation, Predicate, parse_enum
from domain.skp import RhkKind, Skp

# A reason must say something: "ok", "setuju" or "-" is not a justification the atasan or a keberatan can weigh.
MIN_OVERRIDE_REASON_CHARS = 10


class RhkAssessment(BaseModel):
    model_config = ConfigDict(frozen=True)

    rhk_id: str
    kind: RhkKind
    mean_percent: Decimal
    level: Expectation


class Suggestion(BaseModel):
    """The suggested hasil-kerja rating, how each RHK scored, and why, in Bahasa Indonesia."""

    model_config = ConfigDict(frozen=True)

    rating: Expectation
    rhk: list[RhkAssessment]
    explanation: list[str]
    policy_version: str


class RatingDecision(BaseModel):
    """The penilai's hasil-kerja rating next to the suggestion, kept both for the audit trail and a keberatan."""

    model_config = ConfigDict(frozen=True)

    suggested: Expectation
    chosen: Expectation
    overridden: bool
    reason: str | None = None


class PredicateResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    hasil: Expectation
    perilaku: Expectation
    predicate: Predicate
    policy_version: str


def indicator_level(percent: Decimal, policy: SuggestionPolicy) -> Expectation:
    """The expectation level an achievement percentage suggests (cut-offs are policy data, [U])."""
    if percent >= policy.above_from:
        return Expectation.ABOVE
    if percent >= policy.meets_from:
        return Expectation.MEETS
    return Expectation.BELOW


def rhk_mean(percents: Sequence[Decimal], decimal_places: int) -> Decimal:
    """Mean of an RHK's indicator achievements, rounded half up like the achievements themselves."""
    if not percents:
        raise DomainError("rencana hasil kerja tanpa capaian indikator", field="capaian")
    mean = sum(percents, Decimal(0)) / len(percents)
    return mean.quantize(Decimal(1).scaleb(-decimal_places), rounding=ROUND_HALF_UP)


def rhk_level(percents: Sequence[Decimal], policy: AppraisalPolicy) -> Expectation:
    """Level of one RHK: the level of the mean of its indicators' achievements.

    Why the mean: an RHK is one result measured on several aspects (kuantitas, kualitas, waktu, biaya) and
    PermenPANRB 6/2022 gives neither weights nor a rule to combine them, so each aspect counts equally. The minimum
    would let one late deadline sink an otherwise excellent result; a vote of levels ties with two indicators.
    The mean is rounded to the displayed precision first, so the level agrees with the number users see.
    """
    return indicator_level(rhk_mean(percents, policy.achievement.decimal_places), policy.suggestion)


def suggest_hasil_kerja(
    skp: Skp,
    achievements: Sequence[IndicatorAchievement],
    policy: AppraisalPolicy,
    weights: Mapping[str, int] | None = None,
) -> Suggestion:
    """Suggest the hasil-kerja rating from the achievements of every indicator of `skp`.

    Definitions [C-2nd, e-Kinerja slides, truncated in the source] and how they are read here:
    - Di Atas: "sebagian besar atau seluruh hasil kerja diatas ekspektasi dan tidak ada hasil kerja utama yang
      dibawah ekspektasi" -> more than `majority_share` of all RHK ABOVE, and no utama BELOW.
    - Sesuai: "sebagian besar atau seluruh hasil kerja sesuai ekspektasi dan hanya sebagian kecil hasil kerja utama
      yang …" (cut off; presumed "di bawah ekspektasi" [U]) -> more than `majority_share` of all RHK ABOVE or MEETS
      (a result above expectation also meets it), and less than `minority_share` of the utama BELOW.
    - Di Bawah: "sebagian besar atau seluruh hasil kerja dibawah ekspektasi" -> everything else, so every SKP gets
      a suggestion even where the three definitions leave a gap.
    Shares are compared exactly (count > share x total), never through a rounded fraction.

    `weights` (RHK id -> days): an SKP changed during the year (domain.skp_versions.year_weights) counts each RHK by
    the days its version was in force, so every version counts for its part of the year [U]: the regulation is silent
    on a mid-year change. Without weights every RHK counts once, as above.
    """
    by_id = index_by_indicator(skp, achievements, what="capaian")
    stale = sorted({a.policy_version for a in achievements if a.policy_version != policy.version})
    if stale:
        # A suggestion records one policy version; mixing versions would make that record untrue.
        raise DomainError(
            f"capaian dihitung dengan kebijakan {', '.join(stale)}, bukan {policy.version}; hitung ulang capaian",
            field="capaian",
        )
    dp = policy.achievement.decimal_places
    rhks: list[RhkAssessment] = []
    for rhk in skp.rhk:
        mean = rhk_mean([by_id[i.id].percent for i in rhk.indicators], dp)
        rhks.append(
            RhkAssessment(
                rhk_id=rhk.id, kind=rhk.kind, mean_percent=mean, level=indicator_level(mean, policy.suggestion)
            )
        )

    s = policy.suggestion

    def weight(rhks: Iterable[RhkAssessment]) -> int:
        return sum(weights[r.rhk_id] if weights is not None else 1 for r in rhks)

    total = weight(rhks)
    above = weight(r for r in rhks if r.level is Expectation.ABOVE)
    meets_or_above = weight(r for r in rhks if r.level is not Expectation.BELOW)
    utama = [r for r in rhks if r.kind is RhkKind.UTAMA]
    below = [r for r in utama if r.level is Expectation.BELOW]
    utama_below, utama_total, utama_below_weight = [r.rhk_id for r in below], weight(utama), weight(below)

    lines = [
        f"RHK {r.rhk_id} ({r.kind.value}): rata-rata capaian {_percent(r.mean_percent)} → {r.level.label}" for r in rhks
    ]
    if weights is None:
        lines.append(
            f"{above} dari {total} RHK di atas ekspektasi; {meets_or_above} dari {total} sesuai ekspektasi atau lebih;"
            f" {len(utama_below)} dari {len(utama)} RHK utama di bawah ekspektasi"
        )
    else:
        lines.append(
            "SKP berubah dalam tahun ini: setiap RHK ditimbang dengan jumlah hari versi SKP-nya berlaku;"
            f" di atas ekspektasi {above} dari {total} hari-RHK; sesuai ekspektasi atau lebih {meets_or_above} dari"
            f" {total}; RHK utama di bawah ekspektasi {utama_below_weight} dari {utama_total}"
        )
    majority = f"lebih dari {_share(s.majority_share)} RHK"

    is_above = above > s.majority_share * total and not utama_below
    is_meets = meets_or_above > s.majority_share * total and utama_below_weight < s.minority_share * utama_total
    if is_above:
        rating = Expectation.ABOVE
        lines.append(f"Saran Di Atas Ekspektasi: {majority} di atas ekspektasi dan tidak ada RHK utama di bawahnya")
    else:
        if above <= s.majority_share * total:
            lines.append(f"Bukan Di Atas Ekspektasi: perlu {majority} di atas ekspektasi")
        if utama_below:
            lines.append(f"Bukan Di Atas Ekspektasi: RHK utama di bawah ekspektasi: {', '.join(utama_below)}")
        if is_meets:
            rating = Expectation.MEETS
            lines.append(
                f"Saran Sesuai Ekspektasi: {majority} sesuai ekspektasi atau lebih dan RHK utama di bawah "
                f"ekspektasi kurang dari {_share(s.minority_share)}"
            )
        else:
            rating = Expectation.BELOW
            if meets_or_above <= s.majority_share * total:
                lines.append(f"Bukan Sesuai Ekspektasi: perlu {majority} sesuai ekspektasi atau lebih")
            if utama_below_weight >= s.minority_share * utama_total:
                lines.append(
                    f"Bukan Sesuai Ekspektasi: RHK utama di bawah ekspektasi tidak kurang dari "
                    f"{_share(s.minority_share)}"
                )
            lines.append("Saran Di Bawah Ekspektasi")
    lines.append("Saran ini dapat diubah oleh pejabat penilai kinerja dengan alasan tertulis")
    return Suggestion(rating=rating, rhk=rhks, explanation=lines, policy_version=policy.version)


def decide_hasil_kerja(
    suggested: Expectation,
    chosen: Expectation,
    reason: str | None,
    *,
    min_reason_chars: int = MIN_OVERRIDE_REASON_CHARS,
) -> RatingDecision:
    """Record the penilai's hasil-kerja rating; differing from the suggestion needs a written reason.

    The suggestion is only a suggestion (the rating is the penilai's, PermenPANRB 6/2022), but an override must be
    explained so the atasan pejabat penilai can weigh it in a keberatan (PP 30/2019 Pasal 59).
    """
    text = reason.strip() if reason else ""
    overridden = chosen != suggested
    if overridden and len("".join(text.split())) < min_reason_chars:
        raise DomainError(
            f"rating hasil kerja {chosen.label} berbeda dari saran {suggested.label}; tuliskan alasannya "
            f"(paling sedikit {min_reason_chars} karakter selain spasi)",
            field="alasan",
            rule="perubahan saran rating hasil kerja wajib disertai alasan tertulis",
        )
    return RatingDecision(suggested=suggested, chosen=chosen, overridden=overridden, reason=text or None)


def parse_expectation(value: Expectation | str, field: str) -> Expectation:
    """A rating from its code ("meets") or label ("Sesuai Ekspektasi"); anything else is a DomainError on `field`.

    Perilaku kerja is rated directly by the penilai on these three levels (no score, no levelling), so this
    validation is all the rule there is.
    """
    if isinstance(value, Expectation):
        return value
    try:
        return parse_enum(Expectation, value, field)
    except ValueError:
        choices = ", ".join(e.label for e in Expectation)
        raise DomainError(f"'{value}' bukan rating yang dikenal; pilihan: {choices}", field=field) from None


def predicate(hasil: Expectation, perilaku: Expectation, policy: AppraisalPolicy) -> Predicate:
    """Predikat kinerja pegawai from the policy's 3x3 matrix (rows hasil kerja, columns perilaku kerja)."""
    return policy.predicate_matrix[hasil][perilaku]


def predicate_result(hasil: Expectation, perilaku: Expectation, policy: AppraisalPolicy) -> PredicateResult:
    return PredicateResult(
        hasil=hasil, perilaku=perilaku, predicate=predicate(hasil, perilaku, policy), policy_version=policy.version
    )


def _percent(value: Decimal) -> str:
    # Indonesian decimal comma: 107,14%.
    return format(value, "f").replace(".", ",") + "%"


def _share(value: Decimal) -> str:
    return _percent((value * 100).normalize())
