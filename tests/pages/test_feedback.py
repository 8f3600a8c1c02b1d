"""Continuous feedback on the appraisal's page (services.feedback), as a browser uses it: the penilai writes a note,
the employee answers it, both dated in the record and read back through the API; a refusal is shown beside its field
with what was typed kept; the employee cannot write a first note; someone of another instansi is told nothing exists;
the notes move the appraisal nowhere."""

from __future__ import annotations

from domain.stages import Step
from tests.pages.browsing import signed_in
from tests.pages.form_fields import form_fields
from tests.web.appraisals import Need
from tests.web.harness import WebOffice
from tests.web.office import APPRAISED_1, PEGAWAI_1, PEGAWAI_3, PENILAI_1
from web.deps import CSRF_HEADER
from workflows.contracts import appraisal_workflow_id

NOTE = "Laporan bulan ini tepat waktu.\nPertahankan, dan lengkapi lampiran datanya."
ANSWER = "Terima kasih; lampiran saya lengkapi mulai bulan depan."


async def test_the_penilai_writes_and_the_employee_answers(web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SKP_DRAFTING))
    page = f"/penilaian/{target.cycle_id}/{target.nip}"
    async with signed_in(web_office, PENILAI_1) as penilai:
        shown = await penilai.get(page)
        assert shown.status_code == 200 and "Belum ada catatan umpan balik" in shown.text
        fields = form_fields(shown.text, "form-umpan-balik")
        refused = await penilai.post(f"{page}/umpan-balik", {**fields, "teks": "  "})
        assert refused.status_code == 422 and 'id="teks-galat"' in refused.text
        written = await penilai.post(f"{page}/umpan-balik", {**fields, "teks": NOTE})
        assert written.status_code == 303 and written.headers["location"].endswith("?pesan=umpan-balik#umpan-balik")
    async with signed_in(web_office, PEGAWAI_1) as pegawai:
        shown = await pegawai.get(page)
        assert "Pertahankan, dan lengkapi lampiran datanya." in shown.text and "Kasi Satu" in shown.text
        fields = form_fields(shown.text, "form-umpan-balik")
        first = fields["menjawab"]
        refused = await pegawai.post(f"{page}/umpan-balik", {**fields, "menjawab": "999999", "teks": ANSWER})
        assert refused.status_code == 422 and 'id="menjawab-galat"' in refused.text
        assert form_fields(refused.text, "form-umpan-balik")["teks"] == ANSWER  # what was typed is kept
        answered = await pegawai.post(f"{page}/umpan-balik", {**fields, "teks": ANSWER})
        assert answered.status_code == 303
        listed = (await pegawai.http.get(f"/api/v1/cycles/{target.cycle_id}/appraisals/{target.nip}/feedback")).json()
    assert [(n["sebagai"], n["teks"], n["menjawab"]) for n in listed] == [
        ("penilai", NOTE, None),
        ("pegawai", ANSWER, int(first)),
    ]
    workflow_id = appraisal_workflow_id(target.cycle_id, target.nip)
    with web_office.uow_factory() as uow:
        audited = uow.audit.latest("feedback.answered", [workflow_id])[workflow_id]
    assert audited.actor == PEGAWAI_1 and ANSWER not in str(audited.after)  # the length, never the text
    assert (await web_office.appraisals.state(target)).step is Step.SKP_DRAFTING


async def test_the_employee_answers_but_does_not_open_and_a_stranger_sees_nothing(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING))
    api = f"/api/v1/cycles/{target.cycle_id}/appraisals/{target.nip}/feedback"
    async with signed_in(web_office, PEGAWAI_1) as pegawai:
        opened = await pegawai.http.post(api, json={"teks": ANSWER}, headers={CSRF_HEADER: pegawai.csrf})
        assert opened.status_code == 422 and opened.json()["field"] == "menjawab", opened.text
    async with signed_in(web_office, PEGAWAI_3) as stranger:  # of instansi B
        assert (await stranger.get(f"/penilaian/{target.cycle_id}/{target.nip}")).status_code == 404
        assert (await stranger.http.get(api)).status_code == 404
