"""Every history saved in tests/workflows/histories/ must replay with the current code.

A change that alters what a running appraisal does (a new activity, timer or search-attribute upsert, or one taken
away) fails here unless it is guarded by `workflow.patched(...)`. After a release, rename the saved histories (e.g.
`every_stage.json` → `every_stage-0.1.json`) so they keep being replayed, then record fresh ones with
`KINERJA_RECORD_HISTORIES=1 pytest tests/workflows/test_appraisal.py` (it writes `<scenario>.json`).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Header, Payloads
from temporalio.api.history.v1 import HistoryEvent, WorkflowExecutionStartedEventAttributes
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from payloads import COMPRESSED, COMPRESSION, PayloadKeys, data_converter
from temporal_client import DATA_CONVERTER
from tests.workflows.scenario import HISTORIES, decompress_payloads
from worker import WORKFLOWS

SAVED = sorted(HISTORIES.glob("*.json"))


def test_histories_are_saved() -> None:
    assert len(SAVED) >= 3, f"expected the recorded scenario histories in {HISTORIES}"


# Every history here is saved in clear and uncompressed (the recorder opens compressed payloads, so that a diff reads):
# they replay through today's converter, which compresses (payloads.CompressionCodec) and passes what is not
# compressed through, and, once payloads are encrypted (TEMPORAL__PAYLOAD_KEYS_FILE), through the encrypting one,
# which passes clear payloads through. Every workflow test also replays its own run, compressed as it was written
# (scenario.replay_and_record).
ENCRYPTING = data_converter(PayloadKeys.parse(f"k1={base64.b64encode(bytes(32)).decode()}"))


@pytest.mark.parametrize("converter", [DATA_CONVERTER, ENCRYPTING], ids=["clear", "encrypting"])
@pytest.mark.parametrize("path", SAVED, ids=[path.stem for path in SAVED])
async def test_a_saved_history_replays_with_the_current_code(path: Path, converter: DataConverter) -> None:
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=converter)
    result = await replayer.replay_workflow(history)  # raises on nondeterminism
    assert result.replay_failure is None


def test_the_recorder_saves_payloads_opened() -> None:
    """A history recorded from now on is saved as the ones above: compressed payloads opened, wherever they sit (a
    repeated field, a map's value, a nested message), so that a diff of a fixture reads."""
    clear = DATA_CONVERTER.payload_converter.to_payloads([{"catatan": "hasil kerja " * 40}])[0]
    packed = COMPRESSION.compress(clear)
    assert packed.metadata["encoding"] == COMPRESSED
    started = WorkflowExecutionStartedEventAttributes(
        input=Payloads(payloads=[packed, packed]), header=Header(fields={"trace": packed})
    )
    event = HistoryEvent(workflow_execution_started_event_attributes=started)
    decompress_payloads(event)
    attributes = event.workflow_execution_started_event_attributes
    assert list(attributes.input.payloads) == [clear, clear]
    assert attributes.header.fields["trace"] == clear
