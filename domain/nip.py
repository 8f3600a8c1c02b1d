"""NIP (PNS) and NI PPPK: 18-digit employee numbers, checked segment by segment (Perka BKN 22/2007, reference 4).

There is no checksum, so a valid NIP is only a plausible one: real dates, a month, a gender code and a sequence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.errors import DomainError
from domain.organisation import EmploymentKind

NIP_LENGTH = 18
# Appointment is checked against an 18th birthday: PP 11/2017 sets 18 as the lowest age to apply as CPNS, and the
# appointment comes after the application. The brief uses the same floor for PPPK.
MIN_APPOINTMENT_AGE = 18
# Plausibility only: no serving ASN was born before 1900, and it catches swapped or shifted segments.
MIN_BIRTH_YEAR = 1900

Gender = Literal["L", "P"]
NipSegment = Literal["format", "panjang", "tanggal_lahir", "tmt", "tahun_pengangkatan", "jenis_kelamin", "nomor_urut"]

_DIGITS = frozenset("0123456789")
# An 18-digit number read by a spreadsheet as a float: 1.98609262015051e+17 or 198609262015051000.0.
_SPREADSHEET_NUMBER = re.compile(r"\d\.\d+[eE]\+?\d+|\d+\.0+")

_RULES: dict[str, str] = {
    "format": "NIP hanya berisi angka; spasi boleh sebagai pemisah",
    "panjang": "NIP terdiri atas 18 digit (Perka BKN 22/2007)",
    "tanggal_lahir": "digit 1–8 adalah tanggal lahir YYYYMMDD",
    "tmt": "digit 9–14 adalah TMT CPNS YYYYMM, paling awal pada bulan ulang tahun ke-18",
    "tahun_pengangkatan": "digit 9–12 NI PPPK adalah tahun pengangkatan, paling awal tahun lahir + 18",
    "jenis_kelamin": "digit 15 adalah jenis kelamin: 1 laki-laki, 2 perempuan",
    "nomor_urut": "digit 16–18 adalah nomor urut 001–999",
}


class NipError(DomainError):
    """A NIP that breaks one segment rule; `segment` names it, `message` is the text without the field prefix."""

    def __init__(self, message: str, *, segment: NipSegment, nip: str) -> None:
        self.segment: NipSegment = segment
        self.nip = nip
        self.message = message
        super().__init__(message, field="nip", rule=_RULES[segment])


class NipInfo(BaseModel):
    """What a valid NIP says. PNS carry `tmt_cpns`; PPPK carry `appointment_year` and `contract_count`."""

    model_config = ConfigDict(frozen=True)

    nip: str = Field(pattern=r"^\d{18}$")
    kind: EmploymentKind
    birth_date: date
    gender: Gender
    sequence: int = Field(ge=1, le=999)
    tmt_cpns: date | None = None  # always the first of the month: the NIP holds only YYYYMM
    appointment_year: int | None = None
    # "Jumlah perjanjian kerja" per one secondary source; others read it as a code (e.g. 24 = paruh waktu) [U].
    contract_count: str | None = Field(default=None, pattern=r"^\d{2}$")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> NipInfo:
        if self.kind is EmploymentKind.PNS:
            if self.tmt_cpns is None or self.appointment_year is not None or self.contract_count is not None:
                raise ValueError("NIP PNS memuat TMT CPNS, bukan tahun pengangkatan/perjanjian kerja PPPK")
        elif self.tmt_cpns is not None or self.appointment_year is None or self.contract_count is None:
            raise ValueError("NI PPPK memuat tahun pengangkatan dan perjanjian kerja, bukan TMT CPNS")
        return self

    @property
    def display(self) -> str:
        """The NIP grouped by segment: 8-6-1-3 for PNS (the usual print form), 8-4-2-1-3 for PPPK."""
        n = self.nip
        if self.kind is EmploymentKind.PNS:
            return f"{n[:8]} {n[8:14]} {n[14]} {n[15:]}"
        return f"{n[:8]} {n[8:12]} {n[12:14]} {n[14]} {n[15:]}"


class NipCheck(BaseModel):
    """One cell of a NIP column: the input as given and either the parsed NIP or the broken segment."""

    model_config = ConfigDict(frozen=True)

    input: str
    ok: bool
    normalized: str | None = None  # set whenever the input is 18 digits, even if a segment is wrong
    info: NipInfo | None = None
    segment: NipSegment | None = None
    error: str | None = None


def normalize_nip(text: str) -> str:
    """The 18 digits of `text` with spaces (any whitespace) removed; anything else that is not a digit is refused.

    Only spaces are stripped because the reference only knows the spaced print form (8-6-1-3); dots or dashes are
    more likely a different number pasted into the column than a NIP, so they are reported, not guessed away.
    """
    shown = text.strip()
    compact = "".join(text.split())
    if not compact:
        raise NipError("NIP kosong; harus 18 digit", segment="panjang", nip=shown)
    bad = sorted({ch for ch in compact if ch not in _DIGITS})
    if bad:
        chars = ", ".join(f"'{ch}'" for ch in bad)
        message = f"NIP '{shown}' hanya boleh berisi angka 0–9 (spasi boleh sebagai pemisah); ada karakter {chars}"
        if _SPREADSHEET_NUMBER.fullmatch(compact):
            message += "; tampaknya sel terbaca sebagai bilangan, simpan kolom NIP sebagai Teks"
        raise NipError(message, segment="format", nip=shown)
    if len(compact) != NIP_LENGTH:
        raise NipError(
            f"NIP '{shown}' harus {NIP_LENGTH} digit, tertulis {len(compact)} digit", segment="panjang", nip=shown
        )
    return compact


def validate_nip(text: str, kind: EmploymentKind = EmploymentKind.PNS, *, today: date | None = None) -> NipInfo:
    """Parse and check a NIP (PNS) or NI PPPK; the first broken segment, in digit order, raises `NipError`.

    `today`, when given, refuses a birth date after it. The TMT / appointment year is not compared with `today`:
    BKN sets the NIP before the SK with its TMT, so a NIP may name an appointment month still to come.
    """
    nip = normalize_nip(text)
    birth = _birth_date(nip, today)
    if kind is EmploymentKind.PNS:
        tmt = _tmt_cpns(nip, birth)
        extra: dict[str, object] = {"tmt_cpns": tmt}
    else:
        extra = {"appointment_year": _appointment_year(nip, birth), "contract_count": nip[12:14]}
    return NipInfo.model_validate(
        {"nip": nip, "kind": kind, "birth_date": birth, "gender": _gender(nip), "sequence": _sequence(nip), **extra}
    )


def check_nips(
    values: Iterable[str], kind: EmploymentKind = EmploymentKind.PNS, *, today: date | None = None
) -> list[NipCheck]:
    """Check a column of NIPs without stopping at the first bad one; results are in input order."""
    checks: list[NipCheck] = []
    for value in values:
        try:
            info = validate_nip(value, kind, today=today)
        except NipError as error:
            compact = "".join(value.split())
            normalized = compact if error.segment not in ("format", "panjang") else None
            checks.append(
                NipCheck(input=value, ok=False, normalized=normalized, segment=error.segment, error=error.message)
            )
        else:
            checks.append(NipCheck(input=value, ok=True, normalized=info.nip, info=info))
    return checks


def _birth_date(nip: str, today: date | None) -> date:
    digits = nip[:8]
    try:
        birth = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise NipError(
            f"NIP {nip}: tanggal lahir (digit 1–8) '{digits}' bukan tanggal yang ada (format YYYYMMDD)",
            segment="tanggal_lahir",
            nip=nip,
        ) from None
    if birth.year < MIN_BIRTH_YEAR:
        raise NipError(
            f"NIP {nip}: tanggal lahir (digit 1–8) '{digits}' tidak wajar: tahun lahir sebelum {MIN_BIRTH_YEAR}",
            segment="tanggal_lahir",
            nip=nip,
        )
    if today is not None and birth > today:
        raise NipError(
            f"NIP {nip}: tanggal lahir (digit 1–8) '{digits}' ({birth.isoformat()}) setelah hari ini "
            f"({today.isoformat()})",
            segment="tanggal_lahir",
            nip=nip,
        )
    return birth


def _tmt_cpns(nip: str, birth: date) -> date:
    digits = nip[8:14]
    year, month = int(digits[:4]), int(digits[4:6])
    if not 1 <= month <= 12:
        raise NipError(f"NIP {nip}: TMT CPNS (digit 9–14) '{digits}' bukan bulan 01–12", segment="tmt", nip=nip)
    # Month precision on purpose: the NIP holds no TMT day, so the first of the TMT month is compared with the first
    # of the month of the 18th birthday. Born 26 Sep 1986 -> TMT 200409 passes, 200408 fails. This also sidesteps
    # the 29 February birthday.
    earliest = (birth.year + MIN_APPOINTMENT_AGE, birth.month)
    if (year, month) < earliest:
        raise NipError(
            f"NIP {nip}: TMT CPNS (digit 9–14) '{digits}' sebelum usia {MIN_APPOINTMENT_AGE} tahun "
            f"(lahir {birth.isoformat()}; TMT paling awal {earliest[0]:04d}{earliest[1]:02d})",
            segment="tmt",
            nip=nip,
        )
    return date(year, month, 1)


def _appointment_year(nip: str, birth: date) -> int:
    digits = nip[8:12]
    earliest = birth.year + MIN_APPOINTMENT_AGE
    if int(digits) < earliest:
        raise NipError(
            f"NIP {nip}: tahun pengangkatan PPPK (digit 9–12) '{digits}' sebelum usia {MIN_APPOINTMENT_AGE} tahun "
            f"(lahir {birth.year}; paling awal {earliest})",
            segment="tahun_pengangkatan",
            nip=nip,
        )
    return int(digits)


def _gender(nip: str) -> Gender:
    digit = nip[14]
    if digit == "1":
        return "L"
    if digit == "2":
        return "P"
    raise NipError(
        f"NIP {nip}: jenis kelamin (digit 15) '{digit}' harus 1 (laki-laki) atau 2 (perempuan)",
        segment="jenis_kelamin",
        nip=nip,
    )


def _sequence(nip: str) -> int:
    digits = nip[15:18]
    if digits == "000":
        raise NipError(f"NIP {nip}: nomor urut (digit 16–18) '{digits}' harus 001–999", segment="nomor_urut", nip=nip)
    return int(digits)
