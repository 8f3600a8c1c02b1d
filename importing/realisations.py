"""A self-assessment file: one row per indicator with the realised value and links to the evidence.

Columns: indikator (the indicator id shown by `kinerja status`), realisasi, bukti (links separated by spaces or ';'),
catatan. Every bad row is reported with its line; nothing is returned from a file with errors.
"""

from __future__ import annotations

from domain.skp import Realisation
from importing.errors import RowErrors
from importing.tables import Column, Table, conform, overflow_message
from importing.values import parse_decimal

REALISATION_COLUMNS = (
    Column(name="indikator", aliases=("indicator", "indicator_id", "id_indikator", "kode_indikator")),
    Column(name="realisasi", aliases=("realisation", "realization", "nilai", "capaian_realisasi")),
    Column(name="bukti", aliases=("evidence", "bukti_dukung", "tautan_bukti"), required=False),
    Column(name="catatan", aliases=("note", "keterangan"), required=False),
)


def parse_realisations(table: Table) -> list[Realisation]:
    table = conform(table, REALISATION_COLUMNS)
    errors = RowErrors(table.source, table.labels)
    seen: dict[str, int] = {}
    realisations: list[Realisation] = []
    for row in table.rows:
        overflow = overflow_message(row)
        if overflow:
            errors.add(row.line, None, "", overflow, "baris.kolom_lebih")
        indicator = row.get("indikator")
        if not indicator:
            errors.add(row.line, "indikator", indicator, "id indikator wajib diisi", "indikator.kosong")
            continue
        first = seen.setdefault(indicator, row.line)
        if first != row.line:
            errors.add(
                row.line,
                "indikator",
                indicator,
                f"indikator ini sudah diisi di baris {first}",
                "indikator.ganda",
                [first],
            )
            continue
        try:
            value = parse_decimal(row.get("realisasi"), table.number_style)
        except ValueError as error:
            errors.add(row.line, "realisasi", row.get("realisasi"), str(error), "realisasi.tidak_sah")
            continue
        evidence = [link for link in row.get("bukti").replace(";", " ").split() if link]
        realisations.append(
            Realisation(indicator_id=indicator, value=value, evidence=evidence, note=row.get("catatan"))
        )
    errors.raise_if_any()
    return realisations
