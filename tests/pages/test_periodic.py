"""The periodic evaluation on the appraisal's page (issue 20), on the dev server with a real worker: once a quarter has
ended the employee sees its realisation form (a value the page cannot read is refused beside its row, what was typed
kept), records it, and the penilai records the dialog kinerja (feedback required) with a rating; both are on the
page, read back through the API and printed in the period's evaluation document, and the period waits on whoever
must act on their Beranda. Someone of another instansi is told nothing exists.

The evaluation's workflow is started as the appraisal starts it once its SKP is approved
(tests.web.appraisals.AppraisalPool.open_periods), its appraisal at the self-assessment."""

from __future__ import annotations

import io

from pypdf import PdfReader

from domain.periods import PeriodStep
from domain.stages import Step
from tests.pages.browsing import signed_in
from tests.pages.form_fields import form_fields
from tests.web.appraisals import Need
from tests.web.harness import WebOffice
from tests.web.office import APPRAISED_1, PEGAWAI_1, PEGAWAI_3, PENILAI_1


async def test_a_quarter_is_realised_and_its_dialog_held_on_the_page(web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    await web_office.appraisals.open_periods(target)
    page = f"/penilaian/{target.cycle_id}/{target.nip}"
    async with signed_in(web_office, PEGAWAI_1) as pegawai:
        assert 'id="daftar-periodik"' in (await pegawai.get("/")).text
        shown = await pegawai.get(page)
        assert "Triwulan I" in shown.text
        fields = form_fields(shown.text, "form-periodik-realisasi")
        refused = await pegawai.post(f"{page}/periodik/1/realisasi", {**fields, "realisasi-0": "banyak"})
        assert refused.status_code == 422 and 'id="realisasi-0-galat"' in refused.text
        assert form_fields(refused.text, "form-periodik-realisasi")["realisasi-0"] == "banyak"  # kept
        typed = {**fields, "realisasi-0": "1.210", "tautan-0": "https://drive.example.go.id/kinerja/tw1.pdf"}
        recorded = await pegawai.post(f"{page}/periodik/1/realisasi", typed)
        assert recorded.status_code == 303 and recorded.headers["location"].endswith("#evaluasi-periodik")
    async with signed_in(web_office, PENILAI_1) as penilai:
        assert 'id="daftar-periodik"' in (await penilai.get("/")).text
        fields = form_fields((await penilai.get(page)).text, "form-periodik-dialog")
        refused = await penilai.post(f"{page}/periodik/1/dialog", {**fields, "umpan_balik": " "})
        assert refused.status_code == 422 and "umpan_balik" in refused.text
        dialog = {**fields, "umpan_balik": "Capaian triwulan I sesuai rencana", "rating": "meets"}
        assert (await penilai.post(f"{page}/periodik/1/dialog", dialog)).status_code == 303
        listed = (await penilai.http.get(f"/api/v1/cycles/{target.cycle_id}/appraisals/{target.nip}/periods")).json()
        document = await penilai.get(f"{page}/periodik/1/dokumen")
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(document.content)).pages)
    assert "PERIODE: TRIWULAN I" in text and "Capaian triwulan I sesuai rencana" in text and "1.210" in text
    assert "melakukan dialog kinerja" in text and "Sesuai Ekspektasi" in text
    assert [(p["nomor"], p["tahap"], p["rating"], p["realisasi"][0]["realisasi"]) for p in listed] == [
        (1, PeriodStep.DONE.value, "meets", "1210")
    ]
    async with signed_in(web_office, PEGAWAI_3) as stranger:  # of instansi B
        assert (await stranger.post(f"{page}/periodik/1/dialog", {"umpan_balik": "x"})).status_code == 404
