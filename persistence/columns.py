"""Column types that behave the same on SQLite and PostgreSQL, so a test on one backend speaks for the other."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

# JSONB on PostgreSQL (indexable, compact); the generic JSON (TEXT) on SQLite.
JsonDocument: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")

DECIMAL_PLACES = 4
_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant stored in UTC.

    SQLite keeps no offset and hands back naive values; PostgreSQL hands back the session's zone. Both are turned
    into aware UTC here, and a naive value is refused on the way in because its zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"waktu tanpa zona waktu tidak dapat disimpan: {value.isoformat()}")
        utc = value.astimezone(UTC)
        # SQLite compares the stored text, so the offset is dropped and every value is UTC by construction.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(18, 4) on PostgreSQL, exact text on SQLite.

    SQLite has no decimal type: NUMERIC affinity turns '12.5' into a float, and capaian (realisasi/target) must not
    drift. Values are rounded half-up to 4 places on the way in (as PostgreSQL NUMERIC would) on both backends, and
    come back without trailing zeros so 100 reads as 100, not 100.0000.
    """

    impl = Numeric(18, DECIMAL_PLACES)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(18, DECIMAL_PLACES, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Decimal | str | None:
        if value is None:
            return None
        rounded = Decimal(value).quantize(_QUANTUM, rounding=ROUND_HALF_UP)
        return str(rounded) if dialect.name == "sqlite" else rounded

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return _plain(Decimal(value))


def _plain(value: Decimal) -> Decimal:
    normal = value.normalize()
    # normalize() writes 100 as 1E+2; keep integers in plain notation for messages and JSON.
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal
