"""IKU of an instansi for one period, as a Renstra / perjanjian kinerja table lists them (SAKIP, reference 3)."""

from __future__ import annotations

from pydantic import ValidationError

from domain.errors import DomainError
from domain.skp import Iku, Polarity
from importing.errors import ImportFileError, RowErrors
from importing.tables import Column, Table, conform, overflow_message
from importing.values import parse_polarity, parse_target, validation_messages

IKU_COLUMNS = (
    Column(name="kode", aliases=("code", "kode_iku", "kode_indikator")),
    Column(
        name="nama",
        aliases=("name", "nama_iku", "nama_indikator", "indikator", "indikator_kinerja", "indikator_kinerja_utama"),
    ),
    Column(name="satuan", aliases=("unit_of_measure", "satuan_ukur", "uom")),
    Column(name="polaritas", aliases=("polarity",)),
    Column(name="target", required=False),
    Column(name="target_min", aliases=("target_bawah", "batas_bawah", "target_lower"), required=False),
    Column(name="target_max", aliases=("target_atas", "batas_atas", "target_upper"), required=False),
    Column(name="unit", aliases=("unit_kerja", "kode_unit", "unit_code"), required=False),
)
_IKU_COLUMNS = {"code": "kode", "name": "nama", "unit_of_measure": "satuan", "unit_code": "unit"}


def parse_iku(table: Table, instansi_code: str, period: int) -> list[Iku]:
    """Every IKU of the table for `period`, or `ValidationFailed` with every bad row.

    `instansi_code` is not part of `Iku` (repositories take it beside the model); it is checked here so a caller
    cannot forget it. A band target is written '10-20' in `target` or split over `target_min` / `target_max`.
    """
    _check_scope(instansi_code, period)
    table = conform(table, IKU_COLUMNS)
    if "target" not in table.headers and "target_min" not in table.headers:
        raise ImportFileError(f"{table.source}: kolom wajib tidak ada: target (atau target_min dan target_max)")
    errors = RowErrors(table.source, table.labels)
    found: list[Iku] = []
    first_lines: dict[str, int] = {}
    for row in table.rows:
        before = len(errors.errors)
        if message := overflow_message(row):
            errors.add(row.line, None, "", message, "baris.kolom_lebih")
        for column in ("kode", "nama", "satuan"):
            if not row.get(column):
                errors.add(row.line, column, "", f"{column} wajib diisi", f"{column}.kosong")
        code = row.get("kode")
        if code:
            first = first_lines.setdefault(code.casefold(), row.line)
            if first != row.line:
                errors.add(
                    row.line, "kode", code, f"kode IKU ganda: sudah dipakai di baris {first}", "kode.ganda", [first]
                )
        polarity: Polarity | None = None
        if not row.get("polaritas"):
            errors.add(
                row.line, "polaritas", "", "polaritas wajib diisi: maksimal, minimal atau rentang", "polaritas.kosong"
            )
        else:
            try:
                polarity = parse_polarity(row.get("polaritas"))
            except ValueError as error:
                errors.add(row.line, "polaritas", row.get("polaritas"), str(error), "polaritas.tidak_dikenal")
        target = parse_target(row, polarity, table.number_style, errors) if polarity else None
        if len(errors.errors) > before or target is None:
            continue
        try:
            iku = Iku(
                code=code,
                name=row.get("nama"),
                unit_of_measure=row.get("satuan"),
                target=target,
                period=period,
                unit_code=row.get("unit") or None,
            )
        except ValidationError as error:
            for field, message in validation_messages(error):
                column = _IKU_COLUMNS.get(field, field)
                errors.add(row.line, column, row.get(column), message, f"{column}.tidak_valid")
            continue
        found.append(iku)
    errors.raise_if_any()
    return found


def _check_scope(instansi_code: str, period: int) -> None:
    if not instansi_code.strip():
        raise DomainError("kode instansi wajib diisi", field="instansi")
    if not 2000 <= period <= 2100:
        raise DomainError(f"periode {period} di luar 2000–2100", field="periode")
