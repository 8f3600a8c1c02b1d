"""A list of employee predicates to calibrate: nip, predikat and, optionally, nama, capaian (orders the changes), unit.

The predicate may be written as its label ("Butuh Perbaikan") or its code ("butuh_perbaikan"); capaian in Indonesian
("97,5") or plain ("97.5") notation.
"""

from __future__ import annotations

from decimal import Decimal

from domain.calibration import CalibrationEntry
from domain.errors import DomainError
from domain.ratings import Predicate, parse_enum
from importing.errors import RowErrors
from importing.tables import Column, Table, conform
from importing.values import parse_decimal

PREDICATE_COLUMNS = (
    Column(name="nip", aliases=("nip_pegawai", "id", "employee")),
    Column(name="predikat", aliases=("predicate", "predikat_kinerja")),
    Column(name="nama", aliases=("name", "nama_pegawai"), required=False),
    Column(name="capaian", aliases=("achievement", "nilai", "capaian_kinerja"), required=False),
    Column(name="unit", aliases=("unit_kerja", "kode_unit"), required=False),
)


def parse_predicates(table: Table) -> list[CalibrationEntry]:
    """The employees of a predicate list, or `ValidationFailed` listing every bad row."""
    loaded = conform(table, PREDICATE_COLUMNS)
    entries: list[CalibrationEntry] = []
    errors = RowErrors(loaded.source, loaded.labels)
    for row in loaded.rows:
        try:
            predicate = parse_enum(Predicate, row.get("predikat"), field="predikat")
        except DomainError as error:
            errors.add(row.line, "predikat", row.get("predikat"), str(error), "predikat.tidak_sah")
            continue
        achievement: Decimal | None = None
        if row.get("capaian"):
            try:
                achievement = parse_decimal(row.get("capaian"), loaded.number_style)
            except ValueError as error:
                errors.add(row.line, "capaian", row.get("capaian"), str(error), "capaian.tidak_sah")
                continue
        entries.append(
            CalibrationEntry(
                employee_id=row.get("nip") or f"baris {row.line}",
                name=row.get("nama") or None,
                predicate=predicate,
                achievement=achievement,
                unit=row.get("unit") or None,
            )
        )
    errors.raise_if_any()
    return entries
