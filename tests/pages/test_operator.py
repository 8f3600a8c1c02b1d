"""The operator's pages in a browser (over ASGI): the outbox of their instansi's appraisals, a given-up notice queued
again, another instansi's notices neither shown nor retried, on SQLite and on PostgreSQL; an appraisal found by cycle
and NIP and its whole history with the link to its workflow in Temporal's Web UI; the step forms refused; another
instansi's appraisal not found."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.stages import Step
from persistence.ports import OutboxMessage
from tests.dbs import PostgresDatabases
from tests.pages.browsing import signed_in
from tests.web.appraisals import Need, Target
from tests.web.harness import WebOffice, open_office
from tests.web.office import APPRAISED_1, APPRAISED_3, OPERATOR, PEGAWAI_1
from workflows.contracts import appraisal_workflow_id

ERROR = "550 5.1.1 mailbox unavailable"


@pytest.fixture(scope="module")
async def postgres_office(
    postgres_databases: PostgresDatabases, dev_env: WorkflowEnvironment
) -> AsyncIterator[WebOffice]:
    async with open_office(postgres_databases, dev_env.client) as office:
        yield office


def _base(target: Target) -> str:
    return f"/penilaian/{target.cycle_id}/{target.nip}"


def _queue(office: WebOffice, workflow_id: str | None, subject: str) -> int:
    """A notice given up after its attempts (as the dispatcher gives one up), about `workflow_id`."""
    with office.uow_factory() as uow:
        message_id: int
        message_id, _ = uow.outbox.enqueue(
            OutboxMessage(
                channel="email",
                recipient="pegawai@instansi.example.go.id",
                subject=subject,
                body="rahasia: https://kinerja.example/akun/kata-sandi?tautan=abc",
                workflow_id=workflow_id,
                idempotency_key=f"uji-operator/{uuid.uuid4().hex}",
            )
        )
        uow.outbox.record_failure(message_id, error=ERROR, retry_at=None, at=datetime.now(UTC))
        uow.commit()
    return message_id


def _given_up(office: WebOffice, message_id: int) -> bool:
    with office.uow_factory() as uow:
        message = uow.outbox.get(message_id)
    assert message is not None
    return message.failed_at is not None


async def test_the_outbox_of_the_instansi_and_a_retry(web_office: WebOffice) -> None:
    await _outbox(web_office)


@pytest.mark.postgres
async def test_the_same_on_postgresql(postgres_office: WebOffice) -> None:
    await _outbox(postgres_office)


async def _outbox(office: WebOffice) -> None:
    target = await office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING, overdue=True))
    mine = _queue(office, appraisal_workflow_id(target.cycle_id, target.nip), "Pengingat untuk instansi A")
    # Another cycle's appraisal whose id starts like this one's, another instansi's, and an account's link.
    theirs = _queue(office, appraisal_workflow_id(f"{target.cycle_id}-B", target.nip), "Tentang siklus lain")
    link = _queue(office, None, "Kinerja: atur kata sandi akun Anda")
    async with signed_in(office, OPERATOR) as operator:
        page = await operator.get("/operator")
        assert page.status_code == 200, page.text
        assert f'id="pesan-gagal-{mine}"' in page.text and ERROR in page.text
        assert "Eskalasi" in page.text  # the overdue appraisal's notices wait (no relay in the tests)
        for other in (theirs, link):
            assert f'id="pesan-gagal-{other}"' not in page.text
        assert "Tentang siklus lain" not in page.text and "tautan=" not in page.text
        passed_over = await operator.post("/operator/ulangi", {"id": str(theirs)})
        assert passed_over.status_code == 303 and passed_over.headers["location"] == "/operator?diulang=0"
        retried = await operator.post("/operator/ulangi", {"id": str(mine)})
        assert retried.headers["location"] == "/operator?diulang=1"
        after = await operator.get(retried.headers["location"])
        assert 'id="hasil-ulangi">1 notifikasi' in after.text and f'id="pesan-gagal-{mine}"' not in after.text
        assert f'id="pesan-menunggu-{mine}"' in after.text
    assert not _given_up(office, mine) and _given_up(office, theirs) and _given_up(office, link)


async def test_an_appraisal_is_found_and_its_whole_history_shown(web_office: WebOffice) -> None:
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING, overdue=True))
    async with signed_in(web_office, OPERATOR) as operator:
        found = await operator.get(f"/operator?siklus={target.cycle_id}&nip={target.nip}")
        assert found.status_code == 303 and found.headers["location"] == f"{_base(target)}/riwayat"
        history = await operator.get(found.headers["location"])
        assert history.status_code == 200, history.text
        table = history.text[history.text.index('id="riwayat-lengkap"') :]
        assert "ESKALASI (langkah terlambat)" in table and "Auditor Inspektorat" in table  # names, not NIPs
        workflow_id = appraisal_workflow_id(target.cycle_id, target.nip)
        assert f'href="http://127.0.0.1:8233/namespaces/default/workflows/{workflow_id}"' in history.text
        typed = await operator.get(f"/operator?siklus={target.cycle_id}&nip=12345")
        assert typed.status_code == 422 and 'id="nip-galat"' in typed.text and 'value="12345"' in typed.text
        unknown = await operator.get(f"/operator?siklus={target.cycle_id}&nip=199999999999999999")
        assert unknown.status_code == 404 and 'id="nip-galat"' in unknown.text
        # Read only: the step forms are not the operator's.
        assert (await operator.get(f"{_base(target)}/tindakan")).status_code == 403
        extend = {"perpanjang-tanggal": "2030-01-01", "perpanjang-alasan": "Diperpanjang oleh operator"}
        assert (await operator.post(f"{_base(target)}/tindakan/perpanjang", extend)).status_code == 403


async def test_another_instansi_and_other_roles_are_refused(web_office: WebOffice) -> None:
    elsewhere = await web_office.appraisals.shared(Need(APPRAISED_3, Step.SKP_DRAFTING))
    async with signed_in(web_office, OPERATOR) as operator:
        assert (await operator.get(f"{_base(elsewhere)}/riwayat")).status_code == 404
        searched = await operator.get(f"/operator?siklus={elsewhere.cycle_id}&nip={elsewhere.nip}")
        assert searched.status_code == 404 and "tidak ditemukan" in searched.text
    target = await web_office.appraisals.shared(Need(APPRAISED_1, Step.SKP_DRAFTING, overdue=True))
    async with signed_in(web_office, PEGAWAI_1) as employee:
        for path in ("/operator", f"{_base(target)}/riwayat"):
            assert (await employee.get(path)).status_code == 403
        assert (await employee.post("/operator/ulangi", {"semua": "1"})).status_code == 403
