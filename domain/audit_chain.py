"""The audit log's hash chains: each entry is sealed with a hash over its content and the previous entry's hash, so
an entry edited, deleted, inserted or moved after it was written breaks the chain where it happened (issue 19).

The log is split into `CHAINS` chains so that writers do not all wait on one head: a unit of work takes the head of
one chain (chosen from its first entry's workflow, subject or actor) and appends every entry it writes to that chain,
in order, so each chain is a sequence 1, 2, 3, ... with no gap. The heads (sequence and hash of each chain's last
entry) are anchored outside the database: in the cycle workflow's history at each phase and in the closing report,
so that rewriting a whole chain, which recomputes every hash, is found too.

The hash is SHA-256 over a canonical JSON text of the entry (keys sorted, no spaces, UTF-8, numbers written the way
the database gives them back: an integral float as an integer), its chain, its sequence and the previous hash. The
database's own id is not in it: the order that counts is the chain's.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.audit import AuditEntry

CHAINS = 16
GENESIS = "0" * 64  # the "previous hash" of a chain's first entry
HASH_LENGTH = 64
SEALED_FIELDS = (
    "occurred_at",
    "actor",
    "actor_role",
    "on_behalf_of",
    "action",
    "subject",
    "reason",
    "before",
    "after",
    "workflow_id",
    "idempotency_key",
)


def chain_for(entry: AuditEntry) -> int:
    """The chain a unit of work whose first entry is `entry` writes to: spread by what the entry is about, so that
    steps of different appraisals rarely wait on the same head."""
    about = entry.workflow_id or entry.subject or entry.actor
    return zlib.crc32(about.encode()) % CHAINS


def _plain(value: Any) -> Any:
    # PostgreSQL's JSONB gives 1e20 back as 100000000000000000000 and 100.0 as 100.0: write integral floats as integers
    # so that what was hashed before the write is what is hashed after reading it back.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def canonical(entry: AuditEntry) -> dict[str, Any]:
    """The entry's content as it is hashed: its fields as JSON, as they are stored (a field added to entries later
    is not sealed unless it is added here, so that the seals of the rows written before stay valid)."""
    dumped = entry.model_dump(mode="json")
    content: dict[str, Any] = _plain({name: dumped[name] for name in SEALED_FIELDS})
    return content


def seal(entry: AuditEntry, chain: int, seq: int, previous: str) -> str:
    """The hash of the `seq`th entry of `chain`, following the entry whose hash is `previous`."""
    text = json.dumps(
        {"chain": chain, "seq": seq, "previous": previous, "entry": canonical(entry)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


class ChainHead(BaseModel):
    """Where a chain stood: its last entry's sequence and hash (sequence 0 and GENESIS: no entry yet)."""

    model_config = ConfigDict(frozen=True)

    chain: int = Field(ge=0, lt=CHAINS)
    seq: int = Field(ge=0)
    hash: str = Field(min_length=HASH_LENGTH, max_length=HASH_LENGTH)


class AuditAnchor(BaseModel):
    """The chains' heads at a moment, kept outside the database (a cycle's history, its closing report)."""

    model_config = ConfigDict(frozen=True)

    taken_at: datetime
    heads: list[ChainHead] = Field(max_length=CHAINS)
    label: str = Field(default="", max_length=100)  # what the moment was (a cycle phase)


@dataclass(frozen=True)
class SealedEntry:
    """An audit row as stored: its id, its seal (None: written without one, outside the application) and content."""

    id: int
    chain: int | None
    seq: int | None
    previous: str | None
    hash: str | None
    entry: AuditEntry


class BreakKind(StrEnum):
    EDITED = "diubah"
    DELETED = "dihapus"
    INSERTED = "disisipkan"
    REORDERED = "urutan diubah"
    ANCHOR = "jangkar tidak cocok"


@dataclass(frozen=True)
class ChainBreak:
    chain: int | None
    seq: int | None
    row_id: int | None  # the database id of the row where the chain breaks (None: a row that is missing at the end)
    kind: BreakKind
    message: str


def first_break(chain: int, rows: Iterable[SealedEntry], head: ChainHead | None) -> tuple[int, ChainBreak | None]:
    """Walk one chain's rows in sequence order: (rows read, the first place it breaks or None); the rows after a
    break are counted, not checked."""
    remaining = iter(rows)
    walked, found = _walk(chain, remaining, head)
    return walked + sum(1 for _ in remaining), found


def _walk(chain: int, rows: Iterator[SealedEntry], head: ChainHead | None) -> tuple[int, ChainBreak | None]:
    """Edited: the row's hash is not the hash of its content after the previous row. Deleted: a sequence number is
    missing (or the rows stop before the recorded head). Inserted: a sequence number comes twice, or rows go on past
    the recorded head. Reordered: the rows' ids do not grow with their sequence (they are written in order).
    """
    expected, previous, last_id, walked = 1, GENESIS, 0, 0
    for row in rows:
        walked += 1
        seq = row.seq if row.seq is not None else 0
        where = f"rantai {chain} entri ke-{seq} (id {row.id})"
        if seq < expected:
            return walked, ChainBreak(chain, seq, row.id, BreakKind.INSERTED, f"{where} muncul dua kali: disisipkan")
        if seq > expected:
            missing = f"ke-{expected}" if seq == expected + 1 else f"ke-{expected} s.d. ke-{seq - 1}"
            return walked, ChainBreak(
                chain, seq, row.id, BreakKind.DELETED, f"entri {missing} rantai {chain} hilang sebelum id {row.id}"
            )
        if row.id < last_id:
            return walked, ChainBreak(
                chain, seq, row.id, BreakKind.REORDERED, f"{where} tertulis sebelum entri sebelumnya: urutan diubah"
            )
        if row.previous != previous:
            return walked, ChainBreak(
                chain, seq, row.id, BreakKind.REORDERED, f"{where} tidak menyambung ke entri sebelumnya"
            )
        if row.hash != seal(row.entry, chain, seq, previous):
            return walked, ChainBreak(
                chain, seq, row.id, BreakKind.EDITED, f"{where} tidak cocok dengan segelnya: diubah"
            )
        expected, previous, last_id = expected + 1, row.hash, row.id
    if head is not None and (head.seq, head.hash) != (expected - 1, previous):
        kind = BreakKind.DELETED if head.seq > expected - 1 else BreakKind.INSERTED
        return walked, ChainBreak(
            chain,
            head.seq,
            None,
            kind,
            f"rantai {chain} berakhir di entri ke-{expected - 1}, kepalanya mencatat ke-{head.seq}",
        )
    return walked, None


def anchor_breaks(anchor: AuditAnchor, stored: dict[tuple[int, int], str]) -> Iterator[ChainBreak]:
    """Where the database no longer holds what an anchor recorded: `stored` maps (chain, seq) → the hash stored at
    that place now, for the anchor's heads."""
    when = f"{anchor.label} " if anchor.label else ""
    for head in anchor.heads:
        if head.seq == 0:
            continue
        found = stored.get((head.chain, head.seq))
        if found != head.hash:
            what = "tidak ada lagi" if found is None else "berbeda"
            yield ChainBreak(
                head.chain,
                head.seq,
                None,
                BreakKind.ANCHOR,
                f"entri ke-{head.seq} rantai {head.chain} {what} dari yang dijangkarkan"
                f" {when}pada {anchor.taken_at.isoformat(timespec='seconds')}",
            )
