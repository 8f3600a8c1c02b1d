"""The employee roster of one instansi: units with their tree and employees with their direct superior.

The superior column is what makes the appraisal chain (PermenPANRB 6/2022 Pasal 1: the pejabat penilai is the atasan
langsung), so every reference must land on a row of the same file and the chain must end at a head, not loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.errors import DomainError
from domain.nip import NipError, normalize_nip, validate_nip
from domain.organisation import EMAIL_MAX, EMAIL_PATTERN, Employee, EmploymentKind, Unit
from importing.errors import RowErrors, lines_text
from importing.graph import find_cycles
from importing.tables import Column, Row, Table, conform, overflow_message
from importing.values import parse_bool, validation_messages

ROSTER_COLUMNS = (
    Column(name="nip", aliases=("nip_pegawai", "nip_ni_pppk", "ni_pppk")),
    Column(name="nama", aliases=("name", "nama_pegawai", "nama_lengkap")),
    Column(name="jabatan", aliases=("position", "nama_jabatan")),
    Column(name="unit", aliases=("unit_kerja", "kode_unit", "kode_unit_kerja", "unit_code")),
    Column(name="unit_nama", aliases=("nama_unit", "nama_unit_kerja", "unit_name"), required=False),
    Column(name="unit_induk", aliases=("kode_unit_induk", "induk", "parent_unit", "parent_code"), required=False),
    Column(name="jenis", aliases=("kind", "jenis_pegawai", "jenis_asn", "status_kepegawaian"), required=False),
    Column(
        name="nip_atasan", aliases=("atasan", "superior_nip", "atasan_langsung", "nip_atasan_langsung"), required=False
    ),
    Column(name="aktif", aliases=("active", "status_aktif"), required=False),
    Column(name="email", aliases=("surel", "e_mail"), required=False),
    Column(name="tmt_masuk", aliases=("tanggal_masuk", "tmt_mutasi_masuk", "mulai_bertugas"), required=False),
)
_DAY = re.compile(r"(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})[/.-](?P<year>\d{4})|(?P<iso>\d{4}-\d{2}-\d{2})")
EARLIEST_JOINED = date(1950, 1, 1)

_KINDS = {
    "pns": EmploymentKind.PNS,
    "pegawai negeri sipil": EmploymentKind.PNS,
    "pppk": EmploymentKind.PPPK,
    "p3k": EmploymentKind.PPPK,
    "pegawai pemerintah dengan perjanjian kerja": EmploymentKind.PPPK,
}
_SEGMENT_NAMES = {
    "tanggal_lahir": "tanggal lahir",
    "tmt": "TMT CPNS",
    "tahun_pengangkatan": "tahun pengangkatan PPPK",
    "jenis_kelamin": "jenis kelamin",
    "nomor_urut": "nomor urut",
}
_EMAIL = re.compile(EMAIL_PATTERN)
_EMPLOYEE_COLUMNS = {"nip": "nip", "name": "nama", "jabatan": "jabatan", "unit_code": "unit", "email": "email"}
_UNIT_COLUMNS = {"code": "unit", "name": "unit_nama", "parent_code": "unit_induk"}


class RosterImport(BaseModel):
    """A validated roster: units parents first, employees in file order."""

    model_config = ConfigDict(frozen=True)

    instansi_code: str
    units: list[Unit]
    employees: list[Employee]
    # Whether the file has a `tmt_masuk` column: without one, an import leaves the days people joined as stored.
    gives_joined: bool = False

    @property
    def heads(self) -> list[Employee]:
        """Employees without a superior in the file: the head of the instansi (and any other top of a tree)."""
        return [e for e in self.employees if e.superior_nip is None]


@dataclass
class _UnitSeen:
    line: int
    name: str = ""
    name_line: int = 0
    parent: str = ""
    parent_line: int = 0


def parse_roster(table: Table, instansi_code: str, today: date) -> RosterImport:
    """Validate every row of a roster and return all its units and employees, or raise `ValidationFailed`.

    `today` bounds birth dates in NIPs. Units come from the `unit` column; their names and parents from `unit_nama`
    and `unit_induk` on any row of the unit (the name defaults to the code), and every row must agree.
    """
    if not instansi_code.strip():
        raise DomainError("kode instansi wajib diisi", field="instansi")
    table = conform(table, ROSTER_COLUMNS)
    errors = RowErrors(table.source, table.labels)
    employees: dict[str, tuple[int, Employee]] = {}
    first_lines: dict[str, tuple[int, str]] = {}
    all_nips: set[str] = set()
    units: dict[str, _UnitSeen] = {}

    for row in table.rows:
        before = len(errors.errors)
        if message := overflow_message(row):
            errors.add(row.line, None, "", message, "baris.kolom_lebih")
        kind = _kind(row, errors)
        nip = _nip(row, kind, today, errors)
        all_nips.add("".join(row.get("nip").split()))
        if nip is not None:
            _check_duplicate(row, nip, first_lines, errors)
        superior = _superior(row, errors)
        for column in ("nama", "jabatan", "unit"):
            if not row.get(column):
                errors.add(row.line, column, "", f"{column} wajib diisi", f"{column}.kosong")
        active = True
        try:
            active = parse_bool(row.get("aktif"), default=True)
        except ValueError as error:
            errors.add(row.line, "aktif", row.get("aktif"), str(error), "aktif.tidak_dikenal")
        email = row.get("email")
        if email and not (_EMAIL.fullmatch(email) and len(email) <= EMAIL_MAX):
            errors.add(
                row.line, "email", email, "alamat surel tidak valid (contoh: nama@instansi.go.id)", "email.tidak_valid"
            )
        joined_on = _joined(row, today, errors)
        if row.get("unit"):
            _record_unit(row, units, errors)
        if len(errors.errors) > before or nip is None or kind is None:
            continue
        try:
            employee = Employee(
                nip=nip,
                name=row.get("nama"),
                jabatan=row.get("jabatan"),
                unit_code=row.get("unit"),
                kind=kind,
                superior_nip=superior,
                email=email or None,
                active=active,
                joined_on=joined_on,
            )
        except ValidationError as error:
            for field, message in validation_messages(error):
                column = _EMPLOYEE_COLUMNS.get(field, field)
                errors.add(row.line, column, row.get(column), message, f"{column}.tidak_valid")
            continue
        employees[nip] = (row.line, employee)

    _check_superiors(employees, all_nips, errors)
    built_units = _units(units, errors)
    errors.raise_if_any()
    return RosterImport(
        instansi_code=instansi_code,
        units=built_units,
        employees=[e for _, e in employees.values()],
        gives_joined="tmt_masuk" in table.headers,
    )


def _joined(row: Row, today: date, errors: RowErrors) -> date | None:
    """TMT masuk (optional): a day, DD-MM-YYYY (or /, .) or YYYY-MM-DD, from 1950 to a year after `today`."""
    text = row.get("tmt_masuk")
    if not text:
        return None
    match = _DAY.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError
        if match["iso"]:
            day = date.fromisoformat(match["iso"])
        else:
            day = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        errors.add(row.line, "tmt_masuk", text, "bukan tanggal yang sah (contoh: 01-07-2026)", "tmt_masuk.tanggal")
        return None
    latest = today.replace(year=today.year + 1) if (today.month, today.day) != (2, 29) else date(today.year + 1, 3, 1)
    if not EARLIEST_JOINED <= day <= latest:
        errors.add(
            row.line,
            "tmt_masuk",
            text,
            f"di luar {EARLIEST_JOINED:%d-%m-%Y} sampai {latest:%d-%m-%Y}",
            "tmt_masuk.rentang",
        )
        return None
    return day


def employment_kind(text: str) -> EmploymentKind | None:
    """The employment kind written in a `jenis` cell (PNS when blank), or None when it is not one we know."""
    if not text.strip():
        return EmploymentKind.PNS
    return _KINDS.get(" ".join(text.casefold().split()))


def _kind(row: Row, errors: RowErrors) -> EmploymentKind | None:
    text = row.get("jenis")
    kind = employment_kind(text)
    if kind is None:
        errors.add(row.line, "jenis", text, "jenis pegawai tidak dikenal; pilihan: PNS, PPPK", "jenis.tidak_dikenal")
    return kind


def _nip(row: Row, kind: EmploymentKind | None, today: date, errors: RowErrors) -> str | None:
    text = row.get("nip")
    try:
        if kind is None:
            return normalize_nip(text)  # the kind is unknown, so only the form can be checked
        return validate_nip(text, kind, today=today).nip
    except NipError as error:
        message = error.message
        if error.segment in _SEGMENT_NAMES:
            detail = message.removeprefix(f"NIP {error.nip}: ")
            message = f"segmen {_SEGMENT_NAMES[error.segment]} tidak valid: {detail}"
        # A PPPK number read as PNS fails on its TMT month; say so only when the kind was left to its default.
        if not row.get("jenis") and error.segment == "tmt" and _is_pppk(text, today):
            message += "; jika pegawai ini PPPK, isi kolom jenis dengan PPPK"
        errors.add(row.line, "nip", text, message, f"nip.{error.segment}")
        return None


def _is_pppk(text: str, today: date) -> bool:
    try:
        validate_nip(text, EmploymentKind.PPPK, today=today)
    except NipError:
        return False
    return True


def _superior(row: Row, errors: RowErrors) -> str | None:
    text = row.get("nip_atasan")
    if not text:
        return None
    try:
        return normalize_nip(text)
    except NipError as error:
        errors.add(row.line, "nip_atasan", text, error.message, f"nip_atasan.{error.segment}")
        return None


def _record_unit(row: Row, units: dict[str, _UnitSeen], errors: RowErrors) -> None:
    code, name, parent = row.get("unit"), row.get("unit_nama"), row.get("unit_induk")
    seen = units.setdefault(code, _UnitSeen(line=row.line))
    if name:
        if not seen.name:
            seen.name, seen.name_line = name, row.line
        elif _same_text(seen.name, name) is False:
            errors.add(
                row.line,
                "unit_nama",
                name,
                f"unit {code} sudah bernama '{seen.name}' di baris {seen.name_line}",
                "unit_nama.tidak_konsisten",
                [seen.name_line],
            )
    if parent:
        if not seen.parent:
            seen.parent, seen.parent_line = parent, row.line
        elif parent != seen.parent:
            errors.add(
                row.line,
                "unit_induk",
                parent,
                f"unit {code} sudah berinduk {seen.parent} di baris {seen.parent_line}",
                "unit_induk.tidak_konsisten",
                [seen.parent_line],
            )


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _check_duplicate(row: Row, nip: str, first_lines: dict[str, tuple[int, str]], errors: RowErrors) -> None:
    first = first_lines.setdefault(nip, (row.line, row.get("nama")))
    if first[0] != row.line:
        who = f" ({first[1]})" if first[1] else ""
        errors.add(
            row.line,
            "nip",
            row.get("nip"),
            f"NIP ganda: sudah dipakai di baris {first[0]}{who}",
            "nip.ganda",
            [first[0]],
        )


def _check_superiors(by_nip: dict[str, tuple[int, Employee]], all_nips: set[str], errors: RowErrors) -> None:
    edges: dict[str, str | None] = {}
    for line, employee in by_nip.values():
        superior = employee.superior_nip
        if superior is None:
            continue
        if superior == employee.nip:
            errors.add(
                line, "nip_atasan", superior, "pegawai tidak dapat menjadi atasannya sendiri", "nip_atasan.diri_sendiri"
            )
        elif superior not in all_nips:
            errors.add(
                line,
                "nip_atasan",
                superior,
                "NIP atasan tidak ada di berkas ini; isi NIP pegawai lain di berkas, atau kosongkan untuk pimpinan",
                "nip_atasan.tidak_dikenal",
            )
        elif superior in by_nip:
            edges[employee.nip] = superior
    for cycle in find_cycles(edges):
        lines = [by_nip[nip][0] for nip in cycle]
        chain = " → ".join(f"{nip} (baris {by_nip[nip][0]})" for nip in [*cycle, cycle[0]])
        errors.add(
            min(lines),
            "nip_atasan",
            by_nip[cycle[lines.index(min(lines))]][1].superior_nip or "",
            f"rantai atasan berputar: {chain}; rantai harus berakhir pada pimpinan tanpa atasan",
            "nip_atasan.berputar",
            lines,
        )


def _units(units: dict[str, _UnitSeen], errors: RowErrors) -> list[Unit]:
    edges: dict[str, str | None] = {}
    for code, seen in units.items():
        if not seen.parent:
            continue
        if seen.parent == code:
            errors.add(
                seen.parent_line,
                "unit_induk",
                seen.parent,
                "unit tidak dapat menjadi induknya sendiri",
                "unit_induk.diri_sendiri",
            )
        elif seen.parent not in units:
            errors.add(
                seen.parent_line,
                "unit_induk",
                seen.parent,
                "unit induk tidak ada di kolom unit berkas ini; setiap unit induk harus punya paling sedikit satu "
                "pegawai di berkas",
                "unit_induk.tidak_dikenal",
            )
        else:
            edges[code] = seen.parent
    for cycle in find_cycles(edges):
        lines = [units[code].parent_line for code in cycle]
        chain = " → ".join([*cycle, cycle[0]])
        errors.add(
            min(lines),
            "unit_induk",
            units[cycle[lines.index(min(lines))]].parent,
            f"pohon unit berputar: {chain} ({lines_text(lines)})",
            "unit_induk.berputar",
            lines,
        )
    built: dict[str, Unit] = {}
    for code, seen in units.items():
        try:
            built[code] = Unit(code=code, name=seen.name or code, parent_code=seen.parent or None)
        except ValidationError as error:
            for field, message in validation_messages(error):
                column = _UNIT_COLUMNS.get(field, field)
                line = seen.name_line if column == "unit_nama" else seen.line
                value = {"unit": code, "unit_nama": seen.name, "unit_induk": seen.parent}.get(column, "")
                errors.add(line, column, value, message, f"{column}.tidak_valid")
    return _parents_first(built)


def _parents_first(units: dict[str, Unit]) -> list[Unit]:
    ordered: list[Unit] = []
    placed: set[str] = set()

    def place(code: str, trail: frozenset[str]) -> None:
        unit = units.get(code)
        if unit is None or code in placed or code in trail:
            return
        if unit.parent_code:
            place(unit.parent_code, trail | {code})
        placed.add(code)
        ordered.append(unit)

    for code in units:
        place(code, frozenset())
    return ordered
