"""An SKP draft as a person edits it on its page, checked by the rules the SKP import applies (importing/skp.py,
domain/skp.py) and built into the `Skp` the workflow receives on submission.

Pure: no database, no clock. What must exist (the period's IKU codes, the superior's RHKs) comes in as `References`,
read by services/skp_drafts.py. Every refusal names the form field it is about, so the page shows it beside that
field with what was typed kept:

- `rhk-<i>-<kolom>` (kolom: teks, jenis, acuan; `indikator` for the RHK's indicators as a whole),
- `rhk-<i>-ind-<j>-<kolom>` (kolom: teks, aspek, target, target_atas, polaritas, satuan),
- `perilaku-<k>` (the ekspektasi khusus pimpinan for the k-th BerAKHLAK value, in BerAkhlak order).

Ids: an RHK or indicator keeps the id it had in the stored draft (a staff SKP may cascade from this RHK's id, and the
id is what a realisation names later); a new row gets `<nip>-R<n>` or `<rhk id>-<k>` as the import numbers them. An id
the stored draft does not hold is never taken from the form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.bounds import (
    MAX_INDICATORS_PER_RHK,
    MAX_REALISATION,
    MAX_REASON_CHARS,
    MAX_RHK_ITEMS,
    MAX_SKP_TEXT_CHARS,
    check_text,
)
from domain.errors import DomainError
from domain.skp import (
    Aspect,
    BehaviourExpectation,
    BerAkhlak,
    CascadeRef,
    Indicator,
    Polarity,
    RencanaHasilKerja,
    RhkKind,
    Skp,
    Target,
)
from importing.tables import NumberStyle
from importing.values import parse_decimal, validation_messages

SKP_RULE = "aturan SKP (PermenPANRB 6/2022) yang sama dengan impor SKP"
MAX_UNIT_CHARS = 50  # domain.skp.Indicator.unit_of_measure
MAX_NUMBER_CHARS = 30
MAX_REFERENCE_CHARS = 80
IKU_PREFIX = "iku:"
RHK_PREFIX = "rhk:"
BEHAVIOURS = tuple(BerAkhlak)
E = TypeVar("E", RhkKind, Aspect, Polarity)
_LINE_BREAKS = re.compile(r"[\r\n\t]+")


def rhk_field(index: int, column: str) -> str:
    return f"rhk-{index}-{column}"


def indicator_field(index: int, number: int, column: str) -> str:
    return f"rhk-{index}-ind-{number}-{column}"


def behaviour_field(index: int) -> str:
    return f"perilaku-{index}"


# --- what the form sends -------------------------------------------------------------------------------------------


class _Draft(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IndicatorDraft(_Draft):
    """One indicator row as typed: numbers as text (85,5 or 1.200), choices as their codes."""

    id: str = ""
    text: str = ""
    aspect: str = ""
    target: str = ""
    target_upper: str = ""
    polarity: str = Polarity.HIGHER_IS_BETTER.value
    unit: str = ""

    def is_blank(self) -> bool:
        return not any(v.strip() for v in (self.text, self.aspect, self.target, self.target_upper, self.unit))


class RhkDraft(_Draft):
    id: str = ""
    kind: str = ""
    text: str = ""
    cascade: str = ""  # "iku:<kode>", "rhk:<id RHK atasan>" or "" (none)
    indicators: list[IndicatorDraft] = []

    def is_blank(self) -> bool:
        return not self.text.strip() and not self.cascade.strip() and all(i.is_blank() for i in self.indicators)


class SkpDraft(_Draft):
    rhk: list[RhkDraft] = []
    perilaku: list[str] = []  # the ekspektasi per BerAKHLAK value, in BerAkhlak order

    def compact(self) -> SkpDraft:
        """Without the rows left empty (the spare rows of a form that works without JavaScript)."""
        kept = [
            r.model_copy(update={"indicators": [i for i in r.indicators if not i.is_blank()]})
            for r in self.rhk
            if not r.is_blank()
        ]
        return self.model_copy(update={"rhk": kept})


def draft_of(skp: Skp) -> SkpDraft:
    """The stored SKP as the form shows it."""
    expectations = {b.value: b.expectation for b in skp.perilaku}
    return SkpDraft(
        rhk=[
            RhkDraft(
                id=r.id,
                kind=r.kind.value,
                text=r.text,
                cascade=_reference_of(r.cascaded_from),
                indicators=[
                    IndicatorDraft(
                        id=i.id,
                        text=i.text,
                        aspect=i.aspect.value,
                        target=shown_number(i.target.value),
                        target_upper=shown_number(i.target.upper) if i.target.upper is not None else "",
                        polarity=i.target.polarity.value,
                        unit=i.unit_of_measure,
                    )
                    for i in r.indicators
                ],
            )
            for r in skp.rhk
        ],
        perilaku=[expectations.get(value, "") for value in BEHAVIOURS],
    )


def fresh_rows(draft: SkpDraft) -> SkpDraft:
    """The rows without their ids: a new version of the SKP gives its rows new ones (domain.skp_versions)."""
    rows = [
        rhk.model_copy(update={"id": "", "indicators": [i.model_copy(update={"id": ""}) for i in rhk.indicators]})
        for rhk in draft.rhk
    ]
    return draft.model_copy(update={"rhk": rows})


def shown_number(value: Decimal) -> str:
    """1200 → "1200", 98.50 → "98,5": as the form shows a number, and as `parse_decimal` reads it back."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _reference_of(cascade: CascadeRef | None) -> str:
    if cascade is None:
        return ""
    if cascade.iku_code is not None:
        return IKU_PREFIX + cascade.iku_code
    return RHK_PREFIX + (cascade.superior_rhk_id or "")


# --- the check ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class References:
    """What an RHK may cascade from: the IKU codes of the instansi's period, and RHK ids of the superior's SKP (and
    any the stored draft already named, which were valid when stored)."""

    iku: frozenset[str] = frozenset()
    superior_rhk: frozenset[str] = frozenset()


class DraftRefused(DomainError):
    """The draft breaks one or more rules: every problem with the form field it is about (None: the SKP as a
    whole). Nothing is stored."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        self.problems = problems
        first_field, first = problems[0]
        count = len(problems)
        summary = first if count == 1 else f"{count} isian perlu diperbaiki; yang pertama: {first}"
        super().__init__(f"SKP belum disimpan: {summary}", field=first_field, rule=SKP_RULE)


@dataclass
class _Checker:
    nip: str
    previous: Skp | None
    references: References
    taken: frozenset[str] = frozenset()  # ids earlier versions of the year's SKP used: never given again
    problems: list[tuple[str | None, str]] = field(default_factory=list)
    rhk_ids: set[str] = field(default_factory=set)
    indicator_ids: set[str] = field(default_factory=set)

    def add(self, where: str | None, message: str) -> None:
        self.problems.append((where, message))

    def text(self, value: str, where: str, *, what: str, limit: int = MAX_SKP_TEXT_CHARS) -> str:
        # One line, as the import stores it: a line break typed in the form's text area is a space.
        cleaned = _LINE_BREAKS.sub(" ", value).strip()
        if not cleaned:
            self.add(where, f"{what} wajib diisi")
            return ""
        try:
            check_text(cleaned, where, limit=limit, multiline=False)
        except DomainError as error:
            self.add(where, f"{what} {_message(error, where)}")
            return ""
        return cleaned

    def rhk_id(self, wanted: str) -> str:
        known = {r.id for r in self.previous.rhk} if self.previous else set()
        if wanted in known and wanted not in self.rhk_ids:
            self.rhk_ids.add(wanted)
            return wanted
        number = len(self.rhk_ids) + 1
        while f"{self.nip}-R{number}" in self.rhk_ids | known | self.taken:
            number += 1
        found = f"{self.nip}-R{number}"
        self.rhk_ids.add(found)
        return found

    def indicator_id(self, wanted: str, rhk_id: str) -> str:
        known = {i.id for r in self.previous.rhk for i in r.indicators} if self.previous else set()
        if wanted in known and wanted not in self.indicator_ids:
            self.indicator_ids.add(wanted)
            return wanted
        number = 1
        while f"{rhk_id}-{number}" in self.indicator_ids | known | self.taken:
            number += 1
        found = f"{rhk_id}-{number}"
        self.indicator_ids.add(found)
        return found


def build_skp(
    draft: SkpDraft,
    *,
    nip: str,
    period: int,
    previous: Skp | None,
    references: References,
    taken: frozenset[str] = frozenset(),
) -> Skp:
    """The SKP the draft describes (rows left empty are ignored by the caller: `SkpDraft.compact`), or DraftRefused
    naming every field that breaks a rule. `taken`: ids a new row must not get (a new version of the year's SKP
    numbers its rows after every id the earlier versions used, domain.skp_versions)."""
    check = _Checker(nip=nip, previous=previous, references=references, taken=taken)
    if not draft.rhk:
        check.add(rhk_field(0, "teks"), "SKP wajib memiliki paling sedikit satu rencana hasil kerja (RHK)")
    if len(draft.rhk) > MAX_RHK_ITEMS:
        check.add(None, f"paling banyak {MAX_RHK_ITEMS} RHK dalam satu SKP, yang dikirim {len(draft.rhk)}")
        raise DraftRefused(check.problems)
    # Ids first, so that a reference to the SKP's own RHK is recognised whatever its position.
    ids = [check.rhk_id(r.id) for r in draft.rhk]
    plans: list[RencanaHasilKerja] = []
    seen_texts: dict[str, int] = {}
    for index, (rhk, rhk_id) in enumerate(zip(draft.rhk, ids, strict=True)):
        plan = _rhk(check, index, rhk, rhk_id, set(ids), seen_texts)
        if plan is not None:
            plans.append(plan)
    kinds = [r.kind.strip() for r in draft.rhk]
    known = all(kind in {k.value for k in RhkKind} for kind in kinds)  # an unknown kind is reported on its row
    if draft.rhk and known and RhkKind.UTAMA.value not in kinds:
        check.add(rhk_field(0, "jenis"), "SKP wajib memiliki paling sedikit satu RHK utama")
    behaviours = _behaviours(check, draft.perilaku)
    if check.problems:
        raise DraftRefused(check.problems)
    try:
        return Skp(employee_nip=nip, period=period, rhk=plans, perilaku=behaviours)
    except ValidationError as error:  # the model's own rules, all checked above: kept as the last word
        raise DraftRefused([(None, message) for _, message in validation_messages(error)]) from None


def _rhk(
    check: _Checker, index: int, rhk: RhkDraft, rhk_id: str, own_ids: set[str], seen_texts: dict[str, int]
) -> RencanaHasilKerja | None:
    before = len(check.problems)
    text = check.text(rhk.text, rhk_field(index, "teks"), what="uraian RHK")
    if text:
        key = " ".join(text.casefold().split())
        if key in seen_texts:
            check.add(rhk_field(index, "teks"), f"RHK dengan uraian yang sama sudah ada (RHK {seen_texts[key] + 1})")
        seen_texts.setdefault(key, index)
    kind = _choice(check, RhkKind, rhk.kind, rhk_field(index, "jenis"), "jenis RHK", "utama atau tambahan")
    cascade = _cascade(check, rhk.cascade, rhk_field(index, "acuan"), own_ids)
    if not rhk.indicators:
        check.add(rhk_field(index, "indikator"), "setiap RHK wajib memiliki paling sedikit satu indikator")
    elif len(rhk.indicators) > MAX_INDICATORS_PER_RHK:
        check.add(
            rhk_field(index, "indikator"),
            f"paling banyak {MAX_INDICATORS_PER_RHK} indikator per RHK, yang dikirim {len(rhk.indicators)}",
        )
        return None
    indicators: list[Indicator] = []
    seen: dict[tuple[str, str], int] = {}
    for number, indicator in enumerate(rhk.indicators):
        found = _indicator(check, index, number, indicator, rhk_id)
        if found is None:
            continue
        pair = (" ".join(found.text.casefold().split()), found.aspect.value)
        if pair in seen:
            check.add(
                indicator_field(index, number, "teks"),
                f"indikator dengan aspek {found.aspect.value} ini sudah ada pada RHK yang sama (indikator"
                f" {seen[pair] + 1})",
            )
            continue
        seen[pair] = number
        indicators.append(found)
    if len(check.problems) > before or kind is None:
        return None
    return RencanaHasilKerja(id=rhk_id, kind=kind, text=text, indicators=indicators, cascaded_from=cascade)


def _cascade(check: _Checker, value: str, where: str, own_ids: set[str]) -> CascadeRef | None:
    reference = value.strip()
    if not reference:
        return None
    if len(reference) > MAX_REFERENCE_CHARS:
        check.add(where, f"acuan kaskade paling panjang {MAX_REFERENCE_CHARS} karakter")
        return None
    if reference.startswith(IKU_PREFIX):
        code = reference.removeprefix(IKU_PREFIX)
        if code not in check.references.iku:
            check.add(where, f"kode IKU '{code}' tidak dikenal untuk periode ini; pilih IKU instansi yang terdaftar")
            return None
        return CascadeRef(iku_code=code)
    if reference.startswith(RHK_PREFIX):
        rhk_id = reference.removeprefix(RHK_PREFIX)
        if rhk_id in own_ids:
            check.add(where, f"RHK atasan harus milik pegawai lain, bukan RHK {rhk_id} pada SKP ini")
            return None
        if rhk_id not in check.references.superior_rhk:
            check.add(
                where,
                f"RHK atasan '{rhk_id}' tidak ditemukan pada SKP pejabat penilai periode ini; pilih RHK atasan yang"
                " diintervensi",
            )
            return None
        return CascadeRef(superior_rhk_id=rhk_id)
    check.add(where, "acuan kaskade tidak dikenal; pilih IKU atau RHK atasan dari daftar")
    return None


def _indicator(check: _Checker, index: int, number: int, draft: IndicatorDraft, rhk_id: str) -> Indicator | None:
    def at(column: str) -> str:
        return indicator_field(index, number, column)

    before = len(check.problems)
    text = check.text(draft.text, at("teks"), what="indikator")
    unit = check.text(draft.unit, at("satuan"), what="satuan", limit=MAX_UNIT_CHARS)
    aspect = _choice(check, Aspect, draft.aspect, at("aspek"), "aspek", "kuantitas, kualitas, waktu, biaya")
    wanted = draft.polarity or Polarity.HIGHER_IS_BETTER.value
    polarity = _choice(check, Polarity, wanted, at("polaritas"), "polaritas", "maksimal, minimal, rentang")
    value = _number(check, draft.target, at("target"), required=True)
    upper = _number(check, draft.target_upper, at("target_atas"), required=polarity is Polarity.RANGE)
    if polarity is not None and polarity is not Polarity.RANGE and draft.target_upper.strip():
        check.add(at("target_atas"), "target atas hanya untuk polaritas rentang; kosongkan")
    if len(check.problems) > before or aspect is None or polarity is None or value is None:
        return None
    try:
        target = Target(polarity=polarity, value=value, upper=upper if polarity is Polarity.RANGE else None)
    except ValidationError as error:
        for _, message in validation_messages(error):
            check.add(at("target_atas" if "target_atas" in message else "target"), message)
        return None
    return Indicator(
        id=check.indicator_id(draft.id, rhk_id), aspect=aspect, text=text, target=target, unit_of_measure=unit
    )


def _number(check: _Checker, text: str, where: str, *, required: bool) -> Decimal | None:
    cleaned = text.strip()
    if not cleaned:
        if required:
            check.add(where, "wajib diisi")
        return None
    if len(cleaned) > MAX_NUMBER_CHARS:
        check.add(where, f"paling panjang {MAX_NUMBER_CHARS} karakter")
        return None
    try:
        value = parse_decimal(cleaned, NumberStyle.INDONESIAN)
    except ValueError as error:
        check.add(where, str(error))
        return None
    if abs(value) > MAX_REALISATION:
        check.add(where, "terlalu besar")
        return None
    return value


def _choice(check: _Checker, enum: type[E], value: str, where: str, what: str, choices: str) -> E | None:
    try:
        return enum(value.strip())
    except ValueError:
        check.add(where, f"pilih {what}: {choices}")
        return None


def _behaviours(check: _Checker, expectations: list[str]) -> list[BehaviourExpectation]:
    if len(expectations) > len(BEHAVIOURS):
        check.add(None, f"perilaku kerja memuat {len(BEHAVIOURS)} nilai BerAKHLAK, yang dikirim {len(expectations)}")
        return []
    padded = [*expectations, *[""] * (len(BEHAVIOURS) - len(expectations))]
    found: list[BehaviourExpectation] = []
    for index, (value, text) in enumerate(zip(BEHAVIOURS, padded, strict=True)):
        where = behaviour_field(index)
        cleaned = text.strip()
        try:
            check_text(cleaned, where, limit=MAX_REASON_CHARS)
        except DomainError as error:
            check.add(where, f"ekspektasi {value.value} {_message(error, where)}")
            continue
        found.append(BehaviourExpectation(value=value, expectation=cleaned))
    return found


def _message(error: DomainError, where: str) -> str:
    return str(error).removeprefix(f"{where}: ")
