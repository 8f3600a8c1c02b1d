"""One import file end to end, as `kinerja impor ...` runs it and `POST /instansi/{code}/imports/{kind}` does: the
upload checked and read (services.uploads), validated row by row by its parser (importing/), then stored whole or
not at all with the audit entry of who imported it (services.imports).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from domain.calendar import ZONE_NAMES
from domain.errors import DomainError
from domain.organisation import Instansi
from domain.skp import Iku
from importing.iku import parse_iku
from importing.roster import parse_roster
from importing.skp import parse_skp, superior_rhk_ids
from importing.survey import parse_survey
from importing.tables import Table
from persistence.ports import AbstractUnitOfWork
from services import imports, surveys
from services.actors import Acting
from services.roster_moves import roster_moves
from services.uploads import read_upload

UowFactory = Callable[[], AbstractUnitOfWork]
ZONES = {name: hours for hours, name in ZONE_NAMES.items()}  # WIB → 7
ZoneName = Literal["WIB", "WITA", "WIT"]


class ImportKind(StrEnum):
    ROSTER = "roster"
    IKU = "iku"
    SKP = "skp"
    SURVEY = "survey"


class ImportOptions(BaseModel):
    instansi_code: str
    period: int | None = None  # IKU, SKP, survey (None: this year; a survey: its cycle's period)
    instansi_name: str | None = None  # roster: required the first time
    cycle_id: str | None = None  # survey: the cycle whose window applies (None: the instansi's only one)
    zone: ZoneName | None = None  # survey: the zone of times written without one (never guessed)
    correction_reason: str | None = None  # IKU: correct indicators already imported, for this reason (a new version)


class RhkToReview(BaseModel):
    nip: str
    rhk: str = Field(description="id RHK")
    teks: str
    iku: str
    langsung: bool = Field(description="diturunkan langsung dari IKU (bukan lewat RHK atasan)")


class ImportResult(BaseModel):
    jenis: ImportKind
    instansi: str
    baru: int
    diperbarui: int = 0
    rincian: dict[str, int] = {}
    periode: int | None = None
    siklus: str | None = None
    pesan: str
    # roster: per cycle still running, how many of its appraisals the roster now gives other reviewers (a mutasi)
    berbeda_dari_roster: dict[str, int] = {}
    # IKU correction: the RHK that cascade from a corrected indicator, for their owners to review (they are told)
    ditinjau: list[RhkToReview] = []


def import_upload(
    uow_factory: UowFactory,
    kind: ImportKind,
    data: bytes,
    filename: str,
    options: ImportOptions,
    *,
    by: Acting,
    now: datetime,
) -> ImportResult:
    return import_table(uow_factory, kind, read_upload(data, filename), options, by=by, now=now)


def import_table(
    uow_factory: UowFactory, kind: ImportKind, table: Table, options: ImportOptions, *, by: Acting, now: datetime
) -> ImportResult:
    if kind is ImportKind.ROSTER:
        return _roster(uow_factory, table, options, by, now)
    if kind is ImportKind.IKU:
        return _iku(uow_factory, table, options, by, now)
    if kind is ImportKind.SKP:
        return _skp(uow_factory, table, options, by, now)
    return _survey(uow_factory, table, options, by, now)


def _roster(uow_factory: UowFactory, table: Table, options: ImportOptions, by: Acting, now: datetime) -> ImportResult:
    code = options.instansi_code
    roster = parse_roster(table, code, now.date())
    with uow_factory() as uow:
        known = uow.instansi.get(code)
    if known is None and not options.instansi_name:
        raise DomainError(
            f"instansi {code} baru: sebutkan nama instansinya (di baris perintah: --nama-instansi)",
            field="nama_instansi",
        )
    instansi = known or Instansi(code=code, name=options.instansi_name or code)
    summary = imports.import_roster(uow_factory, instansi, roster, by=by, now=now)
    differing = _differing_from_roster(uow_factory, code, now.date()) if known is not None else {}
    told = "".join(
        f"; {count} penilaian berjalan di siklus {cycle_id} kini berbeda dari roster (Tindakan massal → Ikuti"
        " roster, atau kinerja massal ikuti-roster)"
        for cycle_id, count in differing.items()
    )
    return ImportResult(
        jenis=ImportKind.ROSTER,
        instansi=code,
        baru=summary.created,
        diperbarui=summary.updated,
        rincian=summary.detail,
        pesan=f"{summary.created} pegawai baru, {summary.updated} diperbarui, {summary.detail['unit_baru']} unit baru"
        f" di {code}{told}",
        berbeda_dari_roster=differing,
    )


RECENT_CYCLES = 3  # an instansi runs one cycle a year; the one before may still be in its objections


def _differing_from_roster(uow_factory: UowFactory, code: str, today: date) -> dict[str, int]:
    """cycle → how many of its running appraisals have reviewers other than the roster's now: an import moves no
    running appraisal by itself (domain.roster_changes); the supervision team follows the roster when it is told."""
    with uow_factory() as uow:
        cycles = uow.cycles.of_instansi(code, limit=RECENT_CYCLES)
    found = {cycle.cycle_id: len(roster_moves(uow_factory, cycle.cycle_id, None, today).moved) for cycle in cycles}
    return {cycle_id: count for cycle_id, count in found.items() if count}


def _iku(uow_factory: UowFactory, table: Table, options: ImportOptions, by: Acting, now: datetime) -> ImportResult:
    period = _period(options, now.date())
    indicators = parse_iku(table, options.instansi_code, period)
    if options.correction_reason is not None:
        return _iku_correction(uow_factory, indicators, options, options.correction_reason, period, by, now)
    summary = imports.import_iku(uow_factory, options.instansi_code, indicators, by=by, now=now)
    return ImportResult(
        jenis=ImportKind.IKU,
        instansi=options.instansi_code,
        baru=summary.created,
        periode=period,
        pesan=f"{summary.created} IKU periode {period} diimpor ke {options.instansi_code}",
    )


def _iku_correction(
    uow_factory: UowFactory,
    indicators: list[Iku],
    options: ImportOptions,
    reason: str,
    period: int,
    by: Acting,
    now: datetime,
) -> ImportResult:
    done = imports.correct_iku(uow_factory, options.instansi_code, indicators, reason, by=by, now=now)
    versions = ", ".join(f"{code} versi {version}" for code, version in sorted(done.versions.items())) or "tidak ada"
    owners = len({found.employee_nip for found in done.cascading})
    return ImportResult(
        jenis=ImportKind.IKU,
        instansi=options.instansi_code,
        baru=0,
        diperbarui=done.summary.updated,
        periode=period,
        pesan=(
            f"{done.summary.updated} IKU periode {period} dikoreksi ({versions}); {len(done.cascading)} RHK dari"
            f" {owners} pegawai menurunkannya dan perlu ditinjau (pemiliknya diberi tahu)"
        ),
        ditinjau=[
            RhkToReview(nip=c.employee_nip, rhk=c.rhk_id, teks=c.rhk_text, iku=c.iku_code, langsung=c.direct)
            for c in done.cascading
        ],
    )


def _skp(uow_factory: UowFactory, table: Table, options: ImportOptions, by: Acting, now: datetime) -> ImportResult:
    code, period = options.instansi_code, _period(options, now.date())
    nips, iku_codes = imports.known_references(uow_factory, code, period)
    stored = imports.stored_rhk_ids(uow_factory, code, period, superior_rhk_ids(table))
    skps = parse_skp(table, period, nips, iku_codes, known_rhk=stored)
    with uow_factory() as uow:
        version = uow.instansi.policy(code).version
    summary = imports.import_skp(uow_factory, code, skps, version, by=by, now=now)
    return ImportResult(
        jenis=ImportKind.SKP,
        instansi=code,
        baru=summary.created,
        periode=period,
        pesan=f"{summary.created} SKP periode {period} diimpor sebagai draf",
    )


def _survey(uow_factory: UowFactory, table: Table, options: ImportOptions, by: Acting, now: datetime) -> ImportResult:
    code = options.instansi_code
    given = timezone(timedelta(hours=ZONES[options.zone])) if options.zone else None
    zone = given or timezone(timedelta(hours=ZONES["WIB"]))  # to show the window in; answers are never read in it
    period = options.period if options.period is not None or options.cycle_id else now.date().year
    intake = surveys.survey_intake(uow_factory, code, period, options.cycle_id, now=now, zone=zone)
    responses = parse_survey(table, zone=given, window=intake.window, received_at=now)
    source = "xlsx" if table.source.endswith(".xlsx") else "csv"
    stored = imports.import_survey(
        uow_factory, code, intake.period, responses, source, cycle_id=intake.cycle_id, now=now, zone=zone, by=by
    )
    return ImportResult(
        jenis=ImportKind.SURVEY,
        instansi=code,
        baru=stored,
        periode=intake.period,
        siklus=intake.cycle_id,
        pesan=f"{stored} jawaban survei periode {intake.period} disimpan untuk siklus {intake.cycle_id} (masa survei"
        f" {intake.window.text(zone)}; satu token satu jawaban)",
    )


def _period(options: ImportOptions, today: date) -> int:
    return options.period if options.period is not None else today.year
