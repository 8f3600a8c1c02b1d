"""An appraisal run with its payloads encrypted (TEMPORAL__PAYLOAD_KEYS_FILE, payloads.EncryptionCodec) on the dev
server: the worker and the client read it as always; the history Temporal keeps holds every payload sealed, with
no name, note or NIP in any of them; a client without the key cannot read it."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

import payloads
import temporal_client
from domain.stages import Step
from services import worklist
from tests.workflows import scenario
from tests.workflows.conftest import Office, running_worker
from tests.workflows.scenario import EMPLOYEE, PENILAI, STAFF, at_step
from workflows.appraisal import AppraisalWorkflow
from workflows.contracts import AppraisalInput, ReturnSkp, SubmitSkp

NOTE = "Target kuantitas belum sesuai IKU Dinas"


def _payloads_in(message: Message) -> list[Payload]:
    """Every Payload anywhere in a history event, however deep (fields, repeated fields, maps), but the search
    attributes': those are for finding work, in clear by design (Temporal's visibility indexes them; docs/security.md
    says what they hold)."""
    found: list[Payload] = []
    for field, value in message.ListFields():
        if field.message_type is None or field.name == "search_attributes":
            continue
        if isinstance(value, Message):
            items: list[Any] = [value]
        elif callable(getattr(value, "values", None)):  # a map of messages (a payload's header, memo...)
            items = list(value.values())
        else:
            items = list(value)
        for item in items:
            if isinstance(item, Payload):
                found.append(item)
            elif isinstance(item, Message):
                found.extend(_payloads_in(item))
    return found


async def test_an_encrypted_appraisal_runs_and_its_history_holds_nothing_in_clear(
    dev_env: WorkflowEnvironment, office: Office, cycle_id: str
) -> None:
    keys = payloads.PayloadKeys.parse(f"k1={base64.b64encode(os.urandom(32)).decode()}")
    config = dev_env.client.config()
    config["data_converter"] = payloads.data_converter(keys)
    client = Client(**config)
    async for queue in running_worker(client, office.engine):
        input = scenario.appraisal_input(cycle_id, datetime.now(UTC))
        worklist.enrol(office.uow_factory, [input])
        handle = await temporal_client.start_appraisal(client, input, task_queue=queue)
        try:
            await handle.execute_update(AppraisalWorkflow.submit_skp, SubmitSkp(actor=EMPLOYEE, skp=scenario.skp()))
            await handle.execute_update(AppraisalWorkflow.return_skp, ReturnSkp(actor=PENILAI, comments=NOTE))
            state = await at_step(handle, Step.SKP_DRAFTING)  # returned: the employee revises
            assert state.step is Step.SKP_DRAFTING
            history = await handle.fetch_history()
        finally:
            await handle.terminate("test finished")

    # The SDK records each `workflow.patched` id in a marker of its own, in clear: a code version, nothing personal.
    events = [e for e in history.events if e.marker_recorded_event_attributes.marker_name != "core_patch"]
    sealed = [p for event in events for p in _payloads_in(event)]
    assert len(sealed) >= 5  # the input, two Updates and their results, the activities' inputs and results
    assert {p.metadata["encoding"] for p in sealed} == {payloads.ENCRYPTED}
    assert {p.metadata[payloads.KEY_ID] for p in sealed} == {b"k1"}
    everything = b"".join(p.SerializeToString() for p in sealed)
    for clear in ("Sri Wahyuni", NOTE, STAFF, scenario.skp().rhk[0].text):
        assert clear.encode() not in everything, clear

    with pytest.raises(Exception, match="binary/encrypted"):  # a client without the key reads no value
        await temporal_client.DATA_CONVERTER.decode(sealed[:1], [AppraisalInput])
