"""The development plan on the pages (tindak lanjut, issue 20), on the dev server with a real worker: a plan waits on
the penilai's Beranda; the penilai's plan with a date already past is refused beside its field with what was typed
kept, then sent (twice from the same form: taken once); the employee sees it on their Beranda, asks for a change (a
reason required), the penilai corrects it and the employee agrees; HR reads the cycle's plans and the training asked
for per unit. A pegawai may not open HR's page; HR of another instansi's cycle, or a pegawai of another instansi, is
told nothing exists.

The plan's workflow is started as the appraisal starts it at its end (tests.web.appraisals.AppraisalPool.open_plan):
the appraisal of the test stays at its first step, which the plan does not look at.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.development import PlanRecord, PlanStep
from domain.stages import Step
from tests.pages.browsing import signed_in
from tests.pages.form_fields import form_fields
from tests.web.appraisals import Need
from tests.web.harness import WebOffice
from tests.web.office import APPRAISED_1, PEGAWAI_1, PEGAWAI_3, PENGAWAS, PENGELOLA, PENILAI_1, PENILAI_BARU

TRAINING = "Pelatihan pelayanan prima"


def _stored(office: WebOffice, workflow_id: str) -> PlanRecord | None:
    with office.uow_factory() as uow:
        found: PlanRecord | None = uow.plans.get(workflow_id)
    return found


async def test_a_plan_is_sent_changed_and_agreed_on_the_pages_and_hr_reads_the_training(web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SKP_DRAFTING))
    page = f"/penilaian/{target.cycle_id}/{target.nip}"
    target_date = date.today() + timedelta(days=120)
    workflow_id = await web_office.appraisals.open_plan(target)
    async with signed_in(web_office, PENILAI_1) as penilai:
        home = await penilai.get("/")
        assert 'id="daftar-rencana"' in home.text and "Pejabat penilai menyusun rencana pengembangan" in home.text
        shown = await penilai.get(page)
        fields = form_fields(shown.text, "form-rencana")
        typed = {
            **fields,
            "bimbingan": "Bimbingan dua mingguan atas ketepatan waktu layanan",
            "kompetensi": "Manajemen waktu",
            "pelatihan": TRAINING,
            "tanggal_target": "2020-01-01",
        }
        refused = await penilai.post(f"{page}/rencana", typed)
        assert refused.status_code == 422 and 'id="tanggal_target-galat"' in refused.text
        assert form_fields(refused.text, "form-rencana")["bimbingan"] == typed["bimbingan"]  # kept
        sent = await penilai.post(f"{page}/rencana", {**typed, "tanggal_target": target_date.isoformat()})
        assert sent.status_code == 303 and sent.headers["location"].endswith("?pesan=rencana#rencana-pengembangan")
        # The same form sent again (a double click, a reload): the same Update, taken once.
        again = await penilai.post(f"{page}/rencana", {**typed, "tanggal_target": target_date.isoformat()})
        assert again.status_code == 303
    with web_office.uow_factory() as uow:
        assert [e.action for e in uow.audit.list(workflow_id=workflow_id)].count("send_plan") == 1
    stored = _stored(web_office, workflow_id)
    assert stored is not None and (stored.step, stored.assignee_nip) == (PlanStep.AGREEMENT, PEGAWAI_1)

    async with signed_in(web_office, PEGAWAI_1) as pegawai:
        assert "Pegawai menyetujui rencana pengembangan" in (await pegawai.get("/")).text
        shown = await pegawai.get(page)
        assert TRAINING in shown.text and 'id="form-rencana"' not in shown.text
        fields = form_fields(shown.text, "form-rencana-ubah")
        refused = await pegawai.post(f"{page}/rencana/ubah", {**fields, "alasan": " "})
        assert refused.status_code == 422 and 'id="alasan-galat"' in refused.text
        asked = await pegawai.post(f"{page}/rencana/ubah", {**fields, "alasan": "Mohon setelah masa KTP massal"})
        assert asked.status_code == 303
    async with signed_in(web_office, PENILAI_1) as penilai:
        shown = await penilai.get(page)
        assert "Mohon setelah masa KTP massal" in shown.text
        fields = form_fields(shown.text, "form-rencana")  # the plan sent, to correct
        assert fields["pelatihan"] == TRAINING
        later = (target_date + timedelta(days=30)).isoformat()
        assert (await penilai.post(f"{page}/rencana", {**fields, "tanggal_target": later})).status_code == 303
    async with signed_in(web_office, PEGAWAI_1) as pegawai:
        fields = form_fields((await pegawai.get(page)).text, "form-rencana-setuju")
        assert (await pegawai.post(f"{page}/rencana/setuju", fields)).status_code == 303
    stored = _stored(web_office, workflow_id)
    assert stored is not None and stored.step is PlanStep.AGREED and stored.plan is not None

    follow_up = f"/kepegawaian/siklus/{target.cycle_id}/tindak-lanjut"
    async with signed_in(web_office, PENGELOLA) as hr:
        listed = await hr.get(follow_up)
        assert listed.status_code == 200, listed.text
        assert TRAINING in listed.text and APPRAISED_1.name in listed.text and "Kurang" in listed.text
        other = web_office.appraisals.cycle_of_instansi_b()
        missing = await hr.get(f"/kepegawaian/siklus/{other}/tindak-lanjut")
        assert missing.status_code == 404 and "tidak ditemukan" in missing.text
    async with signed_in(web_office, PEGAWAI_1) as pegawai:
        assert (await pegawai.get(follow_up)).status_code == 403
    async with signed_in(web_office, PEGAWAI_3) as stranger:  # of instansi B
        assert (await stranger.post(f"{page}/rencana/setuju", {})).status_code == 404


async def test_the_supervision_team_gives_a_plan_another_penilai_on_the_page(web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SKP_DRAFTING))
    page = f"/penilaian/{target.cycle_id}/{target.nip}"
    workflow_id = await web_office.appraisals.open_plan(target)
    async with signed_in(web_office, PENILAI_1) as penilai:
        assert 'id="form-rencana-alihkan"' not in (await penilai.get(page)).text  # the team's, not the penilai's
    async with signed_in(web_office, PENGAWAS) as team:
        fields = form_fields((await team.get(page)).text, "form-rencana-alihkan")
        assert fields, "the supervision team is offered no form to reassign the plan"
        typed = {**fields, "penilai_nip": "1975-03", "alasan": "Kasi mutasi ke kecamatan"}
        malformed = await team.post(f"{page}/rencana/alihkan", typed)
        assert malformed.status_code == 422 and 'id="penilai_nip-galat"' in malformed.text
        typed["penilai_nip"] = PEGAWAI_3  # of another instansi: not on this roster
        refused = await team.post(f"{page}/rencana/alihkan", typed)
        assert refused.status_code == 422 and 'id="penilai_nip-galat"' in refused.text, refused.text
        assert form_fields(refused.text, "form-rencana-alihkan")["alasan"] == typed["alasan"]  # kept
        moved = await team.post(f"{page}/rencana/alihkan", {**typed, "penilai_nip": PENILAI_BARU})
        assert moved.status_code == 303 and moved.headers["location"].endswith("#rencana-pengembangan")
    stored = _stored(web_office, workflow_id)
    assert stored is not None and (stored.penilai_nip, stored.assignee_nip) == (PENILAI_BARU, PENILAI_BARU)
    with web_office.uow_factory() as uow:  # what the new penilai's Beranda lists (they have no account here)
        assert workflow_id in [p.workflow_id for p in uow.plans.of_assignee(PENILAI_BARU, limit=100)]
        assert workflow_id not in [p.workflow_id for p in uow.plans.of_assignee(PENILAI_1, limit=100)]
