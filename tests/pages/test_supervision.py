"""The supervision team's pages as they are used in a browser (over ASGI, with each form's CSRF token): an overdue
appraisal found by unit and stage, its deadline extended in bulk after a trial that changes nothing, on SQLite and on
PostgreSQL; one appraisal's forms, a refusal shown beside its field with what was typed kept, a take-over and a
withdrawal; someone of another instansi told nothing exists, and those without the role refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.audit import SYSTEM_ACTOR
from domain.stages import Step
from identity.records import Account
from tests.dbs import PostgresDatabases
from tests.pages.browsing import signed_in
from tests.pages.form_fields import form_fields
from tests.web.appraisals import Need, Target
from tests.web.harness import WebOffice, open_office
from tests.web.office import (
    APPRAISED_1,
    ATASAN_1,
    ATASAN_2,
    INSTANSI_A,
    OPERATOR,
    PASSWORD,
    PEGAWAI_1,
    PENGAWAS,
    PENGAWAS_B,
    PENGELOLA,
    PENILAI_1,
    PENILAI_2,
)
from tests.web.office import test_hasher as cheap_hasher
from workflows.contracts import appraisal_workflow_id

REASON = "Pegawai bertugas di distrik terpencil tanpa jaringan"
UNKNOWN_NIP = "198001012005011999"


@pytest.fixture(scope="module")
async def postgres_office(
    postgres_databases: PostgresDatabases, dev_env: WorkflowEnvironment
) -> AsyncIterator[WebOffice]:
    async with open_office(postgres_databases, dev_env.client) as office:
        yield office


def _base(target: Target) -> str:
    return f"/penilaian/{target.cycle_id}/{target.nip}"


def _zone(office: WebOffice, cycle_id: str) -> timezone:
    with office.uow_factory() as uow:
        cycle = uow.cycles.get(cycle_id)
    assert cycle is not None
    return timezone(timedelta(hours=cycle.deadlines.utc_offset_hours or 7))


def _entry(office: WebOffice, target: Target) -> tuple[datetime | None, bool, str]:
    with office.uow_factory() as uow:
        item = uow.worklist.get(appraisal_workflow_id(target.cycle_id, target.nip))
    assert item is not None
    return item.deadline, item.overdue, item.penilai_nip


async def test_an_overdue_step_is_found_by_unit_and_stage_and_extended_in_bulk(web_office: WebOffice) -> None:
    await _journey(web_office)


@pytest.mark.postgres
async def test_the_same_on_postgresql(postgres_office: WebOffice) -> None:
    await _journey(postgres_office)


async def _journey(office: WebOffice) -> None:
    target = await office.appraisals.fresh(Need(APPRAISED_1, Step.SKP_DRAFTING, overdue=True))
    cycle = target.cycle_id
    row = f'id="terlambat-{PEGAWAI_1}"'
    async with signed_in(office, PENGAWAS) as pengawas:
        listed = await pengawas.get(f"/pengawasan?siklus={cycle}")
        assert listed.status_code == 200, listed.text
        assert row in listed.text and "Bidang Pelayanan" in listed.text and "Penyusunan SKP" in listed.text
        found = await pengawas.get(f"/pengawasan?siklus={cycle}&unit=A-BID&tahap=target_setting&terlambat=1")
        assert row in found.text and 'id="jumlah-terlambat">1 langkah' in found.text
        assert form_fields(found.text, "saring") == {
            "siklus": cycle,
            "unit": "A-BID",
            "tahap": "target_setting",
            "terlambat": "1",
        }
        for other in ("unit=A-DIN", "tahap=self_assessment", "terlambat=40"):
            assert row not in (await pengawas.get(f"/pengawasan?siklus={cycle}&{other}")).text
        swapped = await pengawas.http.get(
            "/pengawasan", params={"siklus": cycle, "unit": "A-BID"}, headers={"HX-Request": "true"}
        )
        assert swapped.text.lstrip().startswith('<section id="daftar-terlambat"') and row in swapped.text
        refused = await pengawas.get(f"/pengawasan?siklus={cycle}&terlambat=-3")
        assert refused.status_code == 422 and 'id="terlambat-galat"' in refused.text
        assert form_fields(refused.text, "saring")["terlambat"] == "-3"
        unknown = await pengawas.get(f"/pengawasan?siklus={cycle}&unit=TIDAK-ADA")
        assert unknown.status_code == 422 and 'id="unit-galat"' in unknown.text and "TIDAK-ADA" in unknown.text
        tally = await pengawas.get(f"/pengawasan?siklus={cycle}&rekap=2")
        assert tally.status_code == 200 and 'id="rekap-terlambat"' not in tally.text  # one unit: page 2 is empty
        assert f"siklus={cycle}&amp;rekap=1" in tally.text and "Unit sebelumnya" in tally.text  # the way back
        beyond = await pengawas.get(f"/pengawasan?siklus={cycle}&rekap=9")
        assert f"siklus={cycle}&amp;rekap=1" in beyond.text  # to the last page there is, not the eighth

        forms = await pengawas.get(f"/pengawasan/{cycle}/massal?unit=A-BID&tahap=target_setting")
        fields = form_fields(forms.text, "form-perpanjang")
        assert (fields["perpanjang-unit"], fields["perpanjang-tahap"]) == ("A-BID", "target_setting")
        before = _entry(office, target)
        day = date.today() + timedelta(days=12)
        fields.update({"perpanjang-tanggal": day.isoformat(), "perpanjang-jam": "16:30", "perpanjang-alasan": REASON})
        trial = await pengawas.post(f"/pengawasan/{cycle}/massal/perpanjang", fields)
        assert trial.status_code == 200, trial.text
        assert f'id="pratinjau-perpanjang-{PEGAWAI_1}"' in trial.text and "Perpanjang 1 batas waktu" in trial.text
        assert _entry(office, target) == before  # a trial changes nothing
        confirmed = form_fields(trial.text, "konfirmasi-perpanjang")
        done = await pengawas.post(f"/pengawasan/{cycle}/massal/perpanjang", confirmed)
        assert done.status_code == 200, done.text
        outcome = done.text[done.text.index(f'id="hasil-perpanjang-{PEGAWAI_1}"') :]
        assert "berhasil" in outcome[: outcome.index("</tr>")]
    deadline, overdue, _penilai = _entry(office, target)
    assert deadline == datetime.combine(day, time(16, 30), tzinfo=_zone(office, cycle)) and not overdue
    assert (await office.appraisals.state(target)).step is Step.SKP_DRAFTING


async def test_a_mutasi_in_the_roster_is_followed_by_the_running_appraisal(web_office: WebOffice) -> None:
    """A roster import gives PEGAWAI_1 another superior (Kasi Dua, under Kabid Dua): the running appraisal keeps its
    reviewers until the supervision team follows the roster, after a trial that lists the change and moves nothing."""
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SKP_DRAFTING))
    cycle = target.cycle_id
    with web_office.uow_factory() as uow:
        enrolled = uow.employees.get(PEGAWAI_1)
        assert enrolled is not None and enrolled.superior_nip == PENILAI_1
        uow.employees.save(enrolled.model_copy(update={"superior_nip": PENILAI_2}), INSTANSI_A)  # as a re-import does
        uow.commit()
    try:
        async with signed_in(web_office, PENGAWAS) as pengawas:
            forms = await pengawas.get(f"/pengawasan/{cycle}/massal")
            fields = form_fields(forms.text, "form-roster")
            assert fields["roster-alasan"].startswith("Mutasi sesuai roster terbaru")
            trial = await pengawas.post(f"/pengawasan/{cycle}/massal/ikuti-roster", fields)
            assert trial.status_code == 200, trial.text
            listed = trial.text[trial.text.index(f'id="pratinjau-roster-{PEGAWAI_1}"') :]
            listed = listed[: listed.index("</tr>")]
            assert "Kasi Satu" in listed and "Kasi Dua" in listed and "Kabid Dua" in listed
            assert _entry(web_office, target)[2] == PENILAI_1  # a trial changes nothing
            done = await pengawas.post(
                f"/pengawasan/{cycle}/massal/ikuti-roster", form_fields(trial.text, "konfirmasi-roster")
            )
            assert done.status_code == 200, done.text
            assert 'id="hasil-roster-ringkas">1 dari 1 penilaian' in done.text
            state = await web_office.appraisals.state(target)
            assert (state.penilai_nip, state.atasan_nip, state.step) == (PENILAI_2, ATASAN_2, Step.SKP_DRAFTING)
            assert _entry(web_office, target)[2] == PENILAI_2
            again = await pengawas.post(f"/pengawasan/{cycle}/massal/ikuti-roster", fields)
            assert 'id="pratinjau-roster-kosong"' in again.text  # as the roster names them now
    finally:
        with web_office.uow_factory() as uow:
            uow.employees.save(enrolled, INSTANSI_A)
            uow.commit()
    workflow_id = appraisal_workflow_id(cycle, PEGAWAI_1)
    with web_office.uow_factory() as uow:
        recorded = uow.audit.latest("reassign", [workflow_id])[workflow_id]
    assert recorded.actor == PENGAWAS and recorded.reason == fields["roster-alasan"]
    assert recorded.after is not None and recorded.after["before"] == {"penilai_nip": PENILAI_1, "atasan_nip": ATASAN_1}


async def test_a_bulk_action_without_a_reason_is_refused_before_its_trial(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING, overdue=True))
    async with signed_in(web_office, PENGAWAS) as pengawas:
        forms = await pengawas.get(f"/pengawasan/{target.cycle_id}/massal")
        fields = form_fields(forms.text, "form-alihkan")
        fields.update({"alihkan-dari": PENILAI_1, "alihkan-penilai": UNKNOWN_NIP, "alihkan-alasan": "ok"})
        refused = await pengawas.post(f"/pengawasan/{target.cycle_id}/massal/alihkan", fields)
        assert refused.status_code == 422 and 'id="alihkan-alasan-galat"' in refused.text
        assert form_fields(refused.text, "form-alihkan")["alihkan-penilai"] == UNKNOWN_NIP
        # With htmx, the same route answers with the form's section, for the page to swap in place.
        swapped = await pengawas.post(
            f"/pengawasan/{target.cycle_id}/massal/alihkan", fields, headers={"HX-Request": "true"}
        )
        assert swapped.status_code == 422 and "<html" not in swapped.text
        assert swapped.text.lstrip().startswith('<section class="card" id="massal-alihkan"')


async def test_a_reassignment_to_someone_not_on_the_roster_is_refused_beside_the_field(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING, overdue=True))
    before = _entry(web_office, target)
    async with signed_in(web_office, PENGAWAS) as pengawas:
        page = await pengawas.get(f"{_base(target)}/tindakan")
        assert page.status_code == 200 and 'id="form-tarik"' not in page.text  # withdrawing is the pengelola's
        assert "ESKALASI" in page.text  # the timeline
        fields = form_fields(page.text, "form-alihkan")
        fields.update({"alihkan-penilai": UNKNOWN_NIP, "alihkan-alasan": REASON})
        refused = await pengawas.post(f"{_base(target)}/tindakan/alihkan", fields)
        assert refused.status_code == 422
        assert 'id="alihkan-penilai-galat"' in refused.text and "tidak terdaftar sebagai pegawai" in refused.text
        kept = form_fields(refused.text, "form-alihkan")
        assert (kept["alihkan-penilai"], kept["alihkan-alasan"]) == (UNKNOWN_NIP, REASON)
        # The workflow's own refusal, beside its field too: a new deadline must be later than the current one.
        fields = form_fields(page.text, "form-perpanjang")
        fields.update({"perpanjang-tanggal": "2001-01-01", "perpanjang-alasan": REASON})
        late = await pengawas.post(f"{_base(target)}/tindakan/perpanjang", fields)
        assert late.status_code == 422 and 'id="perpanjang-tanggal-galat"' in late.text
        assert form_fields(late.text, "form-perpanjang")["perpanjang-tanggal"] == "2001-01-01"
    assert _entry(web_office, target) == before


async def test_a_step_taken_over_then_the_employee_withdrawn(web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SKP_DRAFTING))
    async with signed_in(web_office, PENGAWAS) as pengawas:
        page = await pengawas.get(f"{_base(target)}/tindakan")
        fields = form_fields(page.text, "form-ambil-alih")
        assert fields["ambil-langkah"] == "skp-submit"
        refused = await pengawas.post(f"{_base(target)}/tindakan/ambil-alih", fields)
        assert refused.status_code == 422 and 'id="ambil-alasan-galat"' in refused.text
        taken = await pengawas.post(
            f"{_base(target)}/tindakan/ambil-alih", {**fields, "ambil-alasan": "Pegawai sakit, SKP sudah disepakati"}
        )
        assert taken.status_code == 303 and taken.headers["location"].endswith("/tindakan?pesan=terkirim")
        again = await pengawas.get(taken.headers["location"])
        assert "atas nama Maria Yikwa" in again.text and "Langkah sudah tercatat." in again.text
    assert (await web_office.appraisals.state(target)).step is Step.SKP_APPROVAL

    async with signed_in(web_office, PENGELOLA) as pengelola:
        page = await pengelola.get(f"{_base(target)}/tindakan")
        fields = form_fields(page.text, "form-tarik")
        fields.update({"tarik-sebab": "mutasi", "tarik-tmt": "1999-07-01", "tarik-alasan": "SK Gubernur 821/77"})
        refused = await pengelola.post(f"{_base(target)}/tindakan/tarik", fields)
        assert refused.status_code == 422 and 'id="tarik-tmt-galat"' in refused.text
        fields = form_fields(refused.text, "form-tarik")
        assert fields["tarik-sebab"] == "mutasi"
        fields["tarik-tmt"] = ""
        withdrawn = await pengelola.post(f"{_base(target)}/tindakan/tarik", fields)
        assert withdrawn.status_code == 303, withdrawn.text
        closed = await pengelola.get(f"{_base(target)}/tindakan")
        assert 'id="tanpa-tindakan"' in closed.text and 'id="form-alihkan"' not in closed.text
    assert (await web_office.appraisals.state(target)).step is Step.WITHDRAWN


def _account(office: WebOffice, nip: str) -> None:
    """An account for someone the seeded office has none for (the supervision team of instansi B)."""
    now = datetime.now(UTC)
    with office.uow_factory() as uow:
        if uow.identity.account(nip) is None:
            uow.identity.add_account(Account(nip=nip, created_at=now, created_by=SYSTEM_ACTOR))
            uow.identity.set_password(nip, cheap_hasher().hash(PASSWORD), now)
            uow.commit()


async def test_the_supervision_team_of_another_instansi_is_told_nothing_exists(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING, overdue=True))
    _account(web_office, PENGAWAS_B)
    before = _entry(web_office, target)
    async with signed_in(web_office, PENGAWAS_B) as stranger:
        mine = await stranger.get("/pengawasan")
        assert mine.status_code == 200 and target.cycle_id not in mine.text
        for path in (f"/pengawasan?siklus={target.cycle_id}", f"/pengawasan/{target.cycle_id}/massal"):
            assert (await stranger.get(path)).status_code == 404
        page = await stranger.get(f"{_base(target)}/tindakan")
        assert page.status_code == 404 and "tidak ditemukan" in page.text
        day = (date.today() + timedelta(days=9)).isoformat()
        sent = {"perpanjang-tanggal": day, "perpanjang-jam": "10:00", "perpanjang-alasan": REASON, "aksi": "jalankan"}
        assert (await stranger.post(f"{_base(target)}/tindakan/perpanjang", sent)).status_code == 404
        assert (await stranger.post(f"/pengawasan/{target.cycle_id}/massal/perpanjang", sent)).status_code == 404
    assert _entry(web_office, target) == before


@pytest.mark.parametrize("nip", [PEGAWAI_1, OPERATOR], ids=["pegawai", "operator"])
async def test_those_without_the_role_are_refused(web_office: WebOffice, nip: str) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING, overdue=True))
    async with signed_in(web_office, nip) as browser:
        assert not re.search(r'href="/pengawasan"', (await browser.get("/")).text)  # not in the menu either
        for path in ("/pengawasan", f"/pengawasan/{target.cycle_id}/massal", f"{_base(target)}/tindakan"):
            assert (await browser.get(path)).status_code == 403, path
        sent = {"alihkan-penilai": UNKNOWN_NIP, "alihkan-alasan": REASON}
        assert (await browser.post(f"{_base(target)}/tindakan/alihkan", sent)).status_code == 403
