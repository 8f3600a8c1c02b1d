"""The audit log's hash chains on both databases: written by the repository, checked by `kinerja audit verifikasi`'s
service, tampered with behind the application's back (as the database's owner can, triggers lifted) and found.

Issue 19: "Tests edit, delete, insert and reorder rows directly in SQLite and PostgreSQL and see `verifikasi` find
each"; rewriting a whole chain is found by an anchor taken before.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, text

from domain.audit import AuditEntry
from domain.audit_chain import CHAINS, GENESIS, BreakKind, ChainBreak, chain_for, seal
from domain.stages import Role
from persistence.db import current_revision, make_engine, make_session_factory, upgrade
from persistence.uow import SqlAlchemyUnitOfWork
from services import audit_chain
from tests.integration.commands import kinerja

UowFactory = Callable[[], SqlAlchemyUnitOfWork]
STAFF = "199001012015011001"
WORKFLOW = "appraisal-C1-199001012015011001"
START = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)


def _entry(n: int, *, workflow_id: str = WORKFLOW, key: bool = True) -> AuditEntry:
    return AuditEntry(
        occurred_at=START + timedelta(minutes=n),
        actor=STAFF,
        actor_role=Role.PEGAWAI,
        action="submit_skp",
        subject=STAFF,
        reason=f"langkah {n}",
        before={"step": "skp_draft", "n": n},
        after={"step": "skp_review", "score": 76.61, "whole": 100.0},
        workflow_id=workflow_id,
        idempotency_key=f"{workflow_id}:{n}" if key else None,
    )


def _write(uow_factory: UowFactory, entries: list[AuditEntry]) -> None:
    for entry in entries:
        with uow_factory() as uow:
            uow.audit.append(entry)
            uow.commit()


@pytest.fixture
def written(uow_factory: UowFactory) -> int:
    """Six entries of one appraisal, one by one: its chain holds 1..6."""
    _write(uow_factory, [_entry(n) for n in range(1, 7)])
    return chain_for(_entry(1))


def _tamper(engine: Engine, *statements: str, **params: object) -> None:
    """Run SQL as the database's owner would, with the append-only triggers out of the way."""
    with engine.begin() as connection:
        _lift_triggers(connection)
        for statement in statements:
            connection.execute(text(statement), params)


def _lift_triggers(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    else:
        connection.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        connection.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))


def _row_id(engine: Engine, chain: int, seq: int) -> int:
    with engine.connect() as connection:
        found: int = connection.execute(
            text("SELECT id FROM audit_log WHERE chain = :chain AND seq = :seq"), {"chain": chain, "seq": seq}
        ).scalar_one()
    return found


def _only_break(uow_factory: UowFactory) -> ChainBreak:
    report = audit_chain.verify(uow_factory)
    assert not report.intact
    [found] = report.breaks
    return found


def test_entries_are_sealed_in_order_and_verify_intact(uow_factory: UowFactory, written: int) -> None:
    with uow_factory() as uow:
        assert uow.audit.append(_entry(3)) is False  # a retried activity: nothing written, the head unmoved
        uow.commit()
    with uow_factory() as uow:
        rows = list(uow.audit.chain_entries(written))
        heads = {head.chain: head for head in uow.audit.heads()}
    assert [row.seq for row in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0].previous == GENESIS and all(b.previous == a.hash for a, b in itertools.pairwise(rows))
    assert all(row.hash == seal(row.entry, written, row.seq or 0, row.previous or "") for row in rows)
    assert (heads[written].seq, heads[written].hash) == (6, rows[-1].hash)
    assert len(heads) == CHAINS
    report = audit_chain.verify(uow_factory)
    assert report.intact and report.entries == 6


def test_entries_of_one_transaction_share_its_chain(uow_factory: UowFactory) -> None:
    other = "appraisal-C1-199002022016021002"
    assert chain_for(_entry(1)) != chain_for(_entry(1, workflow_id=other))
    with uow_factory() as uow:
        uow.audit.append(_entry(1))
        uow.audit.append(_entry(1, workflow_id=other))
        uow.audit.append(_entry(2, key=False))
        uow.commit()
    with uow_factory() as uow:
        rows = list(uow.audit.chain_entries(chain_for(_entry(1))))
    assert [(row.seq, row.entry.workflow_id) for row in rows] == [(1, WORKFLOW), (2, other), (3, WORKFLOW)]
    assert audit_chain.verify(uow_factory).intact


def test_a_rolled_back_entry_leaves_the_chain_as_it_was(uow_factory: UowFactory, written: int) -> None:
    with uow_factory() as uow:
        uow.audit.append(_entry(7))
        uow.rollback()
        uow.audit.append(_entry(8))  # after the rollback the unit of work takes the head again
        uow.commit()
    with uow_factory() as uow:
        assert [row.entry.reason for row in uow.audit.chain_entries(written)][-1] == "langkah 8"
    assert audit_chain.verify(uow_factory).intact


def test_an_edited_entry_is_named(uow_factory: UowFactory, engine: Engine, written: int) -> None:
    edited = _row_id(engine, written, 3)
    _tamper(engine, "UPDATE audit_log SET reason = 'langkah lain' WHERE id = :id", id=edited)
    found = _only_break(uow_factory)
    assert (found.kind, found.row_id, found.seq) == (BreakKind.EDITED, edited, 3)
    assert f"id {edited}" in found.message and "diubah" in found.message


def test_an_edited_document_is_named(uow_factory: UowFactory, engine: Engine, written: int) -> None:
    edited = _row_id(engine, written, 2)
    after = '{"step": "skp_review", "score": 96.61, "whole": 100.0}'
    cast = "CAST(:after AS JSONB)" if engine.dialect.name == "postgresql" else ":after"
    _tamper(engine, f"UPDATE audit_log SET after = {cast} WHERE id = :id", id=edited, after=after)
    assert (_only_break(uow_factory).kind, _only_break(uow_factory).row_id) == (BreakKind.EDITED, edited)


def test_a_deleted_entry_is_found_where_it_was(uow_factory: UowFactory, engine: Engine, written: int) -> None:
    following = _row_id(engine, written, 5)
    _tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=_row_id(engine, written, 4))
    found = _only_break(uow_factory)
    assert (found.kind, found.row_id) == (BreakKind.DELETED, following)
    assert "ke-4" in found.message


def test_the_last_entry_deleted_is_found_by_the_head(uow_factory: UowFactory, engine: Engine, written: int) -> None:
    _tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=_row_id(engine, written, 6))
    found = _only_break(uow_factory)
    assert (found.kind, found.seq) == (BreakKind.DELETED, 6)


def test_an_inserted_entry_is_found(uow_factory: UowFactory, engine: Engine, written: int) -> None:
    """A row slipped in between 2 and 3: to keep the sequence it takes 3 and the rows after move up one."""
    original_third = _row_id(engine, written, 3)
    forged = _entry(99)
    _tamper(
        engine,
        "UPDATE audit_log SET seq = seq + 100 WHERE chain = :chain AND seq >= 3",
        "UPDATE audit_log SET seq = seq - 99 WHERE chain = :chain AND seq >= 100",
        "INSERT INTO audit_log (occurred_at, actor, actor_role, action, subject, reason, workflow_id, chain, seq,"
        " previous_hash, hash) VALUES (:at, :actor, 'pegawai', 'submit_skp', :actor, 'disisipkan', :workflow,"
        " :chain, 3, :previous, :hash)",
        chain=written,
        at=forged.occurred_at.replace(tzinfo=None),
        actor=STAFF,
        workflow=WORKFLOW,
        previous="0" * 64,
        hash="f" * 64,
    )
    found = _only_break(uow_factory)
    assert found.seq == 3 and found.row_id != original_third
    assert found.kind in {BreakKind.REORDERED, BreakKind.INSERTED}


def test_an_entry_appended_behind_the_heads_back_is_found(
    uow_factory: UowFactory, engine: Engine, written: int
) -> None:
    """Sealed as the application would, after the last entry, but the head not moved: the application moves it in
    the same transaction, so only a writer outside it leaves a row past the head."""
    with uow_factory() as uow:
        last = list(uow.audit.chain_entries(written))[-1]
    forged = _entry(50)
    _tamper(
        engine,
        "INSERT INTO audit_log (occurred_at, actor, actor_role, action, subject, reason, before, after, workflow_id,"
        " idempotency_key, chain, seq, previous_hash, hash) SELECT :at, actor, actor_role, action, subject, :reason,"
        " before, after, workflow_id, :key, chain, 7, hash, :hash FROM audit_log WHERE id = :last",
        at=forged.occurred_at.replace(tzinfo=None),
        reason=forged.reason,
        key=forged.idempotency_key,
        hash=seal(forged, written, 7, last.hash or ""),
        last=last.id,
    )
    found = _only_break(uow_factory)
    assert (found.kind, found.seq) == (BreakKind.INSERTED, 7) and "melewati kepala rantai" in found.message


def test_a_row_without_a_seal_is_found(uow_factory: UowFactory, engine: Engine, written: int) -> None:
    _tamper(
        engine,
        "INSERT INTO audit_log (occurred_at, actor, actor_role, action) VALUES (:at, 'system', 'system', 'import')",
        at=START.replace(tzinfo=None),
    )
    found = _only_break(uow_factory)
    assert found.kind is BreakKind.INSERTED and "tanpa segel" in found.message


def test_reordered_entries_are_found(uow_factory: UowFactory, engine: Engine, written: int) -> None:
    second, fourth = _row_id(engine, written, 2), _row_id(engine, written, 4)
    _tamper(
        engine,
        "UPDATE audit_log SET seq = 1000 WHERE id = :second",
        "UPDATE audit_log SET seq = 2 WHERE id = :fourth",
        "UPDATE audit_log SET seq = 4 WHERE id = :second",
        second=second,
        fourth=fourth,
    )
    found = _only_break(uow_factory)
    assert (found.kind, found.row_id, found.seq) == (BreakKind.REORDERED, fourth, 2)


def test_a_rewritten_chain_is_found_by_an_anchor_taken_before(
    uow_factory: UowFactory, engine: Engine, written: int
) -> None:
    """The owner edits an entry and recomputes every seal after it, and the head: the chain is consistent again,
    but not with the heads a cycle kept in its history."""
    anchor = audit_chain.anchor_now(uow_factory, "uji")
    with uow_factory() as uow:
        rows = list(uow.audit.chain_entries(written))
    previous = rows[2].previous or GENESIS
    statements: list[str] = []
    params: dict[str, str] = {}
    for row in rows[2:]:
        entry = row.entry.model_copy(update={"reason": "ditulis ulang"}) if row.seq == 3 else row.entry
        digest = seal(entry, written, row.seq or 0, previous)
        statements.append(f"UPDATE audit_log SET previous_hash = :p{row.id}, hash = :h{row.id} WHERE id = {row.id}")
        params |= {f"p{row.id}": previous, f"h{row.id}": digest}
        previous = digest
    statements.append(f"UPDATE audit_log SET reason = 'ditulis ulang' WHERE id = {rows[2].id}")
    statements.append("UPDATE audit_chain_heads SET hash = :head WHERE chain = :chain")
    _tamper(engine, *statements, head=previous, chain=written, **params)
    assert audit_chain.verify(uow_factory).intact  # the chain alone cannot tell
    [found] = audit_chain.check_anchors(uow_factory, [anchor])
    assert (found.kind, found.chain, found.seq) == (BreakKind.ANCHOR, written, 6)
    assert audit_chain.check_anchors(uow_factory, [audit_chain.anchor_now(uow_factory, "sesudah")]) == []


def test_concurrent_writers_leave_every_chain_whole(uow_factory: UowFactory) -> None:
    """Eight threads append to the same few chains at once: no sequence number is taken twice or skipped."""
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(15):
                with uow_factory() as uow:
                    uow.audit.append(_entry(n, workflow_id=f"appraisal-C1-{worker % 3:018d}"))
                    uow.audit.append(_entry(n + 1000, workflow_id=f"appraisal-C1-{worker:018d}", key=False))
                    uow.commit()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit_chain.verify(uow_factory)
    assert report.intact
    assert report.entries == 3 * 15 + 8 * 15  # keyed entries of the 3 shared workflows once, the others every time


def test_entries_written_before_the_chains_are_sealed_by_the_migration(blank_database_url: str) -> None:
    upgrade(blank_database_url, "0011")
    engine = make_engine(blank_database_url)
    document = "CAST(:after AS JSONB)" if engine.dialect.name == "postgresql" else ":after"
    try:
        with engine.begin() as connection:
            for n in range(1, 4):
                connection.execute(
                    text(
                        "INSERT INTO audit_log (occurred_at, actor, actor_role, action, subject, before, after)"
                        f" VALUES (:at, 'system', 'system', 'import', :subject, NULL, {document})"
                    ),
                    {"at": (START + timedelta(hours=n)).replace(tzinfo=None), "subject": STAFF, "after": '{"n": 1.0}'},
                )
        upgrade(blank_database_url, "0012")
        assert current_revision(blank_database_url) == "0012"
        session_factory = make_session_factory(engine)

        def factory() -> SqlAlchemyUnitOfWork:
            return SqlAlchemyUnitOfWork(session_factory)

        with factory() as uow:
            assert [row.seq for row in uow.audit.chain_entries(0)] == [1, 2, 3]
        _write(factory, [_entry(1)])
        report = audit_chain.verify(factory)
        assert report.intact and report.entries == 4
    finally:
        engine.dispose()


@pytest.mark.usefixtures("cli_database")
def test_kinerja_audit_verifikasi_says_intact_or_names_the_entry(
    capsys: pytest.CaptureFixture[str], uow_factory: UowFactory, engine: Engine, written: int
) -> None:
    status, out, _ = kinerja(capsys, "audit", "verifikasi")  # no cycle in the database: Temporal is not needed
    assert status == 0 and out.splitlines() == [
        "Entri diperiksa: 6 dalam 16 rantai",
        "Log audit utuh: setiap entri cocok dengan segelnya dan jangkarnya",
    ]
    edited = _row_id(engine, written, 2)
    _tamper(engine, "UPDATE audit_log SET actor = :other WHERE id = :id", id=edited, other="199002022016021002")
    status, out, _ = kinerja(capsys, "audit", "verifikasi", "--tanpa-jangkar")
    assert status == 1 and out.splitlines()[1:] == [
        "LOG AUDIT TIDAK UTUH (1 temuan):",
        f"- diubah: rantai {written} entri ke-2 (id {edited}) tidak cocok dengan segelnya: diubah",
    ]
    status, out, _ = kinerja(capsys, "audit", "verifikasi", "--json", "--tanpa-jangkar")
    report = json.loads(out)
    assert status == 1 and report["intact"] is False and report["entries"] == 6
    assert report["breaks"] == [
        {"chain": written, "seq": 2, "row_id": edited, "kind": "diubah", "message": report["breaks"][0]["message"]}
    ]
