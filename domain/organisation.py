"""Instansi, units and employees; who appraises whom (PermenPANRB 6/2022 Pasal 1, reference 1.6).

The pejabat penilai kinerja is the direct superior, and the atasan pejabat penilai is that person's own superior,
unless an explicit override (delegation, reorganisation) says otherwise. Overrides are resolved at a date so a
reorganisation moves open tasks from the old supervisor to the new one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import DomainError, NotFound


class EmploymentKind(StrEnum):
    PNS = "PNS"
    PPPK = "PPPK"


class Instansi(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)


class Unit(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    parent_code: str | None = None


# Deliberately loose: one '@', a dot in the domain, no spaces; at most 254 characters (RFC 5321's path limit).
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
EMAIL_MAX = 254


class Employee(BaseModel):
    model_config = ConfigDict(frozen=True)

    nip: str = Field(pattern=r"^\d{18}$")
    name: str = Field(min_length=1, max_length=200)
    jabatan: str = Field(min_length=1, max_length=200)
    unit_code: str = Field(min_length=1, max_length=32)  # as Unit.code
    kind: EmploymentKind = EmploymentKind.PNS
    superior_nip: str | None = Field(default=None, pattern=r"^\d{18}$")
    email: str | None = Field(default=None, max_length=EMAIL_MAX, pattern=EMAIL_PATTERN)
    active: bool = True
    # TMT masuk: the day the employee joined the instansi (a new appointment, a mutasi in); None: long before
    joined_on: date | None = None

    def appraised_from(self, period: int) -> date | None:
        """The day a partial appraisal period of `period` starts for someone who joined during it (None: the whole
        year). The SKP year is the calendar year (PermenPANRB 6/2022); whoever joins after 1 January is appraised
        for the rest of it."""
        return appraised_from(self.joined_on, period)


def appraised_from(joined_on: date | None, period: int) -> date | None:
    """Employee.appraised_from for someone who joined the instansi on `joined_on` (None: long before)."""
    if joined_on is not None and date(period, 1, 1) < joined_on <= date(period, 12, 31):
        return joined_on
    return None


class ReviewerOverride(BaseModel):
    """An explicit pejabat penilai (and optionally atasan) for one employee from a date on, with the reason."""

    model_config = ConfigDict(frozen=True)

    employee_nip: str
    penilai_nip: str
    atasan_nip: str | None = None
    effective_from: date
    reason: str = Field(min_length=3)


class Reviewers(BaseModel):
    model_config = ConfigDict(frozen=True)

    employee_nip: str
    penilai_nip: str
    atasan_nip: str | None
    source: str  # "atasan langsung" or the override's reason


def resolve_reviewers(
    employee_nip: str,
    employees: Mapping[str, Employee],
    overrides: Sequence[ReviewerOverride] = (),
    on: date | None = None,
) -> Reviewers:
    """The pejabat penilai and atasan pejabat penilai of an employee on a date.

    The newest override effective on `on` (or any, when `on` is None) wins over the org tree; an override without an
    atasan takes the override penilai's own superior. An inactive penilai is an error, so a task is never assigned to
    someone who can no longer act: the supervision team must reassign it.
    """
    employee = employees.get(employee_nip)
    if employee is None:
        raise NotFound(f"pegawai {employee_nip} tidak ditemukan", field="nip")
    applicable = [o for o in overrides if o.employee_nip == employee_nip and (on is None or o.effective_from <= on)]
    if applicable:
        chosen = max(applicable, key=lambda o: o.effective_from)
        penilai_nip, source = chosen.penilai_nip, chosen.reason
        atasan_nip = chosen.atasan_nip or _superior_of(penilai_nip, employees)
    else:
        if employee.superior_nip is None:
            raise DomainError(
                f"pegawai {employee_nip} tidak memiliki atasan langsung; tetapkan pejabat penilai secara eksplisit",
                field="superior_nip",
                rule="PermenPANRB 6/2022 Pasal 1: pejabat penilai kinerja adalah atasan langsung",
            )
        penilai_nip, source = employee.superior_nip, "atasan langsung"
        atasan_nip = _superior_of(penilai_nip, employees)
    penilai = employees.get(penilai_nip)
    if penilai is None or not penilai.active:
        raise DomainError(
            f"pejabat penilai {penilai_nip} untuk pegawai {employee_nip} tidak aktif atau tidak ada",
            field="penilai_nip",
            rule="tugas penilaian harus dialihkan ke pejabat penilai yang aktif",
        )
    if penilai_nip == employee_nip:
        raise DomainError("pegawai tidak dapat menilai dirinya sendiri", field="penilai_nip")
    return Reviewers(employee_nip=employee_nip, penilai_nip=penilai_nip, atasan_nip=atasan_nip, source=source)


def _superior_of(nip: str, employees: Mapping[str, Employee]) -> str | None:
    person = employees.get(nip)
    return person.superior_nip if person else None


def superior_chain(nip: str, employees: Mapping[str, Employee], levels: int) -> list[str]:
    """Up to `levels` superiors above `nip`, nearest first; stops at the top or at a cycle in bad data."""
    chain: list[str] = []
    current = employees.get(nip)
    while current is not None and current.superior_nip and len(chain) < levels:
        if current.superior_nip in chain or current.superior_nip == nip:
            break
        chain.append(current.superior_nip)
        current = employees.get(current.superior_nip)
    return chain


def unit_ancestry(unit_code: str, units: Mapping[str, Unit]) -> list[str]:
    """The unit and its parents up to the root, nearest first; a cycle in the tree is an error."""
    seen: list[str] = []
    current: str | None = unit_code
    while current is not None:
        if current in seen:
            raise DomainError(f"pohon unit berputar di {current}", field="kode_unit_induk")
        seen.append(current)
        unit = units.get(current)
        current = unit.parent_code if unit else None
    return seen
