"""Instansi (with its policy overrides), units, employees and reviewer overrides."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVarTuple

from pydantic import ValidationError
from sqlalchemy import Row, Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from domain.errors import DomainError, NotFound
from domain.organisation import Employee, EmploymentKind, Instansi, ReviewerOverride, Unit
from domain.policy import DEFAULT_POLICY, AppraisalPolicy
from persistence.orm import EmployeeRow, InstansiRow, ReviewerOverrideRow, UnitRow

Ts = TypeVarTuple("Ts")


class SqlInstansiRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, instansi: Instansi) -> None:
        if self._session.get(InstansiRow, instansi.code) is not None:
            raise DomainError(f"instansi {instansi.code} sudah terdaftar", field="kode_instansi")
        self._session.add(InstansiRow(code=instansi.code, name=instansi.name, policy_overrides={}, policy_revision=0))

    def get(self, code: str) -> Instansi | None:
        row = self._session.get(InstansiRow, code)
        return Instansi(code=row.code, name=row.name) if row else None

    def all(self) -> list[Instansi]:
        rows = self._session.scalars(select(InstansiRow).order_by(InstansiRow.code))
        return [Instansi(code=row.code, name=row.name) for row in rows]

    def lock(self, code: str) -> None:
        """Hold the instansi until this unit of work ends; another unit of work that locks it waits until then.

        A survey import and the computation of a cycle's IKM both lock first (the answers are the instansi's, per
        period): an import is then either counted in the index or refused because the index exists, never stored
        beside an index that left it out. A write that changes nothing takes the lock on both databases: the row's
        on PostgreSQL (a no-key update: inserts that only reference the instansi go on), the database's write lock
        on SQLite (where reads after it see every commit before it).
        """
        self._session.execute(
            update(InstansiRow).where(InstansiRow.code == code).values(policy_revision=InstansiRow.policy_revision)
        )

    def policy(self, code: str) -> AppraisalPolicy:
        """The policy in force for the instansi; its version names the override revision, e.g. `...+DISDIK.3`."""
        row = self._required(code)
        if not row.policy_overrides:
            return DEFAULT_POLICY
        return DEFAULT_POLICY.with_overrides(row.policy_overrides, f"{code}.{row.policy_revision}")

    def set_policy_overrides(self, code: str, overrides: dict[str, Any]) -> AppraisalPolicy:
        """Replace the instansi's overrides after checking they make a valid policy; returns the new policy."""
        row = self._required(code)
        revision = row.policy_revision + 1
        try:
            policy = DEFAULT_POLICY.with_overrides(overrides, f"{code}.{revision}") if overrides else DEFAULT_POLICY
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'kebijakan'}: {e['msg']}" for e in exc.errors())
            raise DomainError(f"penyesuaian kebijakan tidak sah: {problems}", field="policy_overrides") from exc
        row.policy_overrides = overrides
        row.policy_revision = revision
        return policy

    def _required(self, code: str) -> InstansiRow:
        row = self._session.get(InstansiRow, code)
        if row is None:
            raise NotFound(f"instansi {code} tidak ditemukan", field="kode_instansi")
        return row


def _unit(row: UnitRow) -> Unit:
    return Unit(code=row.code, name=row.name, parent_code=row.parent_code)


class SqlUnitRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, unit: Unit, instansi_code: str) -> None:
        if self._row(instansi_code, unit.code) is not None:
            raise DomainError(f"unit {unit.code} sudah terdaftar di instansi {instansi_code}", field="kode_unit")
        self.save(unit, instansi_code)

    def save(self, unit: Unit, instansi_code: str) -> None:
        """Insert or replace (a re-import of the organisation updates names and parents)."""
        row = self._row(instansi_code, unit.code)
        if row is None:
            row = UnitRow(instansi_code=instansi_code, code=unit.code)
            self._session.add(row)
        row.name = unit.name
        row.parent_code = unit.parent_code

    def get(self, instansi_code: str, code: str) -> Unit | None:
        row = self._row(instansi_code, code)
        return _unit(row) if row else None

    def list_by_instansi(self, instansi_code: str) -> list[Unit]:
        rows = self._session.scalars(
            select(UnitRow).where(UnitRow.instansi_code == instansi_code).order_by(UnitRow.code)
        )
        return [_unit(row) for row in rows]

    def mapping(self, instansi_code: str) -> dict[str, Unit]:
        return {unit.code: unit for unit in self.list_by_instansi(instansi_code)}

    def count(self, instansi_code: str) -> int:
        statement = select(func.count()).select_from(UnitRow).where(UnitRow.instansi_code == instansi_code)
        return self._session.scalar(statement) or 0

    def names(self, instansi_code: str, codes: Collection[str]) -> dict[str, str]:
        """code → name of these units of the instansi (a code it does not have is left out)."""
        if not codes:
            return {}
        statement = select(UnitRow.code, UnitRow.name).where(
            UnitRow.instansi_code == instansi_code, UnitRow.code.in_(sorted(codes))
        )
        return dict(self._session.execute(statement).all())

    def _row(self, instansi_code: str, code: str) -> UnitRow | None:
        return self._session.scalars(
            select(UnitRow).where(UnitRow.instansi_code == instansi_code, UnitRow.code == code)
        ).one_or_none()


_EMPLOYEE_COLUMNS = (
    EmployeeRow.nip,
    EmployeeRow.name,
    EmployeeRow.jabatan,
    EmployeeRow.unit_code,
    EmployeeRow.kind,
    EmployeeRow.superior_nip,
    EmployeeRow.email,
    EmployeeRow.active,
    EmployeeRow.joined_on,
)


def _employee(row: EmployeeRow | Row[*tuple[Any, ...]]) -> Employee:
    return Employee(
        nip=row.nip,
        name=row.name,
        jabatan=row.jabatan,
        unit_code=row.unit_code,
        kind=EmploymentKind(row.kind),
        superior_nip=row.superior_nip,
        email=row.email,
        active=row.active,
        joined_on=row.joined_on,
    )


def _override(row: ReviewerOverrideRow) -> ReviewerOverride:
    return ReviewerOverride(
        employee_nip=row.employee_nip,
        penilai_nip=row.penilai_nip,
        atasan_nip=row.atasan_nip,
        effective_from=row.effective_from,
        reason=row.reason,
    )


class SqlEmployeeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, employee: Employee, instansi_code: str) -> None:
        if self._session.get(EmployeeRow, employee.nip) is not None:
            raise DomainError(f"pegawai dengan NIP {employee.nip} sudah terdaftar", field="nip")
        self.save(employee, instansi_code)

    def save(self, employee: Employee, instansi_code: str) -> None:
        """Insert or replace: a re-import moves people between units and superiors."""
        row = self._session.get(EmployeeRow, employee.nip)
        if row is None:
            row = EmployeeRow(nip=employee.nip)
            self._session.add(row)
        row.instansi_code = instansi_code
        row.unit_code = employee.unit_code
        row.name = employee.name
        row.jabatan = employee.jabatan
        row.kind = employee.kind.value
        row.superior_nip = employee.superior_nip
        row.email = employee.email
        row.active = employee.active
        row.joined_on = employee.joined_on

    def get(self, nip: str) -> Employee | None:
        row = self._session.get(EmployeeRow, nip)
        return _employee(row) if row else None

    def instansi_of(self, nip: str) -> str | None:
        row = self._session.get(EmployeeRow, nip)
        return row.instansi_code if row else None

    def list_by_instansi(self, instansi_code: str, *, active_only: bool = False) -> list[Employee]:
        # Columns, not entities: a province's 100,000 rows would otherwise stay in the session's identity map beside
        # the domain objects made from them, for as long as the unit of work is open (half the memory of planning).
        query = select(*_EMPLOYEE_COLUMNS).where(EmployeeRow.instansi_code == instansi_code)
        if active_only:
            query = query.where(EmployeeRow.active.is_(True))
        return [_employee(row) for row in self._session.execute(query.order_by(EmployeeRow.nip))]

    def mapping(self, instansi_code: str) -> dict[str, Employee]:
        """Everyone of the instansi by NIP, inactive people included: resolve_reviewers must see them to refuse them."""
        return {employee.nip: employee for employee in self.list_by_instansi(instansi_code)}

    def active_page(
        self,
        instansi_code: str,
        *,
        after: str | None = None,
        limit: int,
        only: Collection[str] | None = None,
    ) -> list[Employee]:
        """Active employees in NIP order after the NIP `after` (a cursor that a change to the roster cannot shift),
        `limit` of them; `only` narrows them to these NIPs."""
        query = self._active(instansi_code, only, select(*_EMPLOYEE_COLUMNS))
        if after is not None:
            query = query.where(EmployeeRow.nip > after)
        return [_employee(row) for row in self._session.execute(query.order_by(EmployeeRow.nip).limit(limit))]

    def count_active(self, instansi_code: str, *, only: Collection[str] | None = None) -> int:
        return self._session.scalar(self._active(instansi_code, only, select(func.count()))) or 0

    def by_nips(self, instansi_code: str, nips: Collection[str]) -> dict[str, Employee]:
        """These people of the instansi by NIP, inactive included; NIPs not in the instansi are left out."""
        found: dict[str, Employee] = {}
        for chunk in _chunks(nips):
            # By primary key, the instansi checked here: with it in the WHERE, SQLite's planner may walk the whole
            # instansi's index instead.
            query = select(*_EMPLOYEE_COLUMNS, EmployeeRow.instansi_code).where(EmployeeRow.nip.in_(chunk))
            rows = self._session.execute(query)
            found.update((row.nip, _employee(row)) for row in rows if row.instansi_code == instansi_code)
        return found

    def names(self, nips: Collection[str]) -> dict[str, str]:
        """NIP → name of these people, whatever their instansi (unknown NIPs are left out): two columns, for lists
        that show names only."""
        found: dict[str, str] = {}
        for chunk in _chunks(nips):
            found.update(
                self._session.execute(select(EmployeeRow.nip, EmployeeRow.name).where(EmployeeRow.nip.in_(chunk))).all()
            )
        return found

    def emails(self, nips: Collection[str]) -> dict[str, str | None]:
        """The e-mail address of each of these people (None: none on the roster); unknown NIPs are left out."""
        found: dict[str, str | None] = {}
        for chunk in _chunks(nips):
            found.update((row.nip, row.email) for row in self._session.execute(_EMAILS, {"nips": chunk}))
        return found

    def _active(self, instansi_code: str, only: Collection[str] | None, query: Select[*Ts]) -> Select[*Ts]:
        query = query.select_from(EmployeeRow).where(
            EmployeeRow.instansi_code == instansi_code, EmployeeRow.active.is_(True)
        )
        return query if only is None else query.where(EmployeeRow.nip.in_(list(only)))

    def add_override(self, override: ReviewerOverride, *, created_by: str, created_at: datetime | None = None) -> None:
        if self._session.get(EmployeeRow, override.employee_nip) is None:
            raise NotFound(f"pegawai {override.employee_nip} tidak ditemukan", field="nip")
        self._session.add(
            ReviewerOverrideRow(
                employee_nip=override.employee_nip,
                penilai_nip=override.penilai_nip,
                atasan_nip=override.atasan_nip,
                effective_from=override.effective_from,
                reason=override.reason,
                created_by=created_by,
                created_at=created_at or datetime.now(UTC),
            )
        )

    def overrides(self, instansi_code: str) -> list[ReviewerOverride]:
        rows = self._session.scalars(
            select(ReviewerOverrideRow)
            .join(EmployeeRow, EmployeeRow.nip == ReviewerOverrideRow.employee_nip)
            .where(EmployeeRow.instansi_code == instansi_code)
            .order_by(ReviewerOverrideRow.effective_from, ReviewerOverrideRow.id)
        )
        return [_override(row) for row in rows]

    def overrides_of(self, nips: Collection[str]) -> list[ReviewerOverride]:
        """The reviewer overrides of these employees, oldest first (as `overrides`)."""
        found: list[ReviewerOverrideRow] = []
        for chunk in _chunks(nips):
            found.extend(
                self._session.scalars(select(ReviewerOverrideRow).where(ReviewerOverrideRow.employee_nip.in_(chunk)))
            )
        return [_override(row) for row in sorted(found, key=lambda row: (row.effective_from, row.id))]


# Built once: every step a person takes reads the addresses of the people it tells (the expanding IN takes a list).
_EMAILS = select(EmployeeRow.nip, EmployeeRow.email).where(EmployeeRow.nip.in_(bindparam("nips", expanding=True)))

IN_CHUNK = 500  # values in one IN (...): well under SQLite's and PostgreSQL's limits on bound parameters


def _chunks(values: Collection[str]) -> Iterator[list[str]]:
    iterator = iter(sorted(values))
    while chunk := list(islice(iterator, IN_CHUNK)):
        yield chunk
