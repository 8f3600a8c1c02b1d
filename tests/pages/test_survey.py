"""The citizens' survey, as a citizen's browser and the office's people use it (over ASGI), on SQLite and PostgreSQL:
the admin kepegawaian makes each unit's short address and prints its poster with the QR code; the public form is open
only in the cycle's window (before it, when it opens; after it, that it closed, with a link to the results), small
enough for a cheap phone, refuses a bad answer beside its field with what was typed kept, allows one answer per
token where the unit hands them out and otherwise limits answers per browser and per address; and the answers given
on it are counted, with the imported ones, in the IKM a real cycle computes at its survey close on the dev server,
which the public results page then shows.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from domain.access import Grant, Principal
from domain.calendar import CycleCalendar, resolve
from domain.errors import NotFound
from domain.policy import AppraisalPolicy
from domain.stages import Role
from domain.survey import SurveyResponse, compute_ikm
from persistence.orm import SurveyLimitRow, SurveyTokenRow
from persistence.ports import CycleRecord
from services import survey_links
from services.actors import OPERATOR, Acting
from services.cycle_start import StartOrder, start_from_grants
from services.imports import import_survey
from tests.dbs import PostgresDatabases
from tests.pages.browsing import signed_in
from tests.web.appraisals import Target
from tests.web.harness import BASE_URL, WebOffice, open_office
from tests.web.office import ADMIN, INSTANSI_A, INSTANSI_B, PEGAWAI_1, PENGELOLA_B, PERIOD

ALL_THREE = {f"u{n}": "3" for n in range(1, 10)}
PAGE_LIMIT = 100_000  # bytes of HTML and CSS a phone loads for the form
CLOSES_IN = timedelta(seconds=8)  # the real cycle's survey window, from its start
CLOSE_TIMEOUT = 60.0
# B's pengelola kinerja (no account in the seeded office: the tests call the service as them).
KEEPER_B = Principal(nip=PENGELOLA_B, name="B", grants=(Grant(role=Role.PENGELOLA_KINERJA, instansi_code=INSTANSI_B),))
_FORM_TOKEN = re.compile(r'name="f" value="([^"]+)"')
_CODE = re.compile(r"/s/([2-9A-Z]{7})")
_TOKEN = re.compile(r'class="token">([2-9A-Z-]{14})<')


@pytest.fixture(scope="module")
async def postgres_office(
    postgres_databases: PostgresDatabases, dev_env: WorkflowEnvironment
) -> AsyncIterator[WebOffice]:
    async with open_office(postgres_databases, dev_env.client) as office:
        yield office


@asynccontextmanager
async def citizen(office: WebOffice, address: str = "198.51.100.1") -> AsyncIterator[httpx.AsyncClient]:
    """A browser without a sign-in, from `address`, keeping its cookies."""
    transport = httpx.ASGITransport(app=office.app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


async def fill(http: httpx.AsyncClient, code: str, answers: dict[str, str] | None = None) -> httpx.Response:
    """Open the form and send it with `answers` (every unsur 3 by default) and the form's own signed field."""
    page = await http.get(f"/s/{code}")
    assert page.status_code == 200, page.text
    found = _FORM_TOKEN.search(page.text)
    assert found is not None
    return await http.post(f"/s/{code}", data={"f": found.group(1), **(ALL_THREE if answers is None else answers)})


def register(office: WebOffice, instansi: str, opens: timedelta, closes: timedelta) -> str:
    """A cycle registered as `siklus mulai` registers one (no workflow), its survey window at these offsets from now,
    in WIT."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=10)
    calendar = CycleCalendar(
        start=start,
        utc_offset_hours=9,
        skp_draft_due=start + timedelta(days=1),
        skp_due=start + timedelta(days=2),
        survey_opens=now + opens,
        survey_closes=now + closes,
        self_assessment_due=start + timedelta(days=3),
        review_due=start + timedelta(days=4),
        calibration_due=now + timedelta(days=30),
        sign_off_due=now + timedelta(days=31),
    )
    cycle_id = office.appraisals.new_cycle_id("survei")
    schedule = resolve(calendar, PERIOD, AppraisalPolicy())
    with office.uow_factory() as uow:
        record = CycleRecord(
            cycle_id=cycle_id,
            instansi_code=instansi,
            period=PERIOD,
            deadlines=schedule,
            policy_version=AppraisalPolicy().version,
        )
        uow.cycles.register(record)
        uow.commit()
    return cycle_id


async def addresses(office: WebOffice, cycle_id: str) -> dict[str, str]:
    """The admin kepegawaian makes the cycle's addresses on its page: {unit code: address code}."""
    async with signed_in(office, ADMIN) as browser:
        page = await browser.get(f"/survei/kelola/{cycle_id}")
        assert page.status_code == 200 and 'id="buat-alamat"' in page.text
        made = await browser.post(f"/survei/kelola/{cycle_id}/alamat", {})
        assert made.status_code == 303, made.text
        listed = await browser.get(made.headers["location"])
        assert "Alamat survei dibuat" in listed.text and 'id="buat-alamat"' not in listed.text
    with office.uow_factory() as uow:
        return {link.unit_code: link.code for link in uow.survey_form.links(cycle_id)}


def stored(office: WebOffice, instansi: str = INSTANSI_A) -> list[tuple[str, str, tuple[int | None, ...]]]:
    with office.uow_factory() as uow:
        return [(r.unit_code, r.source, r.answers) for r in uow.survey.list(instansi, PERIOD)]


# --- the office's side ------------------------------------------------------------------------------------------


async def check_addresses_and_poster(office: WebOffice) -> None:
    cycle_id = register(office, INSTANSI_A, -timedelta(hours=1), timedelta(days=5))
    codes = await addresses(office, cycle_id)
    assert set(codes) == {"A-DIN", "A-BID"} and len(set(codes.values())) == 2
    async with signed_in(office, ADMIN) as browser:
        listing = await browser.get("/survei/kelola")
        assert cycle_id in listing.text
        unit = await browser.get(f"/survei/kelola/{cycle_id}/A-BID")
        assert f"{office.settings.auth.public_url}/s/{codes['A-BID']}" in unit.text
        poster = await browser.get(f"/survei/kelola/{cycle_id}/A-BID/poster")
        assert poster.status_code == 200
        assert 'class="qr"><title>' in poster.text and "viewBox" in poster.text and "style=" not in poster.text
        assert f"/s/{codes['A-BID']}" in poster.text and "Bidang Pelayanan" in poster.text
        assert "WIT" in poster.text
    async with signed_in(office, PEGAWAI_1) as browser:
        assert (await browser.get(f"/survei/kelola/{cycle_id}")).status_code == 403
    someone_of_b = Principal(
        nip=PENGELOLA_B, name="B", grants=(Grant(role=Role.PENGELOLA_KINERJA, instansi_code=INSTANSI_B),)
    )
    with pytest.raises(NotFound):
        survey_links.poster(office.uow_factory, someone_of_b, cycle_id, "A-BID", public_url="http://x")


# --- the public form --------------------------------------------------------------------------------------------


async def check_an_answer_is_stored_with_its_profile(office: WebOffice) -> None:
    cycle_id = register(office, INSTANSI_A, -timedelta(hours=1), timedelta(days=5))
    code = (await addresses(office, cycle_id))["A-DIN"]
    before = len(stored(office))
    async with citizen(office, "198.51.100.10") as http:
        page = await http.get(f"/s/{code.lower()}")  # typed in small letters from the poster
        assert page.status_code == 200
        assert page.text.count('type="radio"') == 36 and page.text.count("<fieldset") == 10
        assert 'for="u8-4"' in page.text and "Dikelola dengan baik" in page.text and "<script" not in page.text
        css = await http.get("/static/kinerja.css")
        assert len(page.content) + len(css.content) < PAGE_LIMIT, (len(page.content), len(css.content))
        answers = {**ALL_THREE, "u1": "4", "umur": "41", "jenis_kelamin": "L", "pendidikan": "sma",
                   "pekerjaan": "swasta", "saran": "Ruang tunggu\r\nditambah kursinya"}  # fmt: skip
        sent = await fill(http, code, answers)
        assert sent.status_code == 303 and sent.headers["location"] == f"/s/{code}/terima-kasih"
        assert "kinerja_skm=" in sent.headers["set-cookie"] and "HttpOnly" in sent.headers["set-cookie"]
        thanks = await http.get(sent.headers["location"])
        assert "sudah kami terima" in thanks.text and f"/survei/hasil/{INSTANSI_A}/{cycle_id}" in thanks.text
    rows = stored(office)
    assert len(rows) == before + 1 and rows[-1] == ("A-DIN", "form", (4, 3, 3, 3, 3, 3, 3, 3, 3))
    with office.uow_factory() as uow:
        responses = uow.survey.list(INSTANSI_A, PERIOD, "A-DIN")
    assert responses[-1].comment == "Ruang tunggu ditambah kursinya"
    assert responses[-1].respondent_token.startswith("web-")


async def check_bad_values_are_named_beside_their_fields(office: WebOffice) -> None:
    cycle_id = register(office, INSTANSI_A, -timedelta(hours=1), timedelta(days=5))
    code = (await addresses(office, cycle_id))["A-BID"]
    before = len(stored(office))
    async with citizen(office, "198.51.100.11") as http:
        answers = {**ALL_THREE, "u1": "2", "u3": "", "u5": "9", "umur": "300", "pendidikan": "profesor",
                   "saran": "tetap ada"}  # fmt: skip
        refused = await fill(http, code, answers)
        assert refused.status_code == 422
        for field in ("u3", "u5", "umur", "pendidikan"):
            assert f'id="{field}-galat"' in refused.text, field
        assert 'id="u1-galat"' not in refused.text
        assert re.search(r'id="u1-2" name="u1" value="2" checked', refused.text)  # what was typed is kept
        assert "tetap ada</textarea>" in refused.text and "4 isian perlu diperbaiki" in refused.text
        unsigned = await http.post(f"/s/{code}", data=ALL_THREE)
        assert unsigned.status_code == 403 and 'value="3" checked' in unsigned.text  # sent again in one click
        page = await http.get(f"/s/{code}")
        token = _FORM_TOKEN.search(page.text)
        assert token is not None
        elsewhere = await http.post(
            f"/s/{code}", data={"f": token.group(1), **ALL_THREE}, headers={"Origin": "https://evil.example"}
        )
        assert elsewhere.status_code == 403
        assert (await http.get("/s/ZZZ0000")).status_code == 404
        assert (await http.get("/s/ZZZ2222")).status_code == 404
    assert len(stored(office)) == before


async def check_the_limits_per_browser_and_per_address(office: WebOffice, monkeypatch: pytest.MonkeyPatch) -> None:
    cycle_id = register(office, INSTANSI_A, -timedelta(hours=1), timedelta(days=5))
    code = (await addresses(office, cycle_id))["A-BID"]
    survey = office.settings.survey
    async with citizen(office, "198.51.100.20") as http:
        for _ in range(survey.per_device_per_day):
            assert (await fill(http, code)).status_code == 303
        refused = await fill(http, code)
        assert refused.status_code == 429 and "Perangkat ini sudah mengirim" in refused.text
        assert 'value="3" checked' in refused.text
    monkeypatch.setattr(survey, "per_address_per_hour", 3)
    for _ in range(3):  # three browsers of one office network
        async with citizen(office, "198.51.100.21") as http:
            assert (await fill(http, code)).status_code == 303
    async with citizen(office, "198.51.100.21") as http:
        refused = await fill(http, code)
        assert refused.status_code == 429 and "dari jaringan ini" in refused.text and "WIT" in refused.text
    async with citizen(office, "198.51.100.22") as http:  # another address is not held back
        assert (await fill(http, code)).status_code == 303
    with office.engine.connect() as connection:  # the limit counts a keyed hash of the address, never the address
        keys = list(connection.execute(select(SurveyLimitRow.key)).scalars())
    assert keys and not [key for key in keys if "198.51" in key]


async def check_one_answer_per_token(office: WebOffice) -> None:
    cycle_id = register(office, INSTANSI_A, -timedelta(hours=1), timedelta(days=5))
    codes = await addresses(office, cycle_id)
    async with signed_in(office, ADMIN) as browser:
        await browser.get(f"/survei/kelola/{cycle_id}/A-BID")
        too_many = await browser.post(f"/survei/kelola/{cycle_id}/A-BID/token", {"jumlah": "5000"})
        assert too_many.status_code == 422 and 'id="jumlah-galat"' in too_many.text
        sheet = await browser.post(f"/survei/kelola/{cycle_id}/A-BID/token", {"jumlah": "3", "format": "cetak"})
        assert sheet.status_code == 200
        tokens = _TOKEN.findall(sheet.text)
        assert len(set(tokens)) == 3
        listed = await browser.post(f"/survei/kelola/{cycle_id}/A-DIN/token", {"jumlah": "2", "format": "csv"})
        assert listed.headers["content-type"].startswith("text/csv")
        lines = listed.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "token,unit,alamat" and len(lines) == 3
        other_unit = lines[1].split(",")[0]
    with office.engine.connect() as connection:
        kept = set(connection.execute(select(SurveyTokenRow.token_hash)).scalars())
    assert len(kept) >= 5 and not {t.replace("-", "") for t in tokens} & kept  # only their hashes are stored
    code = codes["A-BID"]
    before = len(stored(office))
    async with citizen(office, "198.51.100.30") as http:
        page = await http.get(f"/s/{code}")
        assert 'id="f-token"' in page.text
        without = await fill(http, code)
        assert without.status_code == 422 and 'id="token-galat"' in without.text
        first = await fill(http, code, {**ALL_THREE, "token": tokens[0].lower().replace("-", " ")})
        assert first.status_code == 303
        again = await fill(http, code, {**ALL_THREE, "token": tokens[0]})
        assert again.status_code == 422 and "sudah dipakai" in again.text
        wrong_unit = await fill(http, code, {**ALL_THREE, "token": other_unit})
        assert wrong_unit.status_code == 422 and "tidak dikenal" in wrong_unit.text
    assert len(stored(office)) == before + 1
    async with citizen(office, "198.51.100.30") as http:  # tokens are not limited per browser
        for token in tokens[1:]:
            assert (await fill(http, code, {**ALL_THREE, "token": token})).status_code == 303


async def check_before_and_after_the_window(office: WebOffice) -> None:
    later = register(office, INSTANSI_A, timedelta(days=3), timedelta(days=10))
    gone = register(office, INSTANSI_A, -timedelta(days=10), -timedelta(days=1))
    early, late = (await addresses(office, later))["A-BID"], (await addresses(office, gone))["A-BID"]
    before = len(stored(office))
    async with citizen(office, "198.51.100.40") as http:
        page = await http.get(f"/s/{early}")
        assert page.status_code == 200 and "dibuka pada" in page.text and "WIT" in page.text
        assert 'name="u1"' not in page.text
        sent = await http.post(f"/s/{early}", data=ALL_THREE)
        assert sent.status_code == 409 and "dibuka pada" in sent.text
        closed = await http.get(f"/s/{late}")
        assert "sudah ditutup" in closed.text and f'href="/survei/hasil/{INSTANSI_A}/{gone}"' in closed.text
        assert (await http.post(f"/s/{late}", data=ALL_THREE)).status_code == 409
        waiting = await http.get(f"/survei/hasil/{INSTANSI_A}/{gone}")
        assert waiting.status_code == 200 and "IKM sedang dihitung" in waiting.text
        assert (await http.get(f"/survei/hasil/{INSTANSI_B}/{gone}")).status_code == 404
        several = await http.get(f"/survei/hasil/{INSTANSI_A}/{PERIOD}")
        assert several.status_code == 200 and gone in several.text and later in several.text
    assert len(stored(office)) == before


# --- the close of a real cycle ---------------------------------------------------------------------------------


async def start_closing_cycle(office: WebOffice) -> tuple[str, str, datetime]:
    """A real cycle of instansi B on the dev server whose survey closes CLOSES_IN after its start, and the address
    of B-BID for it (made by B's pengelola kinerja)."""
    now = datetime.now(UTC).replace(microsecond=0)
    closes = now + CLOSES_IN
    cycle_id = office.appraisals.new_cycle_id("survei-tutup")
    calendar = CycleCalendar(
        start=now - timedelta(minutes=1),
        skp_draft_due="P20D",
        skp_due="P30D",
        survey_opens=now - timedelta(minutes=1),
        survey_closes=closes,
        self_assessment_due="P40D",
        review_due="P50D",
        calibration_due="P60D",
        sign_off_due="P70D",
    )
    order = StartOrder(instansi_code=INSTANSI_B, period=PERIOD, cycle_id=cycle_id, calendar=calendar)
    await start_from_grants(
        office.temporal, office.uow_factory, order, task_queue=office.task_queue, by=OPERATOR, now=now
    )
    by = Acting(PENGELOLA_B, Role.PENGELOLA_KINERJA)
    survey_links.create_addresses(office.uow_factory, KEEPER_B, cycle_id, by=by, now=now)
    with office.uow_factory() as uow:
        code = next(link.code for link in uow.survey_form.links(cycle_id) if link.unit_code == "B-BID")
    return cycle_id, code, closes


GIVEN = (
    {**ALL_THREE, "u1": "4", "u9": "2"},
    {**ALL_THREE, "u2": "4"},
    {f"u{n}": "4" for n in range(1, 10)},
)
IMPORTED = [SurveyResponse.of([2, 3, 3, 3, 2, 3, 3, 3, 3], unit="B-BID", respondent=f"K-{n}") for n in range(2)]


async def answer_before_the_close(office: WebOffice, cycle_id: str, code: str, closes: datetime) -> None:
    """Three answers through the form and two imported, while the window is open."""
    for n, answers in enumerate(GIVEN):
        async with citizen(office, f"203.0.113.{n + 1}") as http:
            assert (await fill(http, code, answers)).status_code == 303
    import_survey(office.uow_factory, INSTANSI_B, PERIOD, IMPORTED, "csv", cycle_id=cycle_id)
    assert datetime.now(UTC) < closes, "the answers came after the window closed: the machine is too slow"


async def check_the_close_counts_form_and_import_alike(office: WebOffice, cycle_id: str, code: str) -> None:
    deadline = time.monotonic() + CLOSE_TIMEOUT
    while True:
        with office.uow_factory() as uow:
            record = uow.cycles.survey(cycle_id)
        if record is not None:
            break
        assert time.monotonic() < deadline, "the cycle never computed its IKM"
        await asyncio.sleep(0.3)
    [unit] = record.units
    expected = compute_ikm(
        [SurveyResponse.of([int(a[f"u{n}"]) for n in range(1, 10)]) for a in GIVEN] + IMPORTED, AppraisalPolicy()
    )
    assert (unit.unit, unit.response_count, unit.ikm) == ("B-BID", 5, expected.ikm)
    async with citizen(office, "203.0.113.50") as http:
        closed = await http.get(f"/s/{code}")
        assert "sudah ditutup" in closed.text and "Lihat hasil survei" in closed.text
        assert (await http.post(f"/s/{code}", data=ALL_THREE)).status_code == 409
        results = await http.get(f"/survei/hasil/{INSTANSI_B}/{cycle_id}")
        assert results.status_code == 200 and 'id="hasil-ikm"' in results.text
        row = re.search(r"Bidang Lain</th>(.*?)</tr>", results.text, re.S)
        assert row is not None
        shown = str(expected.ikm).replace(".", ",")
        assert shown in row.group(1) and f"{expected.grade} ({expected.label})" in row.group(1)
        assert ">5" in row.group(1)
    await office.appraisals.follow(Target(INSTANSI_B, cycle_id, cycle_workflow=True))


# --- the tests ----------------------------------------------------------------------------------------------------


async def test_addresses_and_the_poster(web_office: WebOffice) -> None:
    await check_addresses_and_poster(web_office)


async def test_an_answer_is_stored_with_its_profile(web_office: WebOffice) -> None:
    await check_an_answer_is_stored_with_its_profile(web_office)


async def test_bad_values_are_named_beside_their_fields(web_office: WebOffice) -> None:
    await check_bad_values_are_named_beside_their_fields(web_office)


async def test_the_limits_per_browser_and_per_address(web_office: WebOffice, monkeypatch: pytest.MonkeyPatch) -> None:
    await check_the_limits_per_browser_and_per_address(web_office, monkeypatch)


async def test_one_answer_per_token(web_office: WebOffice) -> None:
    await check_one_answer_per_token(web_office)


async def test_before_and_after_the_window(web_office: WebOffice) -> None:
    await check_before_and_after_the_window(web_office)


async def test_the_close_counts_form_and_import_alike(web_office: WebOffice) -> None:
    cycle_id, code, closes = await start_closing_cycle(web_office)
    await answer_before_the_close(web_office, cycle_id, code, closes)
    await check_the_close_counts_form_and_import_alike(web_office, cycle_id, code)


@pytest.mark.postgres
async def test_the_same_on_postgresql(postgres_office: WebOffice, monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything above on PostgreSQL, the checks in A done while the real cycle's window in B runs out."""
    cycle_id, code, closes = await start_closing_cycle(postgres_office)
    await answer_before_the_close(postgres_office, cycle_id, code, closes)
    await check_addresses_and_poster(postgres_office)
    await check_an_answer_is_stored_with_its_profile(postgres_office)
    await check_bad_values_are_named_beside_their_fields(postgres_office)
    await check_the_limits_per_browser_and_per_address(postgres_office, monkeypatch)
    await check_one_answer_per_token(postgres_office)
    await check_before_and_after_the_window(postgres_office)
    await check_the_close_counts_form_and_import_alike(postgres_office, cycle_id, code)
