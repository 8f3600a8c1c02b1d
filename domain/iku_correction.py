"""Correcting an IKU after its import (issue 20): the indicator gets a new version, kept with the one it replaces,
the reason and who corrected it; the SKPs whose RHK cascade from it, directly or through a superior's RHK, are listed
so that their owners review them (the SKP itself is the employee's and the penilai's to change, never the import's).

PermenPANRB 6/2022 Pasal 5 puts penetapan SKP, cascaded from the organisation's performance (the IKU), at the start of
the year; it says nothing of a correction. Keeping every version with its reason is what an audit of the year needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.bounds import check_text
from domain.errors import DomainError
from domain.skp import Iku, Skp

CORRECTION_RULE = "koreksi IKU: versi baru dengan alasan dan pelakunya; SKP yang menurunkannya ditinjau pemiliknya"
MIN_REASON_CHARS = 10
MAX_CASCADE_DEPTH = 12  # levels of superiors' RHK followed up to an IKU (a province has fewer than ten)


def checked_reason(reason: str) -> str:
    """The correction's reason, trimmed: required (a sentence), bounded, without control characters."""
    cleaned = check_text(reason, "alasan_koreksi", multiline=False).strip()
    if len(cleaned) < MIN_REASON_CHARS:
        raise DomainError(
            f"alasan koreksi IKU diisi, paling sedikit {MIN_REASON_CHARS} karakter",
            field="alasan_koreksi",
            rule=CORRECTION_RULE,
        )
    return cleaned


def changed(stored: Iku, corrected: Iku) -> bool:
    """Whether the correction changes anything of the indicator."""
    return stored.model_dump() != corrected.model_dump()


@dataclass(frozen=True)
class Cascading:
    """An RHK of an SKP that comes from a corrected IKU: directly, or through a superior's RHK (`direct` False)."""

    employee_nip: str
    rhk_id: str
    rhk_text: str
    iku_code: str
    direct: bool


def cascading_from(skps: Iterable[Skp], codes: set[str]) -> list[Cascading]:
    """Every RHK of `skps` that cascades from one of the IKU `codes`, following superiors' RHK (by id) up to an IKU;
    in NIP and RHK order. An RHK whose chain leaves the SKPs given, or loops, is not listed."""
    by_id = {rhk.id: rhk for skp in skps for rhk in skp.rhk}
    owner = {rhk.id: skp.employee_nip for skp in skps for rhk in skp.rhk}

    def root(rhk_id: str) -> tuple[str, bool] | None:
        current, direct = by_id.get(rhk_id), True
        for _ in range(MAX_CASCADE_DEPTH):
            ref = current.cascaded_from if current is not None else None
            if ref is None:
                return None
            if ref.iku_code is not None:
                return ref.iku_code, direct
            current, direct = by_id.get(ref.superior_rhk_id or ""), False
        return None

    found = []
    for rhk_id, rhk in by_id.items():
        origin = root(rhk_id)
        if origin is not None and origin[0] in codes:
            found.append(Cascading(owner[rhk_id], rhk_id, rhk.text, origin[0], origin[1]))
    return sorted(found, key=lambda c: (c.employee_nip, c.rhk_id))
