"""The parts of the year issue 20 added, clicked in a real browser and checked as every journey page is (axe, 360 and
1280 px, CSP: tests.browser.checks): the periodic evaluation on the appraisal's page (the employee records a
quarter's realisation on a phone, the penilai holds the dialog kinerja), the development plan (the penilai sends it,
the employee agrees on a phone; the supervision team gives it another penilai on a phone), HR's tindak-lanjut page,
the cycle page's form that counts the deadlines again after the working days changed, and a change of SKP during
the year (proposed on a phone, approved).

The periodic evaluation's and the plan's workflows are started as the appraisal starts them
(tests.web.appraisals.AppraisalPool.open_periods, open_plan); the appraisals stay where the pool brought them."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.async_api import expect

from domain.stages import Step
from tests.browser.checks import PHONE, check_page
from tests.browser.site import Site
from tests.web.appraisals import Need, Target
from tests.web.harness import WebOffice
from tests.web.office import (
    ADMIN,
    APPRAISED_1,
    PASSWORD,
    PEGAWAI_1,
    PEGAWAI_3,
    PENGAWAS,
    PENGELOLA,
    PENILAI_1,
    PENILAI_BARU,
    PERIOD,
)


def _page(target: Target) -> str:
    return f"/penilaian/{target.cycle_id}/{target.nip}"


async def test_a_quarter_is_realised_on_a_phone_and_its_dialog_held(site: Site, web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    await web_office.appraisals.open_periods(target)
    async with site.signed_in(PEGAWAI_1, PASSWORD, PHONE) as pegawai:
        await expect(pegawai.locator("#daftar-periodik")).to_contain_text("Triwulan I")
        await check_page(pegawai, "periodik-beranda-pegawai")
        await pegawai.goto(_page(target) + "#evaluasi-periodik")
        form = pegawai.locator("#form-periodik-realisasi")
        await expect(form).to_be_visible()
        await check_page(pegawai, "periodik-pegawai")
        await form.locator("#f-realisasi-0").fill("banyak")  # not a number: refused beside its row
        await form.get_by_role("button", name="Catat realisasi Triwulan I").click()
        await expect(pegawai.locator("#realisasi-0-galat")).to_be_visible()
        await check_page(pegawai, "periodik-pegawai-ditolak")
        await pegawai.locator("#form-periodik-realisasi #f-realisasi-0").fill("1.210")
        await pegawai.get_by_role("button", name="Catat realisasi Triwulan I").click()
        await expect(pegawai.locator("#form-periodik-realisasi")).to_have_count(0)
        await check_page(pegawai, "periodik-pegawai-tercatat")
    async with site.signed_in(PENILAI_1, PASSWORD) as penilai:
        await penilai.goto(_page(target) + "#evaluasi-periodik")
        dialog = penilai.locator("#form-periodik-dialog")
        await expect(dialog).to_be_visible()
        await check_page(penilai, "periodik-penilai")
        await dialog.get_by_label("Hasil dialog kinerja Triwulan I").fill("Capaian triwulan I sesuai rencana")
        await dialog.get_by_role("button", name="Catat dialog kinerja").click()
        await expect(penilai.locator("#form-periodik-dialog")).to_have_count(0)
        await expect(penilai.locator("#evaluasi-periodik")).to_contain_text("Capaian triwulan I sesuai rencana")
        await check_page(penilai, "periodik-selesai")


async def test_a_plan_is_sent_and_agreed_and_hr_reads_the_follow_up(site: Site, web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SKP_DRAFTING))
    await web_office.appraisals.open_plan(target)
    async with site.signed_in(PENILAI_1, PASSWORD) as penilai:
        await penilai.goto(_page(target) + "#rencana-pengembangan")
        form = penilai.locator("#form-rencana")
        await expect(form).to_be_visible()
        await check_page(penilai, "rencana-penilai")
        await form.get_by_label("Bimbingan kinerja (apa, bagaimana, seberapa sering)").fill("Bimbingan dua mingguan")
        await form.get_by_label("Kompetensi yang dikembangkan").fill("Manajemen waktu layanan")
        await form.get_by_label("Pelatihan yang diminta (kosongkan bila cukup bimbingan)").fill("Pelayanan prima")
        await form.get_by_label("Tanggal target").fill((date.today() + timedelta(days=90)).isoformat())
        await form.get_by_role("button", name="Kirim rencana kepada pegawai").click()
        await expect(penilai.locator("#rencana-pengembangan")).to_contain_text("Pelayanan prima")
        await check_page(penilai, "rencana-terkirim")
    async with site.signed_in(PEGAWAI_1, PASSWORD, PHONE) as pegawai:
        await pegawai.goto(_page(target) + "#rencana-pengembangan")
        await expect(pegawai.locator("#setujui-rencana")).to_be_visible()
        await check_page(pegawai, "rencana-pegawai")
        await pegawai.locator("#setujui-rencana").click()
        await expect(pegawai.locator("#setujui-rencana")).to_have_count(0)
        await check_page(pegawai, "rencana-disetujui")
    async with site.signed_in(PENGELOLA, PASSWORD) as hr:
        await hr.goto(f"/kepegawaian/siklus/{target.cycle_id}/tindak-lanjut")
        await expect(hr.get_by_role("heading", level=1)).to_be_visible()
        await expect(hr.locator("main")).to_contain_text("Pelayanan prima")
        await check_page(hr, "tindak-lanjut")


async def test_the_admin_counts_the_deadlines_again_from_the_cycle_page(site: Site, web_office: WebOffice) -> None:
    cycle = await web_office.appraisals.shared(Need(APPRAISED_1, Step.AWAITING_CALIBRATION, calibrating=True))
    async with site.signed_in(ADMIN, PASSWORD, PHONE) as admin:
        await admin.goto(f"/kepegawaian/siklus/{cycle.cycle_id}")
        form = admin.locator("#form-hitung-ulang")
        await expect(form).to_be_visible()
        await check_page(admin, "siklus-hitung-ulang")
        await form.get_by_label("Alasan").fill("SKB cuti bersama tambahan")
        await form.get_by_role("button", name="Hitung ulang batas waktu").click()
        await expect(admin.locator(".flash")).to_contain_text("dihitung ulang")
        await check_page(admin, "siklus-dihitung-ulang")


async def test_an_skp_is_changed_mid_year_on_a_phone_and_the_change_approved(site: Site, web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    async with site.signed_in(PEGAWAI_1, PASSWORD, PHONE) as pegawai:
        await pegawai.goto(_page(target) + "/skp")
        await pegawai.locator("#ubah-skp summary").click()
        form = pegawai.locator("#skp-form")
        await expect(form).to_be_visible()
        await check_page(pegawai, "skp-ubah")
        await form.locator("#f-rhk-0-teks").fill("Data kependudukan dan akta terverifikasi tepat waktu")
        await form.get_by_label("Alasan perubahan SKP").fill("SOTK baru: Perwali 12/2026")
        await form.get_by_label("Berlaku sejak").fill(f"{PERIOD + 1}-07-01")  # out of the year: refused beside it
        await form.get_by_role("button", name="Ajukan perubahan SKP").click()
        await expect(pegawai.locator("#berlaku_sejak-galat")).to_be_visible()
        await check_page(pegawai, "skp-ubah-ditolak")
        await pegawai.locator("#skp-form").get_by_label("Berlaku sejak").fill(f"{PERIOD}-07-01")
        await pegawai.locator("#skp-form").get_by_role("button", name="Ajukan perubahan SKP").click()
        await expect(pegawai.locator("#perubahan-diajukan")).to_be_visible()
        await check_page(pegawai, "skp-ubah-diajukan")
    async with site.signed_in(PENILAI_1, PASSWORD) as penilai:
        await penilai.goto(_page(target) + "/skp")
        await expect(penilai.locator("#perubahan-diajukan")).to_contain_text("SOTK baru")
        await check_page(penilai, "skp-ubah-penilai")
        await penilai.locator("#skp-setujui").get_by_role("button", name="Setujui SKP").click()
        await expect(penilai.locator("#versi-skp")).to_contain_text(f"30-06-{PERIOD}")
        await check_page(penilai, "skp-versi")


async def test_the_supervision_team_gives_a_plan_another_penilai_on_a_phone(site: Site, web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SKP_DRAFTING))
    workflow_id = await web_office.appraisals.open_plan(target)
    async with site.signed_in(PENGAWAS, PASSWORD, PHONE) as team:
        await team.goto(_page(target) + "#rencana-pengembangan")
        form = team.locator("#form-rencana-alihkan")
        await expect(form).to_be_visible()
        await check_page(team, "rencana-alihkan")
        await form.get_by_label("NIP pejabat penilai baru").fill(PEGAWAI_3)  # of another instansi: refused beside it
        await form.get_by_label("Alasan pengalihan").fill("Kasi mutasi ke kecamatan")
        await form.get_by_role("button", name="Alihkan rencana").click()
        await expect(team.locator("#penilai_nip-galat")).to_be_visible()
        await check_page(team, "rencana-alihkan-ditolak")
        await team.locator("#form-rencana-alihkan").get_by_label("NIP pejabat penilai baru").fill(PENILAI_BARU)
        await team.locator("#form-rencana-alihkan").get_by_role("button", name="Alihkan rencana").click()
        await expect(team.locator(".flash")).to_contain_text("Langkah rencana pengembangan tercatat")
        await check_page(team, "rencana-dialihkan")
    with web_office.uow_factory() as uow:  # the new penilai's Beranda lists it (they have no account here)
        assert workflow_id in {p.workflow_id for p in uow.plans.of_assignee(PENILAI_BARU, limit=100)}
