"""The phases of bench/year.py: what each sends, waits for and measures (the module docstring of bench/year.py says
what each phase does)."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text
from temporalio.client import Client

from bench import office
from bench.api_tasks import make_tokens
from bench.floor_workflow import FLOOR_WORKFLOW, FloorInput, Ping
from bench.histories import lengths
from bench.queues import drain
from bench.survey_answers import answer_all
from bench.year_api import Api, Calls, lanes
from bench.year_plan import plan_calendar, progress, seconds_of
from bench.year_stack import FLOOR_QUEUE, KINERJA_QUEUE, RunState, Stack
from domain.access import Grant, Principal
from domain.stages import Role, Step
from persistence.uow import SqlAlchemyUnitOfWork
from services import survey_links
from services.actors import Acting
from services.skp_edit import draft_of
from workflows.contracts import appraisal_workflow_id
from workflows.cycle import CycleWorkflow
from workflows.cycle_contracts import CyclePhase, cycle_workflow_id

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
REASON = "Tahun penilaian dijalankan oleh benchmark (bench/year.py)."
HISTORY_SAMPLE = 200  # appraisals whose history length is read after each phase (and the cycle's)


# --- one run --------------------------------------------------------------------------------------------------------


class YearPhases:
    """The phases of one run, on a stack started from (or resumed on) the run's directory."""

    def __init__(
        self, args: argparse.Namespace, state: RunState, stack: Stack, engine: Engine, uow_factory: UowFactory
    ) -> None:
        self.args, self.state, self.stack, self.engine, self.uow_factory = args, state, stack, engine, uow_factory
        self.client: Client | None = None
        self.tokens: dict[str, str] = {}

    @property
    def temporal(self) -> Client:
        assert self.client is not None
        return self.client

    @property
    def cycle_id(self) -> str:
        return str(self.state.data["cycle_id"])

    @property
    def org(self) -> office.Office:
        return office.Office(**self.state.data["office"])

    def seconds_until(self, key: str) -> float:
        """Seconds from now until the calendar's `key` (negative: it has passed)."""
        start = datetime.fromisoformat(self.state.data["cycle_start"])
        due = start + timedelta(seconds=seconds_of(self.state.data["calendar"][key]))
        return (due - datetime.now(UTC)).total_seconds()

    # --- measuring ---

    async def measured(self, phase: str, work: Callable[[Calls], Any]) -> None:
        if self.state.done(phase):
            return
        progress(f"{phase}: begins")
        calls = Calls()
        cpu = self.stack.cpu()
        began = time.monotonic()
        extra = await work(calls) or {}
        seconds = time.monotonic() - began
        spent = {name: round(value - cpu.get(name, 0.0), 2) for name, value in self.stack.cpu().items()}
        figures: dict[str, Any] = {
            "seconds": round(seconds, 1),
            "calls": calls.count(),
            "latency": asdict(calls.latency()),
            "by_kind": {kind: asdict(calls.latency([kind])) for kind in calls.samples},
            "statuses": dict(calls.statuses),
            "early": calls.early,
            "failures": calls.failures,
            "failed": calls.failed,
            "cpu": spent,
            "peak_mib": {name: round(v) for name, v in self.stack.peaks().items()},
            "database_mib": await asyncio.to_thread(self.database_mib),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            **extra,
        }
        if self.client is not None and "cycle_id" in self.state.data and phase != "floor":
            figures["longest_history"] = await self.longest_history()
        if calls.failures:
            for line in calls.failed[:5]:
                progress(f"{phase}: {line}")
            raise RuntimeError(f"{phase}: {calls.failures} calls failed; the phase is not kept (run again to retry)")
        self.state.finish(phase, figures)
        progress(f"{phase}: {seconds:.0f} s, {calls.count()} calls")

    def database_mib(self) -> float:
        return round(int(self.sql("SELECT pg_database_size(current_database())")[0][0]) / 2**20, 1)

    def sql(self, query: str, values: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a read of the bench's own (not one of Kinerja's repositories: what it checks, it reads itself)."""
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query), values or {}).all()]

    async def longest_history(self) -> dict[str, int]:
        rows = await asyncio.to_thread(self.worklist)
        step = max(1, len(rows) // HISTORY_SAMPLE)
        ids = [appraisal_workflow_id(self.cycle_id, row[0]) for row in rows[::step]]
        found = await lengths(self.temporal, ids, 20)
        cycle = await lengths(self.temporal, [self.cycle_id_workflow()], 1)
        return {"appraisal": max(found.values(), default=0), "cycle": max(cycle.values(), default=0)}

    def cycle_id_workflow(self) -> str:
        return str(self.state.data["cycle_workflow_id"])

    def worklist(self, step: Step | None = None) -> list[tuple[str, str, str | None, str]]:
        """(employee, penilai, atasan, step) of every appraisal of the cycle, in NIP order; at `step` only if given."""
        query = "SELECT employee_nip, penilai_nip, atasan_nip, step FROM worklist WHERE cycle_id = :cycle"
        values: dict[str, Any] = {"cycle": self.cycle_id}
        if step is not None:
            query += " AND step = :step"
            values["step"] = step.value
        rows = self.sql(query + " ORDER BY employee_nip", values)
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def late(self, nip: str) -> bool:
        """The share that misses its SKP deadline: every k-th employee by NIP order, the same on every run."""
        if self.args.late <= 0:
            return False
        return bool(zlib.crc32(nip.encode()) % max(1, round(1 / self.args.late)) == 0)

    def objects(self, nip: str) -> bool:
        if self.args.objections <= 0:
            return False
        return bool(zlib.crc32(f"keberatan-{nip}".encode()) % max(1, round(1 / self.args.objections)) == 0)

    async def cycle_phase(self) -> CyclePhase:
        handle = self.temporal.get_workflow_handle_for(CycleWorkflow.run, self.cycle_id_workflow())
        return (await handle.query(CycleWorkflow.state)).phase

    async def wait_for_phase(self, wanted: tuple[CyclePhase, ...]) -> CyclePhase:
        while (phase := await self.cycle_phase()) not in wanted:
            await asyncio.sleep(1.0)
        progress(f"cycle: {phase.value}")
        return phase

    async def api(self, calls: Calls, connections: int | None = None) -> Api:
        return Api(self.stack.base_url, self.tokens, calls, connections=connections or self.args.concurrency)

    # --- phases ---

    def setup(self) -> dict[str, Any]:
        org = office.seed(self.uow_factory, self.args.employees)
        now = datetime.now(UTC)
        grants = {
            Role.PIMPINAN: org.kepala,
            Role.PENGAWASAN: org.pengawas,
            Role.PENGELOLA_KINERJA: org.pengelola,
            Role.ADMIN_KEPEGAWAIAN: org.pengelola,
        }
        with self.uow_factory() as uow:
            for role, nip in grants.items():
                uow.identity.add_grant(nip, Grant(role=role, instansi_code=org.instansi_code), "bench", now)
            uow.commit()
        nips = [str(row[0]) for row in self.sql("SELECT nip FROM employees ORDER BY nip")]
        began = time.monotonic()
        tokens = make_tokens(self.uow_factory, nips)
        tokens_path = self.state.path.parent / "tokens.json"
        tokens_path.write_text(json.dumps(tokens))
        tokens_path.chmod(0o600)
        self.state.data["office"] = asdict(org)
        self.state.save()
        return {"employees": len(nips), "units": org.units, "token_seconds": round(time.monotonic() - began, 1)}

    async def floor(self, calls: Calls) -> dict[str, Any]:
        """Bare Temporal on the same server: `--floor` starts, then two Updates each, `--concurrency` in flight; then
        two more each whose handler runs one no-op activity, the shape of a person's step (an Update whose step is
        written by a regular activity once it is accepted), for the year's work against a floor of that shape."""
        count = min(self.args.floor, self.args.employees)
        run = f"floor-{int(time.time())}"
        ids = [f"{run}-{i}" for i in range(count)]

        async def start(workflow_id: str) -> None:
            sent = time.monotonic()
            await self.temporal.start_workflow(
                FLOOR_WORKFLOW, FloorInput(updates=4), id=workflow_id, task_queue=FLOOR_QUEUE
            )
            calls.add("start", sent, time.monotonic() - sent)

        def two_updates(first: int, with_activity: bool, kind: str) -> Callable[[str], Awaitable[None]]:
            async def send(workflow_id: str) -> None:
                handle = self.temporal.get_workflow_handle(workflow_id)
                for seq in (first, first + 1):
                    sent = time.monotonic()
                    await handle.execute_update("ping", Ping(seq=seq, with_activity=with_activity))
                    calls.add(kind, sent, time.monotonic() - sent)

            return send

        updates = two_updates(1, False, "update")
        with_activity = two_updates(3, True, "update-activity")

        began = time.monotonic()
        await lanes(ids, self.args.concurrency, start)
        starts = time.monotonic() - began
        await drain(self.temporal, FLOOR_QUEUE, ids)
        drained = time.monotonic() - began
        began = time.monotonic()
        await lanes(ids, self.args.concurrency, updates)
        update_seconds = time.monotonic() - began
        began = time.monotonic()
        await lanes(ids, self.args.concurrency, with_activity)
        activity_seconds = time.monotonic() - began
        return {
            "starts_per_second": round(count / starts, 1),
            "first_tasks_per_second": round(count / drained, 1),
            "updates_per_second": round(2 * count / update_seconds, 1),
            "updates_with_activity_per_second": round(2 * count / activity_seconds, 1),
            "update": asdict(calls.latency(["update"])),
            "update_with_activity": asdict(calls.latency(["update-activity"])),
        }

    async def enrol(self, calls: Calls) -> dict[str, Any]:
        """The admin kepegawaian starts the cycle (once: a resumed run waits for the cycle it started)."""
        org = self.org
        began = time.monotonic()
        if "cycle_workflow_id" not in self.state.data:
            await self.start_cycle(calls, org)  # a run stopped before its answer sends the same start again
        await self.wait_for_phase((CyclePhase.RUNNING, CyclePhase.SURVEY_CLOSED))
        enrolled = time.monotonic() - began
        cycle_id, calendar = self.cycle_id, self.state.data["calendar"]
        rows = await asyncio.to_thread(self.worklist)
        last = [appraisal_workflow_id(cycle_id, row[0]) for row in rows[-20:]]
        await drain(self.temporal, KINERJA_QUEUE, last, timeout=max(600.0, len(rows) / 5))
        drained = time.monotonic() - began
        principal = Principal(
            nip=org.pengelola,
            name="bench",
            grants=(Grant(role=Role.ADMIN_KEPEGAWAIAN, instansi_code=org.instansi_code),),
        )
        by = Acting(org.pengelola, Role.ADMIN_KEPEGAWAIAN)
        await asyncio.to_thread(
            survey_links.create_addresses, self.uow_factory, principal, cycle_id, by=by, now=datetime.now(UTC)
        )
        return {
            "appraisals": len(rows),
            "enrolled_seconds": round(enrolled, 1),
            "appraisals_per_second": round(len(rows) / enrolled, 1),
            "first_tasks_per_second": round(len(rows) / drained, 1),
            "calendar": calendar,
        }

    async def start_cycle(self, calls: Calls, org: office.Office) -> None:
        body = self.state.data.get("start_body")
        if body is None:
            calendar = plan_calendar(self.args, self.args.employees)
            start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
            cycle_id = f"{start.year}-YEAR-{start:%H%M%S}"
            with self.uow_factory() as uow:
                units = [unit.code for unit in uow.units.list_by_instansi(org.instansi_code)]
            body = {
                "periode": start.year,
                "siklus": cycle_id,
                "kalender": {"start": start.isoformat(), **calendar},
                "populasi": dict.fromkeys(units, 1000),  # people served per unit: the survey's sample size
            }
            self.state.data.update(cycle_id=cycle_id, cycle_start=start.isoformat(), calendar=calendar, start_body=body)
            self.state.save()
        cycle_id = body["siklus"]
        api = await self.api(calls, 4)
        try:
            path = f"/api/v1/instansi/{org.instansi_code}/cycles"
            answer = await api.call("start-cycle", "POST", path, org.pengelola, json=body, key=f"year-{cycle_id}")
            if answer is None:
                raise RuntimeError(f"the cycle did not start: {calls.failed}")
            self.state.data["cycle_workflow_id"] = cycle_workflow_id(answer.json()["cycle_id"])
            self.state.save()
        finally:
            await api.close()

    def step_path(self, nip: str, step: str) -> str:
        return f"/api/v1/cycles/{self.cycle_id}/appraisals/{nip}/steps/{step}"

    async def skp_of(self, api: Api, nip: str, penilai: str) -> None:
        """The SKP page as the employee uses it: read the draft, save it, submit; then the penilai approves."""
        path = f"/api/v1/cycles/{self.cycle_id}/appraisals/{nip}/skp-draft"
        read = await api.call("skp-draft-read", "GET", path, nip)
        if read is None:
            return
        draft = draft_of(office.skp(nip, int(self.state.data["cycle_start"][:4]))).model_dump(mode="json")
        body = {"draf": draft, "versi": read.json()["versi"]}
        if await api.call("skp-draft", "PUT", path, nip, json=body) is None:
            return
        if await api.call("skp-submit", "POST", self.step_path(nip, "skp-submit"), nip, json={}, key=f"y-s-{nip}"):
            await self.approve(api, nip, penilai)

    async def approve(self, api: Api, nip: str, penilai: str) -> None:
        await api.call("skp-approve", "POST", self.step_path(nip, "skp-approve"), penilai, json={}, key=f"y-a-{nip}")

    async def skp(self, calls: Calls) -> dict[str, Any]:
        rows = [r for r in await asyncio.to_thread(self.worklist) if r[3] in (Step.SKP_DRAFTING, Step.SKP_APPROVAL)]
        on_time = [r for r in rows if not self.late(r[0])]
        api = await self.api(calls)
        try:
            await lanes(on_time, self.args.concurrency, lambda r: self.skp_step(api, r))
        finally:
            await api.close()
        return {"appraisals": len(on_time), "held_back": len(rows) - len(on_time)}

    async def skp_step(self, api: Api, row: tuple[str, str, str | None, str]) -> None:
        nip, penilai, _, step = row
        if step == Step.SKP_APPROVAL:
            await self.approve(api, nip, penilai)
        else:
            await self.skp_of(api, nip, penilai)

    async def late_phase(self, calls: Calls) -> dict[str, Any]:
        """Wait for the SKP deadline to pass (reminders, escalation), extend in bulk, then catch up."""
        waited = max(0.0, self.seconds_until("skp_draft_due") + 5)
        progress(f"late: waiting {waited:.0f} s for the SKP deadline to pass")
        await asyncio.sleep(waited)
        org = self.org
        api = await self.api(calls)
        extended = 0
        try:
            # The late share's drafting step is given until the end of the late window the calendar allows for it.
            calendar = self.state.data["calendar"]
            window = seconds_of(calendar["skp_due"]) - seconds_of(calendar["skp_draft_due"])
            until = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=window)
            path = f"/api/v1/cycles/{self.cycle_id}/bulk/extend"
            with self.uow_factory() as uow:
                units = [unit.code for unit in uow.units.list_by_instansi(org.instansi_code)]
            for unit in units:  # a bulk action takes at most MAX_LIST_ITEMS (200): a unit of 50 at a time
                body = {"unit": unit, "tahap": "target_setting", "sampai": until.isoformat(), "alasan": REASON}
                key = f"y-x-{unit}-{int(until.timestamp())}"
                answer = await api.call("bulk-extend", "POST", path, org.pengawas, json=body, key=key)
                if answer is not None:
                    extended += answer.json()["berhasil"]
            rows = await asyncio.to_thread(self.worklist)
            behind = [r for r in rows if r[3] in (Step.SKP_DRAFTING, Step.SKP_APPROVAL)]
            await lanes(behind, self.args.concurrency, lambda r: self.skp_step(api, r))
        finally:
            await api.close()
        notices = await asyncio.to_thread(self.notices)
        return {"waited_seconds": round(waited, 1), "extended": extended, "caught_up": len(behind), **notices}

    def notices(self) -> dict[str, int]:
        rows = self.sql(
            "SELECT action, count(*) FROM audit_log WHERE workflow_id LIKE :prefix"
            " AND action LIKE 'notice.%' GROUP BY action",
            {"prefix": f"appraisal-{self.cycle_id}-%"},
        )
        return {str(action): int(count) for action, count in rows}

    async def self_assessment(self, calls: Calls) -> dict[str, Any]:
        rows = await asyncio.to_thread(self.worklist, Step.SELF_ASSESSMENT)
        values = office.realisations()  # in the order of the SKP's indicators
        api = await self.api(calls)

        async def one(row: tuple[str, str, str | None, str]) -> None:
            """The form as the employee fills it: the SKP's indicators read, a value and evidence for each."""
            nip = row[0]
            read = await api.call("skp-read", "GET", f"/api/v1/cycles/{self.cycle_id}/appraisals/{nip}/skp-draft", nip)
            if read is None:
                return
            ids = [indicator["id"] for rhk in read.json()["draf"]["rhk"] for indicator in rhk["indicators"]]
            body = {
                "realisasi": [
                    {"indikator": id, "realisasi": str(v.value), "bukti": [str(u) for u in v.evidence]}
                    for id, v in zip(ids, values, strict=True)
                ]
            }
            path = self.step_path(nip, "self-assessment")
            await api.call("self-assessment", "POST", path, nip, json=body, key=f"y-sa-{nip}")

        try:
            await lanes(rows, self.args.concurrency, one)
        finally:
            await api.close()
        return {"appraisals": len(rows)}

    async def survey(self, calls: Calls) -> dict[str, Any]:
        with self.uow_factory() as uow:
            codes = [link.code for link in uow.survey_form.links(self.cycle_id)]
        wanted = self.args.answers_for(self.args.employees)
        stored_before = await asyncio.to_thread(self.answers_stored)
        missing = max(0, wanted - stored_before)
        accepted = await answer_all(
            self.stack.base_url, codes, missing, self.args.concurrency, calls, first=stored_before
        )
        stored = await asyncio.to_thread(self.answers_stored)
        return {"answers_sent": missing, "accepted": accepted, "stored": stored}

    def answers_stored(self) -> int:
        """The cycle's answers through the form (its instansi and period)."""
        query = (
            "SELECT count(*) FROM survey_responses WHERE instansi_code = :code AND period = :period AND source = 'form'"
        )
        values = {"code": self.org.instansi_code, "period": int(self.state.data["cycle_start"][:4])}
        return int(self.sql(query, values)[0][0])

    async def review(self, calls: Calls) -> dict[str, Any]:
        rows = await asyncio.to_thread(self.worklist, Step.SUPERVISOR_REVIEW)
        body = {"hasil_kerja": "meets", "perilaku": "meets"}
        api = await self.api(calls)
        closed: list[float] = []
        close_starts = time.monotonic() + self.seconds_until("survey_closes")

        async def watch() -> None:
            while await self.cycle_phase() is CyclePhase.RUNNING:
                await asyncio.sleep(0.5)
            closed.append(time.monotonic())

        watcher = asyncio.create_task(watch())
        try:
            await lanes(
                rows,
                self.args.concurrency,
                lambda r: api.call(
                    "review", "POST", self.step_path(r[0], "review"), r[1], json=body, key=f"y-r-{r[0]}"
                ),
            )
        finally:
            await api.close()
        progress("review: every review sent; waiting for the survey to close")
        reviewed = time.monotonic()
        await watcher
        window = (close_starts, closed[0])
        return {
            "appraisals": len(rows),
            "survey_close_seconds": round(closed[0] - close_starts, 1),
            "waited_for_survey_close": round(max(0.0, closed[0] - reviewed), 1),
            "during_survey_close": asdict(calls.latency(["review"], within=window)),
            "quiet": asdict(calls.outside(["review"], window)),
        }

    async def calibration(self, calls: Calls) -> dict[str, Any]:
        """The pimpinan proposes and decides once the review deadline has passed (skipped by a resumed run whose
        cycle is past it); the penilai sign each appraisal as its result arrives."""
        began = time.monotonic()
        phase = await self.wait_for_phase((CyclePhase.CALIBRATING, CyclePhase.SIGNING_OFF, CyclePhase.CLOSED))
        waited = time.monotonic() - began
        org = self.org
        api = await self.api(calls)
        base = f"/api/v1/cycles/{self.cycle_id}/calibration"
        decided: asyncio.Task[Any] | None = None
        signed: set[str] = set()
        push_end: list[float] = []
        pushed_from = time.monotonic()
        try:
            if phase is CyclePhase.CALIBRATING:
                proposal = {"predikat_organisasi": "baik"}
                if not await api.call("proposal", "POST", base + "/proposal", org.kepala, json=proposal, key="y-prop"):
                    raise RuntimeError(f"the proposal was refused: {calls.failed}")
                pushed_from = time.monotonic()
                decision = {"terima": True}
                decided = asyncio.create_task(
                    api.call("decision", "POST", base + "/decision", org.kepala, json=decision, key="y-dec")
                )
            while True:
                rows = await asyncio.to_thread(self.worklist)
                ready = [r for r in rows if r[3] == Step.SIGN_OFF and r[0] not in signed]
                waiting = any(r[3] == Step.AWAITING_CALIBRATION for r in rows)
                if decided is not None and decided.done() and decided.result() is None:
                    raise RuntimeError(f"the calibration decision was refused: {calls.failed}")
                if not push_end and not waiting and (decided is None or decided.done()):
                    push_end.append(time.monotonic())
                if not ready and push_end:
                    break
                signed |= {r[0] for r in ready}
                await lanes(
                    ready,
                    self.args.concurrency,
                    lambda r: api.call(
                        "sign", "POST", self.step_path(r[0], "sign"), r[1], json={}, key=f"y-g-{r[0]}", early=True
                    ),
                )
                if not ready:
                    await asyncio.sleep(1.0)
            if decided is not None:
                await decided
        finally:
            await api.close()
        window = (pushed_from, push_end[0])
        return {
            "waited_for_review_due": round(waited, 1),
            "push_seconds": round(push_end[0] - pushed_from, 1),
            "signed": len(signed),
            "worker_updates": len(signed),  # the cycle's apply_calibration Update to each appraisal signed here
            "during_push": asdict(calls.latency(["sign"], within=window)),
            "after_push": asdict(calls.outside(["sign"], window)),
        }
