"""How Indonesian readers read what Kinerja prints, on a page or in a document: dates as `31-01-2027` or `31 Januari
2027`, instants in the instansi's zone (WIB, WITA, WIT), numbers with a decimal comma (`76,61`) and grouped thousands
(`100.000`), spans and days left in words. Pure functions: the pages' templates (web.pages.templating) and the
documents (documents/) print with the same ones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache

WIB = 7
ZONES = {7: "WIB", 8: "WITA", 9: "WIT"}  # Indonesia's three zones, by their offset from UTC in hours
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


@cache  # three zones (and None): asked for by every date of every row of a list
def zone(offset_hours: int | None) -> timezone:
    return timezone(timedelta(hours=offset_hours if offset_hours in ZONES else WIB))


def zone_label(offset_hours: int | None) -> str:
    return ZONES.get(offset_hours if offset_hours is not None else WIB, "WIB")


def tanggal(value: date | datetime | None, offset_hours: int | None = None) -> str:
    """`31-01-2027`; a datetime is read in the zone first (a deadline at 23:59 WIT is that day there)."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = _local(value, offset_hours).date()
    return value.strftime("%d-%m-%Y")


def tanggal_panjang(value: date | datetime | None, offset_hours: int | None = None) -> str:
    """`31 Januari 2027`, for headings and documents."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = _local(value, offset_hours).date()
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def waktu(value: datetime | None, offset_hours: int | None = None) -> str:
    """`31-01-2027 23:59 WIT`: an instant as the instansi's people read it."""
    if value is None:
        return "–"
    return f"{_local(value, offset_hours).strftime('%d-%m-%Y %H:%M')} {zone_label(offset_hours)}"


def angka(value: Decimal | float | int | None, places: int = 2) -> str:
    """`76,61`, `1.234,50`: Indonesian digit grouping and decimal comma."""
    if value is None:
        return "–"
    if isinstance(value, int) and places == 0:
        return f"{value:,}".replace(",", ".")
    text = f"{Decimal(str(value)):,.{places}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def awal_kapital(value: str) -> str:
    """The first letter capitalised and the rest as written (Jinja's `capitalize` lowercases "SKP" to "skp")."""
    return value[:1].upper() + value[1:]


def bulat(value: int | None) -> str:
    """`100.000`: a count."""
    return "–" if value is None else f"{value:,}".replace(",", ".")


def lama(value: timedelta) -> str:
    """`14 hari`, `2 jam 30 menit`, `5 detik`: a span of the calendar (a compressed one, in a demo, is seconds)."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "0 detik"
    parts = []
    for unit, size in (("hari", 86_400), ("jam", 3_600), ("menit", 60), ("detik", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts)


def sisa_hari(deadline: datetime | None, now: datetime, offset_hours: int | None = None) -> str:
    """Days left until a deadline, or overdue, counted in the instansi's calendar days."""
    if deadline is None:
        return ""
    days = (_local(deadline, offset_hours).date() - _local(now, offset_hours).date()).days
    if deadline < now:
        late = max(days * -1, 0)
        return "terlambat hari ini" if late == 0 else f"terlambat {late} hari"
    return "hari ini" if days == 0 else "besok" if days == 1 else f"{days} hari lagi"


def _local(value: datetime, offset_hours: int | None) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(zone(offset_hours))


def angka_tercetak(value: Decimal) -> str:
    """A value as typed in an SKP or a realisation, printed: grouped thousands, a decimal comma, no trailing zeros
    (`1.210`, `98,5`, `-0,25`)."""
    sign = "-" if value < 0 else ""
    whole, _, fraction = format(abs(value), "f").partition(".")
    fraction = fraction.rstrip("0")
    return sign + bulat(int(whole)) + (f",{fraction}" if fraction else "")
