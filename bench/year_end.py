"""The end of the year in bench/year.py: the objection window and the closing report, the phases that need the
cycle signed off (the module docstring of bench/year.py says what each does), and the run of every phase in order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from bench.histories import stats
from bench.year_api import Api, Calls, lanes
from bench.year_phases import YearPhases
from bench.year_plan import PHASES, progress
from domain.stages import Step
from services import cycle_report, report_files
from workflows.contracts import appraisal_workflow_id
from workflows.cycle_contracts import CyclePhase

STORAGE_SAMPLE = 20  # appraisals whose whole history is fetched at the end, for the bytes per appraisal year


class Year(YearPhases):
    """Every phase of one run, on a stack started from (or resumed on) the run's directory."""

    async def closing(self, calls: Calls) -> dict[str, Any]:
        rows = await asyncio.to_thread(self.worklist)
        window_rows = [r for r in rows if r[3] in (Step.OBJECTION_WINDOW, Step.OBJECTION_REVIEW)]
        org = self.org
        api = await self.api(calls)
        report_window: list[float] = []

        async def one(row: tuple[str, str, str | None, str]) -> None:
            nip, _, atasan, step = row
            if self.objects(nip) and atasan is not None:
                if step == Step.OBJECTION_WINDOW:
                    body = {"alasan": "Capaian layanan keliling belum dihitung seluruhnya."}
                    if not await api.call(
                        "objection", "POST", self.step_path(nip, "objection"), nip, json=body, key=f"y-o-{nip}"
                    ):
                        return
                decision = {"alasan": "Bukti sudah diperiksa; hasil tetap."}
                await api.call(
                    "objection-decision",
                    "POST",
                    self.step_path(nip, "objection-decision"),
                    atasan,
                    json=decision,
                    key=f"y-od-{nip}",
                )
            elif step == Step.OBJECTION_WINDOW:
                await api.call(
                    "acknowledge", "POST", self.step_path(nip, "acknowledge"), nip, json={}, key=f"y-k-{nip}"
                )

        async def report_meanwhile() -> None:
            await asyncio.sleep(2.0)
            began = time.monotonic()
            await self.read_report(api, org.pengelola, "report-during")
            report_window.extend((began, time.monotonic()))

        try:
            reading = asyncio.create_task(report_meanwhile())
            await lanes(window_rows, self.args.concurrency, one)
            await reading
        finally:
            await api.close()
        began = time.monotonic()
        await self.wait_for_phase((CyclePhase.CLOSED,))
        waited = time.monotonic() - began
        window = (report_window[0], report_window[1])
        steps = ["acknowledge", "objection", "objection-decision"]
        return {
            "appraisals": len(window_rows),
            "objections": sum(1 for r in window_rows if self.objects(r[0]) and r[2] is not None),
            "waited_for_close": round(waited, 1),
            "report_seconds": round(window[1] - window[0], 1),
            "during_report": asdict(calls.latency(steps, within=window)),
            "quiet": asdict(calls.outside(steps, window)),
        }

    async def read_report(self, api: Api, nip: str, kind: str) -> int:
        """Every page of the report through the API; the employees listed."""
        listed, offset = 0, 0
        while True:
            path = f"/api/v1/cycles/{self.cycle_id}/report?mulai={offset}&batas=5000"
            answer = await api.call(kind, "GET", path, nip)
            if answer is None:
                return listed
            page = answer.json()
            listed += len(page["pegawai"])
            offset += 5000
            if offset >= page["jumlah_pegawai"]:
                return listed

    async def report(self, calls: Calls) -> dict[str, Any]:
        api = await self.api(calls, 2)
        began = time.monotonic()
        try:
            listed = await self.read_report(api, self.org.pengelola, "report")
        finally:
            await api.close()
        json_seconds = time.monotonic() - began
        began = time.monotonic()
        view = await cycle_report.of_cycle(self.temporal, self.uow_factory, self.cycle_id, offset=0, limit=10_000_000)
        built = time.monotonic() - began
        began = time.monotonic()
        csv_text = await asyncio.to_thread(report_files.csv_text, view)
        csv_seconds = time.monotonic() - began
        began = time.monotonic()
        xlsx = await asyncio.to_thread(report_files.xlsx_bytes, view)
        xlsx_seconds = time.monotonic() - began
        closing = view.penutupan.model_dump(mode="json") if view.penutupan else None
        storage = await self.storage()
        return {
            "listed": listed,
            "json_pages_seconds": round(json_seconds, 1),
            "view_seconds": round(built, 1),
            "csv_seconds": round(csv_seconds, 1),
            "csv_bytes": len(csv_text),
            "xlsx_seconds": round(xlsx_seconds, 1),
            "xlsx_bytes": len(xlsx),
            "closing_counts": closing,
            "storage": storage,
        }

    async def storage(self) -> dict[str, Any]:
        """Bytes of history of a sample of appraisals (the whole year's), and what kind of event holds them."""
        rows = await asyncio.to_thread(self.worklist)
        step = max(1, len(rows) // STORAGE_SAMPLE)
        sizes = []
        by_type: dict[str, int] = {}
        for row in rows[::step][:STORAGE_SAMPLE]:
            history = await self.temporal.get_workflow_handle(
                appraisal_workflow_id(self.cycle_id, row[0])
            ).fetch_history()
            found = stats(history)
            sizes.append(found.bytes)
            for kind, size in found.bytes_by_type.items():
                by_type[kind] = by_type.get(kind, 0) + size
        return {
            "appraisals": len(sizes),
            "mean_kib": round(sum(sizes) / len(sizes) / 1024, 1) if sizes else None,
            "max_kib": round(max(sizes) / 1024, 1) if sizes else None,
            "kib_by_type": {
                k: round(v / len(sizes) / 1024, 1) for k, v in sorted(by_type.items(), key=lambda i: -i[1])
            },
        }

    async def run(self) -> None:
        steps: dict[str, Callable[[Calls], Any]] = {
            "floor": self.floor,
            "enrol": self.enrol,
            "skp": self.skp,
            "late": self.late_phase,
            "self-assessment": self.self_assessment,
            "survey": self.survey,
            "review": self.review,
            "calibration": self.calibration,
            "closing": self.closing,
            "report": self.report,
        }
        for phase in PHASES[1:]:
            await self.measured(phase, steps[phase])
            if phase == self.args.stop_after:
                progress(f"stopped after {phase}, as asked; the same command goes on from here")
                return
