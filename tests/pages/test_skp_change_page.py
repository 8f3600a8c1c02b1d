"""A mid-year change of SKP on the SKP page (issue 20, domain.skp_versions), over ASGI with the form's CSRF token: at
the self-assessment the employee opens the editor (the version in force copied in, its rows without ids), a missing
day or reason is refused beside its field with what was typed kept, then the new version is proposed; the pejabat
penilai sees the proposal beside the version in force and approves it, and the page lists both versions with their
days. Carried on to the result, the evaluation document prints each version's indicators under its own heading with
its realisation and capaian. A staff RHK that intervened what the penilai's change replaced is listed for its owner."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from pypdf import PdfReader

from domain.ratings import Expectation, Predicate
from domain.skp import CascadeRef, Realisation, Skp
from domain.skp_versions import SkpVersion
from domain.stages import Role, Step
from tests.pages.browsing import signed_in
from tests.pages.form_fields import form_fields
from tests.web.appraisals import Need
from tests.web.harness import WebOffice
from tests.web.office import APPRAISED_1, PEGAWAI_1, PENGELOLA, PENILAI_1, PERIOD, realisations
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import Actor, ApplyCalibration, Sign, SubmitReview, SubmitSelfAssessment, appraisal_workflow_id

REASON = "SOTK baru: Perwali 12/2026, seksi digabung"


async def test_an_employee_proposes_a_new_version_and_the_penilai_approves_it(web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    base = f"/penilaian/{target.cycle_id}/{target.nip}"
    async with signed_in(web_office, PEGAWAI_1) as employee:
        overview = await employee.get(base)
        assert "Ajukan perubahan SKP" in overview.text and f'href="{base}/skp"' in overview.text
        page = await employee.get(f"{base}/skp")
        assert page.status_code == 200 and 'id="ubah-skp"' in page.text and 'id="ubah-skp" open' not in page.text
        fields = form_fields(page.text, "skp-form")
        assert fields["rhk-0-teks"] == "Data kependudukan terverifikasi tepat waktu" and fields["rhk-0-id"] == ""
        fields["rhk-0-teks"] = "Data kependudukan dan akta terverifikasi tepat waktu"

        missing = await employee.post(f"{base}/skp/ubah", {**fields, "alasan": REASON})
        assert missing.status_code == 422 and 'id="berlaku_sejak-galat"' in missing.text
        assert 'id="ubah-skp" open' in missing.text
        kept = form_fields(missing.text, "skp-form")
        assert kept["rhk-0-teks"] == fields["rhk-0-teks"] and kept["alasan"] == REASON
        vague = await employee.post(f"{base}/skp/ubah", {**fields, "berlaku_sejak": f"{PERIOD}-07-01", "alasan": "x"})
        assert vague.status_code == 422 and 'id="alasan-galat"' in vague.text and "paling sedikit" in vague.text
        outside = {**fields, "berlaku_sejak": f"{PERIOD + 1}-07-01", "alasan": REASON}
        late = await employee.post(f"{base}/skp/ubah", outside)
        assert late.status_code == 422 and 'id="berlaku_sejak-galat"' in late.text
        assert (await web_office.appraisals.state(target)).step is Step.SELF_ASSESSMENT

        added = await employee.post(f"{base}/skp/ubah", {**fields, "tambah": "rhk"})
        assert added.status_code == 200 and "Perubahan belum diajukan" in added.text

        sent = await employee.post(f"{base}/skp/ubah", {**fields, "berlaku_sejak": f"{PERIOD}-07-01", "alasan": REASON})
        assert sent.status_code == 303 and sent.headers["location"].endswith("/skp?pesan=perubahan-diajukan")
    state = await web_office.appraisals.state(target)
    assert state.step is Step.SKP_CHANGE_APPROVAL and state.skp_change is not None
    assert state.skp_change.skp.rhk[0].text == "Data kependudukan dan akta terverifikasi tepat waktu"
    in_force = {r.id for r in state.skp.rhk} if state.skp else set()
    assert not in_force & {r.id for r in state.skp_change.skp.rhk}  # new ids for the new version

    async with signed_in(web_office, PENILAI_1) as penilai:
        page = await penilai.get(f"{base}/skp")
        assert 'id="perubahan-diajukan"' in page.text and REASON in page.text
        shown, beside = page.text.index('id="isi-skp"'), page.text.index('id="skp-berlaku"')
        assert "Data kependudukan dan akta terverifikasi tepat waktu" in page.text[shown:beside]
        assert "Data kependudukan terverifikasi tepat waktu" in page.text[beside:]  # beside it, the one in force
        back = form_fields(page.text, "skp-kembalikan")
        returned = await penilai.post(f"{base}/skp/kembalikan", {**back, "catatan": "Lampirkan nomor Perwali"})
        assert returned.status_code == 303
    async with signed_in(web_office, PEGAWAI_1) as employee:
        page = await employee.get(f"{base}/skp")
        assert 'id="perubahan-dikembalikan"' in page.text and "Lampirkan nomor Perwali" in page.text
        fields = {**form_fields(page.text, "skp-form"), "rhk-0-teks": fields["rhk-0-teks"]}
        again = {**fields, "berlaku_sejak": f"{PERIOD}-07-01", "alasan": REASON}
        sent = await employee.post(f"{base}/skp/ubah", again)
        assert sent.status_code == 303
    async with signed_in(web_office, PENILAI_1) as penilai:
        page = await penilai.get(f"{base}/skp")
        approve = form_fields(page.text, "skp-setujui")
        approved = await penilai.post(f"{base}/skp/setujui", {**approve, "catatan": "Sesuai SOTK baru"})
        assert approved.status_code == 303
    state = await web_office.appraisals.state(target)
    assert state.step is Step.SELF_ASSESSMENT and len(state.skp_versions) == 1
    with web_office.uow_factory() as uow:
        kept_versions = uow.skp.versions(appraisal_workflow_id(target.cycle_id, target.nip))
    assert [(v.number, v.effective_until.isoformat(), v.reason) for v in kept_versions] == [
        (1, f"{PERIOD}-06-30", REASON)
    ]

    async with signed_in(web_office, PEGAWAI_1) as employee:
        page = await employee.get(f"{base}/skp")
        versions = page.text[page.text.index('id="versi-skp"') :]
        assert "01-07-" in versions and "30-06-" in versions and REASON in versions
        assert "Isi SKP versi 2" in page.text
        realisation = await employee.get(f"{base}/realisasi")  # the year's realisation covers both versions
        assert "Data kependudukan terverifikasi tepat waktu" in realisation.text
        assert "Data kependudukan dan akta terverifikasi tepat waktu" in realisation.text

    # On to the result: the year's realisations cover both versions; the document prints each version apart.
    assert state.skp is not None
    new = [Realisation(indicator_id=i.id, value=i.target.value) for r in state.skp.rhk for i in r.indicators]
    handle = web_office.appraisals.handle(target)
    appraised, appraiser = Actor(nip=PEGAWAI_1, role=Role.PEGAWAI), Actor(nip=PENILAI_1, role=Role.PENILAI)
    realised = SubmitSelfAssessment(actor=appraised, realisations=[*realisations(), *new])
    await handle.execute_update(AppraisalWorkflow.submit_self_assessment, realised)
    review = SubmitReview(actor=appraiser, perilaku=Expectation.MEETS, hasil_kerja=Expectation.MEETS)
    await handle.execute_update(AppraisalWorkflow.submit_review, review)
    pengelola = Actor(nip=PENGELOLA, role=Role.PENGELOLA_KINERJA)
    calibrated = ApplyCalibration(actor=pengelola, predicate=Predicate.BAIK, reason="Hasil rapat kalibrasi unit")
    await handle.execute_update(AppraisalWorkflow.apply_calibration, calibrated)
    await handle.execute_update(AppraisalWorkflow.sign, Sign(actor=appraiser))
    async with signed_in(web_office, PEGAWAI_1) as employee:
        download = await employee.http.get(f"{base}/dokumen-evaluasi")
    assert download.status_code == 200, download.text
    reader = PdfReader(io.BytesIO(download.content))
    text = " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())
    first = text.index(f"SKP VERSI 1: 01-01-{PERIOD} S.D. 30-06-{PERIOD}")
    second = text.index(f"SKP VERSI 2: SEJAK 01-07-{PERIOD}")
    assert first < text.index("Data kependudukan terverifikasi tepat waktu") < second
    assert second < text.index("Data kependudukan dan akta terverifikasi tepat waktu")


async def test_an_rhk_intervening_what_the_penilai_changed_is_listed_for_its_owner(web_office: WebOffice) -> None:
    """The penilai's SKP changed during the year: the staff RHK that intervened an RHK of the replaced version, which
    the version in force no longer has, is listed on the staff's SKP page for them to follow."""
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SELF_ASSESSMENT))
    penilai_appraisal = appraisal_workflow_id(target.cycle_id, PENILAI_1)
    with web_office.uow_factory() as uow:
        stored = uow.skp.get(PEGAWAI_1, PERIOD)
        assert stored is not None
        first = stored.skp.rhk[0].model_copy(update={"cascaded_from": CascadeRef(superior_rhk_id="KASI-LAMA-R1")})
        indicators = [i.model_copy(update={"id": f"TETAP-{i.id}"}) for i in first.indicators]
        kept_rhk = first.model_copy(update={"id": "TETAP", "text": "RHK yang acuannya tetap", "cascaded_from": None,
                                            "indicators": indicators})  # fmt: skip
        uow.skp.replace(stored.skp.model_copy(update={"rhk": [first, kept_rhk]}), status="approved",
                        policy_version=stored.policy_version)  # fmt: skip
        old = stored.skp.rhk[0].model_copy(update={"id": "KASI-LAMA-R1", "cascaded_from": None})
        replaced = Skp(employee_nip=PENILAI_1, period=PERIOD, rhk=[old])
        days = {"effective_from": date(PERIOD, 1, 1), "effective_until": date(PERIOD, 6, 30)}
        kept = SkpVersion(number=1, skp=replaced, **days)
        uow.skp.keep_version(penilai_appraisal, PENILAI_1, PERIOD, kept, by=PENILAI_1, at=datetime.now(UTC))
        uow.commit()
    async with signed_in(web_office, PEGAWAI_1) as employee:
        page = await employee.get(f"/penilaian/{target.cycle_id}/{target.nip}/skp")
    listed = page.text[page.text.index('id="acuan-berubah"') :]
    assert first.text in listed and "KASI-LAMA-R1" in listed and "mengajukan perubahan SKP" in listed
    alert = listed[: listed.index("</div>")]
    assert alert.count("<li>") == 1 and "RHK yang acuannya tetap" not in alert  # only the RHK that intervened it
