"""IKU per period, SKP, supervisor reviews and calibrations; the last three carry a version for optimistic locking.

`save(record)` is the one write: `record.version` None means "new", otherwise it is the version the caller read, and
a record changed since then is refused with ConcurrencyConflict instead of silently overwritten.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Insert, Row, Table, and_, delete, func, insert, select
from sqlalchemy.orm import Session

from domain.errors import ConcurrencyConflict, DomainError, NotFound
from domain.ratings import OrgPredicate, Predicate
from domain.skp import Iku, Polarity, Skp, Target
from domain.skp_versions import SkpVersion
from domain.stages import Step
from persistence.orm import (
    CalibrationLineRow,
    CalibrationRow,
    EmployeeRow,
    IkuRow,
    IkuVersionRow,
    ReviewRow,
    ReviewTallyRow,
    SkpRow,
    SkpVersionRow,
    WorklistRow,
)
from persistence.ports import CalibrationRecord, IkuVersion, ReviewRecord, ReviewStanding, SkpRecord
from persistence.repositories._sql import (
    VERSIONED_WRITES,
    backend,
    conflict_message,
    dialect_insert,
    stale_data_as_conflict,
)

M = TypeVar("M", bound=BaseModel)
_Versioned = TypeVar("_Versioned", SkpRow, ReviewRow, CalibrationRow)


def _check_version(what: str, row: _Versioned | None, expected: int | None) -> None:
    if expected is None and row is not None:
        raise ConcurrencyConflict(
            f"{what} sudah ada (versi {row.version}); muat ulang sebelum mengubahnya", rule="optimistic concurrency"
        )
    if expected is not None:
        if row is None:
            raise NotFound(f"{what} tidak ditemukan", field="versi")
        if row.version != expected:
            raise ConcurrencyConflict(conflict_message(what, expected), rule="optimistic concurrency")


def _written(session: Session, what: str, expected: int | None) -> int:
    """The version the row will have once committed; the UPDATE's `WHERE version = expected` is the real check.

    The write is not flushed here: the row lock (PostgreSQL) or the write lock (SQLite) is then taken only at
    commit, and a lost update surfaces there as ConcurrencyConflict naming what was being saved.
    """
    session.info.setdefault(VERSIONED_WRITES, []).append(what)
    return (expected or 0) + 1  # SQLAlchemy's default version counter: 1 on insert, +1 per update


def _iku(row: IkuRow | IkuVersionRow) -> Iku:
    return Iku(
        code=row.code,
        name=row.name,
        unit_of_measure=row.unit_of_measure,
        target=Target(polarity=Polarity(row.polarity), value=row.target, upper=row.target_upper),
        period=row.period,
        unit_code=row.unit_code,
    )


class SqlIkuRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, iku: Iku, instansi_code: str) -> None:
        if self._row(instansi_code, iku.period, iku.code) is not None:
            raise DomainError(
                f"IKU {iku.code} periode {iku.period} sudah terdaftar di instansi {instansi_code}", field="kode_iku"
            )
        self._session.add(
            IkuRow(
                instansi_code=instansi_code,
                period=iku.period,
                code=iku.code,
                name=iku.name,
                unit_of_measure=iku.unit_of_measure,
                polarity=iku.target.polarity.value,
                target=iku.target.value,
                target_upper=iku.target.upper,
                unit_code=iku.unit_code,
            )
        )

    def get(self, instansi_code: str, period: int, code: str) -> Iku | None:
        row = self._row(instansi_code, period, code)
        return _iku(row) if row else None

    def for_period(self, instansi_code: str, period: int) -> list[Iku]:
        rows = self._session.scalars(
            select(IkuRow).where(IkuRow.instansi_code == instansi_code, IkuRow.period == period).order_by(IkuRow.code)
        )
        return [_iku(row) for row in rows]

    def correct(self, iku: Iku, instansi_code: str, *, reason: str, by: str, at: datetime) -> int:
        """Replace the stored IKU with `iku`, keeping the replaced version with who, when and why; the new version.
        The row is locked for the transaction (PostgreSQL), so two corrections at once take turns."""
        row = self._row(instansi_code, iku.period, iku.code, lock=True)
        if row is None:
            raise NotFound(f"IKU {iku.code} periode {iku.period} belum terdaftar di {instansi_code}", field="kode_iku")
        self._session.add(
            IkuVersionRow(
                instansi_code=instansi_code,
                period=row.period,
                code=row.code,
                version=row.version,
                name=row.name,
                unit_of_measure=row.unit_of_measure,
                polarity=row.polarity,
                target=row.target,
                target_upper=row.target_upper,
                unit_code=row.unit_code,
                replaced_at=at,
                replaced_by=by,
                reason=reason,
            )
        )
        row.name = iku.name
        row.unit_of_measure = iku.unit_of_measure
        row.polarity = iku.target.polarity.value
        row.target = iku.target.value
        row.target_upper = iku.target.upper
        row.unit_code = iku.unit_code
        row.version += 1
        return row.version

    def versions(self, instansi_code: str, period: int, code: str) -> list[IkuVersion]:
        """The versions corrections replaced, oldest first, then the current one (its `replaced_*` None)."""
        rows = self._session.scalars(
            select(IkuVersionRow)
            .where(
                IkuVersionRow.instansi_code == instansi_code,
                IkuVersionRow.period == period,
                IkuVersionRow.code == code,
            )
            .order_by(IkuVersionRow.version)
        )
        found = [
            IkuVersion(
                version=r.version,
                iku=_iku(r),
                replaced_at=r.replaced_at,
                replaced_by=r.replaced_by,
                reason=r.reason,
            )
            for r in rows
        ]
        current = self._row(instansi_code, period, code)
        if current is not None:
            found.append(IkuVersion(version=current.version, iku=_iku(current)))
        return found

    def _row(self, instansi_code: str, period: int, code: str, *, lock: bool = False) -> IkuRow | None:
        query = select(IkuRow).where(
            IkuRow.instansi_code == instansi_code, IkuRow.period == period, IkuRow.code == code
        )
        return self._session.scalars(query.with_for_update() if lock else query).one_or_none()


class SqlSkpRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, employee_nip: str, period: int) -> SkpRecord | None:
        row = self._row(employee_nip, period)
        if row is None:
            return None
        return SkpRecord(
            skp=Skp.model_validate(row.content),
            status=row.status,
            policy_version=row.policy_version,
            version=row.version,
        )

    def replace(self, skp: Skp, *, status: str, policy_version: str) -> int:
        """Store the SKP whatever version is stored, in one statement; returns its new version.

        For an appraisal's steps: the workflow is the one writer of its SKP and each step replaces what it holds, so
        there is nothing to compare (save() is for writers who read a version first).
        """
        return int(
            self._session.execute(
                _skp_upsert(backend(self._session)),
                {
                    "employee_nip": skp.employee_nip,
                    "period": skp.period,
                    "status": status,
                    "policy_version": policy_version,
                    "content": skp.model_dump(mode="json"),
                    "version": 1,  # a new row; a stored one counts on from its own version
                },
            ).scalar_one()
        )

    def save(self, record: SkpRecord) -> int:
        """Store the SKP; returns the version it will have after commit."""
        skp = record.skp
        what = f"SKP pegawai {skp.employee_nip} periode {skp.period}"
        with stale_data_as_conflict(what, record.version):  # the query may autoflush an earlier save
            row = self._row(skp.employee_nip, skp.period)
        _check_version(what, row, record.version)
        if row is None:
            row = SkpRow(employee_nip=skp.employee_nip, period=skp.period)
            self._session.add(row)
        row.status = record.status
        row.policy_version = record.policy_version
        row.content = skp.model_dump(mode="json")
        return _written(self._session, what, record.version)

    def of_instansi(self, instansi_code: str, period: int) -> list[Skp]:
        """Every SKP of the period of the instansi's people (an IKU correction looks for what cascades from it)."""
        rows = self._session.scalars(
            select(SkpRow.content)
            .join(EmployeeRow, EmployeeRow.nip == SkpRow.employee_nip)
            .where(EmployeeRow.instansi_code == instansi_code, SkpRow.period == period)
            .order_by(SkpRow.employee_nip)
        )
        return [Skp.model_validate(content) for content in rows]

    def keep_version(
        self, workflow_id: str, employee_nip: str, period: int, version: SkpVersion, *, by: str, at: datetime
    ) -> None:
        """Keep a version a change of the appraisal `workflow_id` replaced (domain.skp_versions). Once per number: a
        run reset to before the change writes its approval again, and finds it kept."""
        table: Table = SkpVersionRow.__table__  # type: ignore[assignment]
        insert = dialect_insert(backend(self._session), table).values(
            workflow_id=workflow_id,
            number=version.number,
            employee_nip=employee_nip,
            period=period,
            content=version.skp.model_dump(mode="json"),
            effective_from=version.effective_from,
            effective_until=version.effective_until,
            replaced_at=at,
            replaced_by=by,
            reason=version.reason,
        )
        self._session.execute(insert.on_conflict_do_nothing(index_elements=["workflow_id", "number"]))

    def versions(self, workflow_id: str) -> list[SkpVersion]:
        """The versions of the appraisal's SKP replaced during the year, the first first (none: it never changed)."""
        rows = self._session.scalars(
            select(SkpVersionRow).where(SkpVersionRow.workflow_id == workflow_id).order_by(SkpVersionRow.number)
        )
        return [
            SkpVersion(
                number=row.number,
                skp=Skp.model_validate(row.content),
                effective_from=row.effective_from,
                effective_until=row.effective_until,
                reason=row.reason,
            )
            for row in rows
        ]

    def _row(self, employee_nip: str, period: int) -> SkpRow | None:
        return self._session.scalars(
            select(SkpRow).where(SkpRow.employee_nip == employee_nip, SkpRow.period == period)
        ).one_or_none()


@cache
def _skp_upsert(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT (employee_nip, period) DO UPDATE, version + 1, built once per backend."""
    table: Table = SkpRow.__table__  # type: ignore[assignment]
    insert = dialect_insert(dialect, table)
    replaced = {column: insert.excluded[column] for column in ("status", "policy_version", "content")}
    return insert.on_conflict_do_update(
        index_elements=["employee_nip", "period"], set_={**replaced, "version": table.c.version + 1}
    ).returning(table.c.version)


_TALLIES: Table = ReviewTallyRow.__table__  # type: ignore[assignment]
_COUNTED = [_TALLIES.c[p.value] for p in Predicate]  # a column per predicate, in Predicate's order
_RANK = {p.value: rank for rank, p in enumerate(Predicate)}
NO_UNIT = "-"  # the unit a review stored without one is counted under
Tallied = tuple[str, str, str]  # (cycle, unit, predicate) a review is counted under


@cache
def _tally_upsert(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE adding to a unit's tallies, built once per backend: every review recorded
    runs it, with +1 for where it stands now and -1 for where it stood."""
    insert = dialect_insert(dialect, _TALLIES)
    return insert.on_conflict_do_update(
        index_elements=["cycle_id", "unit_code"],
        set_={column.name: column + insert.excluded[column.name] for column in _COUNTED},
    )


def _tallied(cycle_id: str | None, unit_code: str | None, predicate: str | None) -> Tallied | None:
    """The tally a review with these columns is counted in (None: outside any cycle, or not rated yet)."""
    if cycle_id is None or predicate is None:
        return None
    return (cycle_id, unit_code or NO_UNIT, predicate)


class SqlReviewRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, workflow_id: str, model: type[M]) -> ReviewRecord[M] | None:
        row = self._row(workflow_id)
        return None if row is None else _review(row, model)

    def batches_with_prefix(self, prefix: str, model: type[M], *, size: int = 1000) -> Iterator[list[ReviewRecord[M]]]:
        """Every review whose workflow id starts with `prefix` (a cycle's appraisals), in workflow id order, `size` at
        a time, read as columns and streamed: a province's 100,000 reviews are never all in memory at once, and
        `model` may be a narrower view of the stored review (only the fields a reader needs)."""
        query = (
            select(*_REVIEW_COLUMNS)
            .where(ReviewRow.workflow_id.startswith(prefix, autoescape=True))
            .order_by(ReviewRow.workflow_id)
            .execution_options(yield_per=size)
        )
        for rows in self._session.execute(query).partitions(size):
            yield [_review(row, model) for row in rows]

    def of_cycle(
        self, cycle_id: str, model: type[M], *, leaving_out: Collection[str], offset: int, limit: int
    ) -> list[ReviewRecord[M]]:
        """A page of the cycle's reviews in workflow id order (`batches_with_prefix`'s), those of the workflows
        `leaving_out` (a cycle's few withdrawn) left out: a report's page reads its rows, not the cycle's."""
        query = (
            select(*_REVIEW_COLUMNS)
            .where(*_of_cycle(cycle_id, leaving_out))
            .order_by(ReviewRow.workflow_id)
            .offset(offset)
            .limit(limit)
        )
        return [_review(row, model) for row in self._session.execute(query)]

    def count_of_cycle(self, cycle_id: str, *, leaving_out: Collection[str]) -> int:
        """How many reviews `of_cycle` pages through, counted from the (cycle, unit, predicate) index."""
        return self._session.scalar(select(func.count()).where(*_of_cycle(cycle_id, leaving_out))) or 0

    def standings(
        self,
        cycle_id: str,
        instansi_code: str,
        *,
        leaving_out: Collection[str],
        offset: int = 0,
        limit: int | None = None,
        size: int = 1000,
    ) -> Iterator[list[ReviewStanding]]:
        """`of_cycle`'s reviews from the `offset`-th (`limit` of them; None: all), in its order, as ReviewStanding,
        `size` at a time and streamed: the predicate from its column (the document's where the column is empty, as
        in reviews stored before it), the achievements as stored, the person from the instansi's roster by a join."""
        content = ReviewRow.content
        query = (
            select(
                ReviewRow.workflow_id,
                ReviewRow.employee_nip,
                ReviewRow.unit_code,
                func.coalesce(
                    ReviewRow.predicate,
                    content["final_predicate"].as_string(),
                    content[("result", "predicate")].as_string(),
                ),
                content["achievements"],
                EmployeeRow.name,
                EmployeeRow.unit_code,
                EmployeeRow.joined_on,
            )
            .outerjoin(
                EmployeeRow,
                and_(EmployeeRow.nip == ReviewRow.employee_nip, EmployeeRow.instansi_code == instansi_code),
            )
            .where(*_of_cycle(cycle_id, leaving_out))
            .order_by(ReviewRow.workflow_id)
            .offset(offset)
            .limit(limit)
            .execution_options(yield_per=size)
        )
        for rows in self._session.execute(query).partitions(size):
            yield [ReviewStanding(*row) for row in rows]

    def version(self, workflow_id: str) -> int | None:
        """The stored review's version, without reading its content (None: none stored)."""
        return self._session.scalar(select(ReviewRow.version).where(ReviewRow.workflow_id == workflow_id))

    def of_employee(self, employee_nip: str, model: type[M], *, limit: int) -> list[ReviewRecord[M]]:
        """The employee's reviews in every cycle, newest period first, read through the index on employee_nip."""
        query = (
            select(*_REVIEW_COLUMNS)
            .where(ReviewRow.employee_nip == employee_nip)
            .order_by(ReviewRow.period.desc(), ReviewRow.updated_at.desc())
            .limit(limit)
        )
        return [_review(row, model) for row in self._session.execute(query)]

    def save(self, record: ReviewRecord[Any], *, at: datetime | None = None) -> int:
        """Store the review; returns the version it will have after commit."""
        what = f"penilaian pegawai {record.employee_nip} periode {record.period}"
        with stale_data_as_conflict(what, record.version):  # the query may autoflush an earlier save
            row = self._row(record.workflow_id)
        _check_version(what, row, record.version)
        if row is None:
            row = ReviewRow(workflow_id=record.workflow_id, employee_nip=record.employee_nip, period=record.period)
            self._session.add(row)
            was = None
        else:
            was = _tallied(row.cycle_id, row.unit_code, row.predicate)
        row.content = record.review.model_dump(mode="json")
        row.cycle_id = record.cycle_id
        row.unit_code = record.unit_code
        row.predicate = record.predicate.value if record.predicate is not None else None
        row.updated_at = at or datetime.now(UTC)
        self._move_tally(was, _tallied(row.cycle_id, row.unit_code, row.predicate))
        return _written(self._session, what, record.version)

    def _move_tally(self, was: Tallied | None, now: Tallied | None) -> None:
        """Count the review under `now` instead of `was`, in this transaction. The version check at commit makes
        `was` what the database held (a review changed meanwhile rolls all of it back). A review moving between two
        units takes their rows in key order, so two such moves never wait on each other in a circle."""
        if was == now:
            return
        deltas: dict[tuple[str, str], dict[str, int]] = {}
        for tallied, delta in ((was, -1), (now, 1)):
            if tallied is not None:
                cycle_id, unit_code, predicate = tallied
                row = deltas.setdefault((cycle_id, unit_code), {column.name: 0 for column in _COUNTED})
                row[predicate] += delta
        statement = _tally_upsert(backend(self._session))
        for (cycle_id, unit_code), counts in sorted(deltas.items()):
            self._session.execute(statement, {"cycle_id": cycle_id, "unit_code": unit_code, **counts})

    def predicate_counts(self, cycle_id: str) -> dict[str, tuple[int, ...]]:
        """unit → how many of the cycle's appraisals stand at each predicate (in Predicate's order, best first),
        withdrawn ones left out ("-" for a review stored without its unit). Read from the tallies each save of a
        review keeps (a row per unit, however many reviews the cycle has), less the reviews of the cycle's withdrawn
        appraisals, found through a partial index of the worklist (few)."""
        tally = _TALLIES.c
        # A row per unit, thousands: fetched at once, on the session's connection (no ORM state to build for a
        # table read as plain rows)
        connection = self._session.connection()
        rows = connection.execute(select(tally.unit_code, *_COUNTED).where(tally.cycle_id == cycle_id)).all()
        counted = {code: list(counts) for code, *counts in rows}
        review_unit = func.coalesce(ReviewRow.unit_code, NO_UNIT)
        withdrawn = (
            select(review_unit, ReviewRow.predicate, func.count())
            .select_from(WorklistRow)
            .join(ReviewRow, ReviewRow.workflow_id == WorklistRow.workflow_id)
            .where(
                WorklistRow.cycle_id == cycle_id,
                WorklistRow.step == Step.WITHDRAWN.value,
                ReviewRow.cycle_id == cycle_id,
                ReviewRow.predicate.is_not(None),
            )
            .group_by(review_unit, ReviewRow.predicate)
        )
        for code, predicate, gone in self._session.execute(withdrawn):
            if code in counted:
                counted[code][_RANK[str(predicate)]] -= gone  # never None: the query leaves those out
        return {code: tuple(counts) for code, counts in counted.items() if any(counts)}

    def unreviewed_counts(self, cycle_id: str) -> dict[str, int]:
        """unit → how many of the cycle's appraisals (withdrawn ones left out) have no predicate yet, by the unit of
        their worklist entry: the one their review is counted under once it is recorded."""
        query = (
            select(WorklistRow.unit_code, func.count())
            .select_from(WorklistRow)
            .outerjoin(ReviewRow, ReviewRow.workflow_id == WorklistRow.workflow_id)
            .where(
                WorklistRow.cycle_id == cycle_id,
                WorklistRow.step != Step.WITHDRAWN.value,
                ReviewRow.predicate.is_(None),
            )
            .group_by(WorklistRow.unit_code)
        )
        return {str(unit): int(count) for unit, count in self._session.execute(query)}

    def _row(self, workflow_id: str) -> ReviewRow | None:
        return self._session.scalars(select(ReviewRow).where(ReviewRow.workflow_id == workflow_id)).one_or_none()


def _of_cycle(cycle_id: str, leaving_out: Collection[str]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [ReviewRow.cycle_id == cycle_id]
    if leaving_out:
        conditions.append(ReviewRow.workflow_id.not_in(sorted(leaving_out)))
    return conditions


_REVIEW_COLUMNS = (
    ReviewRow.workflow_id,
    ReviewRow.employee_nip,
    ReviewRow.period,
    ReviewRow.content,
    ReviewRow.version,
    ReviewRow.updated_at,
    ReviewRow.cycle_id,
    ReviewRow.unit_code,
    ReviewRow.predicate,
)


def _review(row: ReviewRow | Row[*tuple[Any, ...]], model: type[M]) -> ReviewRecord[M]:
    return ReviewRecord(
        workflow_id=row.workflow_id,
        employee_nip=row.employee_nip,
        period=row.period,
        review=model.model_validate(row.content),
        version=row.version,
        updated_at=row.updated_at,
        cycle_id=row.cycle_id,
        unit_code=row.unit_code,
        predicate=Predicate(row.predicate) if row.predicate is not None else None,
    )


def _calibration(row: CalibrationRow, model: type[M]) -> CalibrationRecord[M]:
    return CalibrationRecord(
        instansi_code=row.instansi_code,
        period=row.period,
        group_code=row.group_code,
        org_predicate=OrgPredicate(row.org_predicate),
        status=row.status,
        policy_version=row.policy_version,
        calibration=model.model_validate(row.content),
        version=row.version,
    )


class SqlCalibrationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, instansi_code: str, period: int, group_code: str, model: type[M]) -> CalibrationRecord[M] | None:
        row = self._row(instansi_code, period, group_code)
        return _calibration(row, model) if row else None

    def summary(self, instansi_code: str, period: int, group_code: str) -> tuple[str, dict[str, Any] | None] | None:
        """The status and summary (CalibrationRecord.summary) of the stored calibration, read without its document:
        a proposal's holds every employee's entry (None when none is stored)."""
        query = select(CalibrationRow.status, CalibrationRow.summary).where(
            CalibrationRow.instansi_code == instansi_code,
            CalibrationRow.period == period,
            CalibrationRow.group_code == group_code,
        )
        row = self._session.execute(query).one_or_none()
        return None if row is None else (row[0], row[1])

    def lines(
        self, instansi_code: str, period: int, group_code: str, offset: int, limit: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """How many lines the stored calibration lists (`CalibrationRecord.listed`), and `limit` of them from the
        `offset`-th (from 0), in order; (0, []) when none is stored."""
        calibration = self._id(instansi_code, period, group_code)
        of_it = CalibrationLineRow.calibration_id == calibration
        total = self._session.scalar(select(func.count()).select_from(CalibrationLineRow).where(of_it)) or 0
        found = self._session.scalars(
            select(CalibrationLineRow.content)
            .where(of_it, CalibrationLineRow.position >= offset)
            .order_by(CalibrationLineRow.position)
            .limit(limit)
        )
        return total, list(found)

    def for_period(self, instansi_code: str, period: int, model: type[M]) -> list[CalibrationRecord[M]]:
        rows = self._session.scalars(
            select(CalibrationRow)
            .where(CalibrationRow.instansi_code == instansi_code, CalibrationRow.period == period)
            .order_by(CalibrationRow.group_code)
        )
        return [_calibration(row, model) for row in rows]

    def save(self, record: CalibrationRecord[Any]) -> int:
        """Store the calibration; returns the version it will have after commit."""
        what = f"kalibrasi kelompok {record.group_code} instansi {record.instansi_code} periode {record.period}"
        with stale_data_as_conflict(what, record.version):  # the query may autoflush an earlier save
            row = self._row(record.instansi_code, record.period, record.group_code)
        _check_version(what, row, record.version)
        if row is None:
            row = CalibrationRow(instansi_code=record.instansi_code, period=record.period, group_code=record.group_code)
            self._session.add(row)
        row.org_predicate = record.org_predicate.value
        row.status = record.status
        row.policy_version = record.policy_version
        row.content = record.calibration.model_dump(mode="json")
        row.summary = record.summary
        if record.listed is None:
            return _written(self._session, what, record.version)
        # The lines replaced by one DELETE and a bulk INSERT, where the ORM loaded, deleted and inserted them one by
        # one (5,000 of a decision at 100,000 appraisals, under the write lock). They need the row's id, so the row
        # is written here: its UPDATE is the transaction's first write, and its document (every employee's entry) is
        # serialised before that statement runs, before the write lock (SQLite) or the row's lock (PostgreSQL).
        with stale_data_as_conflict(what, record.version):
            self._session.flush()
        self._session.execute(delete(CalibrationLineRow).where(CalibrationLineRow.calibration_id == row.id))
        if record.listed:
            lines = [{"calibration_id": row.id, "position": n, "content": line} for n, line in enumerate(record.listed)]
            self._session.execute(insert(CalibrationLineRow), lines)
        self._session.expire(row, ["lines"])  # never read through the collection; not stale if it was
        return (record.version or 0) + 1

    def _id(self, instansi_code: str, period: int, group_code: str) -> Any:
        return (
            select(CalibrationRow.id)
            .where(
                CalibrationRow.instansi_code == instansi_code,
                CalibrationRow.period == period,
                CalibrationRow.group_code == group_code,
            )
            .scalar_subquery()
        )

    def _row(self, instansi_code: str, period: int, group_code: str) -> CalibrationRow | None:
        return self._session.scalars(
            select(CalibrationRow).where(
                CalibrationRow.instansi_code == instansi_code,
                CalibrationRow.period == period,
                CalibrationRow.group_code == group_code,
            )
        ).one_or_none()
