"""SKM questionnaires exported from a paper tally or a form tool: one row per respondent, nine unsur scored 1–4.

Columns: unit, token (the respondent's anonymous token: one response each), u1 … u9 (PermenPANRB 14/2017 order;
blank = not answered), an optional komentar and an optional waktu (when the respondent answered: a form tool's
timestamp, a paper form's date). Every bad cell is reported with its line; nothing is returned from a file with
errors.

Given the cycle's survey window and the moment of the import, every answer must fall inside the window
(domain/survey_window.py); an answer without waktu counts as given when it is imported (a paper tally typed in).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from domain.errors import DomainError
from domain.survey import UNSUR, SurveyResponse
from domain.survey_window import SurveyWindow, submission_problem
from importing.errors import RowErrors
from importing.tables import Column, Row, Table, conform, overflow_message
from importing.values import has_utc_offset, parse_instant

SURVEY_COLUMNS = (
    Column(name="unit", aliases=("unit_layanan", "unit_kerja", "kode_unit", "unit_code")),
    Column(name="token", aliases=("respondent", "responden", "id_responden", "token_responden"), required=False),
    *(
        Column(name=unsur.field, aliases=(f"unsur_{n}", f"unsur{n}", f"u_{n}"))
        for n, unsur in enumerate(UNSUR, start=1)
    ),
    Column(name="komentar", aliases=("comment", "saran", "kritik_saran", "saran_masukan"), required=False),
    Column(
        name="waktu",
        aliases=(
            "waktu_isi",
            "waktu_pengisian",
            "tanggal",
            "tanggal_isi",
            "tanggal_pengisian",
            "stempel_waktu",
            "timestamp",
            "submitted_at",
        ),
        required=False,
    ),
)


def parse_survey(
    table: Table,
    *,
    zone: tzinfo | None = None,
    window: SurveyWindow | None = None,
    received_at: datetime | None = None,
) -> list[SurveyResponse]:
    """The responses of a survey file, or `ValidationFailed` listing every bad row.

    A waktu without an offset is local time in `zone`; without a `zone` such a waktu is a row error, never a guess
    (WIB, WITA and WIT are an hour apart: a guess moves answers across the window's edges). With `window`,
    `received_at` (the moment of the import) is required: a blank waktu becomes it, and every answer is checked
    against the window.
    """
    if window is not None and received_at is None:
        raise ValueError("received_at is required to check answers against a survey window")
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
        submitted_at = _submitted_at(row, zone, window, received_at, errors)
        if all(score is None for score in scores):
            errors.add(row.line, None, "", "tidak ada unsur yang dijawab", "jawaban.kosong")
            continue
        try:
            responses.append(
                SurveyResponse.of(
                    scores,
                    unit=unit or None,
                    respondent=token,
                    comment=row.get("komentar") or None,
                    submitted_at=submitted_at,
                )
            )
        except DomainError as error:  # defensive: the checks above already cover the domain's rule
            errors.add(row.line, error.field, "", str(error), "skor.tidak_sah")
    errors.raise_if_any()
    return responses


def _submitted_at(
    row: Row, zone: tzinfo | None, window: SurveyWindow | None, received_at: datetime | None, errors: RowErrors
) -> datetime | None:
    """When the row's respondent answered (blank: when it is imported), checked against the window if there is one."""
    text = row.get("waktu")
    if not text:
        submitted_at = received_at
    elif zone is None and not has_utc_offset(text):
        errors.add(
            row.line,
            "waktu",
            text,
            "waktu pengisian tanpa zona waktu: tulis zonanya (mis. 2026-10-05 09:12+09:00) atau sebutkan zona berkas"
            " dengan --zona WIB|WITA|WIT",
            "waktu.tanpa_zona",
        )
        return None
    else:
        try:
            submitted_at = parse_instant(text, zone or UTC)
        except ValueError as error:
            errors.add(row.line, "waktu", text, f"waktu pengisian {error}", "waktu.tidak_sah")
            return None
    if window is None or submitted_at is None or received_at is None:
        return submitted_at
    shown_in = zone or submitted_at.tzinfo or UTC
    problem = submission_problem(window, submitted_at, received_at=received_at, zone=shown_in)
    if problem is not None:
        blank = "" if text else "tanpa waktu pengisian, dianggap diisi saat impor: "
        errors.add(
            row.line, "waktu", text, f"{blank}{problem.message}; aturan: {problem.rule}", "waktu.di_luar_masa_survei"
        )
    return submitted_at


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
