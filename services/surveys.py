"""The SKM window of a cycle and the IKM of a unit, from the database (PermenPANRB 14/2017).

A cycle's calendar is recorded when the cycle starts (`siklus mulai`, the cycle's first enrolment page), and the
IKM per unit when the cycle computes it at the survey close (`services.cycles.survey_by_unit`). Survey imports check
their answers against that window, and a penilai reading an appraisal or a worklist sees the unit's index once the
window has closed — all without asking Temporal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, computed_field

from domain.errors import DomainError, NotFound
from domain.survey_window import SurveyPhase, SurveyWindow, check_import_open
from persistence.ports import AbstractUnitOfWork, CycleRecord, CycleSurveyRecord

UowFactory = Callable[[], AbstractUnitOfWork]


class SurveyStatus(StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSING = "closing"  # the window has closed; the cycle has not recorded the index yet
    COMPUTED = "computed"
    UNKNOWN = "unknown"  # the cycle's calendar is not in the database (a cycle planned before it was recorded)

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    SurveyStatus.NOT_OPEN: "survei belum dibuka",
    SurveyStatus.OPEN: "survei masih dibuka",
    SurveyStatus.CLOSING: "survei ditutup, IKM sedang dihitung",
    SurveyStatus.COMPUTED: "survei ditutup, IKM sudah dihitung",
    SurveyStatus.UNKNOWN: "kalender siklus tidak tercatat",
}


class UnitSurvey(BaseModel):
    """What a penilai sees of the SKM of an employee's unit in one cycle: the window until it closes, then the index
    as the cycle computed it (value, mutu, sample adequacy)."""

    model_config = ConfigDict(frozen=True)

    cycle_id: str
    unit: str
    status: SurveyStatus
    opens: AwareDatetime | None = None
    closes: AwareDatetime | None = None
    computed_at: AwareDatetime | None = None
    responses: int | None = None
    ikm: Decimal | None = None  # IKM konversi (25–100), rounded to 2 dp as published
    grade: str | None = None  # mutu A–D
    grade_label: str | None = None  # kinerja unit: Sangat Baik … Tidak Baik
    adequate: bool | None = None  # enough respondents (Krejcie & Morgan, or the policy minimum)
    required_sample: int | None = None
    population: int | None = None
    messages: list[str] = []
    policy_version: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        return self.status.label


@dataclass(frozen=True)
class SurveyIntake:
    """The cycle a survey import goes to and the window its answers must fall in."""

    cycle_id: str
    period: int
    window: SurveyWindow


def window_of(cycle: CycleRecord) -> SurveyWindow:
    return SurveyWindow(cycle.deadlines.survey_opens, cycle.deadlines.survey_closes)


def find_cycle(uow: AbstractUnitOfWork, instansi_code: str, period: int | None, cycle_id: str | None) -> CycleRecord:
    """The cycle named, which must be of this instansi (and period, if given); without a name, the period's only
    cycle."""
    if cycle_id is not None:
        cycle = uow.cycles.get(cycle_id)
        # Another instansi's cycle is answered as one that is not there: its name tells nothing of that instansi.
        if cycle is None or cycle.instansi_code != instansi_code:
            raise NotFound(
                f"siklus {cycle_id} tidak tercatat di basis data untuk instansi {instansi_code}; periksa id siklusnya,"
                " atau jalankan lagi `kinerja siklus mulai` untuk siklus itu dengan kalender yang sama (aman diulang)"
                " agar masa surveinya tercatat",
                field="siklus",
            )
        if period not in (None, cycle.period):
            raise DomainError(
                f"siklus {cycle_id} adalah siklus instansi {cycle.instansi_code} periode {cycle.period},"
                f" bukan instansi {instansi_code}" + (f" periode {period}" if period is not None else ""),
                field="siklus",
            )
        return cycle
    if period is None:
        raise DomainError("sebutkan --periode atau --siklus", field="siklus")
    cycles = uow.cycles.for_period(instansi_code, period)
    if not cycles:
        raise NotFound(
            f"belum ada siklus penilaian kinerja instansi {instansi_code} periode {period}; masa survei mengikuti"
            " kalender siklus, jadi mulai siklusnya dahulu (`kinerja siklus mulai`)",
            field="siklus",
        )
    if len(cycles) > 1:
        names = ", ".join(c.cycle_id for c in cycles)
        raise DomainError(
            f"instansi {instansi_code} periode {period} mempunyai {len(cycles)} siklus ({names});"
            " pilih dengan --siklus",
            field="siklus",
        )
    return cycles[0]


def survey_intake(
    uow_factory: UowFactory,
    instansi_code: str,
    period: int | None,
    cycle_id: str | None = None,
    *,
    now: datetime,
    zone: tzinfo = UTC,
) -> SurveyIntake:
    """The cycle and window of a survey import; refused once the window has closed or the IKM has been computed."""
    with uow_factory() as uow:
        if uow.instansi.get(instansi_code) is None:
            raise NotFound(f"instansi {instansi_code} belum terdaftar; impor rosternya dahulu", field="instansi")
        cycle = find_cycle(uow, instansi_code, period, cycle_id)
        computed = uow.cycles.survey(cycle.cycle_id)
    window = window_of(cycle)
    check_import_open(
        window, now, computed_at=computed.computed_at if computed else None, cycle_id=cycle.cycle_id, zone=zone
    )
    return SurveyIntake(cycle_id=cycle.cycle_id, period=cycle.period, window=window)


def unit_surveys(
    uow_factory: UowFactory, wanted: Iterable[tuple[str, str]], *, now: datetime
) -> dict[tuple[str, str], UnitSurvey]:
    """The SKM of every (cycle id, unit code) asked for, at `now`."""
    with uow_factory() as uow:
        return unit_surveys_in(uow, wanted, now=now)


def unit_surveys_in(
    uow: AbstractUnitOfWork,
    wanted: Iterable[tuple[str, str]],
    *,
    now: datetime,
    cycles: dict[str, CycleRecord | None] | None = None,
) -> dict[tuple[str, str], UnitSurvey]:
    """`unit_surveys` within a unit of work the caller holds (`cycles`: those it has read already)."""
    pairs = list(dict.fromkeys(wanted))
    known = dict(cycles or {})
    cycle_ids = {cycle_id for cycle_id, _ in pairs}
    for cycle_id in cycle_ids - known.keys():
        known[cycle_id] = uow.cycles.get(cycle_id)
    surveys = {cycle_id: uow.cycles.survey(cycle_id) for cycle_id in cycle_ids}
    cycles = known
    return {
        (cycle_id, unit): _view(cycle_id, unit, cycles[cycle_id], surveys[cycle_id], now) for cycle_id, unit in pairs
    }


def unit_survey(uow_factory: UowFactory, cycle_id: str, unit: str, *, now: datetime) -> UnitSurvey:
    return unit_surveys(uow_factory, [(cycle_id, unit)], now=now)[(cycle_id, unit)]


def _view(
    cycle_id: str, unit: str, cycle: CycleRecord | None, survey: CycleSurveyRecord | None, now: datetime
) -> UnitSurvey:
    window = window_of(cycle) if cycle is not None else None
    base = UnitSurvey(
        cycle_id=cycle_id,
        unit=unit,
        status=SurveyStatus.UNKNOWN,
        opens=window.opens if window else None,
        closes=window.closes if window else None,
    )
    if survey is not None:
        return _computed(base, survey)
    if window is None:
        return base.model_copy(
            update={
                "messages": [
                    f"kalender siklus {cycle_id} tidak tercatat di basis data; jalankan lagi `kinerja siklus mulai`"
                    " dengan kalender yang sama agar tercatat"
                ]
            }
        )
    status = {
        SurveyPhase.NOT_OPEN: SurveyStatus.NOT_OPEN,
        SurveyPhase.OPEN: SurveyStatus.OPEN,
        SurveyPhase.CLOSED: SurveyStatus.CLOSING,
    }[window.phase(now)]
    return base.model_copy(update={"status": status})


def _computed(base: UnitSurvey, survey: CycleSurveyRecord) -> UnitSurvey:
    found = next((result for result in survey.units if result.unit == base.unit), None)
    common = {
        "status": SurveyStatus.COMPUTED,
        "computed_at": survey.computed_at,
        "policy_version": survey.policy_version,
    }
    if found is None:
        return base.model_copy(
            update={**common, "responses": 0, "messages": ["tidak ada jawaban survei untuk unit ini"]}
        )
    return base.model_copy(
        update={
            **common,
            "responses": found.response_count,
            "ikm": found.ikm,
            "grade": found.grade,
            "grade_label": found.label,
            "adequate": found.adequate,
            "required_sample": found.required_sample,
            "population": found.population,
            "messages": found.messages,
        }
    )
