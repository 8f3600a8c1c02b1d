"""The SKP edit form's fields, read into the draft the service checks (services.skp_edit), and its two row
operations: `tambah` (add an RHK or an indicator row) and `hapus` (remove one), which re-render the form with what was
typed and store nothing. They are plain submit buttons, so the form works without JavaScript; with htmx the same
buttons swap only the form.

Field names are the service's (`rhk-<i>-teks`, `rhk-<i>-ind-<j>-target`, `perilaku-<k>`): a refusal names the field
the page shows it beside.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from services.skp_edit import BEHAVIOURS, IndicatorDraft, RhkDraft, SkpDraft

_RHK = re.compile(r"^rhk-(\d{1,3})-(id|jenis|teks|acuan)$")
_INDICATOR = re.compile(r"^rhk-(\d{1,3})-ind-(\d{1,3})-(id|teks|aspek|target|target_atas|polaritas|satuan)$")
_BEHAVIOUR = re.compile(r"^perilaku-(\d{1,2})$")
_RHK_COLUMNS = {"id": "id", "jenis": "kind", "teks": "text", "acuan": "cascade"}
_INDICATOR_COLUMNS = {
    "id": "id",
    "teks": "text",
    "aspek": "aspect",
    "target": "target",
    "target_atas": "target_upper",
    "polaritas": "polarity",
    "satuan": "unit",
}
_ADD_INDICATOR = re.compile(r"^ind-(\d{1,3})$")
_REMOVE_RHK = re.compile(r"^rhk-(\d{1,3})$")
_REMOVE_INDICATOR = re.compile(r"^rhk-(\d{1,3})-ind-(\d{1,3})$")


def draft_from_form(values: Mapping[str, str]) -> SkpDraft:
    """The draft as typed, rows in the order of their numbers (a gap in the numbering closes up)."""
    rhk: dict[int, dict[str, str]] = {}
    indicators: dict[int, dict[int, dict[str, str]]] = {}
    behaviours: dict[int, str] = {}
    for name, value in values.items():
        if found := _RHK.match(name):
            rhk.setdefault(int(found.group(1)), {})[_RHK_COLUMNS[found.group(2)]] = value
        elif found := _INDICATOR.match(name):
            index, number = int(found.group(1)), int(found.group(2))
            rhk.setdefault(index, {})
            indicators.setdefault(index, {}).setdefault(number, {})[_INDICATOR_COLUMNS[found.group(3)]] = value
        elif (found := _BEHAVIOUR.match(name)) and int(found.group(1)) < len(BEHAVIOURS):
            behaviours[int(found.group(1))] = value
    return SkpDraft(
        rhk=[
            RhkDraft(
                **rhk[index],
                indicators=[IndicatorDraft(**row) for _, row in sorted(indicators.get(index, {}).items())],
            )
            for index in sorted(rhk)
        ],
        perilaku=[behaviours.get(index, "") for index in range(len(BEHAVIOURS))],
    )


def blank_rhk() -> RhkDraft:
    return RhkDraft(indicators=[IndicatorDraft()])


def with_row_added(draft: SkpDraft, what: str) -> SkpDraft:
    """`rhk`: a new RHK with one indicator row; `ind-<i>`: another indicator row for RHK i."""
    if what == "rhk":
        return draft.model_copy(update={"rhk": [*draft.rhk, blank_rhk()]})
    found = _ADD_INDICATOR.match(what)
    if found is None or int(found.group(1)) >= len(draft.rhk):
        return draft
    index = int(found.group(1))
    rows = list(draft.rhk)
    rows[index] = rows[index].model_copy(update={"indicators": [*rows[index].indicators, IndicatorDraft()]})
    return draft.model_copy(update={"rhk": rows})


def with_row_removed(draft: SkpDraft, what: str) -> SkpDraft:
    """`rhk-<i>`: RHK i with its indicators; `rhk-<i>-ind-<j>`: indicator j of RHK i."""
    rows = list(draft.rhk)
    if found := _REMOVE_RHK.match(what):
        index = int(found.group(1))
        if index < len(rows):
            del rows[index]
    elif found := _REMOVE_INDICATOR.match(what):
        index, number = int(found.group(1)), int(found.group(2))
        if index < len(rows) and number < len(rows[index].indicators):
            kept = [row for position, row in enumerate(rows[index].indicators) if position != number]
            rows[index] = rows[index].model_copy(update={"indicators": kept})
    return draft.model_copy(update={"rhk": rows})


def text_values(form: Mapping[str, object]) -> dict[str, str]:
    """The form's text fields (an uploaded file among them is ignored)."""
    return {name: value for name, value in form.items() if isinstance(value, str)}
