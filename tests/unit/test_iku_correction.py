"""Correcting an IKU (domain.iku_correction): the reason it needs, what counts as a change, and which RHK cascade from
it, directly or through their superiors' RHK, however the chain runs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import DomainError
from domain.iku_correction import Cascading, cascading_from, changed, checked_reason
from domain.skp import Aspect, CascadeRef, Iku, Indicator, RencanaHasilKerja, RhkKind, Skp, Target

HEAD, KABID, STAFF, OTHER = "197203151998031001", "198009092005011001", "199212252019032001", "199001012015031001"


def _skp(nip: str, *rhk: tuple[str, CascadeRef | None]) -> Skp:
    def indicator(rhk_id: str) -> Indicator:
        return Indicator(
            id=f"I{rhk_id[-1]}", aspect=Aspect.KUANTITAS, text="Dokumen", target=Target(value=Decimal(1)),
            unit_of_measure="dokumen",
        )  # fmt: skip

    return Skp(
        employee_nip=nip,
        period=2026,
        rhk=[
            RencanaHasilKerja(
                id=rhk_id, kind=RhkKind.UTAMA, text=f"RHK {rhk_id}", indicators=[indicator(rhk_id)], cascaded_from=ref
            )
            for rhk_id, ref in rhk
        ],
    )


def test_the_rhk_of_a_corrected_iku_are_found_through_every_level() -> None:
    skps = [
        _skp(HEAD, (f"{HEAD}-R1", CascadeRef(iku_code="IKU-01")), (f"{HEAD}-R2", CascadeRef(iku_code="IKU-02"))),
        _skp(KABID, (f"{KABID}-R1", CascadeRef(superior_rhk_id=f"{HEAD}-R1")), (f"{KABID}-R2", None)),
        _skp(STAFF, (f"{STAFF}-R1", CascadeRef(superior_rhk_id=f"{KABID}-R1"))),
        _skp(OTHER, (f"{OTHER}-R1", CascadeRef(superior_rhk_id="199999999999999999-R1"))),  # its chain leaves the set
    ]
    assert cascading_from(skps, {"IKU-01"}) == [
        Cascading(HEAD, f"{HEAD}-R1", f"RHK {HEAD}-R1", "IKU-01", direct=True),
        Cascading(KABID, f"{KABID}-R1", f"RHK {KABID}-R1", "IKU-01", direct=False),
        Cascading(STAFF, f"{STAFF}-R1", f"RHK {STAFF}-R1", "IKU-01", direct=False),
    ]
    assert [c.employee_nip for c in cascading_from(skps, {"IKU-02"})] == [HEAD]
    assert cascading_from(skps, set()) == []


def test_a_chain_that_loops_is_not_followed_forever() -> None:
    looping = [
        _skp(KABID, (f"{KABID}-R1", CascadeRef(superior_rhk_id=f"{STAFF}-R1"))),
        _skp(STAFF, (f"{STAFF}-R1", CascadeRef(superior_rhk_id=f"{KABID}-R1"))),
    ]
    assert cascading_from(looping, {"IKU-01"}) == []


def test_a_correction_needs_a_sentence_of_reason_and_a_change() -> None:
    assert checked_reason("  Target RPJMD perubahan  ") == "Target RPJMD perubahan"
    for bad in ("salah", "x" * 2_001, "alasan yang panjang\nbaris dua"):
        with pytest.raises(DomainError) as refused:
            checked_reason(bad)
        assert refused.value.field == "alasan_koreksi"
    iku = Iku(code="IKU-01", name="KTP-el", unit_of_measure="%", target=Target(value=Decimal("97.5")), period=2026)
    assert not changed(iku, iku.model_copy())
    assert changed(iku, iku.model_copy(update={"target": Target(value=Decimal(98))}))
