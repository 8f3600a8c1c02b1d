"""Reading appraisals: one person's open tasks and the overdue steps (the worklist table, written with every step),
one appraisal's state, and its history as a readable timeline. A task list and an appraisal's state
show the SKM of the employee's unit from the database: the survey window until it closes, then the unit's IKM.

kinerja tugas [--siklus ID]               # what waits for the signed-in person (through the API)
kinerja tugas --nip NIP [--siklus ID]     # what waits for anyone (read from the database, on the server)
kinerja terlambat [--instansi KODE] [--siklus ID] [--unit KODE] [--tahap TAHAP]
kinerja status  --siklus ID --nip NIP
kinerja riwayat --siklus ID --nip NIP
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeAlias

from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client

from cli.api import Api
from cli.database import open_database
from cli.output import emit_json, local_time, table, tmt
from cli.session import call_api
from cli.temporal import run
from domain.skp import Target
from domain.stages import OPEN_STAGES, Stage, Step
from domain.worklist import WorkItem, WorklistQuery
from services import history
from services.overdue import overdue_query
from services.surveys import SurveyStatus, UnitSurvey, unit_surveys
from services.worklist import UowFactory, names_of, open_steps
from settings import load_settings
from temporal_client import appraisal_handle
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import AppraisalState

Parsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
LIMIT = 1000  # rows shown by a list command; more are counted, not printed


def register(commands: Parsers) -> None:
    tasks = commands.add_parser("tugas", aliases=["tasks"], help="langkah penilaian yang menunggu seseorang")
    tasks.add_argument(
        "--nip", help="NIP orang yang tugasnya dicari, dibaca langsung dari basis data (bawaan: Anda, lewat API)"
    )
    tasks.add_argument("--siklus", "--cycle", dest="cycle")
    tasks.add_argument("--json", action="store_true")
    tasks.set_defaults(handler=_tasks)

    overdue = commands.add_parser(
        "terlambat", aliases=["overdue"], help="langkah yang melewati batas waktu dan sudah dieskalasi"
    )
    overdue.add_argument("--instansi")
    overdue.add_argument("--siklus", "--cycle", dest="cycle")
    overdue.add_argument("--unit")
    overdue.add_argument("--tahap", choices=OPEN_STAGES)
    overdue.add_argument("--terlambat-sejak", dest="age", help=AGE_HELP)
    overdue.add_argument("--json", action="store_true")
    overdue.set_defaults(handler=_overdue)

    for name, helptext, handler in (
        ("status", "status satu penilaian kinerja", _status),
        ("riwayat", "riwayat satu penilaian kinerja: tahap, pelaku, pengingat, eskalasi, timer", _history),
    ):
        parser = commands.add_parser(name, help=helptext)
        parser.add_argument("--siklus", "--cycle", dest="cycle", required=True)
        parser.add_argument("--nip", required=True, help="NIP pegawai yang dinilai")
        parser.add_argument("--json", action="store_true")
        parser.set_defaults(handler=handler)


# --- lists from the worklist ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenStep:
    workflow_id: str
    cycle: str
    instansi: str
    unit: str
    nip: str
    name: str
    step: Step
    assignee: str | None
    deadline: datetime | None
    overdue: bool
    escalation_level: int

    def as_json(self) -> dict[str, Any]:
        return {
            "workflow_id": self.workflow_id,
            "cycle": self.cycle,
            "instansi": self.instansi,
            "unit": self.unit,
            "nip": self.nip,
            "name": self.name,
            "step": self.step.value,
            "step_label": self.step.label,
            "assignee": self.assignee,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "overdue": self.overdue,
            "escalation_level": self.escalation_level,
        }


AGE_HELP = "hanya yang lewat batas waktu paling sedikit selama ini: minggu, hari atau jam ISO-8601 (P3D, P2W, PT12H)"


def list_open(
    query: WorklistQuery, *, limit: int | None = LIMIT, uow_factory: UowFactory | None = None
) -> tuple[list[OpenStep], int]:
    """The open steps matching `query` from the worklist, nearest deadline first (at most `limit`, None: all), with
    the employees' names, and how many matched. From the configured database unless `uow_factory` is given."""
    uow_factory = uow_factory or open_database(load_settings())
    found = open_steps(uow_factory, query, limit=limit)
    return _with_names(uow_factory, [_open_step(item) for item in found.items], found.items), found.total


def _open_step(item: WorkItem) -> OpenStep:
    return OpenStep(
        workflow_id=item.workflow_id,
        cycle=item.cycle_id,
        instansi=item.instansi_code,
        unit=item.unit_code,
        nip=item.employee_nip,
        name="",
        step=item.step,
        assignee=item.assignee,
        deadline=item.deadline,
        overdue=item.overdue,
        escalation_level=item.escalation_level,
    )


def _with_names(uow_factory: UowFactory, steps: list[OpenStep], items: list[WorkItem]) -> list[OpenStep]:
    names = names_of(uow_factory, items)
    return [OpenStep(**{**s.__dict__, "name": names.get(s.nip, "")}) for s in steps]


def _print_steps(steps: list[OpenStep], total: int, *, empty: str) -> None:
    if not steps:
        print(empty)
        return
    table(
        ["Siklus", "Unit", "NIP", "Nama", "Langkah", "Menunggu", "Batas waktu", "Eskalasi"],
        [
            [
                s.cycle,
                s.unit,
                s.nip,
                s.name,
                s.step.label,
                s.assignee,
                local_time(s.deadline),
                f"tingkat {s.escalation_level}" if s.overdue else "-",
            ]
            for s in steps
        ],
    )
    if total > len(steps):
        print(f"... dan {total - len(steps)} lainnya (persempit dengan --siklus / --unit / --tahap)")


def _tasks(args: argparse.Namespace) -> int:
    if args.nip is None:
        return my_tasks(args)
    nip = "".join(args.nip.split())
    steps, total = list_open(WorklistQuery(assignee=nip, cycle_id=args.cycle))
    found = _surveys([(s.cycle, s.unit) for s in steps])
    if args.json:
        emit_json([{**s.as_json(), "unit_survey": found[(s.cycle, s.unit)]} for s in steps])
    else:
        _print_steps(steps, total, empty=f"Tidak ada tugas terbuka untuk NIP {nip}.")
        if found:
            print("\nIndeks Kepuasan Masyarakat unit (SKM, PermenPANRB 14/2017):")
            _survey_table(list(found.values()))
    return 0


def my_tasks(args: argparse.Namespace) -> int:
    """The signed-in person's open steps, as the API serves them (from the worklist table, never Temporal)."""

    async def read(api: Api) -> tuple[list[dict[str, Any]], int]:
        answer = await api.get("/me/tasks", params={"batas": 500})
        return list(answer["tugas"]), int(answer["jumlah"])

    listed, total = call_api(read)
    if args.cycle is not None:
        total -= sum(1 for item in listed if item["cycle_id"] != args.cycle)
        listed = [item for item in listed if item["cycle_id"] == args.cycle]
    steps = [
        replace(_open_step(WorkItem.model_validate(item)), name=str(item.get("employee_name") or "")) for item in listed
    ]
    if args.json:
        emit_json([s.as_json() for s in steps])
    else:
        _print_steps(steps, total, empty="Tidak ada tugas terbuka untuk Anda.")
    return 0


def _overdue(args: argparse.Namespace) -> int:
    stage = Stage(args.tahap) if args.tahap is not None else None
    query = overdue_query(
        age=args.age, now=datetime.now(UTC), instansi=args.instansi, cycle=args.cycle, unit=args.unit, stage=stage
    )
    steps, total = list_open(query)
    if args.json:
        emit_json([s.as_json() for s in steps])
    else:
        _print_steps(steps, total, empty="Tidak ada langkah yang terlambat.")
        if steps:
            print(
                "Tindak lanjut: `kinerja perpanjang`, `kinerja alihkan`, atau ambil alih langkah pegawai dengan"
                " `--alasan ...` (masuk sebagai Tim Pengawasan atau pengelola kinerja)."
            )
    return 0


# --- one appraisal -------------------------------------------------------------------------------------------------


def _state(args: argparse.Namespace) -> AppraisalState:
    settings = load_settings()

    async def body(client: Client) -> AppraisalState:
        state: AppraisalState = await appraisal_handle(client, args.cycle, args.nip).query(AppraisalWorkflow.state)
        return state

    return run(settings, body, subject=f"penilaian kinerja NIP {args.nip} siklus {args.cycle}")


def _status(args: argparse.Namespace) -> int:
    state = _state(args)
    survey = _surveys([(state.cycle_id, state.unit_code)])[(state.cycle_id, state.unit_code)]
    if args.json:
        emit_json({**state.model_dump(mode="json"), "unit_survey": survey})
        return 0
    s = state
    print(f"{s.employee_name} ({s.employee_nip}) — unit {s.unit_code}, instansi {s.instansi_code}, periode {s.period}")
    print(f"  tahap            : {s.stage.label} — {s.step.label}")
    if s.withdrawal is not None:
        w = s.withdrawal
        print(f"  ditarik          : {w.cause.label}{tmt(w.effective_on)} — {w.reason}")
        print(f"                     oleh {w.withdrawn_by}, {local_time(w.withdrawn_at)}; tahap: {w.from_step.label}")
    print(f"  menunggu         : {', '.join(s.assignees) or '-'}")
    print(
        f"  batas waktu      : {local_time(s.deadline)}"
        + (f" (TERLAMBAT, eskalasi tingkat {s.escalation_level})" if s.overdue else "")
    )
    print(f"  pejabat penilai  : {s.penilai_nip}")
    print(f"  atasan penilai   : {s.atasan_nip or '-'}")
    print(f"  IKM unit         : {survey_text(survey)}")
    if s.skp is not None:
        print(
            f"  SKP              : {len(s.skp.rhk)} RHK" + (f", dikembalikan {s.skp_returns}x" if s.skp_returns else "")
        )
        rows = [
            [
                indicator.id,
                rhk.kind.value,
                indicator.aspect.value,
                indicator.text,
                f"{_target(indicator.target)} {indicator.unit_of_measure}",
            ]
            for rhk in s.skp.rhk
            for indicator in rhk.indicators
        ]
        table(["Indikator", "Jenis", "Aspek", "Nama", "Target"], rows)
    if s.achievements:
        table(["Indikator", "Capaian %"], [[a.indicator_id, a.percent] for a in s.achievements])
    if s.suggestion is not None:
        print(f"  saran hasil kerja: {s.suggestion.rating.label}")
    if s.review is not None:
        print(f"  hasil kerja      : {s.review.hasil_kerja.chosen.label}; perilaku kerja: {s.review.perilaku.label}")
    if s.predicate is not None:
        void = " (tidak berlaku: ditarik dari siklus)" if s.withdrawal is not None else ""
        print(f"  predikat         : {s.predicate.label}{void}")
    if s.objection is not None:
        decided = s.objection.predicate_after.label if s.objection.predicate_after else "belum diputus"
        print(f"  keberatan        : {s.objection.reason} → {decided}")
    return 0


# --- the SKM of the employee's unit (PermenPANRB 14/2017), from the database -------------------------------------


def _surveys(wanted: list[tuple[str, str]]) -> dict[tuple[str, str], UnitSurvey]:
    """The unit's SKM from the database; the appraisal itself comes from Temporal and is shown all the same when the
    database cannot be read (the IKM line then says why)."""
    if not wanted:
        return {}
    try:
        return unit_surveys(open_database(load_settings(), migrate=False), wanted, now=datetime.now(UTC))
    except SQLAlchemyError as error:
        reason = f"IKM tidak tersedia: basis data tidak dapat dibaca ({type(error).__name__})"
        return {
            (cycle, unit): UnitSurvey(cycle_id=cycle, unit=unit, status=SurveyStatus.UNKNOWN, messages=[reason])
            for cycle, unit in wanted
        }


def survey_text(survey: UnitSurvey) -> str:
    """One line for a person: the index once computed, else where the survey window stands."""
    if survey.status is SurveyStatus.COMPUTED and survey.ikm is not None:
        return f"{survey.ikm} — mutu {survey.grade} ({survey.grade_label}), {_sample(survey)}"
    if survey.status is SurveyStatus.COMPUTED:
        return "belum dapat dihitung — " + "; ".join(survey.messages)
    if survey.status is SurveyStatus.UNKNOWN:
        return "; ".join(survey.messages) or survey.status.label
    return f"survei {_window_text(survey)}"


def _sample(survey: UnitSurvey) -> str:
    verdict = "sampel memadai" if survey.adequate else "sampel belum memadai"
    minimum = f", minimal {survey.required_sample}" if survey.required_sample is not None else ""
    return f"{survey.responses} responden ({verdict}{minimum})"


def _survey_table(found: list[UnitSurvey]) -> None:
    table(
        ["Siklus", "Unit", "Survei", "IKM", "Mutu", "Responden", "Memadai"],
        [
            [
                s.cycle_id,
                s.unit,
                _window_text(s),
                s.ikm,
                f"{s.grade} {s.grade_label}" if s.grade else None,
                s.responses,
                s.adequate,
            ]
            for s in sorted(found, key=lambda s: (s.cycle_id, s.unit))
        ],
    )


def _window_text(survey: UnitSurvey) -> str:
    status = survey.status
    if status is SurveyStatus.OPEN:
        return f"masih dibuka sampai {local_time(survey.closes)}"
    if status is SurveyStatus.NOT_OPEN:
        return f"belum dibuka; dibuka {local_time(survey.opens)} sampai {local_time(survey.closes)}"
    if status is SurveyStatus.COMPUTED:
        return f"ditutup; IKM dihitung {local_time(survey.computed_at)}"
    if status is SurveyStatus.CLOSING:
        return f"ditutup {local_time(survey.closes)}; IKM sedang dihitung"
    return status.label


def _target(target: Target) -> str:
    return f"{target.value}–{target.upper}" if target.upper is not None else str(target.value)


def _history(args: argparse.Namespace) -> int:
    settings = load_settings()

    async def body(client: Client) -> tuple[AppraisalState, list[datetime]]:
        return await history.of_appraisal(client, args.cycle, args.nip)

    state, fired = run(settings, body, subject=f"penilaian kinerja NIP {args.nip} siklus {args.cycle}")
    entries = history.timeline(state, fired)
    if args.json:
        emit_json([{"at": e.at.isoformat(), "who": e.who, "what": e.what, "detail": e.detail} for e in entries])
        return 0
    print(f"Riwayat penilaian kinerja {state.employee_name} ({state.employee_nip}), siklus {state.cycle_id}")
    table(["Waktu", "Pelaku", "Kejadian", "Keterangan"], [[local_time(e.at), e.who, e.what, e.detail] for e in entries])
    if state.runs > 1:
        print(f"(riwayat berlanjut dalam {state.runs} run; timer hanya dari run terakhir)")
    return 0
