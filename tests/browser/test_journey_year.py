"""A whole appraisal year of the sample Dukcapil office, compressed into under two minutes on the dev server, as its
people click it in a browser: one test per person's part, in the order the year runs (a later part needs the
earlier ones, so after a failure the rest of the year is skipped). Every page state reached passes check_page (axe,
360 px, CSP), reported by the last test, and leaves its screenshots in .artifacts/screenshots/.

The calendar (tests.browser.year) counts from the moment HR starts the cycle: a citizen answers the survey on a
phone; Sri drafts, submits, is returned, revises and is approved and rated before the review deadline, while Budi
misses his SKP deadline and the supervision team takes his step over; then the pimpinan calibrates and locks, Herman
signs off, Sri objects and the Kepala Dinas decides; the cycle closes and HR opens its report.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from playwright.async_api import Browser, Locator, Page, expect
from temporalio.testing import WorkflowEnvironment

from domain.ratings import Predicate
from domain.stages import Role, Step
from tests.browser.checks import PHONE, phone_shot
from tests.browser.site import sign_in
from tests.browser.story import always
from tests.browser.year import (
    ADMIN,
    BUDI,
    CALIBRATION_DUE,
    CLOSES,
    EXAMPLES,
    HERMAN,
    INSTANSI,
    KEPALA,
    OBJECTION_DECISION_DUE,
    OBJECTION_WINDOW,
    OPERATOR,
    PASSWORD,
    PENGAWAS,
    PENGELOLA,
    REVIEW_DUE,
    SEKDA,
    SELF_ASSESSMENT_DUE,
    SIGN_OFF_DUE,
    SKP_DRAFT_DUE,
    SKP_DUE,
    SRI,
    SRI_PASSWORD,
    SURVEY_CLOSES,
    WIT,
    Year,
    open_year,
    until,
)
from tests.dbs import SqliteDatabases
from tests.evidence_samples import pdf_of
from workflows.cycle_contracts import CyclePhase

EVIDENCE_PDF = pdf_of(2048, b"rekap verifikasi")
TAKE_OVER_REASON = "Pegawai cuti sakit; draf SKP dari rancangan instansi diajukan atas namanya"
RELOAD_SECONDS = 15.0
OBJECTION = "Layanan jemput bola di tiga distrik belum dihitung sebagai realisasi"
RETURN_NOTE = "Tambahkan target berkas sesuai beban layanan tahun ini (6.500 berkas)"
_NAMES = {SRI: "Sri Wahyuni"}


@pytest.fixture(scope="module")
async def year(
    sqlite_databases: SqliteDatabases, dev_env: WorkflowEnvironment, chromium: Browser
) -> AsyncIterator[Year]:
    async with open_year(sqlite_databases, dev_env.client, chromium) as opened:
        yield opened


async def test_hr_imports_the_office_grants_the_roles_and_starts_the_cycle(year: Year) -> None:
    async with year.site.signed_in(ADMIN, PASSWORD) as page:
        await page.get_by_role("link", name="Kepegawaian").first.click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Kepegawaian")
        await year.checks(page, "hr-kepegawaian")

        # The office's data, from the files HR keeps: roster, then the period's IKU and SKP.
        await page.get_by_role("link", name="Impor data").click()
        await _upload(page, "roster", "roster_dukcapil.csv")
        await year.checks(page, "hr-impor-roster")
        for kind, name in (("iku", "iku_dukcapil.csv"), ("skp", "skp_dukcapil.csv")):
            await page.locator(f"#f-{kind}-periode").fill(str(year.period))
            await _upload(page, kind, name)

        # The cycle's officials: the supervision team and the pengelola kinerja from the roster, the Sekda from none.
        await page.goto(f"/kepegawaian/instansi/{INSTANSI}/peran")
        for nip, role in ((PENGAWAS, "pengawasan"), (PENGELOLA, "pengelola_kinerja"), (SEKDA, "pimpinan")):
            grant = page.locator("#form-beri-peran")
            await grant.get_by_label("NIP").fill(nip)
            await grant.get_by_label("Peran").select_option(role)
            await grant.get_by_role("button", name="Berikan peran").click()
            await expect(page.locator("#daftar-peran")).to_contain_text(nip)
        await year.checks(page, "hr-peran")

        # Sri's account: the one-time link is handed to her (the roster has no e-mail address for her).
        await page.goto(f"/kepegawaian/instansi/{INSTANSI}/akun")
        await page.locator("#form-buat-akun").get_by_label("NIP").fill(SRI)
        await page.get_by_role("button", name="Buat akun").click()
        link = await page.locator("#tautan-akun code").inner_text()
        await year.checks(page, "hr-akun-tautan")
        year.notes["sri_link"] = link

        # The cycle, with the year compressed into seconds from now.
        await page.goto(f"/kepegawaian/instansi/{INSTANSI}/siklus")
        zone = timezone(timedelta(hours=WIT))
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        form = page.locator("#form-mulai-siklus")
        await form.get_by_label("Periode (tahun)").fill(str(year.period))
        await form.get_by_label("Id siklus").fill(year.cycle_id)
        await form.get_by_label("Zona waktu instansi").select_option(str(WIT))
        calendar = {
            "start": start.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S"),
            "skp_draft_due": f"PT{SKP_DRAFT_DUE}S",
            "skp_due": f"PT{SKP_DUE}S",
            "survey_opens": "PT0S",
            "survey_closes": f"PT{SURVEY_CLOSES}S",
            "self_assessment_due": f"PT{SELF_ASSESSMENT_DUE}S",
            "review_due": f"PT{REVIEW_DUE}S",
            "calibration_due": f"PT{CALIBRATION_DUE}S",
            "sign_off_due": f"PT{SIGN_OFF_DUE}S",
            "objection_window": f"PT{OBJECTION_WINDOW}S",
            "objection_decision_due": f"PT{OBJECTION_DECISION_DUE}S",
        }
        for name, value in calendar.items():
            await form.locator(f"#f-{name}").fill(value)
        await form.get_by_label("Jumlah penerima layanan per unit (sampel SKM)").fill("DAFDUK=25\nCAPIL=18")
        await form.get_by_role("button", name="Mulai siklus").click()
        year.started_at = start
        await expect(page).to_have_url(re.compile(rf"/kepegawaian/siklus/{year.cycle_id}\?pesan=siklus-dimulai$"))
        await expect(page.locator("#kemajuan label")).to_contain_text("Selesai: 100%")  # htmx polled it there
        await expect(page.locator("#angka-kemajuan")).to_contain_text("11 terdaftar, 1 dilewati")
        await expect(page.locator("#tahap-siklus")).not_to_have_text(CyclePhase.ENROLLING.label)  # swapped with it
        await year.checks(page, "hr-siklus-berjalan")


async def test_a_citizen_answers_the_survey_on_a_phone(year: Year) -> None:
    """Early in the year, Daniel, the pengelola kinerja, makes the units' survey addresses; a citizen served by
    DAFDUK opens its address on a phone, sends the form with a question left out, is told which, answers it and is
    thanked."""
    async with year.site.signed_in(PENGELOLA, PASSWORD) as daniel:
        await daniel.get_by_role("link", name="Survei").first.click()
        await daniel.get_by_role("link", name=year.cycle_id).click()
        await daniel.get_by_role("button", name=re.compile(r"^Buat alamat untuk")).click()
        address = daniel.locator("#alamat-unit tr").filter(has_text="DAFDUK").locator("code.tautan")
        await expect(address).to_be_visible()
        await year.checks(daniel, "pengelola-alamat-survei")
        url = await address.inner_text()
    async with year.site.visitor(PHONE) as citizen:
        await citizen.goto(urlsplit(url).path)
        await expect(citizen.get_by_role("heading", level=1)).to_have_text("Bagaimana pelayanan kami?")
        await year.checks(citizen, "warga-survei")
        await phone_shot(citizen, "survei")
        questions = citizen.locator("fieldset.question")
        count = await questions.count()
        assert count >= 9, "the nine elements of the SKM (PermenPANRB 14/2017)"
        for index in range(1, count):  # the first question left out
            await questions.nth(index).locator("label.option").last.click()
        await citizen.get_by_label("Saran untuk pelayanan ini (boleh dikosongkan)").fill("Antrean pagi lebih cepat")
        await citizen.get_by_role("button", name="Kirim jawaban").click()
        first = questions.first
        await expect(first.locator(".error")).to_be_visible()
        await expect(questions.nth(1).locator("input:checked")).to_have_count(1)  # what she chose is kept
        await year.checks(citizen, "warga-survei-ditolak")
        await first.locator("label.option").last.click()
        await citizen.get_by_role("button", name="Kirim jawaban").click()
        await expect(citizen.locator("#diterima")).to_be_visible()
        await year.checks(citizen, "warga-survei-terima-kasih")
    assert datetime.now(UTC) < year.at(SURVEY_CLOSES), "the answer came after the survey closed: slow machine?"


async def test_the_employee_drafts_submits_is_returned_and_revises(year: Year) -> None:
    """Sri, on her phone: her first password from HR's link, her SKP drafted and submitted; Herman returns it with a
    note; she revises it and submits it again."""
    async with year.site.visitor(PHONE) as sri:
        await sri.goto(_path(year.notes["sri_link"]))
        await year.checks(sri, "pegawai-kata-sandi")
        await sri.get_by_role("textbox", name="Kata sandi baru", exact=True).fill(SRI_PASSWORD)
        await sri.get_by_role("textbox", name="Ulangi kata sandi baru", exact=True).fill(SRI_PASSWORD)
        await sri.get_by_role("button", name="Simpan kata sandi").click()
        await expect(sri.locator(".flash")).to_be_visible()
        await sign_in(sri, SRI, SRI_PASSWORD)
        task = sri.locator("#daftar-tugas li").filter(has_text=year.cycle_id)
        await expect(task.get_by_role("link", name=Step.SKP_DRAFTING.label)).to_be_visible()
        await year.checks(sri, "pegawai-beranda")
        await phone_shot(sri, "beranda")

        await task.get_by_role("link", name=Step.SKP_DRAFTING.label).click()
        await expect(sri.get_by_role("heading", level=1)).to_contain_text("Sri Wahyuni")
        await year.checks(sri, "pegawai-penilaian")
        await sri.get_by_role("link", name="SKP", exact=True).click()
        await expect(sri.locator("#skp-form")).to_be_visible()
        await year.checks(sri, "pegawai-skp-draf")
        await phone_shot(sri, "skp")

        # A third indicator for her RHK, added in place (htmx), typed and saved; then the draft is submitted.
        await sri.get_by_role("button", name="Tambah indikator RHK 1").click()
        new = "#f-rhk-0-ind-2-"
        await sri.locator(f"{new}teks").fill("Rata-rata waktu verifikasi satu berkas perekaman KTP-el")
        await sri.locator(f"{new}aspek").select_option("waktu")
        await sri.locator(f"{new}target").fill("2")
        await sri.locator(f"{new}satuan").fill("hari")
        await sri.locator(f"{new}polaritas").select_option(label="Minimal (semakin rendah semakin baik)")
        await sri.locator("#simpan-skp").click()
        await expect(sri.locator("#skp-ajukan")).to_be_visible()
        await year.checks(sri, "pegawai-skp-tersimpan")
        await sri.locator("#skp-ajukan").get_by_role("button", name="Ajukan SKP").click()
        await expect(sri.locator("#skp-tahap")).to_have_text(Step.SKP_APPROVAL.label)
        await year.checks(sri, "pegawai-skp-diajukan")

        async with year.site.signed_in(HERMAN, PASSWORD) as herman:
            await _open_task(herman, year, Step.SKP_APPROVAL, SRI)
            await herman.get_by_role("link", name="SKP", exact=True).click()
            await expect(herman.locator("#skp-kembalikan")).to_be_visible()
            await year.checks(herman, "penilai-skp-periksa")
            await herman.get_by_label("Apa yang harus diperbaiki").fill(RETURN_NOTE)
            await herman.get_by_role("button", name="Kembalikan SKP").click()
            await expect(herman.locator("#skp-tahap")).to_have_text(Step.SKP_DRAFTING.label)

        await sri.reload()
        await expect(sri.locator("#catatan-pengembalian")).to_contain_text(RETURN_NOTE)
        await year.checks(sri, "pegawai-skp-dikembalikan")
        await sri.locator("#f-rhk-0-ind-0-target").fill("6.500")
        await sri.locator("#simpan-skp").click()
        await expect(sri.locator("#skp-ajukan")).to_be_visible()
        await sri.locator("#skp-ajukan").get_by_role("button", name="Ajukan SKP").click()
        await expect(sri.locator("#skp-tahap")).to_have_text(Step.SKP_APPROVAL.label)
    state = await year.appraisal(SRI)
    assert state.skp is not None and state.skp_returns == 1
    indicators = [i for rhk in state.skp.rhk for i in rhk.indicators]
    assert len(indicators) == 3 and indicators[0].target.value == 6500


async def test_the_penilai_approves_and_rates(year: Year) -> None:
    """Herman approves the revised SKP; Sri, on her phone, reports her realisations with a file and a link as
    evidence; Herman rates her against the system's suggestion and sends his review before the deadline."""
    async with year.site.signed_in(HERMAN, PASSWORD) as herman:
        await _open_task(herman, year, Step.SKP_APPROVAL, SRI)
        await herman.get_by_role("link", name="SKP", exact=True).click()
        await herman.get_by_label("Catatan persetujuan").fill("Target sudah sesuai beban layanan tahun ini")
        await herman.get_by_role("button", name="Setujui SKP").click()
        await expect(herman.locator("#skp-tahap")).to_have_text(Step.SELF_ASSESSMENT.label)
        await year.checks(herman, "penilai-skp-disetujui")

        async with year.site.signed_in(SRI, SRI_PASSWORD, PHONE) as sri:
            await _open_task(sri, year, Step.SELF_ASSESSMENT, SRI)
            await sri.get_by_role("link", name="Realisasi (penilaian diri)").click()
            await expect(sri.locator("#form-realisasi")).to_be_visible()
            await year.checks(sri, "pegawai-realisasi")
            for index, typed in enumerate(("6.800", "99", "1,8")):
                await sri.locator(f"#f-realisasi-{index}").press_sequentially(typed)
                await expect(sri.locator(f"#capaian-{index}")).to_contain_text("%")  # htmx, as she types
            await sri.locator("#f-berkas-0").set_input_files(
                {"name": "rekap-verifikasi-2026.pdf", "mimeType": "application/pdf", "buffer": EVIDENCE_PDF}
            )
            await sri.locator("#f-tautan-1").fill("https://arsip.dukcapil.example.go.id/verifikasi/2026")
            await year.checks(sri, "pegawai-realisasi-diisi")
            await sri.get_by_role("button", name="Kirim realisasi").click()
            await expect(sri.locator("#langkah")).to_have_text(Step.SUPERVISOR_REVIEW.label)
            await expect(sri.locator("#tabel-realisasi")).to_contain_text("rekap-verifikasi-2026.pdf")
            await year.checks(sri, "pegawai-realisasi-terkirim")

        await _open_task(herman, year, Step.SUPERVISOR_REVIEW, SRI)
        await herman.get_by_role("link", name="Penilaian pejabat penilai").click()
        await expect(herman.locator("#form-nilai")).to_be_visible()
        await year.checks(herman, "penilai-nilai")
        suggested = herman.locator("#pilihan-hasil_kerja input:checked")
        await expect(suggested).to_have_count(1)  # the system's suggestion, chosen for him
        await herman.locator("#f-perilaku-above").check()
        await herman.get_by_label("Umpan balik untuk pegawai").fill("Pertahankan kecepatan verifikasi berkas")
        await herman.get_by_role("button", name="Kirim penilaian").click()
        await expect(herman.locator("#langkah")).to_have_text(Step.AWAITING_CALIBRATION.label)
        await year.checks(herman, "penilai-nilai-terkirim")
    assert datetime.now(UTC) < year.at(REVIEW_DUE), "Sri's review came after the review deadline: slow machine?"
    state = await year.appraisal(SRI)
    assert state.predicate is not None and len(state.realisations) == 3


async def test_the_supervision_team_takes_over_an_overdue_step(year: Year) -> None:
    """Budi never drafted his SKP: at the deadline his step escalated to the supervision team, where Agustina finds
    it in the overdue list of his unit and submits his SKP on his behalf, with her reason."""
    await year.sleep_until(SKP_DRAFT_DUE)
    async with year.site.signed_in(PENGAWAS, PASSWORD) as agustina:
        await agustina.get_by_role("link", name="Pengawasan").first.click()
        await _reload_until(agustina, agustina.url, agustina.locator(f"#terlambat-{BUDI}"))
        await year.checks(agustina, "pengawasan-terlambat")
        await agustina.locator("#saring").get_by_label("Unit kerja").select_option("CAPIL")
        await agustina.locator("#saring").get_by_role("button", name="Saring").click()
        await expect(agustina).to_have_url(re.compile(r"unit=CAPIL"))  # htmx swapped the list and pushed the URL
        await expect(agustina.locator("#tabel-terlambat")).not_to_contain_text(SRI)
        await year.checks(agustina, "pengawasan-terlambat-capil")

        await agustina.locator(f"#terlambat-{BUDI}").get_by_role("link", name="Tindakan").click()
        await expect(agustina.locator("#langkah")).to_have_text(Step.SKP_DRAFTING.label)
        await year.checks(agustina, "pengawasan-tindakan")
        take_over = agustina.locator("#form-ambil-alih")
        await take_over.get_by_label("Alasan pengambilalihan").fill(TAKE_OVER_REASON)
        await take_over.get_by_role("button", name="Ajukan SKP atas nama pegawai").click()
        await expect(agustina.locator("#langkah")).to_have_text(Step.SKP_APPROVAL.label)
        await year.checks(agustina, "pengawasan-diambil-alih")
    state = await year.appraisal(BUDI)
    taken = [(e.actor, e.role, e.reason) for e in state.timeline if e.on_behalf_of == BUDI]
    assert taken == [(PENGAWAS, Role.PENGAWASAN, TAKE_OVER_REASON)]


async def test_the_pimpinan_calibrates_and_locks(year: Year) -> None:
    """At the review deadline the cycle summarises the predicates; the Sekda sets the organisation's predicate, reads
    the proposal against the distribution pattern, accepts it and locks it, and every reviewed appraisal gets it."""
    await year.phase(CyclePhase.CALIBRATING, timeout=REVIEW_DUE + 30)
    async with year.site.signed_in(SEKDA, PASSWORD) as sekda:
        await sekda.get_by_role("link", name="Kalibrasi").first.click()
        await sekda.get_by_role("link", name=year.cycle_id).first.click()
        await expect(sekda.locator("#form-usulan")).to_be_visible()
        await year.checks(sekda, "pimpinan-kalibrasi")
        proposal = sekda.locator("#form-usulan")
        await proposal.get_by_label("Predikat capaian kinerja organisasi").select_option("baik")
        await proposal.get_by_label("Rekomendasi pengelola kinerja (BKD/BKPSDM)").fill("Sesuai capaian IKU 2026")
        await proposal.get_by_role("button", name="Tetapkan dan hitung usulan").click()
        await expect(sekda.locator("#usulan")).to_be_visible()
        await year.checks(sekda, "pimpinan-kalibrasi-usulan")
        decision = sekda.locator("#form-putusan")
        await decision.get_by_label("Terima usulan").check()
        await decision.get_by_label("Justifikasi keputusan").fill("Sesuai hasil rapat komite kinerja instansi")
        await decision.get_by_role("button", name="Putuskan dan kunci").click()
        await expect(sekda.locator("#keputusan")).to_be_visible()
        await year.checks(sekda, "pimpinan-kalibrasi-dikunci")
    await year.phase(CyclePhase.SIGNING_OFF)
    await until(lambda: year.appraisal(SRI), lambda s: s.step is Step.SIGN_OFF, "Sri's appraisal at sign-off", 30)


async def test_the_penilai_signs_off(year: Year) -> None:
    async with year.site.signed_in(HERMAN, PASSWORD) as herman:
        await _open_task(herman, year, Step.SIGN_OFF, SRI)
        await herman.get_by_role("link", name="Penetapan dan keberatan").click()
        await expect(herman.locator("#form-tetapkan")).to_be_visible()
        await year.checks(herman, "penilai-penetapan")
        await herman.get_by_label("Catatan penetapan").fill("Ditetapkan sesuai hasil kalibrasi instansi")
        await herman.get_by_role("button", name="Tetapkan hasil penilaian").click()
        await expect(herman.locator("#langkah")).to_have_text(Step.OBJECTION_WINDOW.label)
        await year.checks(herman, "penilai-ditetapkan")


async def test_an_objection_is_filed_and_decided(year: Year) -> None:
    """Sri objects within her window, on her phone; the Kepala Dinas, Herman's superior, decides it."""
    async with year.site.signed_in(SRI, SRI_PASSWORD, PHONE) as sri:
        await _open_task(sri, year, Step.OBJECTION_WINDOW, SRI)
        await sri.get_by_role("link", name="Penetapan dan keberatan").click()
        await expect(sri.locator("#masa-keberatan")).to_be_visible()
        await year.checks(sri, "pegawai-masa-keberatan")
        await sri.get_by_label("Alasan keberatan").fill(OBJECTION)
        await sri.get_by_role("button", name="Ajukan keberatan").click()
        await expect(sri.locator("#langkah")).to_have_text(Step.OBJECTION_REVIEW.label)
        await year.checks(sri, "pegawai-keberatan-diajukan")
    async with year.site.signed_in(KEPALA, PASSWORD) as kepala:
        await _open_task(kepala, year, Step.OBJECTION_REVIEW, SRI)
        await kepala.get_by_role("link", name="Penetapan dan keberatan").click()
        await expect(kepala.locator("#keberatan")).to_contain_text(OBJECTION)
        await year.checks(kepala, "atasan-keberatan")
        await kepala.get_by_label("Predikat setelah keberatan").select_option(Predicate.SANGAT_BAIK.value)
        await kepala.get_by_label("Alasan keputusan").fill("Bukti layanan jemput bola sah dan menambah capaian")
        await kepala.get_by_role("button", name="Putuskan keberatan").click()
        await expect(kepala.locator("#langkah")).to_have_text(Step.FINAL.label)
        await expect(kepala.locator("#predikat")).to_contain_text(Predicate.SANGAT_BAIK.label)
        await year.checks(kepala, "atasan-keberatan-diputus")


async def test_the_operator_reads_the_outbox_and_an_appraisals_history(year: Year) -> None:
    """The year's reminders, escalations and step notices wait in the outbox (no SMTP here); the operator finds
    Sri's appraisal by cycle and NIP and reads its whole history."""
    async with year.site.signed_in(OPERATOR, PASSWORD) as operator:
        await operator.get_by_role("link", name="Operator").first.click()
        await expect(operator.locator("#jumlah-menunggu")).not_to_have_text("0")
        await year.checks(operator, "operator-outbox")
        search = operator.locator("#cari-penilaian")
        await search.get_by_label("Id siklus").fill(year.cycle_id)
        await search.get_by_label("NIP pegawai").fill(SRI)
        await search.get_by_role("button", name="Lihat riwayat").click()
        await expect(operator).to_have_url(re.compile(rf"/penilaian/{year.cycle_id}/{SRI}/riwayat$"))
        await expect(operator.locator("main")).to_contain_text(OBJECTION)
        await year.checks(operator, "operator-riwayat")


async def test_hr_downloads_the_closing_report_and_opens_it(year: Year) -> None:
    """Once the cycle closed, HR reads its report and downloads the workbook, which opens with Sri's final
    predicate."""
    await year.phase(CyclePhase.CLOSED, timeout=CLOSES + 30)
    async with year.site.signed_in(ADMIN, PASSWORD) as fransiska:
        await fransiska.get_by_role("link", name="Kepegawaian").first.click()
        await fransiska.get_by_role("link", name="Siklus", exact=True).first.click()
        await fransiska.locator("#daftar-siklus").get_by_role("link", name="laporan").click()
        await expect(fransiska.locator("#unduh-xlsx")).to_be_visible()
        await year.checks(fransiska, "hr-laporan")
        async with fransiska.expect_download() as downloading:
            await fransiska.locator("#unduh-xlsx").click()
        download = await downloading.value
        assert download.suggested_filename == f"laporan-{year.cycle_id}.xlsx"
        book = load_workbook(io.BytesIO((await download.path()).read_bytes()), read_only=True)
    rows = {row[0]: row for row in book["Pegawai"].iter_rows(min_row=2, values_only=True)}
    assert rows[SRI][3] == Predicate.SANGAT_BAIK.label, rows[SRI]
    assert set(book.sheetnames) == {"Pegawai", "Unit", "Ditarik"}


@always
async def test_every_page_state_of_the_year_passed_its_checks(year: Year) -> None:
    """axe (WCAG 2.1 A/AA, nothing serious or critical), no sideways scroll at 360 px, no CSP refusal or script
    error, on every page state the year reached (tests.browser.checks), even if the story stopped early."""
    assert year.checks.checked, "no page was checked"
    if year.checks.faults:
        pytest.fail(year.checks.report(), pytrace=False)


async def _open_task(page: Page, year: Year, step: Step, nip: str) -> None:
    """From Beranda, the step waiting for this person on `nip`'s appraisal, to that appraisal's page."""
    task = page.locator("#daftar-tugas li").filter(has_text=year.cycle_id).filter(has_text=_NAMES[nip])
    link = task.get_by_role("link", name=step.label)
    await _reload_until(page, "/", link)
    await link.click()
    await expect(page).to_have_url(re.compile(rf"/penilaian/{year.cycle_id}/{nip}$"))


async def _reload_until(page: Page, path: str, shown: Locator, timeout: float = RELOAD_SECONDS) -> None:
    """Open `path` again until it shows `shown`, as a person refreshes a list that the worker updates a moment after
    the workflow moved on (a step's deadline passing, a step sent by someone else)."""
    deadline = time.monotonic() + timeout
    await page.goto(path)
    while not await shown.count():
        assert time.monotonic() < deadline, f"{path} never showed {shown}"
        await asyncio.sleep(0.5)
        await page.goto(path)


async def _upload(page: Page, kind: str, file: str) -> None:
    await page.locator(f"#f-{kind}-berkas").set_input_files(EXAMPLES / file)
    await page.locator(f"#form-impor-{kind}").get_by_role("button", name="Unggah dan impor").click()
    await expect(page.locator(f"#hasil-{kind}")).to_contain_text("Berhasil")


def _path(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"
