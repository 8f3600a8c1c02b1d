"""SKM questionnaires exported from a paper tally or a form tool: one row per respondent, nine unsur scored 1–4.

Columns: unit, token (the respondent's anonymous token: one response each), u1 … u9 (PermenPANRB 14/2017 order;
blank = not answered) and an optional komentar. Every bad cell is reported with its line; nothing is returned
from a file with errors.
"""

from __future__ import annotations

from domain.errors import DomainError
from domain.survey import UNSUR, SurveyResponse
from importing.errors import RowErrors
from importing.tables import Column, Table, conform, overflow_message

SURVEY_COLUMNS = (
    Column(name="unit", aliases=("unit_layanan", "unit_kerja", "kode_unit", "unit_code")),
    Column(name="token", aliases=("respondent", "responden", "id_responden", "token_responden"), required=False),
    *(
        Column(name=unsur.field, aliases=(f"unsur_{n}", f"unsur{n}", f"u_{n}"))
        for n, unsur in enumerate(UNSUR, start=1)
    ),
    Column(name="komentar", aliases=("comment", "saran", "kritik_saran", "saran_masukan"), required=False),
)


def parse_survey(table: Table) -> list[SurveyResponse]:
    """The responses of a survey file, or `ValidationFailed` listing every bad row."""
    table = conform(table, SURVEY_COLUMNS)
    errors = RowErrors(table.source, table.labels)
    responses: list[SurveyResponse] = []
    tokens: dict[str, int] = {}
    for row in table.rows:
        overflow = overflow_message(row)
        if overflow:
            errors.add(row.line, None, "", overflow, "baris.kolom_lebih")
        unit = row.get("unit")
        if not unit:
            errors.add(row.line, "unit", unit, "unit layanan wajib diisi", "unit.kosong")
        token = row.get("token") or None
        if token is not None:
            first = tokens.setdefault(token, row.line)
            if first != row.line:
                errors.add(
                    row.line,
                    "token",
                    token,
                    f"satu responden satu jawaban: token ini sudah dipakai di baris {first}",
                    "token.ganda",
                    related_lines=[first],
                )
        scores: list[int | None] = []
        for unsur in UNSUR:
            text = row.get(unsur.field)
            try:
                scores.append(_score(text))
            except ValueError:
                errors.add(
                    row.line,
                    unsur.field,
                    text,
                    f"unsur {unsur.code} {unsur.name}: isi bilangan bulat 1–4 atau kosongkan",
                    "skor.tidak_sah",
                )
                scores.append(None)
        if all(score is None for score in scores):
            errors.add(row.line, None, "", "tidak ada unsur yang dijawab", "jawaban.kosong")
            continue
        try:
            responses.append(
                SurveyResponse.of(scores, unit=unit or None, respondent=token, comment=row.get("komentar") or None)
            )
        except DomainError as error:  # defensive: the checks above already cover the domain's rule
            errors.add(row.line, error.field, "", str(error), "skor.tidak_sah")
    errors.raise_if_any()
    return responses


def _score(text: str) -> int | None:
    """The score in a cell: None when blank; ValueError unless an integer 1–4 ("4.0" from a spreadsheet is 4)."""
    if not text:
        return None
    cleaned = text.strip()
    if cleaned.endswith((".0", ",0")):
        cleaned = cleaned[:-2]
    if cleaned in {"1", "2", "3", "4"}:
        return int(cleaned)
    raise ValueError(text)
