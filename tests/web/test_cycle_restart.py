"""Starting a cycle again through the API is safe while it runs (the running one is found, tested by the matrix);
once it has ended, its id cannot start another run, and the admin is told so: a refusal, not a server error, with
nothing written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.calendar import CycleCalendar
from domain.ratings import OrgPredicate
from domain.stages import Role, Step
from services import cycle_actions
from services.actors import OPERATOR
from services.cycle_actions import DecisionBody, ProposalBody
from services.cycle_start import StartOrder, start_from_grants
from temporal_client import cycle_handle
from tests.web.appraisals import Target, until
from tests.web.cells import PROBLEM, assert_nothing_written
from tests.web.harness import WebOffice
from tests.web.office import APPRAISED_1, INSTANSI_A, PERIOD, PERSONA, PIMPINAN
from workflows.cycle_contracts import CyclePhase, cycle_workflow_id


def ended_calendar(now: datetime) -> CycleCalendar:
    """A cycle whose every deadline and window has passed: it ends as soon as its calibration is decided."""
    start = now - timedelta(days=40)
    return CycleCalendar(
        start=start.isoformat(),
        skp_draft_due=(now - timedelta(days=35)).isoformat(),
        skp_due=(now - timedelta(days=30)).isoformat(),
        survey_opens=start.isoformat(),
        survey_closes=(now - timedelta(days=20)).isoformat(),
        self_assessment_due=(now - timedelta(days=25)).isoformat(),
        review_due=(now - timedelta(days=20)).isoformat(),
        calibration_due=(now - timedelta(days=15)).isoformat(),
        sign_off_due=(now - timedelta(days=10)).isoformat(),
        objection_window="P1D",
        objection_decision_due="P1D",
    )


async def test_an_ended_cycle_is_not_started_again(web_office: WebOffice) -> None:
    office, client = web_office, web_office.temporal
    cycle_id = office.appraisals.new_cycle_id("berakhir")
    now = datetime.now(UTC)
    order = StartOrder(instansi_code=INSTANSI_A, period=PERIOD, cycle_id=cycle_id, calendar=ended_calendar(now))
    await start_from_grants(client, office.uow_factory, order, task_queue=office.task_queue, by=OPERATOR, now=now)
    cycle = Target(INSTANSI_A, cycle_id, APPRAISED_1.nip, cycle_workflow=True)
    await office.appraisals.follow(cycle)

    async def calibrating() -> bool:
        return (await office.appraisals.cycle_state(cycle)).phase is CyclePhase.CALIBRATING

    await until(calibrating, f"{cycle_id} at calibration")
    await office.appraisals.bring(cycle, APPRAISED_1, Step.AWAITING_CALIBRATION)  # one review to calibrate
    proposal = ProposalBody(predikat_organisasi=OrgPredicate.BAIK)
    await cycle_actions.propose(client, cycle_id, PIMPINAN, proposal, None)
    decision = DecisionBody(terima=True, justifikasi="Komite menerima usulan kalibrasi sesuai pola distribusi")
    await cycle_actions.decide(client, cycle_id, PIMPINAN, decision, None)
    ended = await cycle_handle(client, cycle_id).result()
    assert ended.phase is CyclePhase.CLOSED
    await office.appraisals.quiet(cycle_id)

    admin = PERSONA[Role.ADMIN_KEPEGAWAIAN]
    path = f"/api/v1/instansi/{INSTANSI_A}/cycles"
    before = await office.recorder.snapshot([cycle_workflow_id(cycle_id)])
    response = await office.http.post(
        path,
        json={"periode": PERIOD, "siklus": cycle_id},
        headers={"Authorization": f"Bearer {office.tokens[admin.role]}"},
    )
    after = await office.recorder.snapshot([cycle_workflow_id(cycle_id)])
    said = f"POST {path} for the ended {cycle_id}: {response.status_code} {response.text}"
    assert response.status_code == 409, said
    assert response.headers["content-type"].startswith(PROBLEM), said
    assert response.json().get("field") == "siklus", said
    assert_nothing_written(office, before, after, said)
