"""The kepegawaian pages' uploads, accounts and roles, as the admin kepegawaian uses them in a browser (over ASGI,
with the form's CSRF token):

- a roster with bad lines is refused with every bad line in a table (line, column, message) and nothing stored; the
  good roster of examples/ is stored with its summary (SQLite and PostgreSQL);
- an IKU is corrected from its form with a reason (a new version, the old one kept); a reason too short is refused
  beside its field;
- the pengelola kinerja is offered the survey upload only, and refused the roster (403); a pegawai the section;
- accounts are created, disabled, enabled, unlocked and sent a reset link, a one-time link shown to hand over; roles
  are granted and revoked; refusals beside their field; another instansi is not found.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from importing.errors import ValidationFailed
from importing.roster import parse_roster
from services.uploads import read_upload
from tests.dbs import PostgresDatabases
from tests.pages.browsing import Browser, signed_in
from tests.web.harness import WebOffice, open_office
from tests.web.office import (
    ADMIN,
    INSTANSI_A,
    INSTANSI_B,
    KEPALA_A,
    PEGAWAI_1,
    PENGELOLA,
    SASARAN_A,
    SASARAN_B,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
IMPORTS = f"/kepegawaian/instansi/{INSTANSI_A}/impor"
CSV = "text/csv"


@pytest.fixture(scope="module")
async def postgres_office(
    postgres_databases: PostgresDatabases, dev_env: WorkflowEnvironment
) -> AsyncIterator[WebOffice]:
    async with open_office(postgres_databases, dev_env.client) as office:
        yield office


async def upload(browser: Browser, kind: str, file: Path, **fields: str) -> str:
    await browser.get(IMPORTS)  # the page's CSRF token
    sent = await browser.post(f"{IMPORTS}/{kind}", fields, files={"berkas": (file.name, file.read_bytes(), CSV)})
    return f"{sent.status_code}\n{sent.text}"


def _employees(office: WebOffice) -> int:
    with office.uow_factory() as uow:
        return len(uow.employees.list_by_instansi(INSTANSI_A))


def _imports(office: WebOffice) -> int:
    with office.uow_factory() as uow:
        return len(uow.audit.list(action="import.roster"))


async def test_a_roster_with_bad_lines_shows_them_all_and_stores_nothing_then_a_good_one_stores(
    web_office: WebOffice,
) -> None:
    await _rosters(web_office)


@pytest.mark.postgres
async def test_the_rosters_on_postgresql(postgres_office: WebOffice) -> None:
    await _rosters(postgres_office)


async def _rosters(office: WebOffice) -> None:
    bad = EXAMPLES / "roster_bad.csv"
    with pytest.raises(ValidationFailed) as expected:
        parse_roster(read_upload(bad.read_bytes(), bad.name), INSTANSI_A, datetime.now(UTC).date())
    wanted = [(e.line, e.column or "–") for e in expected.value.errors]
    assert len(wanted) > 3
    before = _employees(office)
    async with signed_in(office, ADMIN) as admin:
        refused = await upload(admin, "roster", bad)
        status, html = refused.split("\n", 1)
        assert status == "422", html
        table = re.search(r'<table id="galat-roster">(.*?)</table>', html, re.DOTALL)
        assert table, "the bad lines are not listed"
        rows = re.findall(r'<tr><td class="num">(\d+)</td><td>(.*?)</td>', table.group(1))
        assert [(int(line), column) for line, column in rows] == wanted
        assert "tidak ada data yang diimpor" in table.group(1)
        assert 'id="roster-berkas-galat"' in html
        assert (_employees(office), _imports(office)) == (before, 0)
        # With htmx the same answer is the roster's form alone, swapped in place.
        await admin.get(IMPORTS)
        swapped = await admin.post(
            f"{IMPORTS}/roster",
            {},
            files={"berkas": (bad.name, bad.read_bytes(), CSV)},
            headers={"HX-Request": "true"},
        )
        assert swapped.status_code == 422 and swapped.text.lstrip().startswith(
            '<section class="card" id="impor-roster"'
        )

        missing = await admin.post(f"{IMPORTS}/iku", {"periode": "1999"})
        assert missing.status_code == 422 and 'id="iku-periode-galat"' in missing.text

        stored = await upload(admin, "roster", EXAMPLES / "roster_dukcapil.csv")
        status, html = stored.split("\n", 1)
        assert status == "200", html
        assert 'id="hasil-roster"' in html and "12 pegawai baru, 0 diperbarui, 4 unit baru" in html
    assert (_employees(office), _imports(office)) == (before + 12, 1)


async def test_an_iku_is_corrected_from_its_form_with_a_reason(web_office: WebOffice, tmp_path: Path) -> None:
    lines = (EXAMPLES / "iku_dukcapil.csv").read_text(encoding="utf-8-sig").splitlines()
    corrected = tmp_path / "iku-koreksi.csv"
    corrected.write_text(f"{lines[0]}\n{lines[1].replace(';97,5;', ';98;')}\n", encoding="utf-8")
    period = "2031"  # a period of its own: no other test imports its IKU
    async with signed_in(web_office, ADMIN) as admin:
        stored = await upload(admin, "iku", EXAMPLES / "iku_dukcapil.csv", periode=period)
        assert stored.startswith("200") and "5 IKU periode 2031 diimpor" in stored
        refused = await upload(admin, "iku", corrected, periode=period, alasan_koreksi="salah")
        assert refused.startswith("422") and 'id="iku-alasan_koreksi-galat"' in refused
        reason = "Target RPJMD perubahan ditetapkan Perda 4/2031"
        done = await upload(admin, "iku", corrected, periode=period, alasan_koreksi=reason)
        assert done.startswith("200") and "1 IKU periode 2031 dikoreksi (IKU-01 versi 2)" in done
    with web_office.uow_factory() as uow:
        versions = uow.iku.versions(INSTANSI_A, 2031, "IKU-01")
    assert [(v.version, v.reason, v.replaced_by) for v in versions] == [(1, reason, ADMIN), (2, None, None)]


async def test_the_pengelola_uploads_surveys_only_and_a_pegawai_nothing(web_office: WebOffice) -> None:
    async with signed_in(web_office, PENGELOLA) as pengelola:
        page = await pengelola.get(IMPORTS)
        assert page.status_code == 200
        assert 'id="form-impor-survey"' in page.text and 'id="form-impor-roster"' not in page.text
        roster = EXAMPLES / "roster_dukcapil.csv"
        refused = await pengelola.post(
            f"{IMPORTS}/roster", {}, files={"berkas": (roster.name, roster.read_bytes(), CSV)}
        )
        assert refused.status_code == 403
        survey = EXAMPLES / "survey_dukcapil.csv"
        no_cycle = await pengelola.post(
            f"{IMPORTS}/survey", {"siklus": "TIDAK-ADA"}, files={"berkas": (survey.name, survey.read_bytes(), CSV)}
        )
        assert no_cycle.status_code == 404 and 'id="survey-siklus-galat"' in no_cycle.text  # beside its field
        assert 'value="TIDAK-ADA"' in no_cycle.text
        assert (await pengelola.get(f"/kepegawaian/instansi/{INSTANSI_A}/akun")).status_code == 403
        overview = await pengelola.get("/kepegawaian")
        assert f'id="instansi-{INSTANSI_A}"' in overview.text and "/akun" not in overview.text
    async with signed_in(web_office, PEGAWAI_1) as employee:
        for path in ("/kepegawaian", IMPORTS, f"/kepegawaian/instansi/{INSTANSI_A}/peran"):
            assert (await employee.get(path)).status_code == 403, path
    async with signed_in(web_office, ADMIN) as admin:
        for path in (f"/kepegawaian/instansi/{INSTANSI_B}/impor", f"/kepegawaian/instansi/{INSTANSI_B}/akun"):
            assert (await admin.get(path)).status_code == 404, path


async def test_accounts_and_roles(web_office: WebOffice) -> None:
    accounts = f"/kepegawaian/instansi/{INSTANSI_A}/akun"
    roles = f"/kepegawaian/instansi/{INSTANSI_A}/peran"
    async with signed_in(web_office, ADMIN) as admin:
        await admin.get(accounts)
        created = await admin.post(accounts, {"aksi": "buat", "nip_baru": KEPALA_A})
        assert created.status_code == 200, created.text
        assert 'id="tautan-akun"' in created.text and "/akun/kata-sandi?tautan=" in created.text
        for action, words in (
            ("nonaktifkan", "dinonaktifkan"),
            ("aktifkan", "aktif kembali"),
            ("buka-kunci", "Kunci akun"),
        ):
            done = await admin.post(accounts, {"aksi": action, "nip": SASARAN_A})
            assert done.status_code == 200 and words in done.text, (action, done.text)
        reset = await admin.post(accounts, {"aksi": "atur-ulang", "nip": SASARAN_A})
        assert reset.status_code == 200 and "/akun/kata-sandi?tautan=" in reset.text
        own = await admin.post(accounts, {"aksi": "nonaktifkan", "nip": ADMIN})
        assert own.status_code == 422 and 'id="nip-galat"' in own.text
        elsewhere = await admin.post(accounts, {"aksi": "nonaktifkan", "nip": SASARAN_B})
        assert elsewhere.status_code == 404 and 'id="nip-galat"' in elsewhere.text
        typo = await admin.post(accounts, {"aksi": "buat", "nip_baru": "123"})
        assert typo.status_code == 422 and 'id="nip_baru-galat"' in typo.text and 'value="123"' in typo.text

        await admin.get(roles)
        granted = await admin.post(roles, {"nip": KEPALA_A, "peran": "operator", "siklus": ""})
        assert granted.status_code == 200 and "Peran Operator diberikan" in granted.text, granted.text
        grant_id = re.findall(r'<tr id="peran-(\d+)">\s*<td>' + KEPALA_A, granted.text)
        assert len(grant_id) == 1
        again = await admin.post(roles, {"nip": KEPALA_A, "peran": "operator"})
        assert again.status_code == 422 and 'id="peran-galat"' in again.text
        revoked = await admin.post(f"{roles}/{grant_id[0]}/cabut", {})
        assert revoked.status_code == 200 and "dicabut" in revoked.text
        assert f'id="peran-{grant_id[0]}"' not in revoked.text
    with web_office.uow_factory() as uow:
        entries = uow.audit.list()
    actions = {(e.action, e.subject) for e in entries if e.actor == ADMIN}
    assert {("account.create", KEPALA_A), ("account.disable", SASARAN_A), ("role.grant", KEPALA_A)} <= actions
    assert ("role.revoke", KEPALA_A) in actions
