"""The SKM window on a real database (SQLite and PostgreSQL): `kinerja impor survei` against the cycle's calendar, the
IKM the cycle records when the window closes, and what a penilai sees of it in `kinerja status` and `kinerja tugas`.

Cycles are planned here through `plan_cycle`, as `kinerja siklus mulai` and the cycle's enrolment do; the appraisal
state and the visibility list that `status` and `tugas` read from Temporal are given directly (tests/e2e runs them
against a real server).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from cli import worklist
from cli.output import local_time
from domain.calendar import CycleCalendar, Deadlines
from domain.stages import Step
from domain.survey import SurveyResponse
from domain.worklist import WorkItem
from persistence.uow import SqlAlchemyUnitOfWork
from services.appraisals import CycleRequest, plan_cycle
from services.cycles import survey_by_unit
from services.imports import import_survey as import_survey_answers
from services.surveys import SurveyStatus, unit_survey
from services.worklist import names_of
from tests.integration.commands import kinerja
from workflows.contracts import AppraisalState
from workflows.cycle_contracts import CycleRef

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INSTANSI = "DUKCAPIL-JPR"
PERIOD = 2026
CYCLE = "2026-DUKCAPIL"
SRI = "199212252019032001"  # DAFDUK
HERMAN = "198009092005011001"  # Sri's pejabat penilai
PENGAWAS = "197807212003122001"
ANSWERS = "3,4,3,3,3,4,3,3,4"
HEADER = "unit,token,u1,u2,u3,u4,u5,u6,u7,u8,u9,waktu"

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


pytestmark = pytest.mark.usefixtures("cli_database")


@pytest.fixture
def office(capsys: pytest.CaptureFixture[str], uow_factory: UowFactory, cli_database: None) -> UowFactory:
    """The roster imported by `kinerja impor roster` into this test's database (which `cli_database` points it at)."""
    roster = str(EXAMPLES / "roster_dukcapil.csv")
    assert kinerja(capsys, "impor", "roster", roster, "--instansi", INSTANSI, "--nama-instansi", "Dukcapil")[0] == 0
    return uow_factory


def plan(uow_factory: UowFactory, opens: timedelta, closes: timedelta, cycle_id: str = CYCLE) -> Deadlines:
    """Plan a cycle whose survey opens and closes at these offsets from now (the rest of the calendar around them)."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=10)
    calendar = CycleCalendar(
        start=start,
        skp_draft_due=start + timedelta(days=1),
        skp_due=start + timedelta(days=2),
        survey_opens=now + opens,
        survey_closes=now + closes,
        self_assessment_due=start + timedelta(days=3),
        review_due=start + timedelta(days=4),
        calibration_due=now + timedelta(days=30),
        sign_off_due=now + timedelta(days=31),
    )
    request = CycleRequest(
        cycle_id=cycle_id, instansi_code=INSTANSI, period=PERIOD, calendar=calendar, supervision_team=[PENGAWAS]
    )
    plan_cycle(uow_factory, request)
    with uow_factory() as uow:
        stored = uow.cycles.get(cycle_id)
    assert stored is not None
    return stored.deadlines


def survey_file(tmp_path: Path, *rows: str, name: str = "survei.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


def at(offset: timedelta) -> str:
    return (datetime.now(UTC) + offset).isoformat(timespec="seconds")


def import_survey(capsys: pytest.CaptureFixture[str], path: str, *extra: str) -> tuple[int, str, str]:
    return kinerja(capsys, "impor", "survei", path, "--instansi", INSTANSI, "--periode", str(PERIOD), *extra)


def stored(uow_factory: UowFactory) -> list[str]:
    with uow_factory() as uow:
        return [r.respondent_token for r in uow.survey.list(INSTANSI, PERIOD)]


# --- the import ---------------------------------------------------------------------------------------------------


def test_without_a_cycle_there_is_no_window_and_nothing_is_imported(
    capsys: pytest.CaptureFixture[str], office: UowFactory, tmp_path: Path
) -> None:
    status, _, err = import_survey(capsys, survey_file(tmp_path, f"DAFDUK,T1,{ANSWERS},"))
    assert status == 1
    assert err.startswith("kesalahan: siklus: belum ada siklus penilaian kinerja instansi DUKCAPIL-JPR periode 2026")
    assert stored(office) == []


def test_answers_in_the_open_window_are_stored_with_the_time_they_were_given(
    capsys: pytest.CaptureFixture[str], office: UowFactory, tmp_path: Path
) -> None:
    deadlines = plan(office, opens=-timedelta(days=2), closes=timedelta(days=2))
    given = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    before = datetime.now(UTC)
    path = survey_file(
        tmp_path,
        f"DAFDUK,T1,{ANSWERS},{given.isoformat()}",
        f"CAPIL,T2,{ANSWERS},",  # no time: counted as given at the import
    )
    status, out, err = import_survey(capsys, path)
    assert status == 0, err
    assert f"2 jawaban survei periode 2026 disimpan untuk siklus {CYCLE}" in out
    with office() as uow:
        first, second = uow.survey.list(INSTANSI, PERIOD)
    assert first.submitted_at == given
    assert before <= second.submitted_at <= datetime.now(UTC)
    assert deadlines.survey_opens <= first.submitted_at <= deadlines.survey_closes


def test_every_answer_outside_the_window_is_reported_by_line_and_nothing_is_stored(
    capsys: pytest.CaptureFixture[str], office: UowFactory, tmp_path: Path
) -> None:
    plan(office, opens=-timedelta(days=2), closes=timedelta(days=2))
    path = survey_file(
        tmp_path,
        f"DAFDUK,T1,{ANSWERS},{at(-timedelta(days=3))}",  # line 2: before it opened
        f"DAFDUK,T2,{ANSWERS},{at(-timedelta(hours=1))}",  # line 3: fine
        f"CAPIL,T3,{ANSWERS},{at(timedelta(hours=1))}",  # line 4: later than the import
        f"CAPIL,T4,{ANSWERS},{at(timedelta(days=3))}",  # line 5: after it closes
    )
    status, _, err = import_survey(capsys, path)
    assert status == 1
    lines = err.splitlines()
    assert lines[0] == "kesalahan: survei.csv: 3 kesalahan pada 3 baris; tidak ada data yang diimpor"
    assert [line.split(" — ")[0].split(":")[0].strip() for line in lines[1:]] == [
        "baris 2, kolom waktu",
        "baris 4, kolom waktu",
        "baris 5, kolom waktu",
    ]
    assert "sebelum survei dibuka" in lines[1] and "PermenPANRB 14/2017" in lines[1]
    assert "sesudah waktu impor" in lines[2]
    assert "sesudah survei ditutup" in lines[3]
    assert stored(office) == []


def test_an_import_before_the_window_opens_refuses_each_row_without_a_time(
    capsys: pytest.CaptureFixture[str], office: UowFactory
) -> None:
    plan(office, opens=timedelta(days=1), closes=timedelta(days=2))
    status, _, err = import_survey(capsys, str(EXAMPLES / "survey_dukcapil.csv"), "--zona", "WIT")
    assert status == 1
    assert "40 kesalahan pada 40 baris" in err
    assert "baris 2, kolom waktu: (kosong) — tanpa waktu pengisian, dianggap diisi saat impor" in err
    assert "WIT, sebelum survei dibuka" in err
    assert stored(office) == []


def test_an_import_after_the_close_is_refused_whole(
    capsys: pytest.CaptureFixture[str], office: UowFactory, tmp_path: Path
) -> None:
    deadlines = plan(office, opens=-timedelta(days=5), closes=-timedelta(hours=1))
    inside = (deadlines.survey_closes - timedelta(days=1)).isoformat()
    status, _, err = import_survey(capsys, survey_file(tmp_path, f"DAFDUK,T1,{ANSWERS},{inside}"))
    assert status == 1
    assert err.startswith(f"kesalahan: survei: masa survei siklus {CYCLE} sudah ditutup")
    assert "jawaban survei tidak dapat diimpor lagi" in err
    assert stored(office) == []


def test_once_the_cycle_computed_the_ikm_no_import_is_accepted(
    capsys: pytest.CaptureFixture[str], office: UowFactory, tmp_path: Path
) -> None:
    plan(office, opens=-timedelta(days=2), closes=timedelta(days=2))
    assert import_survey(capsys, str(EXAMPLES / "survey_dukcapil.csv"))[0] == 0
    ref = CycleRef(cycle_id=CYCLE, instansi_code=INSTANSI, period=PERIOD)
    computed = survey_by_unit(office, ref, {"DAFDUK": 40, "CAPIL": 30})
    with office() as uow:
        record = uow.cycles.survey(CYCLE)
    assert record is not None
    assert [(u.unit, str(u.ikm) if u.ikm is not None else None, u.adequate) for u in record.units] == [
        (u.unit, u.ikm, u.adequate) for u in computed
    ]
    status, _, err = import_survey(capsys, survey_file(tmp_path, f"DAFDUK,LATE-1,{ANSWERS},"))
    assert status == 1
    assert f"IKM siklus {CYCLE} sudah dihitung pada" in err
    assert len(stored(office)) == 40


def _reads_answers(statement: str) -> bool:
    return "FROM survey_responses" in statement and "survey_responses.u1" in statement


def test_the_ikm_is_read_before_the_instansi_is_locked(
    capsys: pytest.CaptureFixture[str], office: UowFactory, engine: Engine
) -> None:
    """At the survey close the answers are read and the index computed outside the write transaction; under the lock
    (SQLite's one writer: every appraisal's step waits for it) the answers are only counted (issue 21)."""
    plan(office, opens=-timedelta(days=2), closes=timedelta(days=2))
    assert import_survey(capsys, str(EXAMPLES / "survey_dukcapil.csv"))[0] == 0
    sent: list[str] = []

    def statement(_conn: object, _cursor: object, text: str, *_: object) -> None:
        sent.append(text)

    def commit(_conn: object) -> None:
        sent.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        computed = survey_by_unit(office, CycleRef(cycle_id=CYCLE, instansi_code=INSTANSI, period=PERIOD), {})
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    assert sum(u.responses for u in computed) == 40
    locked = next(i for i, text in enumerate(sent) if text.lstrip().upper().startswith("UPDATE INSTANSI"))
    held = sent[locked : sent.index("COMMIT", locked)]
    assert any(_reads_answers(text) for text in sent[:locked])
    assert not any(_reads_answers(text) for text in held), held
    assert any("count(" in text.lower() and "FROM survey_responses" in text for text in held)


def test_an_answer_stored_while_the_ikm_is_computed_is_in_it(
    capsys: pytest.CaptureFixture[str], office: UowFactory, engine: Engine
) -> None:
    """An answer that arrives after the answers were read and before the lock is counted: read again, held."""
    plan(office, opens=-timedelta(days=2), closes=timedelta(days=2))
    assert import_survey(capsys, str(EXAMPLES / "survey_dukcapil.csv"))[0] == 0
    late = [SurveyResponse.of([4] * 9, unit="DAFDUK", respondent="LATE-1")]
    answered: list[int] = []

    def answer_meanwhile(_conn: object, _cursor: object, text: str, *_: object) -> None:
        if _reads_answers(text) and not answered:  # once the answers were read: someone answers on the form
            answered.append(import_survey_answers(office, INSTANSI, PERIOD, late, "form", cycle_id=CYCLE))

    event.listen(engine, "after_cursor_execute", answer_meanwhile)
    try:
        computed = survey_by_unit(office, CycleRef(cycle_id=CYCLE, instansi_code=INSTANSI, period=PERIOD), {})
    finally:
        event.remove(engine, "after_cursor_execute", answer_meanwhile)
    assert answered == [1]
    assert "LATE-1" in stored(office)
    assert sum(u.responses for u in computed) == 41
    with office() as uow:
        record = uow.cycles.survey(CYCLE)
    assert record is not None and sum(u.response_count for u in record.units) == 41


def test_a_period_with_two_cycles_needs_siklus(
    capsys: pytest.CaptureFixture[str], office: UowFactory, tmp_path: Path
) -> None:
    plan(office, opens=-timedelta(days=2), closes=timedelta(days=2))
    plan(office, opens=-timedelta(days=2), closes=-timedelta(days=1), cycle_id="2026-DUKCAPIL-B")
    path = survey_file(tmp_path, f"DAFDUK,T1,{ANSWERS},")
    status, _, err = import_survey(capsys, path)
    assert (status, "pilih dengan --siklus" in err) == (1, True)
    status, _, err = import_survey(capsys, path, "--siklus", "2026-DUKCAPIL-B")
    assert (status, "sudah ditutup" in err) == (1, True)
    status, _, err = kinerja(capsys, "impor", "survei", path, "--instansi", INSTANSI, "--periode", "2027",
                             "--siklus", CYCLE)  # fmt: skip
    assert (status, "periode 2026, bukan instansi DUKCAPIL-JPR periode 2027" in err) == (1, True)
    status, _, err = import_survey(capsys, path, "--siklus", "2025-DUKCAPIL")
    assert (status, "tidak tercatat di basis data" in err) == (1, True)
    # --siklus alone gives the period.
    status, out, err = kinerja(capsys, "impor", "survei", path, "--instansi", INSTANSI, "--siklus", CYCLE)
    assert status == 0, err
    assert f"periode 2026 disimpan untuk siklus {CYCLE}" in out
    assert stored(office) == ["T1"]


def test_a_cycle_keeps_the_calendar_of_its_first_plan(office: UowFactory) -> None:
    first = plan(office, opens=-timedelta(days=2), closes=timedelta(days=2))
    again = plan(office, opens=timedelta(days=1), closes=timedelta(days=3))  # `siklus mulai` again, other dates
    assert again == first


# --- what a penilai sees --------------------------------------------------------------------------------------------


def test_the_unit_survey_from_not_open_to_computed(office: UowFactory) -> None:
    now = datetime.now(UTC)
    deadlines = plan(office, opens=timedelta(days=1), closes=timedelta(days=2))
    view = unit_survey(office, CYCLE, "DAFDUK", now=now)
    assert (view.status, view.opens, view.closes, view.ikm) == (
        SurveyStatus.NOT_OPEN,
        deadlines.survey_opens,
        deadlines.survey_closes,
        None,
    )
    assert unit_survey(office, CYCLE, "DAFDUK", now=now + timedelta(days=1, hours=1)).status is SurveyStatus.OPEN
    closing = unit_survey(office, CYCLE, "DAFDUK", now=now + timedelta(days=3))
    assert (closing.status, closing.ikm) == (SurveyStatus.CLOSING, None)  # closed, not computed yet: no index
    unknown = unit_survey(office, "2025-LAMA", "DAFDUK", now=now)
    assert unknown.status is SurveyStatus.UNKNOWN and "siklus mulai" in unknown.messages[0]


def test_the_unit_survey_shows_what_the_cycle_computed(capsys: pytest.CaptureFixture[str], office: UowFactory) -> None:
    plan(office, opens=-timedelta(days=2), closes=timedelta(days=2))
    assert import_survey(capsys, str(EXAMPLES / "survey_dukcapil.csv"))[0] == 0
    survey_by_unit(office, CycleRef(cycle_id=CYCLE, instansi_code=INSTANSI, period=PERIOD), {"DAFDUK": 20})
    view = unit_survey(office, CYCLE, "DAFDUK", now=datetime.now(UTC))
    assert view.status is SurveyStatus.COMPUTED
    assert (view.responses, view.required_sample, view.adequate, view.population) == (22, 19, True, 20)
    assert view.ikm is not None and Decimal(25) <= view.ikm <= Decimal(100)
    assert view.grade in {"A", "B", "C", "D"} and view.grade_label
    few = unit_survey(office, CYCLE, "DUKCAPIL", now=datetime.now(UTC))
    assert (few.responses, few.adequate) == (3, False) and "kurang dari batas minimal 30" in few.messages[0]
    none = unit_survey(office, CYCLE, "SEKRETARIAT", now=datetime.now(UTC))
    assert (none.status, none.responses, none.ikm) == (SurveyStatus.COMPUTED, 0, None)


def _state() -> AppraisalState:
    return AppraisalState(
        cycle_id=CYCLE,
        instansi_code=INSTANSI,
        period=PERIOD,
        employee_nip=SRI,
        employee_name="Sri Wahyuni, S.H.",
        unit_code="DAFDUK",
        penilai_nip=HERMAN,
        step=Step.SUPERVISOR_REVIEW,
        assignees=[HERMAN],
        step_entered_at=datetime.now(UTC),
    )


def _work_item() -> WorkItem:
    return WorkItem(
        workflow_id=f"appraisal-{CYCLE}-{SRI}",
        cycle_id=CYCLE,
        instansi_code=INSTANSI,
        unit_code="DAFDUK",
        employee_nip=SRI,
        penilai_nip=HERMAN,
        step=Step.SUPERVISOR_REVIEW,
        assignee=HERMAN,
        deadline=datetime.now(UTC) + timedelta(days=3),
    )


@pytest.fixture
def temporal_reads(monkeypatch: pytest.MonkeyPatch, office: UowFactory) -> None:
    """What `status` reads from Temporal, given (the appraisal's state), and the appraisal's worklist entry, stored."""
    monkeypatch.setattr(worklist, "_state", lambda args: _state())
    with office() as uow:
        uow.worklist.enrol([_work_item()])
        uow.commit()


@pytest.mark.usefixtures("temporal_reads")
def test_status_and_tasks_say_until_when_the_survey_is_open(
    capsys: pytest.CaptureFixture[str], office: UowFactory
) -> None:
    deadlines = plan(office, opens=-timedelta(days=2), closes=timedelta(days=2))
    status, out, _ = kinerja(capsys, "status", "--siklus", CYCLE, "--nip", SRI)
    assert status == 0
    assert f"  IKM unit         : survei masih dibuka sampai {local_time(deadlines.survey_closes)}" in out
    shown = json.loads(kinerja(capsys, "status", "--siklus", CYCLE, "--nip", SRI, "--json")[1])
    assert shown["employee_nip"] == SRI
    survey = shown["unit_survey"]
    assert (survey["status"], survey["status_label"], survey["ikm"]) == ("open", "survei masih dibuka", None)
    assert datetime.fromisoformat(survey["closes"]) == deadlines.survey_closes
    status, out, _ = kinerja(capsys, "tugas", "--nip", HERMAN)
    assert status == 0
    assert "Indeks Kepuasan Masyarakat unit (SKM, PermenPANRB 14/2017):" in out
    assert f"DAFDUK  masih dibuka sampai {local_time(deadlines.survey_closes)}" in out
    [task] = json.loads(kinerja(capsys, "tugas", "--nip", HERMAN, "--json")[1])
    assert task["name"] == "Sri Wahyuni, S.H." and task["unit_survey"]["status"] == "open"


def test_tasks_name_people_who_moved_to_another_instansi_since_the_cycle_began(office: UowFactory) -> None:
    here = _work_item()
    moved = here.model_copy(update={"instansi_code": "DINAS-LAMA"})  # the cycle ran where Sri was before
    assert names_of(office, [here]) == names_of(office, [moved]) == {SRI: "Sri Wahyuni, S.H."}
    assert names_of(office, [here.model_copy(update={"employee_nip": "199901012020011001"})]) == {}


@pytest.mark.usefixtures("temporal_reads")
def test_status_and_tasks_show_the_unit_ikm_once_computed(
    capsys: pytest.CaptureFixture[str], office: UowFactory
) -> None:
    plan(office, opens=-timedelta(days=2), closes=timedelta(days=2))
    assert import_survey(capsys, str(EXAMPLES / "survey_dukcapil.csv"))[0] == 0
    [dafduk] = [
        u
        for u in survey_by_unit(office, CycleRef(cycle_id=CYCLE, instansi_code=INSTANSI, period=PERIOD), {"DAFDUK": 40})
        if u.unit == "DAFDUK"
    ]
    view = unit_survey(office, CYCLE, "DAFDUK", now=datetime.now(UTC))
    out = kinerja(capsys, "status", "--siklus", CYCLE, "--nip", SRI)[1]
    assert (
        f"  IKM unit         : {dafduk.ikm} — mutu {dafduk.grade} ({view.grade_label}), 22 responden"
        " (sampel belum memadai, minimal 36)"
    ) in out
    survey = json.loads(kinerja(capsys, "status", "--siklus", CYCLE, "--nip", SRI, "--json")[1])["unit_survey"]
    assert (survey["status"], survey["ikm"], survey["grade"], survey["adequate"], survey["required_sample"]) == (
        "computed",
        dafduk.ikm,
        dafduk.grade,
        False,
        36,
    )
    table = kinerja(capsys, "tugas", "--nip", HERMAN)[1]
    row = next(line for line in table.splitlines() if line.startswith(CYCLE) and "DAFDUK" in line and "ditutup" in line)
    assert f"{dafduk.ikm}" in row and f"{dafduk.grade} {view.grade_label}" in row and row.rstrip().endswith("tidak")
    [task] = json.loads(kinerja(capsys, "tugas", "--nip", HERMAN, "--json")[1])
    assert task["unit_survey"]["ikm"] == dafduk.ikm


@pytest.mark.usefixtures("temporal_reads")
def test_status_before_the_window_opens_and_after_it_closes_until_the_ikm_is_recorded(
    capsys: pytest.CaptureFixture[str], office: UowFactory
) -> None:
    early = plan(office, opens=timedelta(days=1), closes=timedelta(days=2))
    out = kinerja(capsys, "status", "--siklus", CYCLE, "--nip", SRI)[1]
    opens, closes = local_time(early.survey_opens), local_time(early.survey_closes)
    assert f"  IKM unit         : survei belum dibuka; dibuka {opens} sampai {closes}" in out
    late = plan(office, opens=-timedelta(days=2), closes=-timedelta(hours=1), cycle_id="2026-DUKCAPIL-B")
    closing = unit_survey(office, "2026-DUKCAPIL-B", "DAFDUK", now=datetime.now(UTC))
    assert worklist.survey_text(closing) == f"survei ditutup {local_time(late.survey_closes)}; IKM sedang dihitung"
