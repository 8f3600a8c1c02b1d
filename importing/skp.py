"""SKP of many employees from one indicator table (PermenPANRB 6/2022, reference 1.3 and 5).

One row is one indicator. Rows of one NIP make that employee's SKP; rows of one NIP with the same RHK text (case
and spacing aside) make one rencana hasil kerja. An RHK is cascaded from an IKU (`iku`) or intervenes an RHK of the
superior (`rhk_atasan`): that RHK's id, or its exact text when exactly one other employee in the file has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from pydantic import ValidationError

from domain.errors import DomainError
from domain.nip import NipError, normalize_nip
from domain.skp import Aspect, CascadeRef, Indicator, Polarity, RencanaHasilKerja, RhkKind, Skp
from importing.errors import RowErrors, lines_text
from importing.graph import find_cycles
from importing.tables import Column, Row, Table, conform, overflow_message
from importing.values import parse_choice, parse_polarity, parse_target, validation_messages

SKP_COLUMNS = (
    Column(name="nip", aliases=("nip_pegawai", "nip_ni_pppk")),
    Column(name="rhk", aliases=("rencana_hasil_kerja", "hasil_kerja", "uraian_rhk")),
    Column(name="jenis_rhk", aliases=("jenis", "kind", "rhk_kind", "jenis_hasil_kerja")),
    Column(name="indikator", aliases=("indicator", "indikator_kinerja", "indikator_kinerja_individu", "iki")),
    Column(name="aspek", aliases=("aspect",)),
    Column(name="target"),
    Column(name="target_min", aliases=("target_bawah", "batas_bawah", "target_lower"), required=False),
    Column(name="target_max", aliases=("target_atas", "batas_atas", "target_upper"), required=False),
    Column(name="satuan", aliases=("unit_of_measure", "satuan_ukur")),
    Column(name="polaritas", aliases=("polarity",), required=False),
    Column(name="iku", aliases=("kode_iku", "iku_code"), required=False),
    Column(
        name="rhk_atasan",
        aliases=("superior_rhk", "rhk_intervensi", "intervensi", "rhk_atasan_yang_diintervensi"),
        required=False,
    ),
)
E = TypeVar("E", bound=StrEnum)
_INDICATOR_COLUMNS = {"text": "indikator", "aspect": "aspek", "unit_of_measure": "satuan", "target": "target"}


@dataclass
class _Rhk:
    id: str
    nip: str
    text: str
    line: int
    kind: RhkKind | None = None
    kind_line: int = 0
    iku: str = ""
    iku_line: int = 0
    superior: str = ""  # rhk_atasan as written
    superior_line: int = 0
    lines: list[int] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    indicator_lines: dict[tuple[str, Aspect], int] = field(default_factory=dict)
    cascade: CascadeRef | None = None
    superior_id: str | None = None  # the resolved rhk_atasan when it is an RHK of this file


def parse_skp(
    table: Table,
    period: int,
    known_nips: set[str] | None = None,
    known_iku: set[str] | None = None,
    *,
    known_rhk: set[str] | None = None,
) -> list[Skp]:
    """Every SKP of the table for `period`, one per NIP in file order, or `ValidationFailed` with every bad row.

    The known sets, when given, are what references must name: NIPs of employees, IKU codes of the period, and
    ids of RHKs already stored (for `rhk_atasan` that is not in this file). RHK ids are `<nip>-R<n>` and indicator
    ids `<rhk id>-<k>`, numbered in file order.
    """
    if not 2000 <= period <= 2100:
        raise DomainError(f"periode {period} di luar 2000–2100", field="periode")
    table = conform(table, SKP_COLUMNS)
    errors = RowErrors(table.source, table.labels)
    rhks: dict[tuple[str, str], _Rhk] = {}
    lines_by_nip: dict[str, list[int]] = {}
    for row in table.rows:
        _parse_row(row, table, known_nips, known_iku, rhks, lines_by_nip, errors)
    by_id = {r.id: r for r in rhks.values()}
    for rhk in rhks.values():
        _resolve_cascade(rhk, rhks, by_id, known_rhk, errors)
    _check_cascade_cycles(by_id, errors)
    _check_utama(rhks, lines_by_nip, errors)
    errors.raise_if_any()
    return _build(rhks, lines_by_nip, period, errors)


RHK_ID = re.compile(r"^\d{18}-R\d+$")  # `<nip>-R<n>`, as parse_skp numbers them


def superior_rhk_ids(table: Table) -> set[str]:
    """The `rhk_atasan` values of the file that are RHK ids: what a file of staff SKPs may cascade from when their
    superiors' SKPs were imported before it (pass the stored ones as `parse_skp(..., known_rhk=...)`)."""
    conformed = conform(table, SKP_COLUMNS)
    values = {row.get("rhk_atasan").strip() for row in conformed.rows}
    return {value for value in values if RHK_ID.match(value)}


def _parse_row(
    row: Row,
    table: Table,
    known_nips: set[str] | None,
    known_iku: set[str] | None,
    rhks: dict[tuple[str, str], _Rhk],
    lines_by_nip: dict[str, list[int]],
    errors: RowErrors,
) -> None:
    before = len(errors.errors)
    if message := overflow_message(row):
        errors.add(row.line, None, "", message, "baris.kolom_lebih")
    nip = _nip(row, known_nips, errors)
    for column in ("rhk", "jenis_rhk", "indikator", "aspek", "satuan"):
        if not row.get(column):
            errors.add(row.line, column, "", f"{column} wajib diisi", f"{column}.kosong")
    kind = _choice(row, "jenis_rhk", RhkKind, errors)
    aspect = _choice(row, "aspek", Aspect, errors)
    polarity: Polarity | None = Polarity.HIGHER_IS_BETTER
    if row.get("polaritas"):
        try:
            polarity = parse_polarity(row.get("polaritas"))
        except ValueError as error:
            errors.add(row.line, "polaritas", row.get("polaritas"), str(error), "polaritas.tidak_dikenal")
            polarity = None
    target = parse_target(row, polarity, table.number_style, errors) if polarity else None
    iku = row.get("iku")
    if iku and known_iku is not None and iku not in known_iku:
        errors.add(row.line, "iku", iku, "kode IKU tidak dikenal untuk periode ini", "iku.tidak_dikenal")
    if nip is None or not row.get("rhk"):
        return
    lines_by_nip.setdefault(nip, []).append(row.line)
    key = (nip, _norm(row.get("rhk")))
    rhk = rhks.get(key)
    if rhk is None:
        number = sum(1 for other in rhks.values() if other.nip == nip) + 1
        rhk = rhks[key] = _Rhk(id=f"{nip}-R{number}", nip=nip, text=row.get("rhk"), line=row.line)
    rhk.lines.append(row.line)
    _merge_rhk_fields(row, rhk, kind, errors)
    if len(errors.errors) > before or kind is None or aspect is None or target is None:
        return
    indicator_key = (_norm(row.get("indikator")), aspect)
    first = rhk.indicator_lines.setdefault(indicator_key, row.line)
    if first != row.line:
        errors.add(
            row.line,
            "indikator",
            row.get("indikator"),
            f"indikator dengan aspek {aspect.value} ini sudah ada pada RHK yang sama di baris {first}",
            "indikator.ganda",
            [first],
        )
        return
    try:
        indicator = Indicator(
            id=f"{rhk.id}-{len(rhk.indicators) + 1}",
            aspect=aspect,
            text=row.get("indikator"),
            target=target,
            unit_of_measure=row.get("satuan"),
        )
    except ValidationError as error:
        for name, message in validation_messages(error):
            column = _INDICATOR_COLUMNS.get(name, name)
            errors.add(row.line, column, row.get(column), message, f"{column}.tidak_valid")
        return
    rhk.indicators.append(indicator)


def _nip(row: Row, known_nips: set[str] | None, errors: RowErrors) -> str | None:
    text = row.get("nip")
    try:
        # The employment kind is not in this file: the full segment check belongs to the roster import.
        nip = normalize_nip(text)
    except NipError as error:
        errors.add(row.line, "nip", text, error.message, f"nip.{error.segment}")
        return None
    if known_nips is not None and nip not in known_nips:
        errors.add(row.line, "nip", text, "NIP tidak terdaftar sebagai pegawai instansi ini", "nip.tidak_dikenal")
        return None
    return nip


def _choice(row: Row, column: str, enum: type[E], errors: RowErrors) -> E | None:
    text = row.get(column)
    if not text:
        return None
    try:
        return parse_choice(enum, text)
    except ValueError as error:
        errors.add(row.line, column, text, str(error), f"{column}.tidak_dikenal")
        return None


def _merge_rhk_fields(row: Row, rhk: _Rhk, kind: RhkKind | None, errors: RowErrors) -> None:
    """Kind and cascade are properties of the RHK: every row of it must agree with the first that states them."""
    if kind is not None:
        if rhk.kind is None:
            rhk.kind, rhk.kind_line = kind, row.line
        elif kind is not rhk.kind:
            errors.add(
                row.line,
                "jenis_rhk",
                row.get("jenis_rhk"),
                f"RHK yang sama berjenis {rhk.kind.value} di baris {rhk.kind_line}",
                "jenis_rhk.tidak_konsisten",
                [rhk.kind_line],
            )
    for column, attribute, line_attribute in (("iku", "iku", "iku_line"), ("rhk_atasan", "superior", "superior_line")):
        value = row.get(column)
        if not value:
            continue
        first = str(getattr(rhk, attribute))
        if not first:
            setattr(rhk, attribute, value)
            setattr(rhk, line_attribute, row.line)
        elif _norm(first) != _norm(value):
            first_line = int(getattr(rhk, line_attribute))
            errors.add(
                row.line,
                column,
                value,
                f"RHK yang sama mengacu '{first}' di baris {first_line}",
                f"{column}.tidak_konsisten",
                [first_line],
            )


def _resolve_cascade(
    rhk: _Rhk,
    rhks: dict[tuple[str, str], _Rhk],
    by_id: dict[str, _Rhk],
    known_rhk: set[str] | None,
    errors: RowErrors,
) -> None:
    if rhk.iku and rhk.superior:
        errors.add(
            rhk.superior_line,
            "rhk_atasan",
            rhk.superior,
            f"RHK mengacu pada satu sumber kaskade saja: IKU {rhk.iku} atau RHK atasan, bukan keduanya",
            "rhk_atasan.ganda",
            [rhk.iku_line],
        )
        return
    if rhk.iku:
        rhk.cascade = CascadeRef(iku_code=rhk.iku)
        return
    if not rhk.superior:
        return
    reference = rhk.superior
    target = by_id.get(reference)
    if target is None:
        matches = [r for r in rhks.values() if _norm(r.text) == _norm(reference)]
        others = [r for r in matches if r.nip != rhk.nip]
        if len(others) > 1:
            owners = ", ".join(f"{r.id} (baris {r.line})" for r in others)
            errors.add(
                rhk.superior_line,
                "rhk_atasan",
                reference,
                f"teks RHK atasan cocok dengan beberapa RHK: {owners}; tulis id RHK yang dimaksud",
                "rhk_atasan.ambigu",
                [r.line for r in others],
            )
            return
        target = others[0] if others else (matches[0] if matches else None)
    if target is not None:
        if target.nip == rhk.nip:
            errors.add(
                rhk.superior_line,
                "rhk_atasan",
                reference,
                f"RHK atasan harus milik pegawai lain, bukan RHK {target.id} pada SKP yang sama (baris {target.line})",
                "rhk_atasan.diri_sendiri",
                [target.line],
            )
            return
        rhk.superior_id = target.id
        rhk.cascade = CascadeRef(superior_rhk_id=target.id)
    elif known_rhk is not None and reference in known_rhk:
        rhk.cascade = CascadeRef(superior_rhk_id=reference)
    else:
        errors.add(
            rhk.superior_line,
            "rhk_atasan",
            reference,
            "RHK atasan tidak ditemukan: tulis id RHK atasan (mis. 197203151998031001-R1) atau teks RHK atasan "
            "persis seperti di berkas ini",
            "rhk_atasan.tidak_dikenal",
        )


def _check_cascade_cycles(by_id: dict[str, _Rhk], errors: RowErrors) -> None:
    edges = {rhk_id: rhk.superior_id for rhk_id, rhk in by_id.items() if rhk.superior_id}
    for cycle in find_cycles(edges):
        lines = [by_id[rhk_id].superior_line for rhk_id in cycle]
        first = by_id[cycle[lines.index(min(lines))]]
        errors.add(
            min(lines),
            "rhk_atasan",
            first.superior,
            f"kaskade RHK berputar: {' → '.join([*cycle, cycle[0]])} ({lines_text(lines)})",
            "rhk_atasan.berputar",
            lines,
        )


def _check_utama(rhks: dict[tuple[str, str], _Rhk], lines_by_nip: dict[str, list[int]], errors: RowErrors) -> None:
    for nip, lines in lines_by_nip.items():
        kinds = [r.kind for r in rhks.values() if r.nip == nip]
        if RhkKind.UTAMA in kinds or None in kinds:  # an unknown kind is already reported on its row
            continue
        errors.add(
            lines[0],
            "jenis_rhk",
            "",
            f"SKP pegawai {nip} ({lines_text(lines)}) tidak memiliki RHK utama; paling sedikit satu RHK harus utama",
            "skp.tanpa_utama",
            lines,
        )


def _build(
    rhks: dict[tuple[str, str], _Rhk], lines_by_nip: dict[str, list[int]], period: int, errors: RowErrors
) -> list[Skp]:
    skps: list[Skp] = []
    for nip, lines in lines_by_nip.items():
        plans: list[RencanaHasilKerja] = []
        for rhk in (r for r in rhks.values() if r.nip == nip):
            if rhk.kind is None:  # not reached: a row without a valid kind was reported before building
                continue
            try:
                plans.append(
                    RencanaHasilKerja(
                        id=rhk.id, kind=rhk.kind, text=rhk.text, indicators=rhk.indicators, cascaded_from=rhk.cascade
                    )
                )
            except ValidationError as error:
                for _, message in validation_messages(error):
                    errors.add(rhk.line, "rhk", rhk.text, message, "rhk.tidak_valid")
        try:
            skps.append(Skp(employee_nip=nip, period=period, rhk=plans))
        except ValidationError as error:
            for _, message in validation_messages(error):
                errors.add(lines[0], "nip", nip, message, "skp.tidak_valid", lines)
    errors.raise_if_any()
    return skps


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())
