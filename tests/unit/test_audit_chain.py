"""The audit seal's pure rules (domain.audit_chain): what is hashed, and that it survives the database's round trip."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.audit import AuditEntry
from domain.audit_chain import (
    CHAINS,
    GENESIS,
    SEALED_FIELDS,
    BreakKind,
    SealedEntry,
    canonical,
    chain_for,
    first_break,
    seal,
)
from domain.stages import Role

ENTRY = AuditEntry(
    occurred_at=datetime(2027, 1, 6, 9, 30, tzinfo=timezone(timedelta(hours=7))),
    actor="199001012015011001",
    actor_role=Role.PEGAWAI,
    action="submit_skp",
    after={"score": 100.0, "big": 1e20, "items": ("a", 1.5)},
    workflow_id="appraisal-C1-199001012015011001",
)


def test_the_seal_reads_numbers_as_the_database_gives_them_back() -> None:
    stored = ENTRY.model_copy(update={"after": {"items": ["a", 1.5], "big": 100000000000000000000, "score": 100}})
    assert seal(stored, 3, 1, GENESIS) == seal(ENTRY, 3, 1, GENESIS)
    assert canonical(ENTRY)["occurred_at"] == "2027-01-06T02:30:00Z"  # in UTC, whatever zone it was given in


def test_the_seal_covers_every_field_its_place_and_the_one_before() -> None:
    assert set(canonical(ENTRY)) == set(SEALED_FIELDS)
    base = seal(ENTRY, 3, 1, GENESIS)
    assert len({base, seal(ENTRY, 4, 1, GENESIS), seal(ENTRY, 3, 2, GENESIS), seal(ENTRY, 3, 1, "1" * 64)}) == 4
    assert seal(ENTRY.model_copy(update={"reason": "lain"}), 3, 1, GENESIS) != base


def test_a_chain_is_chosen_from_what_the_entry_is_about() -> None:
    assert 0 <= chain_for(ENTRY) < CHAINS
    assert chain_for(ENTRY) == chain_for(ENTRY.model_copy(update={"action": "approve_skp"}))


def test_a_gap_at_the_start_is_a_deletion() -> None:
    row = SealedEntry(id=7, chain=0, seq=2, previous="1" * 64, hash=seal(ENTRY, 0, 2, "1" * 64), entry=ENTRY)
    walked, found = first_break(0, iter([row]), None)
    assert walked == 1 and found is not None and found.kind is BreakKind.DELETED and "ke-1" in found.message
