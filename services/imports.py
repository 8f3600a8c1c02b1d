"""Storing what `importing` validated: one unit of work per file, so a file is imported whole or not at all, and
with it the audit entry naming who imported it (`by`: the signed-in admin through the API, else the operator on the
server) and what it changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

from pydantic import BaseModel

from domain.errors import DomainError, NotFound
from domain.iku_correction import CORRECTION_RULE, Cascading, cascading_from, changed, checked_reason
from domain.organisation import Instansi, Unit
from domain.skp import Iku, Skp
from domain.survey import SurveyResponse
from domain.survey_window import WINDOW_RULE, check_import_open, submission_problem
from importing.roster import RosterImport
from persistence.ports import AbstractUnitOfWork, SkpRecord, SurveyResponseRecord
from services import notices
from services.actors import OPERATOR, Acting, audit
from services.surveys import find_cycle, window_of

UowFactory = Callable[[], AbstractUnitOfWork]


class ImportSummary(BaseModel):
    """What a stored file changed, for the command line and the audit of an import."""

    kind: str
    created: int = 0
    updated: int = 0
    detail: dict[str, int] = {}


def import_roster(
    uow_factory: UowFactory,
    instansi: Instansi,
    roster: RosterImport,
    *,
    by: Acting = OPERATOR,
    now: datetime | None = None,
) -> ImportSummary:
    """Register the instansi if new, then insert or update its units and employees.

    A re-import is how a reorganisation arrives: people move units and superiors, and nobody is deleted (someone
    missing from the file keeps their history; mark them inactive in the file to stop new appraisals).
    """
    with uow_factory() as uow:
        new_instansi = uow.instansi.get(instansi.code) is None
        if new_instansi:
            uow.instansi.add(instansi)
        known_units = uow.units.mapping(instansi.code)
        for unit in _parents_first(roster.units):
            uow.units.save(unit, instansi.code)
        created = updated = 0
        for employee in roster.employees:
            stored = uow.employees.get(employee.nip)
            if stored is None:
                created += 1
            else:
                if not roster.gives_joined:  # a file without `tmt_masuk` says nothing of when people joined
                    employee = employee.model_copy(update={"joined_on": stored.joined_on})
                other = uow.employees.instansi_of(employee.nip)
                if other != instansi.code:
                    raise DomainError(
                        f"NIP {employee.nip} sudah terdaftar di instansi {other}; pindahkan lewat instansi itu",
                        field="nip",
                    )
                updated += 1
            uow.employees.save(employee, instansi.code)
        new_units = sum(unit.code not in known_units for unit in roster.units)
        summary = ImportSummary(kind="roster", created=created, updated=updated, detail={"unit_baru": new_units})
        _audit(uow, by, summary, instansi.code, now, instansi_baru=new_instansi)
        uow.commit()
    return summary


def import_iku(
    uow_factory: UowFactory,
    instansi_code: str,
    indicators: list[Iku],
    *,
    by: Acting = OPERATOR,
    now: datetime | None = None,
) -> ImportSummary:
    """Add a period's IKU. Indicators are versioned per period, so a code already set for that period is refused."""
    with uow_factory() as uow:
        _require_instansi(uow, instansi_code)
        existing = [iku.code for iku in indicators if uow.iku.get(instansi_code, iku.period, iku.code) is not None]
        if existing:
            raise DomainError(
                f"IKU sudah terdaftar untuk periode ini: {', '.join(existing)}; tidak ada yang diimpor",
                field="kode_iku",
            )
        for iku in indicators:
            uow.iku.add(iku, instansi_code)
        summary = ImportSummary(kind="iku", created=len(indicators))
        _audit(uow, by, summary, instansi_code, now, periode=sorted({iku.period for iku in indicators}))
        uow.commit()
    return summary


class IkuCorrection(BaseModel):
    """What a correction of a period's IKU changed, and the RHK that cascade from the indicators it changed."""

    summary: ImportSummary
    versions: dict[str, int]  # IKU code -> its new version
    cascading: list[Cascading]


def correct_iku(
    uow_factory: UowFactory,
    instansi_code: str,
    indicators: list[Iku],
    reason: str,
    *,
    by: Acting = OPERATOR,
    now: datetime | None = None,
) -> IkuCorrection:
    """Correct IKU already imported for their period: each indicator that differs gets a new version, the one it
    replaces kept with the reason and who corrected it (domain.iku_correction); one not yet imported is refused
    (import it without a correction), and the file is stored whole or not at all. The owners of the SKPs whose RHK
    cascade from a changed indicator, directly or through a superior's RHK, are told to review them."""
    cleaned = checked_reason(reason)
    at = now or datetime.now(UTC)
    with uow_factory() as uow:
        _require_instansi(uow, instansi_code)
        stored = {iku.code: uow.iku.get(instansi_code, iku.period, iku.code) for iku in indicators}
        missing = [code for code, found in stored.items() if found is None]
        if missing:
            raise DomainError(
                f"IKU belum terdaftar untuk periode ini: {', '.join(missing)}; impor tanpa koreksi; tidak ada yang"
                " dikoreksi",
                field="kode_iku",
                rule=CORRECTION_RULE,
            )
        versions = {
            iku.code: uow.iku.correct(iku, instansi_code, reason=cleaned, by=by.nip, at=at)
            for iku in indicators
            if (before := stored[iku.code]) is not None and changed(before, iku)
        }
        periods = sorted({iku.period for iku in indicators if iku.code in versions})
        cascading = [
            found
            for period in periods
            for found in cascading_from(uow.skp.of_instansi(instansi_code, period), set(versions))
        ]
        summary = ImportSummary(kind="iku_correction", updated=len(versions), detail={"rhk_ditinjau": len(cascading)})
        _audit(uow, by, summary, instansi_code, at, alasan=cleaned, versi=versions, periode=periods)
        owners = sorted({found.employee_nip for found in cascading})
        if owners:
            codes = ", ".join(f"{code} (versi {version})" for code, version in sorted(versions.items()))
            notices.enqueue(
                uow,
                f"iku-correction/{instansi_code}/{at.isoformat()}",
                f"iku-{instansi_code}",
                owners,
                subject=f"IKU dikoreksi: tinjau RHK SKP Anda yang menurunkan {codes}",
                body=(
                    f"IKU {codes} instansi {instansi_code} dikoreksi: {cleaned}.\n"
                    "RHK SKP Anda diturunkan dari IKU itu (langsung atau lewat RHK atasan); tinjau bersama pejabat"
                    " penilai apakah perlu diubah."
                ),
            )
        uow.commit()
    return IkuCorrection(summary=summary, versions=versions, cascading=cascading)


def import_skp(
    uow_factory: UowFactory,
    instansi_code: str,
    skps: list[Skp],
    policy_version: str,
    *,
    by: Acting = OPERATOR,
    now: datetime | None = None,
) -> ImportSummary:
    """Store draft SKPs (status `draft`); an SKP already stored for the employee and period is not overwritten."""
    with uow_factory() as uow:
        _require_instansi(uow, instansi_code)
        problems: list[str] = []
        for skp in skps:
            if uow.employees.instansi_of(skp.employee_nip) != instansi_code:
                problems.append(f"NIP {skp.employee_nip} bukan pegawai instansi {instansi_code}")
            elif uow.skp.get(skp.employee_nip, skp.period) is not None:
                problems.append(f"SKP {skp.employee_nip} periode {skp.period} sudah ada")
        if problems:
            raise DomainError("; ".join(problems) + "; tidak ada yang diimpor", field="skp")
        for skp in skps:
            uow.skp.save(SkpRecord(skp=skp, status="draft", policy_version=policy_version))
        summary = ImportSummary(kind="skp", created=len(skps))
        _audit(uow, by, summary, instansi_code, now, periode=sorted({skp.period for skp in skps}))
        uow.commit()
    return summary


def import_survey(
    uow_factory: UowFactory,
    instansi_code: str,
    period: int,
    responses: list[SurveyResponse],
    source: str,
    *,
    cycle_id: str | None = None,
    now: datetime | None = None,
    zone: tzinfo = UTC,
    by: Acting = OPERATOR,
) -> int:
    """Store a survey file's responses in one transaction; every response needs its respondent token, and a token
    already used in the instansi and period refuses the whole file (one respondent, one answer).

    The answers go to the survey window of the cycle (`cycle_id`, or the instansi's only cycle of the period): the file
    is refused once the window has closed or the IKM has been computed, and if any answer was given outside the window
    (PermenPANRB 14/2017; domain/survey_window.py). An answer without a time counts as given `now`. `parse_survey`
    with the window reports such rows line by line first; this is the same rule, kept where the data is stored.
    """
    now = now or datetime.now(UTC)
    missing = sum(1 for r in responses if not r.respondent)
    if missing:
        raise DomainError(
            f"{missing} jawaban tanpa token responden; isi kolom token (satu responden satu jawaban)", field="token"
        )
    with uow_factory() as uow:
        _require_instansi(uow, instansi_code)
        cycle = find_cycle(uow, instansi_code, period, cycle_id)
        window = window_of(cycle)
        uow.instansi.lock(instansi_code)  # not while a cycle computes its IKM: counted there, or refused here
        computed = uow.cycles.survey(cycle.cycle_id)
        check_import_open(
            window, now, computed_at=computed.computed_at if computed else None, cycle_id=cycle.cycle_id, zone=zone
        )
        outside = [r for r in responses if submission_problem(window, r.submitted_at or now, received_at=now)]
        if outside:
            raise DomainError(
                f"{len(outside)} jawaban (mis. token '{outside[0].respondent}') tidak diisi dalam masa survei siklus"
                f" {cycle.cycle_id} ({window.text(zone)}) atau bertanggal sesudah impor; tidak ada yang diimpor",
                field="waktu",
                rule=WINDOW_RULE,
            )
        known_units = set(uow.units.mapping(instansi_code))
        unknown = sorted({r.unit for r in responses if r.unit and r.unit not in known_units})
        if unknown:
            raise NotFound(f"unit tidak terdaftar di instansi {instansi_code}: {', '.join(unknown)}", field="unit")
        stored = uow.survey.add_many(
            [
                SurveyResponseRecord(
                    instansi_code=instansi_code,
                    period=period,
                    unit_code=r.unit or "",
                    respondent_token=r.respondent or "",
                    answers=r.scores,
                    comment=r.comment,
                    source=source[:16],
                    submitted_at=r.submitted_at or now,
                )
                for r in responses
            ]
        )
        summary = ImportSummary(kind="survey", created=stored)
        _audit(uow, by, summary, instansi_code, now, periode=[period], siklus=cycle.cycle_id, sumber=source[:16])
        uow.commit()
    return stored


def known_references(uow_factory: UowFactory, instansi_code: str, period: int) -> tuple[set[str], set[str]]:
    """The NIPs and the period's IKU codes of an instansi, for checking an SKP file's references before import."""
    with uow_factory() as uow:
        _require_instansi(uow, instansi_code)
        nips = set(uow.employees.mapping(instansi_code))
        codes = {iku.code for iku in uow.iku.for_period(instansi_code, period)}
    return nips, codes


def stored_rhk_ids(uow_factory: UowFactory, instansi_code: str, period: int, wanted: set[str]) -> set[str]:
    """Which of these RHK ids (`<nip>-R<n>`) belong to SKPs of the period already stored for the instansi's people:
    a file of staff SKPs may cascade from their superiors' RHKs imported in an earlier file."""
    nips = {rhk_id.rsplit("-R", 1)[0] for rhk_id in wanted}
    found: set[str] = set()
    with uow_factory() as uow:
        for nip in uow.employees.by_nips(instansi_code, nips):
            record = uow.skp.get(nip, period)
            if record is not None:
                found.update(rhk.id for rhk in record.skp.rhk if rhk.id in wanted)
    return found


def _audit(
    uow: AbstractUnitOfWork,
    by: Acting,
    summary: ImportSummary,
    instansi_code: str,
    now: datetime | None,
    **details: object,
) -> None:
    """The import's entry: who, which instansi, and what changed (counts only: the file holds personal data)."""
    audit(uow, by, f"import.{summary.kind}", subject=instansi_code, after={**summary.model_dump(), **details}, now=now)


def _require_instansi(uow: AbstractUnitOfWork, code: str) -> None:
    if uow.instansi.get(code) is None:
        raise NotFound(f"instansi {code} belum terdaftar; impor rosternya dahulu", field="instansi")


def _parents_first(units: list[Unit]) -> list[Unit]:
    by_code = {unit.code: unit for unit in units}
    ordered: list[Unit] = []
    seen: set[str] = set()

    def visit(unit: Unit) -> None:
        if unit.code in seen:
            return
        seen.add(unit.code)
        parent = by_code.get(unit.parent_code) if unit.parent_code else None
        if parent is not None:
            visit(parent)
        ordered.append(unit)

    for unit in units:
        visit(unit)
    return ordered
