"""Structured JSON logs for Kinerja's processes, configured here and nowhere else.

Every record — structlog's own and the stdlib records of Temporal's `workflow.logger` / `activity.logger`, SQLAlchemy
and the rest — leaves as one JSON line. Records written inside a workflow or an activity carry `workflow_id` and
`run_id`, and, for an appraisal, its `cycle` and `nip` (read back from the workflow id), so one grep finds everything
that happened to one employee's appraisal.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger
from temporalio import activity, workflow

from workflows.contracts import parse_appraisal_workflow_id

_HANDLER_NAME = "kinerja-json"
# The outbox's log channel (services/dispatch.py): a delivery, not a diagnostic, so written whatever LOG_LEVEL says.
NOTICES_LOGGER = "kinerja.notices"


def temporal_context(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    """Flatten the `temporal_workflow` / `temporal_activity` extras of Temporal's loggers into top-level keys."""
    found: MutableMapping[str, Any] | None = event.pop("temporal_workflow", None)
    if found:
        event.setdefault("workflow_id", found.get("workflow_id"))
        event.setdefault("run_id", found.get("run_id"))
        event.setdefault("workflow_type", found.get("workflow_type"))
        if "update_name" in found:
            event.setdefault("update", found["update_name"])
    found = event.pop("temporal_activity", None)
    if found:
        event.setdefault("workflow_id", found.get("workflow_id"))
        event.setdefault("run_id", found.get("workflow_run_id"))
        event.setdefault("activity", found.get("activity_type"))
        event.setdefault("attempt", found.get("attempt"))
    workflow_id = event.get("workflow_id")
    if isinstance(workflow_id, str):
        parsed = parse_appraisal_workflow_id(workflow_id)
        if parsed is not None:
            event.setdefault("cycle", parsed[0])
            event.setdefault("nip", parsed[1])
    return event


def configure_logging(level: str = "INFO", *, stream: TextIO | None = None) -> None:
    """JSON lines on `stream` (stderr by default) at `level`; safe to call again (it replaces its own handler)."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            temporal_context,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        # Records from stdlib loggers: their `extra` becomes keys, then the Temporal context is flattened.
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), temporal_context],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(default=str),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger(NOTICES_LOGGER).setLevel(logging.INFO)
    # The ids travel as JSON keys; Temporal's default of appending them to the message would say it all twice.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False


def get_logger(name: str) -> Any:
    """A structlog logger; bind keys with `.bind(...)`."""
    return structlog.stdlib.get_logger(name)
