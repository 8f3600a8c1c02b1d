"""The periodic evaluation on the appraisal's page (issue 20), on the dev server with a real worker: once a quarter has
ended the employee sees its realisation form (a value the page cannot read is refused beside its row, what was typed
kept), records it, and the penilai records the dialog kinerja (feedback required) with a rating; both are on the
page, read back through the API and printed in the period's evaluation document, and the period waits on whoever
must act on their Beranda. Someone of another instansi is told nothing exists.

The evaluation's workflow is started as the appraisal starts it once its SKP is approved
(tests.web.appraisals.AppraisalPool.open_periods), its appraisal at the self-assessment."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from domain.periods import PeriodStep
from domain.stages import Role, Step
from tests.pages.browsing import signed_in
from tests.pages.form_fields import form_fields
from tests.web.appraisals import Need, until
from tests.web.harness import WebOffice
from tests.web.office import APPRAISED_1, PEGAWAI_1, PEGAWAI_3, PENILAI_1, PERIOD
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import Actor, ApproveSkp, ChangeSkp
from workflows.period_contracts import PeriodIndicators
from workflows.periodic import PeriodicEvaluationWorkflow


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


async def test_after_a_change_of_skp_a_quarters_row_records_the_indicator_it_shows(web_office: WebOffice) -> None:
    """The period's form lists every version's indicators, the earlier first, as its read-back does: the value typed
    beside the new version's indicator is recorded for that indicator (rows are matched by place)."""
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    periodic_id = await web_office.appraisals.open_periods(target)
    handle = web_office.appraisals.handle(target)
    state = await handle.query(AppraisalWorkflow.state)
    assert state.skp is not None
    first = state.skp.rhk[0]
    new_rhk = first.model_copy(
        update={
            "id": "V2-R1",
            "text": "Akta pencatatan sipil diterbitkan",
            "indicators": [first.indicators[0].model_copy(update={"id": "V2-I1", "text": "Akta kelahiran"})],
        }
    )
    change = ChangeSkp(
        actor=Actor(nip=PEGAWAI_1, role=Role.PEGAWAI),
        skp=state.skp.model_copy(update={"rhk": [new_rhk]}),
        effective_from=date(PERIOD, 7, 1),
        reason="SOTK baru: seksi digabung",
    )
    await handle.execute_update(AppraisalWorkflow.change_skp, change)
    approve = ApproveSkp(actor=Actor(nip=PENILAI_1, role=Role.PENILAI))
    await handle.execute_update(AppraisalWorkflow.approve_skp, approve)
    periodic = web_office.temporal.get_workflow_handle_for(PeriodicEvaluationWorkflow.run, periodic_id)
    # The pool starts the evaluation beside the appraisal (not as its child): it is told of the new version as the
    # appraisal tells its own (the appraisal's side: tests/workflows/test_skp_change.py).
    year = [*(await handle.query(AppraisalWorkflow.state)).skp_versions[0].skp.rhk, new_rhk]
    ids = PeriodIndicators(indicator_ids=[i.id for rhk in year for i in rhk.indicators])
    await periodic.signal(PeriodicEvaluationWorkflow.skp_changed, ids)

    async def told() -> bool:
        found = await periodic.query(PeriodicEvaluationWorkflow.state)
        return found.indicator_ids is not None and "V2-I1" in found.indicator_ids

    await until(told, "the periodic evaluation told of the new version")
    page = f"/penilaian/{target.cycle_id}/{target.nip}"
    async with signed_in(web_office, PEGAWAI_1) as pegawai:
        shown = await pegawai.get(page)
        fields = form_fields(shown.text, "form-periodik-realisasi")
        last = max(int(name.removeprefix("realisasi-")) for name in fields if name.startswith("realisasi-"))
        form = shown.text[shown.text.index('id="form-periodik-realisasi"') :]
        assert form.index(first.indicators[0].text) < form.index("Akta kelahiran")  # the earlier version first
        recorded = await pegawai.post(f"{page}/periodik/1/realisasi", {**fields, f"realisasi-{last}": "150"})
        assert recorded.status_code == 303, recorded.text
    done = await periodic.query(PeriodicEvaluationWorkflow.state)
    assert done.current is not None
    assert [(r.indicator_id, str(r.value)) for r in done.current.realisations] == [("V2-I1", "150")]
