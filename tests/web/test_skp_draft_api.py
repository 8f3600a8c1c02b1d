"""The SKP draft through the API (`GET/PUT .../skp-draft`), the same service as the SKP page (services.skp_drafts):
a returned SKP revised by a program or the command line as on the page. Who may call it: tests/web/test_matrix.py."""

from __future__ import annotations

from domain.stages import Role, Step
from services.skp_edit import SkpDraft
from tests.web.appraisals import Need
from tests.web.harness import WebOffice
from tests.web.office import APPRAISED_1

DRAFT = "/api/v1/cycles/{cycle}/appraisals/{nip}/skp-draft"


async def test_a_draft_is_read_changed_and_refused_with_every_field_named(web_office: WebOffice) -> None:
    target = await web_office.appraisals.fresh(Need(APPRAISED_1, Step.SKP_DRAFTING))
    path = DRAFT.format(cycle=target.cycle_id, nip=target.nip)
    employee = {"Authorization": f"Bearer {web_office.tokens[Role.PEGAWAI]}"}

    read = await web_office.http.get(path, headers=employee)
    assert read.status_code == 200, read.text
    state = read.json()
    assert state["dapat_diubah"] is True and state["atas_nama"] is False
    draft = SkpDraft.model_validate(state["draf"])
    assert draft.rhk, "the imported SKP is the first draft"

    broken = draft.model_copy(
        update={
            "rhk": [
                draft.rhk[0].model_copy(update={"text": ""}),
                *draft.rhk[1:],
                draft.rhk[0].model_copy(update={"id": "", "cascade": "iku:TIDAK-ADA"}),
            ]
        }
    )
    refused = await web_office.http.put(
        path, headers=employee, json={"draf": broken.model_dump(), "versi": state["versi"]}
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert len(problem["errors"]) >= 2 and all(error["field"] for error in problem["errors"])
    unchanged = await web_office.http.get(path, headers=employee)
    assert unchanged.json()["versi"] == state["versi"]  # nothing stored

    changed = draft.model_copy(update={"rhk": [draft.rhk[0].model_copy(update={"text": "Layanan KTP-el tuntas"})]})
    saved = await web_office.http.put(
        path, headers=employee, json={"draf": changed.model_dump(), "versi": state["versi"]}
    )
    assert saved.status_code == 200, saved.text
    stale = await web_office.http.put(
        path, headers=employee, json={"draf": changed.model_dump(), "versi": state["versi"]}
    )
    assert stale.status_code == 409  # written from what was read before the last save
    again = (await web_office.http.get(path, headers=employee)).json()
    assert again["versi"] == saved.json()["versi"] and again["draf"]["rhk"][0]["text"] == "Layanan KTP-el tuntas"
