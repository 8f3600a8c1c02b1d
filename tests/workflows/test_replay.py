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
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from payloads import PayloadKeys, data_converter
from temporal_client import DATA_CONVERTER
from tests.workflows.scenario import HISTORIES
from worker import WORKFLOWS

SAVED = sorted(HISTORIES.glob("*.json"))


def test_histories_are_saved() -> None:
    assert len(SAVED) >= 3, f"expected the recorded scenario histories in {HISTORIES}"


# Every history here was written in clear and uncompressed: they replay through today's converter, which compresses
# (payloads.CompressionCodec) and passes what is not compressed through, and, once payloads are encrypted
# (TEMPORAL__PAYLOAD_KEYS_FILE), through the encrypting one, which passes clear payloads through. Histories recorded
# from now on hold compressed payloads; every workflow test replays its own run (scenario.replay_and_record).
ENCRYPTING = data_converter(PayloadKeys.parse(f"k1={base64.b64encode(bytes(32)).decode()}"))


@pytest.mark.parametrize("converter", [DATA_CONVERTER, ENCRYPTING], ids=["clear", "encrypting"])
@pytest.mark.parametrize("path", SAVED, ids=[path.stem for path in SAVED])
async def test_a_saved_history_replays_with_the_current_code(path: Path, converter: DataConverter) -> None:
    history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=converter)
    result = await replayer.replay_workflow(history)  # raises on nondeterminism
    assert result.replay_failure is None
