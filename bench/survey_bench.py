"""The citizens' survey form (issue 18) measured: answers posted to `/s/{code}` at 200 a second for a minute into
PostgreSQL, every one counted back from the database, beside the floor of the same row's bare INSERT through the same
engine.

    .venv/bin/python -m bench.survey_bench                      # make bench-survey; ~3 minutes here
    .venv/bin/python -m bench.survey_bench --rate 300 --seconds 30 --web-workers 2

A PostgreSQL database of its own gets one instansi with `--units` service units, a cycle whose survey window is
open, and each unit's short address (services.survey_links, as the admin kepegawaian makes them). The web service
runs as `kinerja web` runs it (uvicorn, `--web-workers` processes), with a Temporal address where nothing listens
(the form never needs Temporal) and the benchmark's own address as a trusted proxy, so that each answer can come from
its own client address (`X-Forwarded-For`, a new one every 10 answers: the per-address limit is never met, but
counted in the database for every answer as in production). Each answer is a new browser (no device cookie), with
the form's signed field read once per unit from its page, as a person's browser reads it once.

- **paced**: answers sent on a fixed schedule, `--rate` a second for `--seconds` (open loop: the schedule does not
  wait for slow answers, up to `--max-in-flight` at once). Latency is from the send; "late" is how far behind the
  schedule a send went out because `--max-in-flight` were still unanswered.
- **flat out**: `--concurrency` answers in flight, each lane sending the next as soon as one is answered.
- **floor**: the same rows (nine answers, the profile, a comment) inserted by `--concurrency` threads through the
  same SQLAlchemy engine, each in its own transaction: what the database gives before any web or rule is involved.

Then every answer the service accepted (303) is counted in `survey_responses`: none may be missing or extra.
Progress goes to stderr; the machine, the code and the table to stdout. docs/benchmarks.md explains them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import secrets
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, insert, select, text

from bench import api_report
from bench.appraisal_bench import progress
from bench.measure import Latency, latency
from bench.processes import Child, free_port, scratch_dir
from bench.survey_client import LeanHttp
from bench.web_stack import create_database, drop_database, postgres_admin_url, start_web, tree_cpu_seconds
from domain.access import Grant, Principal
from domain.calendar import CycleCalendar, resolve
from domain.organisation import Instansi, Unit
from domain.policy import AppraisalPolicy
from domain.stages import Role
from persistence.db import make_engine, make_session_factory, upgrade
from persistence.orm import SurveyResponseRow
from persistence.ports import CycleRecord
from persistence.uow import SqlAlchemyUnitOfWork
from services import survey_links
from services.actors import Acting

INSTANSI = "SKM-BENCH"
CYCLE = "SKM-BENCH-1"
ADMIN = "198611112011012013"
RATE_TARGET = 200.0  # issue 18: answers a second, sustained for a minute, none lost
ANSWERS_PER_ADDRESS = 10
WARM_UP = 200
_FORM_TOKEN = re.compile(r'name="f" value="([^"]+)"')
EDUCATIONS = ("", "sd", "smp", "sma", "diploma", "s1", "s2")
OCCUPATIONS = ("", "pns", "tni", "polri", "swasta", "wirausaha", "pelajar", "lainnya")


@dataclass(frozen=True)
class Options:
    rate: float
    seconds: float
    units: int
    concurrency: int
    max_in_flight: int
    flat_out: int
    floor_rows: int
    web_workers: int
    keep_temp: bool
    json: Path | None


@dataclass
class Part:
    name: str
    sent: int
    accepted: int  # answered 303 (floor: rows committed)
    seconds: float  # from the first send to the last answer
    latency: Latency
    web_cpu_seconds: float = float("nan")
    statuses: dict[str, int] = field(default_factory=dict)
    late: Latency | None = None  # paced: how far behind the schedule sends went out
    slowest_window: float = float("nan")  # paced: answers a second in the slowest 10 s of the run

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else float("nan")


@dataclass(frozen=True)
class Result:
    parts: list[Part]
    accepted_form: int
    stored_form: int
    stored_floor: int


def _seed(url: str, units: int) -> tuple[Engine, dict[str, str]]:
    """The instansi, its units, a cycle with the survey open, and each unit's address: {unit: code}."""
    engine = make_engine(url, pool_size=20, max_overflow=20)
    sessions = make_session_factory(engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=10)
    calendar = CycleCalendar(
        start=start,
        skp_draft_due=start + timedelta(days=1),
        skp_due=start + timedelta(days=2),
        survey_opens=now - timedelta(hours=1),
        survey_closes=now + timedelta(days=1),
        self_assessment_due=start + timedelta(days=3),
        review_due=start + timedelta(days=4),
        calibration_due=now + timedelta(days=30),
        sign_off_due=now + timedelta(days=31),
    )
    with uow_factory() as uow:
        uow.instansi.add(Instansi(code=INSTANSI, name="Dinas Pelayanan Terpadu (bench)"))
        for n in range(1, units + 1):
            uow.units.add(Unit(code=f"U{n:02d}", name=f"Loket {n}"), INSTANSI)
        uow.cycles.register(
            CycleRecord(
                cycle_id=CYCLE,
                instansi_code=INSTANSI,
                period=now.year,
                deadlines=resolve(calendar, now.year, AppraisalPolicy()),
                policy_version=AppraisalPolicy().version,
            )
        )
        uow.commit()
    admin = Principal(nip=ADMIN, name="bench", grants=(Grant(role=Role.ADMIN_KEPEGAWAIAN, instansi_code=INSTANSI),))
    by = Acting(ADMIN, Role.ADMIN_KEPEGAWAIAN)
    survey_links.create_addresses(uow_factory, admin, CYCLE, by=by, now=now)
    with uow_factory() as uow:
        return engine, {link.unit_code: link.code for link in uow.survey_form.links(CYCLE)}


def _answers(rng: random.Random) -> dict[str, str]:
    fields = {f"u{n}": str(rng.choice((2, 3, 3, 3, 4, 4))) for n in range(1, 10)}
    if rng.random() < 0.7:
        fields.update(
            umur=str(rng.randint(17, 75)),
            jenis_kelamin=rng.choice(("", "L", "P")),
            pendidikan=rng.choice(EDUCATIONS),
            pekerjaan=rng.choice(OCCUPATIONS),
        )
    if rng.random() < 0.2:
        fields["saran"] = "Antrean di loket sudah lebih cepat; ruang tunggu perlu kursi tambahan."
    return fields


class _NoCookies(DefaultCookiePolicy):
    def set_ok(self, cookie: Cookie, request: urllib.request.Request) -> bool:
        return False


def no_cookies() -> CookieJar:
    """A cookie jar that keeps nothing: every answer comes from a new browser, without the device counter."""
    return CookieJar(policy=_NoCookies())


@dataclass
class Sender:
    """Answers to the service: the unit's signed form field, a new client address every ANSWERS_PER_ADDRESS."""

    http: LeanHttp
    tokens: dict[str, str]  # address code: the form's signed field
    rng: random.Random
    count: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    async def send(self) -> tuple[float, bool]:
        index = self.count
        self.count += 1
        code = list(self.tokens)[index % len(self.tokens)]
        client = index // ANSWERS_PER_ADDRESS
        address = f"10.{(client >> 16) & 255}.{(client >> 8) & 255}.{client & 255}"
        began = time.perf_counter()
        try:
            status = await self.http.post_form(
                f"/s/{code}", {"f": self.tokens[code], **_answers(self.rng)}, {"X-Forwarded-For": address}
            )
        except (OSError, ValueError) as error:  # counted, never retried: it may have been stored
            self.statuses[f"error: {type(error).__name__}"] += 1
            return time.perf_counter() - began, False
        spent = time.perf_counter() - began
        self.statuses[str(status)] += 1
        return spent, status == 303


async def _paced(sender: Sender, web: Child, rate: float, seconds: float, max_in_flight: int) -> Part:
    total = int(rate * seconds)
    slots = asyncio.Semaphore(max_in_flight)
    samples: list[float] = []
    late: list[float] = []
    done_at: list[float] = []
    accepted = 0

    async def one() -> None:
        nonlocal accepted
        try:
            spent, ok = await sender.send()
            samples.append(spent)
            done_at.append(time.perf_counter())
            accepted += ok
        finally:
            slots.release()

    cpu = tree_cpu_seconds(web.pid)
    start = time.perf_counter()
    tasks = []
    for i in range(total):
        due = start + i / rate
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        await slots.acquire()
        late.append(max(0.0, time.perf_counter() - due))
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    cpu = tree_cpu_seconds(web.pid) - cpu
    elapsed = max(done_at) - start
    windows = Counter(int((t - start) // 10) for t in done_at)
    full = [windows[w] / 10 for w in range(int(seconds // 10))]
    return Part(
        name=f"form, paced {rate:g}/s for {seconds:g} s",
        sent=total,
        accepted=accepted,
        seconds=elapsed,
        latency=latency(samples),
        web_cpu_seconds=cpu,
        late=latency(late),
        slowest_window=min(full) if full else float("nan"),
    )


async def _flat_out(sender: Sender, web: Child, count: int, concurrency: int) -> Part:
    samples: list[float] = []
    accepted = 0
    remaining = count

    async def lane() -> None:
        nonlocal accepted, remaining
        while remaining > 0:
            remaining -= 1
            spent, ok = await sender.send()
            samples.append(spent)
            accepted += ok

    cpu = tree_cpu_seconds(web.pid)
    start = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    cpu = tree_cpu_seconds(web.pid) - cpu
    return Part(
        name=f"form, flat out ({concurrency} in flight)",
        sent=count,
        accepted=accepted,
        seconds=elapsed,
        latency=latency(samples),
        web_cpu_seconds=cpu,
    )


def _floor(engine: Engine, count: int, concurrency: int, period: int, units: int) -> Part:
    """The same row as an answer through the form, inserted bare: one transaction each, `concurrency` threads."""
    rng = random.Random(29)
    statement = insert(SurveyResponseRow)
    rows = []
    for n in range(count):
        fields = _answers(rng)
        rows.append(
            {
                "instansi_code": INSTANSI,
                "period": period,
                "unit_code": f"U{n % units + 1:02d}",
                "respondent_token": f"floor-{secrets.token_hex(16)}",
                **{f"u{i}": int(fields[f"u{i}"]) for i in range(1, 10)},
                "comment": fields.get("saran"),
                "source": "floor",
                "submitted_at": datetime.now(UTC),
                "age": int(fields["umur"]) if fields.get("umur") else None,
                "sex": fields.get("jenis_kelamin") or None,
                "education": fields.get("pendidikan") or None,
                "occupation": fields.get("pekerjaan") or None,
            }
        )
    samples: list[float] = []

    def one(row: dict[str, Any]) -> None:
        began = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(statement, row)
        samples.append(time.perf_counter() - began)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, rows))
    elapsed = time.perf_counter() - start
    return Part(
        name=f"floor: bare INSERT ({concurrency} threads)",
        sent=count,
        accepted=len(samples),
        seconds=elapsed,
        latency=latency(samples),
    )


def _stored(engine: Engine, source: str) -> int:
    with engine.connect() as connection:
        query = select(func.count()).select_from(SurveyResponseRow).where(SurveyResponseRow.source == source)
        return int(connection.execute(query).scalar_one())


async def form_tokens(http: httpx.AsyncClient, codes: dict[str, str]) -> dict[str, str]:
    found = {}
    for code in codes.values():
        page = await http.get(f"/s/{code}")
        match = _FORM_TOKEN.search(page.text)
        if page.status_code != 200 or match is None:
            raise RuntimeError(f"/s/{code} answered {page.status_code}: {page.text[:300]}")
        found[code] = match.group(1)
    return found


async def run(options: Options, data_dir: Path) -> Result:
    admin = postgres_admin_url()
    database_url = create_database(admin, "kinerja_bench_survey")
    web: Child | None = None
    engine: Engine | None = None
    try:
        await asyncio.to_thread(upgrade, database_url)
        seeded, codes = await asyncio.to_thread(_seed, database_url, options.units)
        engine = seeded
        env = {
            "DATABASE_URL": database_url,
            "TEMPORAL__ADDRESS": f"127.0.0.1:{free_port()}",
            "AUTH__TRUSTED_PROXIES": "127.0.0.1",
            "SURVEY__FORM_SECRET": secrets.token_hex(32),
        }
        web, base_url = await start_web(data_dir, env, workers=options.web_workers, name="web-survey")
        progress(f"survey: web service at {base_url}, {len(codes)} unit addresses")
        async with httpx.AsyncClient(base_url=base_url, timeout=60.0, cookies=no_cookies()) as http:
            tokens = await form_tokens(http, codes)
        lean = LeanHttp("127.0.0.1", int(base_url.rsplit(":", 1)[1]), options.max_in_flight)
        try:
            await lean.prime()
            sender = Sender(lean, tokens, random.Random(17))
            await _flat_out(sender, web, WARM_UP, 10)
            progress(f"survey: paced, {options.rate:g}/s for {options.seconds:g} s")
            paced = await _paced(sender, web, options.rate, options.seconds, options.max_in_flight)
            progress(f"survey: flat out, {options.flat_out} answers, {options.concurrency} in flight")
            flat = await _flat_out(sender, web, options.flat_out, options.concurrency)
        finally:
            await lean.close()
        for part in (paced, flat):
            part.statuses = dict(sender.statuses)
        accepted = sender.statuses["303"]
        stored_form = await asyncio.to_thread(_stored, seeded, "form")
        progress(f"survey: floor, {options.floor_rows} bare INSERTs, {options.concurrency} threads")
        floor = await asyncio.to_thread(
            _floor, seeded, options.floor_rows, options.concurrency, datetime.now(UTC).year, options.units
        )
        stored_floor = await asyncio.to_thread(_stored, seeded, "floor")
        with seeded.connect() as connection:
            limits_rows = connection.execute(text("SELECT count(*) FROM survey_limits")).scalar_one()
        progress(f"survey: {limits_rows} address counts in survey_limits")
        return Result([paced, flat, floor], accepted, stored_form, stored_floor)
    finally:
        if web is not None:
            web.stop()
        if engine is not None:
            engine.dispose()
        if not options.keep_temp:
            drop_database(admin, database_url)


def table(result: Result, options: Options) -> str:
    rows = []
    paced, flat, floor = result.parts
    lost = result.accepted_form - result.stored_form
    for part in result.parts:
        checked = part is paced
        verdict = ""
        if checked:
            kept_up = part.per_second >= 0.99 * options.rate and part.slowest_window >= 0.95 * options.rate
            all_in = part.accepted == part.sent and lost == 0 and options.rate >= RATE_TARGET
            verdict = "ok" if kept_up and all_in else "MISS"
        cpu = part.web_cpu_seconds
        rows.append(
            [
                part.name,
                str(part.sent),
                str(part.accepted),
                api_report._n(part.per_second),
                api_report._n(part.slowest_window),
                api_report._n(part.latency.p50),
                api_report._n(part.latency.p95),
                api_report._n(part.latency.p99),
                api_report._n(part.late.p99 if part.late else float("nan")),
                api_report._n(1000 * cpu / part.accepted if part.accepted and cpu == cpu else float("nan")),
                f">= {RATE_TARGET:.0f}/s for 60 s" if checked else "info",
                verdict,
            ]
        )
    head = [
        "part",
        "sent",
        "accepted",
        "per s",
        "slowest 10 s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "late p99 ms",
        "web CPU ms",
        "target",
        "",
    ]
    counted = (
        f"answered 303: {result.accepted_form} (warm-up {WARM_UP} included); stored with source 'form':"
        f" {result.stored_form}; lost: {lost}; floor rows stored: {result.stored_floor} of {floor.sent}"
    )
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(flat.statuses.items()))
    return f"{api_report._grid(head, rows)}\n\n{counted}\nstatuses of every form answer: {statuses}"


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.survey_bench", description="The citizens' survey form into PostgreSQL (issue 18)."
    )
    parser.add_argument("--rate", type=float, default=RATE_TARGET, help="answers a second, paced (default 200)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long, paced (default 60)")
    parser.add_argument("--units", type=int, default=20, help="service units, each with its address (default 20)")
    parser.add_argument("--concurrency", type=int, default=32, help="flat out and floor: in flight (default 32)")
    parser.add_argument("--max-in-flight", type=int, default=100, help="paced: unanswered at most (default 100)")
    parser.add_argument("--flat-out", type=int, default=6000, help="answers sent flat out (default 6000)")
    parser.add_argument("--floor-rows", type=int, default=6000, help="bare INSERTs (default 6000)")
    parser.add_argument("--web-workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--keep-temp", action="store_true", help="keep the logs and the database")
    parser.add_argument("--json", type=Path, help="save every measurement here")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0 or args.units < 1 or args.concurrency < 1:
        parser.error("--rate, --seconds, --units and --concurrency must be positive")
    return Options(
        rate=args.rate,
        seconds=args.seconds,
        units=args.units,
        concurrency=args.concurrency,
        max_in_flight=args.max_in_flight,
        flat_out=args.flat_out,
        floor_rows=args.floor_rows,
        web_workers=args.web_workers,
        keep_temp=args.keep_temp,
        json=args.json,
    )


async def main_async(options: Options) -> int:
    info = api_report.machine()
    with scratch_dir("kinerja-survey-bench-", keep=options.keep_temp) as data_dir:
        result = await run(options, data_dir)
    print(api_report.header(info, {k: v for k, v in options.__dict__.items() if k != "json"}))
    print()
    print(table(result, options))
    if options.json is not None:
        options.json.write_text(json.dumps({"machine": info, "result": asdict(result)}, indent=2, default=str))
    lost = result.accepted_form - result.stored_form
    return 0 if lost == 0 else 1


def main() -> None:
    sys.exit(asyncio.run(main_async(parse())))


if __name__ == "__main__":
    main()
