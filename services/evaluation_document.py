"""The dokumen evaluasi kinerja pegawai (PermenPANRB 6/2022 Pasal 5 stage 3 and its annex form; the basis on which
tunjangan kinerja is paid): one employee's year as the workflow recorded it, from the moment the penilai has set the
result (the `sign` step) on.

Everything comes from the database, never from the workflow (a closed workflow's history goes when its retention
does; the document must not): the identities from the roster, the approved SKP, the review as last recorded (the
capaian of each indicator, both ratings, the predicate of the matrix, the one it stands at after calibration or an
objection, the feedback), the year's continuous feedback notes (services.feedback), and who set, accepted and decided,
with when, from the audit log the steps were written to. Whoever may see the appraisal may download it
(services.steps.visible); the rendering is documents.evaluation_pdf.

The roster holds no pangkat/golongan ruang: the form's row is printed with "–" (noted for the roster import).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.access import AppraisalParties, Principal
from domain.audit import AuditEntry
from domain.errors import DomainError, NotFound
from domain.feedback import FeedbackNote
from domain.formats import angka, angka_tercetak, tanggal, tanggal_panjang, waktu
from domain.organisation import Employee
from domain.periods import PeriodStep
from domain.ratings import Predicate
from domain.skp import Skp, Target
from domain.skp_versions import SkpVersion, period_skp, year_skp
from domain.stages import Action, Step
from persistence.ports import AbstractUnitOfWork
from services.steps import visible
from workflows.contracts import ReviewOutcome, appraisal_workflow_id

UowFactory = Callable[[], AbstractUnitOfWork]
# From the penilai's setting of the result on: the document is what was set, accepted or objected to.
ISSUED_AT = (Step.OBJECTION_WINDOW, Step.OBJECTION_REVIEW, Step.FINAL)
RULE = "dokumen evaluasi kinerja disusun setelah hasil penilaian ditetapkan pejabat penilai (PermenPANRB 6/2022)"
NONE = "–"
_SIGNED = {
    Action.SIGN.value: ("Pejabat Penilai Kinerja", "menetapkan hasil penilaian"),
    Action.ACKNOWLEDGE.value: ("Pegawai yang dinilai", "menerima hasil penilaian"),
    Action.FILE_OBJECTION.value: ("Pegawai yang dinilai", "mengajukan keberatan"),
    Action.DECIDE_OBJECTION.value: ("Atasan Pejabat Penilai Kinerja", "memutuskan keberatan"),
}


@dataclass(frozen=True)
class Person:
    """One of the three the form names: the employee, the pejabat penilai kinerja and their atasan."""

    title: str
    name: str
    nip: str
    rank: str  # pangkat/golongan ruang: not on the roster
    position: str
    unit: str


@dataclass(frozen=True)
class ResultLine:
    """One indicator of the SKP with its target, realisation and capaian."""

    number: str  # 1.2: the second indicator of the first RHK
    rhk: str
    kind: str  # utama, tambahan
    indicator: str
    aspect: str
    target: str
    realisation: str
    capaian: str
    # The SKP version the RHK belongs to, where the SKP changed during the year (domain.skp_versions): e.g. "SKP
    # versi 1: 01-01-2027 s.d. 30-06-2027"; empty with a single version.
    version: str = ""


@dataclass(frozen=True)
class Signature:
    """Who took a step the document rests on, and when (the workflow's step, as recorded)."""

    title: str
    what: str
    name: str
    nip: str
    at: str
    on_behalf: str | None  # the supervision team or a pengelola kinerja who took the step over


@dataclass(frozen=True)
class EvaluationDocument:
    instansi: str
    period: int
    cycle_id: str
    unit_code: str  # the appraisal's unit, as its worklist entry has it
    appraised_from: date | None  # joined during the period (TMT masuk): appraised from that day, not 1 January
    people: list[Person]
    results: list[ResultLine]
    behaviours: list[str]  # BerAKHLAK, with the leader's special expectation where set
    hasil_kerja: str
    perilaku: str
    matrix_predicate: str
    predicate: str  # where it stands: calibration's or the objection decision's over the matrix's
    predicate_changes: list[str]
    feedback: str
    notes: list[str]  # the year's continuous feedback (services.feedback): date, who, and what was written
    signatures: list[Signature]
    issued_at: str
    # A period of the periodic evaluation (domain.periods) instead of the year: its label, number and last day.
    period_label: str = "AKHIR (TAHUNAN)"
    period_number: int | None = None
    appraised_until: date | None = None  # None: 31 December

    @property
    def file_name(self) -> str:
        nip = self.people[0].nip
        part = f"-periode-{self.period_number}" if self.period_number is not None else ""
        return f"dokumen-evaluasi-kinerja-{self.period}{part}-{nip}.pdf"


def document(
    uow_factory: UowFactory, principal: Principal, cycle_id: str, nip: str, *, now: datetime
) -> EvaluationDocument:
    """The document of the appraisal, for whoever may see it (NotFound otherwise); DomainError (field `tahap`)
    before the result is set."""
    parties, period = visible(uow_factory, principal, cycle_id, nip)
    return build(uow_factory, parties, period, now=now)


def issued(uow_factory: UowFactory, cycle_id: str, unit_code: str | None = None) -> list[str]:
    """The NIPs of the cycle (or of one of its units) whose result is set: those with a document, in NIP order.
    NotFound for a unit the cycle's instansi does not have."""
    with uow_factory() as uow:
        cycle = uow.cycles.get(cycle_id)
        if cycle is None:
            raise NotFound(f"siklus {cycle_id} tidak ditemukan", field="siklus")
        if unit_code is not None and uow.units.get(cycle.instansi_code, unit_code) is None:
            raise NotFound(f"unit kerja {unit_code} tidak ada pada instansi {cycle.instansi_code}", field="unit")
        found = {nip for step in ISSUED_AT for nip in uow.worklist.at_step(cycle_id, step, unit_code).values()}
    return sorted(found)


def build(uow_factory: UowFactory, parties: AppraisalParties, period: int, *, now: datetime) -> EvaluationDocument:
    """The document of the appraisal of `parties`, for a caller who has checked who may have it."""
    cycle_id, nip = parties.cycle_id, parties.employee_nip
    workflow_id = appraisal_workflow_id(cycle_id, nip)
    with uow_factory() as uow:
        item = uow.worklist.get(workflow_id)
        if item is None or item.step not in ISSUED_AT:
            at = f"; penilaian ini pada tahap '{item.step.label}'" if item is not None else ""
            raise DomainError(f"dokumen evaluasi belum tersedia{at}", field="tahap", rule=RULE)
        review = uow.reviews.get(workflow_id, ReviewOutcome)
        skp = uow.skp.get(nip, period)
        if review is None or skp is None:
            raise NotFound(f"penilaian atau SKP NIP {nip} periode {period} tidak tercatat", field="penilaian")
        versions = uow.skp.versions(workflow_id)
        steps = [e for e in uow.audit.list(workflow_id=workflow_id) if e.action in (*_SIGNED, *_CHANGED)]
        known = _Known.of(uow, parties, parties.penilai_nip, {e.actor for e in steps})
        notes = uow.feedback.of_appraisal(cycle_id, nip)
    people, zone = known.people, known.zone
    outcome = review.review
    return EvaluationDocument(
        instansi=known.instansi,
        period=period,
        cycle_id=cycle_id,
        unit_code=item.unit_code,
        appraised_from=known.appraised_from(nip, period),
        people=known.parties(parties, parties.penilai_nip),
        results=result_lines(skp.skp, outcome, versions),
        behaviours=_behaviours(skp.skp),
        hasil_kerja=outcome.hasil_kerja.chosen.label,
        perilaku=outcome.perilaku.label,
        matrix_predicate=outcome.result.predicate.label,
        predicate=outcome.standing.label,
        predicate_changes=_changes(steps, outcome),
        feedback=outcome.feedback,
        notes=[_note(note, zone) for note in notes],
        signatures=[_signature(e, people, zone) for e in steps if e.action in _SIGNED],
        issued_at=waktu(now, zone),
    )


PERIOD_RULE = "dokumen evaluasi periode disusun setelah dialog kinerja periode itu (PermenPANRB 6/2022 Pasal 5)"


def period_document(
    uow_factory: UowFactory, principal: Principal, cycle_id: str, nip: str, number: int, *, now: datetime
) -> EvaluationDocument:
    """The document of one period of the periodic evaluation (Triwulan I, ...), for whoever may see the appraisal
    (NotFound otherwise); DomainError (field `tahap`) before the period's dialog kinerja is held."""
    parties, period = visible(uow_factory, principal, cycle_id, nip)
    with uow_factory() as uow:
        record = next((p for p in uow.periods.of_appraisal(cycle_id, nip) if p.number == number), None)
        if record is None:
            raise NotFound(f"periode {number} penilaian NIP {nip} belum dibuka", field="periode")
        if record.step is not PeriodStep.DONE:
            raise DomainError(
                f"dokumen evaluasi {record.label} belum tersedia; periode ini pada tahap '{record.step.label}'",
                field="tahap",
                rule=PERIOD_RULE,
            )
        skp = uow.skp.get(nip, period)
        if skp is None:
            raise NotFound(f"SKP NIP {nip} periode {period} tidak tercatat", field="skp")
        versions = uow.skp.versions(appraisal_workflow_id(cycle_id, nip))
        known = _Known.of(uow, parties, record.penilai_nip)
    people, zone = known.people, known.zone
    realised = {r.indicator_id: angka_tercetak(r.value) for r in record.realisations}
    # The versions the period was evaluated on (a later change does not alter its document). Against the year's
    # target a quarter's realisation says nothing of capaian: none is printed.
    evaluated = period_skp(skp.skp, versions, record.last_day, set(realised))
    lines = _lines(
        evaluated,
        lambda indicator_id: (realised.get(indicator_id, NONE), NONE),
        version_labels(skp.skp, versions),
    )

    def signed(title: str, what: str, nip_of: str, at: datetime | None) -> Signature:
        found = people.get(nip_of)
        when = tanggal_panjang(at, zone) if at is not None else NONE
        return Signature(title, what, found.name if found else NONE, nip_of, when, None)

    return EvaluationDocument(
        instansi=known.instansi,
        period=period,
        cycle_id=cycle_id,
        unit_code=record.unit_code,
        appraised_from=known.appraised_from(nip, period),
        people=known.parties(parties, record.penilai_nip),
        results=lines,
        behaviours=_behaviours(evaluated),
        hasil_kerja=record.rating.label if record.rating is not None else NONE,
        perilaku=NONE,
        matrix_predicate=NONE,
        predicate=NONE,  # a period has a dialog, not a predicate: that is the year's
        predicate_changes=[],
        feedback=record.feedback or NONE,
        notes=[],
        signatures=[
            signed("Pegawai yang dinilai", "mencatat realisasi periode", nip, record.realised_at),
            signed("Pejabat Penilai Kinerja", "melakukan dialog kinerja", record.penilai_nip, record.dialog_at),
        ],
        issued_at=waktu(now, zone),
        period_label=record.label.upper(),
        period_number=record.number,
        appraised_until=record.last_day,
    )


@dataclass(frozen=True)
class _Known:
    """What a document says of its people, read once: the roster's entries of those it names, their units' names,
    the instansi's name and the zone its times are printed in (the cycle's)."""

    people: dict[str, Employee]
    units: dict[str, str]
    instansi: str
    zone: int | None

    @classmethod
    def of(
        cls, uow: AbstractUnitOfWork, parties: AppraisalParties, penilai_nip: str, others: set[str] | None = None
    ) -> _Known:
        cycle = uow.cycles.get(parties.cycle_id)
        who = {
            parties.employee_nip,
            penilai_nip,
            *([parties.atasan_nip] if parties.atasan_nip else []),
            *(others or ()),
        }
        people = {n: p for n in who if (p := uow.employees.get(n)) is not None}
        units = uow.units.names(parties.instansi_code, sorted({p.unit_code for p in people.values()}))
        instansi = uow.instansi.get(parties.instansi_code)
        return cls(
            people=people,
            units=units,
            instansi=instansi.name if instansi is not None else parties.instansi_code,
            zone=cycle.deadlines.utc_offset_hours if cycle is not None else None,
        )

    def parties(self, parties: AppraisalParties, penilai_nip: str) -> list[Person]:
        """The form's three: the employee, the pejabat penilai kinerja (the year's, or the period's), the atasan."""
        return [
            self.person("Pegawai yang dinilai", parties.employee_nip),
            self.person("Pejabat Penilai Kinerja", penilai_nip),
            self.person("Atasan Pejabat Penilai Kinerja", parties.atasan_nip),
        ]

    def person(self, title: str, nip: str | None) -> Person:
        found = self.people.get(nip) if nip else None
        if found is None:
            return Person(title, NONE, nip or NONE, NONE, NONE, NONE)
        unit = self.units.get(found.unit_code, found.unit_code)
        return Person(title, found.name, nip or NONE, NONE, found.jabatan, unit)

    def appraised_from(self, nip: str, period: int) -> date | None:
        employee = self.people.get(nip)
        return employee.appraised_from(period) if employee is not None else None


def _behaviours(skp: Skp) -> list[str]:
    return [f"{b.value.value}{f': {b.expectation}' if b.expectation else ''}" for b in skp.perilaku]


def _note(note: FeedbackNote, zone: int | None) -> str:
    writer = "Pejabat penilai" if note.writer == "penilai" else "Pegawai"
    answered = f", menjawab catatan {note.answers}" if note.answers is not None else ""
    return f"{waktu(note.written_at, zone)} · catatan {note.id} · {writer}{answered}: {note.text}"


def result_lines(skp: Skp, review: ReviewOutcome, versions: Sequence[SkpVersion] = ()) -> list[ResultLine]:
    """Every indicator of the year's SKP in its order (every version's, the earliest first, where it changed during
    the year), with the realisation and capaian the review recorded (– where none)."""
    achieved = {a.indicator_id: a for a in review.achievements}

    def recorded(indicator_id: str) -> tuple[str, str]:
        found = achieved.get(indicator_id)
        return (angka_tercetak(found.realisation), f"{angka(found.percent)}%") if found else (NONE, NONE)

    return _lines(year_skp(skp, list(versions)), recorded, version_labels(skp, versions))


def version_labels(current: Skp, versions: Sequence[SkpVersion]) -> dict[str, str]:
    """Each RHK's SKP version as the document prints it (RHK id -> label); empty when the SKP never changed."""
    if not versions:
        return {}
    labels = {
        rhk.id: f"SKP versi {v.number}: {tanggal(v.effective_from)} s.d. {tanggal(v.effective_until)}"
        for v in versions
        for rhk in v.skp.rhk
    }
    since = versions[-1].effective_until + timedelta(days=1)
    labels |= {rhk.id: f"SKP versi {len(versions) + 1}: sejak {tanggal(since)}" for rhk in current.rhk}
    return labels


def _lines(
    skp: Skp, recorded: Callable[[str], tuple[str, str]], versions: Mapping[str, str] | None = None
) -> list[ResultLine]:
    """Every indicator of the SKP in its order (1.1, 1.2, 2.1, ...), with what `recorded` gives for it: its
    realisation and capaian as printed, and its version's label where the SKP changed during the year."""
    lines = []
    for r, rhk in enumerate(skp.rhk, start=1):
        for i, indicator in enumerate(rhk.indicators, start=1):
            realisation, capaian = recorded(indicator.id)
            lines.append(
                ResultLine(
                    number=f"{r}.{i}",
                    rhk=rhk.text,
                    kind=rhk.kind.value,
                    indicator=indicator.text,
                    aspect=indicator.aspect.value,
                    target=target_text(indicator.target, indicator.unit_of_measure),
                    realisation=realisation,
                    capaian=capaian,
                    version=(versions or {}).get(rhk.id, ""),
                )
            )
    return lines


def target_text(target: Target, unit: str) -> str:
    """`100 dokumen`, `80 – 90 %`: as the SKP page prints it."""
    upper = f" – {angka_tercetak(target.upper)}" if target.upper is not None else ""
    return f"{angka_tercetak(target.value)}{upper} {unit}"


_CHANGED = (Action.APPLY_CALIBRATION.value, Action.DECIDE_OBJECTION.value)


def _changes(steps: Sequence[AuditEntry], review: ReviewOutcome) -> list[str]:
    """How the predicate came to differ from the matrix's, in the order it happened (the steps record where it went)."""
    found = []
    for entry in steps:
        to = (entry.after or {}).get("predicate")
        label = f": {_PREDICATES[to].label}" if isinstance(to, str) and to in _PREDICATES else ""
        if entry.action == Action.APPLY_CALIBRATION.value:
            found.append(f"hasil kalibrasi{label}")
        elif entry.action == Action.DECIDE_OBJECTION.value:
            found.append(f"keputusan atas keberatan{label}")
    if review.standing != review.result.predicate and not found:
        found.append(f"ditetapkan {review.standing.label}")
    return found


_PREDICATES = {p.value: p for p in Predicate}


def _signature(entry: AuditEntry, people: Mapping[str, Employee], zone: int | None) -> Signature:
    title, what = _SIGNED[entry.action]
    person = people.get(entry.actor)
    on_behalf = f"atas nama NIP {entry.on_behalf_of}" if entry.on_behalf_of else None
    name = person.name if person is not None else NONE
    return Signature(title, what, name, entry.actor, tanggal_panjang(entry.occurred_at, zone), on_behalf)
