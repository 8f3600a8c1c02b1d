"""The self-assessment form's fields, one row per indicator of the approved SKP in SKP order (`k` is the row):
`realisasi-k` (the value as typed: 1.210 or 98,2), `catatan-k`, `tautan-k` (links, one per line), `bukti-k` (stored
files ticked) and `berkas-k` (files to upload); `alasan` for a take-over.

Turned into the step's body (services.steps.SelfAssessmentBody) after each value is read as the page shows it
(services.step_views.parse_realisation); whatever refuses it, the form, the body's bounds or the workflow, is named
beside the row's field it is about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from starlette.datastructures import FormData, UploadFile

from domain.errors import DomainError
from domain.evidence import referenced
from services.step_views import IndicatorRow, parse_realisation

# What the workflow (workflows.admission, domain.achievement) and services.evidence_refs name: realisasi[<id>].<part>
_WORKFLOW_FIELD = re.compile(r"^realisasi\[(?P<id>[^\]]+)\]\.(?P<part>nilai|catatan|bukti)(?:\[(?P<item>\d+)\])?$")
_PART_FIELDS = {"nilai": "realisasi", "realisasi": "realisasi", "catatan": "catatan", "indikator": "realisasi"}


@dataclass
class RowInput:
    """One row as the form sent it."""

    index: int
    indicator_id: str
    typed: str = ""
    note: str = ""
    links_text: str = ""
    kept: list[str] = field(default_factory=list)  # references of stored files, ticked or just uploaded
    value: Decimal | None = None  # the value read from `typed`, when it could be

    @property
    def links(self) -> list[str]:
        return [line.strip() for line in self.links_text.splitlines() if line.strip()]

    @property
    def evidence(self) -> list[str]:
        """The realisation's evidence list: the stored files first, then the links."""
        return [*self.kept, *self.links]


def read_rows(form: FormData, rows: Sequence[IndicatorRow]) -> list[RowInput]:
    found: list[RowInput] = []
    for row in rows:
        k = row.index

        def text(name: str, k: int = k) -> str:
            value = form.get(f"{name}-{k}")
            return value if isinstance(value, str) else ""

        ticked = [v for v in form.getlist(f"bukti-{k}") if isinstance(v, str) and referenced(v)]
        found.append(
            RowInput(
                index=k,
                indicator_id=row.indicator.id,
                typed=text("realisasi"),
                note=text("catatan"),
                links_text=text("tautan"),
                kept=list(dict.fromkeys(ticked)),
            )
        )
    return found


def uploads(form: FormData, index: int) -> list[UploadFile]:
    """The files chosen in row `index` (a file input left empty sends one part without a name or bytes)."""
    return [f for f in form.getlist(f"berkas-{index}") if isinstance(f, UploadFile) and (f.filename or f.size)]


def parse_values(inputs: Sequence[RowInput], *, required: bool) -> dict[str, str]:
    """Read every typed value into its row; the message per field for those that cannot be read (a blank one too when
    `required`: when the step is sent, not when the capaian is only shown)."""
    errors: dict[str, str] = {}
    for row in inputs:
        name = f"realisasi-{row.index}"
        if not required and not row.typed.strip():
            continue
        try:
            row.value = parse_realisation(row.typed, name)
        except DomainError as refused:
            errors[name] = str(refused).removeprefix(f"{name}: ")
    return errors


def body_of(inputs: Sequence[RowInput], reason: str) -> dict[str, object]:
    """The step's body (services.steps.SelfAssessmentBody), from rows whose values were read."""
    return {
        "realisasi": [
            {"indikator": row.indicator_id, "realisasi": row.value, "bukti": row.evidence, "catatan": row.note}
            for row in inputs
        ],
        "alasan": reason or None,
    }


def body_field(location: Sequence[int | str], inputs: Sequence[RowInput]) -> str | None:
    """The form field a problem of the body at `location` is about (pydantic's location), or None for the form."""
    if not location:
        return None
    if location[0] == "alasan":
        return "alasan"
    if location[0] != "realisasi" or len(location) < 3 or not isinstance(location[1], int):
        return None
    index, part = location[1], str(location[2])
    if index >= len(inputs):
        return None
    row = inputs[index]
    if part == "bukti":
        item = location[3] if len(location) > 3 and isinstance(location[3], int) else None
        return f"bukti-{row.index}" if item is not None and item < len(row.kept) else f"tautan-{row.index}"
    return f"{_PART_FIELDS.get(part, 'realisasi')}-{row.index}"


def workflow_field(name: str | None, inputs: Sequence[RowInput]) -> str | None:
    """The form field a refusal naming `name` (the workflow's or services.evidence_refs' way) is about."""
    if name == "alasan":
        return "alasan"
    found = _WORKFLOW_FIELD.match(name or "")
    if found is None:
        return None
    row = next((r for r in inputs if r.indicator_id == found["id"]), None)
    if row is None:
        return None
    if found["part"] == "bukti":
        item = found["item"]
        if item is None or int(item) < len(row.kept):
            return f"bukti-{row.index}"
        return f"tautan-{row.index}"
    return f"{_PART_FIELDS[found['part']]}-{row.index}"
