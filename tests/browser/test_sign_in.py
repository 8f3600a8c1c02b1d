"""Signing in and out in a real browser, as a person would: with the mouse, and with the keyboard alone."""

from __future__ import annotations

import re

from playwright.async_api import expect

from domain.stages import Step
from tests.browser.checks import PHONE, check_page
from tests.browser.site import Site, sign_in, sign_out
from tests.web.appraisals import Need
from tests.web.harness import WebOffice
from tests.web.office import APPRAISED_1, PASSWORD, PEGAWAI_1, PENILAI_1


async def test_a_stranger_is_sent_to_the_sign_in_form(site: Site) -> None:
    async with site.visitor(PHONE) as page:
        await page.goto("/")
        await expect(page).to_have_url(re.compile(r"/masuk(\?lanjut=/)?$"))
        await expect(page.get_by_role("heading", name="Masuk", level=1)).to_be_visible()
        await check_page(page, "masuk")


async def test_a_wrong_password_is_refused_beside_the_form_with_the_nip_kept(site: Site) -> None:
    async with site.visitor() as page:
        await page.goto("/masuk")
        await page.get_by_label("NIP").fill(PEGAWAI_1)
        await page.get_by_label("Kata sandi").fill("bukan-kata-sandinya")
        await page.get_by_role("button", name="Masuk", exact=True).click()
        await expect(page.get_by_role("alert")).to_be_visible()
        await expect(page.get_by_label("NIP")).to_have_value(PEGAWAI_1)
        await expect(page.get_by_label("Kata sandi")).to_have_value("")
        await check_page(page, "masuk-ditolak")


async def test_the_penilai_signs_in_and_finds_the_step_waiting_on_beranda(site: Site, web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_APPROVAL))
    async with site.signed_in(PENILAI_1, PASSWORD) as page:
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")
        task = page.locator("#daftar-tugas li").filter(has_text=target.cycle_id)
        await expect(task.get_by_role("link", name=Step.SKP_APPROVAL.label)).to_be_visible()
        await check_page(page, "beranda-penilai")
        await task.get_by_role("link", name=Step.SKP_APPROVAL.label).click()
        await expect(page).to_have_url(re.compile(rf"/penilaian/{target.cycle_id}/{PEGAWAI_1}$"))
        await check_page(page, "penilaian-penilai")


async def test_the_employee_signs_in_with_the_keyboard_alone(site: Site) -> None:
    async with site.visitor(PHONE) as page:
        await page.goto("/masuk")
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("link", name="Langsung ke isi")).to_be_focused()  # the skip link comes first
        nip = page.get_by_label("NIP")
        for _ in range(5):
            await page.keyboard.press("Tab")
            if await nip.evaluate("field => field === document.activeElement"):
                break
        await expect(nip).to_be_focused()
        outline = await nip.evaluate("field => getComputedStyle(field).outlineStyle")
        assert outline != "none", "the focused field shows no focus ring"
        await page.keyboard.type(PEGAWAI_1)
        await page.keyboard.press("Tab")
        await expect(page.get_by_label("Kata sandi")).to_be_focused()
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(re.compile(r"/$"))
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Selamat datang")
        await check_page(page, "beranda-pegawai")


async def test_signing_out_ends_the_session(site: Site) -> None:
    async with site.visitor() as page:
        await sign_in(page, PEGAWAI_1, PASSWORD)
        await sign_out(page)
        await expect(page.locator(".flash")).to_be_visible()
        await check_page(page, "keluar")
        await page.goto("/")
        await expect(page).to_have_url(re.compile(r"/masuk(\?lanjut=.*)?$"))
