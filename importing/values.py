"""Cell values: decimals in Indonesian or plain notation, polarity words, targets, yes/no, choices, instants.

Each parser raises ValueError with a Bahasa Indonesia message that the caller puts on the row and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

from pydantic import ValidationError

from domain.ratings import parse_enum
from domain.skp import Polarity, Target
from importing.errors import RowErrors
from importing.tables import NumberStyle, Row

E = TypeVar("E", bound=StrEnum)

_DIGITS_AND_SEPARATORS = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER = r"[+-]?\d[\d.,]*%?"
# "10-20", "10 – 20", "10 s.d. 20", "10 s/d 20", "10 sampai 20": how SAKIP documents write a target band.
_RANGE = re.compile(rf"({_NUMBER})\s*(?:-|–|—|s\.?\s?d\.?|s/d|sampai|hingga)\s*({_NUMBER})", re.IGNORECASE)
_EXAMPLES = "contoh: 85,5 atau 1.234,5 atau 85.5"

# SAKIP documents name polarity in several ways: "maksimal/minimal" in Renstra tables, "maximize/minimize" (also
# misspelt "maksimize") in e-SAKIP apps, "positif/negatif" and "kondisi normal/khusus" in PermenPANRB 8/2021.
_POLARITY_WORDS: dict[Polarity, tuple[str, ...]] = {
    Polarity.HIGHER_IS_BETTER: (
        "maksimal",
        "maksimum",
        "maksimalkan",
        "maksimize",
        "maksimise",
        "maximize",
        "maximise",
        "max",
        "higher",
        "higher is better",
        "semakin tinggi semakin baik",
        "positif",
        "kondisi normal",
        "normal",
    ),
    Polarity.LOWER_IS_BETTER: (
        "minimal",
        "minimum",
        "minimalkan",
        "minimize",
        "minimise",
        "minimasi",
        "min",
        "lower",
        "lower is better",
        "semakin rendah semakin baik",
        "negatif",
        "kondisi khusus",
    ),
    Polarity.RANGE: ("rentang", "range", "interval", "stabil", "stabilize", "stabilisasi"),
}
_POLARITY = {word: polarity for polarity, words in _POLARITY_WORDS.items() for word in words}

# Indonesian spreadsheets and form tools write day first: "05/10/2026 09.12.33", "5-10-2026 9:12".
_DAY_FIRST = re.compile(
    r"(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})[/.-](?P<year>\d{4})"
    r"(?:[ T,]+(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?)?"
)
_INSTANT_EXAMPLES = "contoh: 2026-10-05, 2026-10-05 09:12, 2026-10-05T09:12:00+09:00 atau 05/10/2026 09.12"

_TRUE = frozenset({"ya", "y", "aktif", "true", "benar", "1", "yes"})
_FALSE = frozenset({"tidak", "t", "n", "nonaktif", "non aktif", "tidak aktif", "false", "salah", "0", "no"})


def parse_decimal(text: str, style: NumberStyle = NumberStyle.UNKNOWN) -> Decimal:
    """A decimal written as '85,5', '1.234,5', '1,234.5', '85.5' or '85,5%'; never a silent factor of 1000.

    With both marks, the last one is the decimal mark. A single mark followed by exactly three digits ('1.250') is
    thousands in an Indonesian (';') CSV, a decimal point in an XLSX number cell, and refused as ambiguous otherwise;
    a single ',' elsewhere is the Indonesian decimal comma ('85,5').
    """
    shown = text.strip()
    body = "".join(shown.split())
    body = body.removesuffix("%")
    sign = ""
    if body[:1] in ("+", "-"):
        sign, body = body[0].replace("+", ""), body[1:]
    if not body:
        raise ValueError(f"angka kosong; {_EXAMPLES}")
    if not _DIGITS_AND_SEPARATORS.fullmatch(body):
        raise ValueError(f"bukan angka; {_EXAMPLES}")
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        decimal_mark = "," if body.rfind(",") > body.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        if body.count(decimal_mark) > 1:
            raise ValueError(f"tanda desimal '{decimal_mark}' muncul lebih dari sekali; {_EXAMPLES}")
        whole, fraction = body.rsplit(decimal_mark, 1)
        digits = _ungroup(whole, thousands) + "." + fraction
    elif dots > 1 or commas > 1:
        digits = _ungroup(body, "." if dots else ",")
    elif dots or commas:
        mark = "." if dots else ","
        whole, fraction = body.split(mark)
        looks_grouped = len(fraction) == 3 and len(whole) <= 3 and not whole.startswith("0")
        if not looks_grouped:
            digits = f"{whole}.{fraction}"
        elif style is NumberStyle.INDONESIAN:
            digits = whole + fraction if mark == "." else f"{whole}.{fraction}"
        elif style is NumberStyle.POINT and mark == ".":
            digits = f"{whole}.{fraction}"
        else:
            raise ValueError(
                f"ambigu: {whole}{fraction} (pemisah ribuan) atau {whole},{fraction} (desimal)? tulis ribuan tanpa "
                f"pemisah ({whole}{fraction}) dan desimal dengan empat angka di belakang koma ({whole},{fraction}0)"
            )
    else:
        digits = body
    try:
        return Decimal(sign + digits)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only digits and one point
        raise ValueError(f"bukan angka; {_EXAMPLES}") from None


def _ungroup(text: str, mark: str) -> str:
    groups = text.split(mark)
    if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
        raise ValueError(f"pemisah ribuan '{mark}' tidak per tiga digit; {_EXAMPLES}")
    return "".join(groups)


def parse_polarity(text: str) -> Polarity:
    wanted = " ".join(text.replace("_", " ").replace("-", " ").casefold().split())
    found = _POLARITY.get(wanted)
    if found is None:
        raise ValueError("polaritas tidak dikenal; pilihan: maksimal, minimal, rentang")
    return found


def parse_bool(text: str, *, default: bool) -> bool:
    wanted = " ".join(text.replace("_", " ").replace("-", " ").casefold().split())
    if not wanted:
        return default
    if wanted in _TRUE:
        return True
    if wanted in _FALSE:
        return False
    raise ValueError("bukan ya/tidak; isi ya atau tidak (kosong berarti ya)")


def parse_choice(enum: type[E], text: str) -> E:
    try:
        return parse_enum(enum, text, "")
    except ValueError:
        choices = ", ".join(str(getattr(m, "label", m.value)) for m in enum)
        raise ValueError(f"tidak dikenal; pilihan: {choices}") from None


def has_utc_offset(text: str) -> bool:
    """Whether an instant's text says its own offset (`...+09:00`, `...Z`); day-first and bare dates never do."""
    cleaned = text.strip()
    if len(cleaned) <= 10 or _DAY_FIRST.fullmatch(cleaned) is not None:
        return False
    try:
        return datetime.fromisoformat(cleaned).tzinfo is not None
    except ValueError:
        return False


MIN_YEAR, MAX_YEAR = 2000, 2100  # the instants a survey or appraisal file can sensibly carry


def parse_instant(text: str, zone: tzinfo) -> datetime:
    """An instant from a cell: ISO-8601 (what an XLSX date cell reads as) or day-first DD/MM/YYYY [HH.MM[.SS]].

    A time without an offset is local time in `zone`; a bare date is the start of that day there. Month-first dates
    are not guessed: DD/MM is the Indonesian order.
    """
    cleaned = text.strip()
    match = _DAY_FIRST.fullmatch(cleaned)
    try:
        if match is not None:
            parts = {name: int(value) for name, value in match.groupdict().items() if value is not None}
            day = date(parts["year"], parts["month"], parts["day"])
            moment = time(parts.get("hour", 0), parts.get("minute", 0), parts.get("second", 0))
            value = datetime.combine(day, moment, tzinfo=zone)
        elif len(cleaned) == 10:
            value = datetime.combine(date.fromisoformat(cleaned), time(0), tzinfo=zone)
        else:
            value = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"bukan tanggal/waktu yang sah; {_INSTANT_EXAMPLES}") from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:  # a typo such as 0202; the far edges also overflow date arithmetic
        raise ValueError(f"tahun {value.year} di luar {MIN_YEAR}-{MAX_YEAR}; {_INSTANT_EXAMPLES}")
    return value if value.tzinfo is not None and value.utcoffset() is not None else value.replace(tzinfo=zone)


def parse_target(row: Row, polarity: Polarity, style: NumberStyle, errors: RowErrors) -> Target | None:
    """The row's target from `target` ('85,5' or a band '10-20') or `target_min`/`target_max`; errors go to `errors`.

    Returns None when the row has a target error, which is then already recorded.
    """
    text, low_text, high_text = row.get("target"), row.get("target_min"), row.get("target_max")
    band = _RANGE.fullmatch(text) if text else None
    before = len(errors.errors)

    def number(value: str, column: str) -> Decimal | None:
        try:
            return parse_decimal(value, style)
        except ValueError as error:
            errors.add(row.line, column, value, str(error), f"{column}.angka")
            return None

    if polarity is Polarity.RANGE:
        if band and (low_text or high_text):
            errors.add(
                row.line,
                "target",
                text,
                "isi rentang di kolom target atau di target_min/target_max, bukan keduanya",
                "target.ganda",
            )
            return None
        if text and low_text:
            errors.add(
                row.line,
                "target_min",
                low_text,
                "target dan target_min terisi keduanya; isi salah satu",
                "target.ganda",
            )
            return None
        if band:
            parts = [(band.group(1), "target"), (band.group(2), "target")]
        else:
            low_column = "target_min" if low_text else "target"
            parts = [(low_text or text, low_column), (high_text, "target_max")]
        if not parts[0][0] or not parts[1][0]:
            errors.add(
                row.line,
                "target",
                text,
                "polaritas rentang butuh batas bawah dan atas: tulis '10-20' di "
                "kolom target, atau isi target_min dan target_max",
                "target.rentang",
            )
            return None
        low, high = number(*parts[0]), number(*parts[1])
        checked = parts[1]  # the model compares the upper bound with the lower one
    else:
        for value, column in ((low_text, "target_min"), (high_text, "target_max")):
            if value:
                errors.add(row.line, column, value, "hanya untuk polaritas rentang", f"{column}.bukan_rentang")
        if band:
            errors.add(row.line, "target", text, "rentang target hanya untuk polaritas rentang", "target.bukan_rentang")
        elif not text:
            errors.add(row.line, "target", text, "target wajib diisi", "target.kosong")
        if len(errors.errors) > before:
            return None
        low, high = number(text, "target"), None
        checked = (text, "target")
    if len(errors.errors) > before or low is None:
        return None
    try:
        return Target(polarity=polarity, value=low, upper=high)
    except ValidationError as error:
        value, column = checked
        for _, message in validation_messages(error):
            errors.add(row.line, column, value, message, f"{column}.tidak_valid")
        return None


def validation_messages(error: ValidationError) -> Iterator[tuple[str, str]]:
    """(field, message in Bahasa Indonesia) for each problem pydantic found."""
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        context = item.get("ctx") or {}
        kind = item["type"]
        if kind == "string_too_long":
            message = f"paling banyak {context.get('max_length')} karakter"
        elif kind == "string_too_short":
            message = "wajib diisi"
        elif kind == "string_pattern_mismatch":
            message = "format tidak sesuai"
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
        yield field, message
