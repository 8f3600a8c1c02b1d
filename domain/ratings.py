"""Rating scales of PermenPANRB 6/2022 and SE MenPAN-RB 3/2023.

Codes are stable English identifiers (they are stored and travel in payloads); `label` is the Bahasa Indonesia
term users read. The order of the members is from best to worst, and `rank` (0 = best) is what comparisons use.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from domain.errors import DomainError


class Expectation(StrEnum):
    """Rating of hasil kerja or perilaku kerja (PermenPANRB 6/2022, three levels, no numeric score)."""

    ABOVE = "above"
    MEETS = "meets"
    BELOW = "below"

    @property
    def label(self) -> str:
        return _EXPECTATION_LABELS[self]

    @property
    def rank(self) -> int:
        return list(Expectation).index(self)


_EXPECTATION_LABELS = {
    Expectation.ABOVE: "Di Atas Ekspektasi",
    Expectation.MEETS: "Sesuai Ekspektasi",
    Expectation.BELOW: "Di Bawah Ekspektasi",
}


class Predicate(StrEnum):
    """Predikat kinerja pegawai (PermenPANRB 6/2022), best first."""

    SANGAT_BAIK = "sangat_baik"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"
    SANGAT_KURANG = "sangat_kurang"

    @property
    def label(self) -> str:
        return _PREDICATE_LABELS[self]

    @property
    def rank(self) -> int:
        return _PREDICATE_RANKS[self]

    def is_better_than(self, other: Predicate) -> bool:
        return self.rank < other.rank


_PREDICATE_RANKS = {predicate: rank for rank, predicate in enumerate(Predicate)}  # best first: 0
_PREDICATE_LABELS = {
    Predicate.SANGAT_BAIK: "Sangat Baik",
    Predicate.BAIK: "Baik",
    Predicate.BUTUH_PERBAIKAN: "Butuh Perbaikan",
    Predicate.KURANG: "Kurang/Misconduct",
    Predicate.SANGAT_KURANG: "Sangat Kurang",
}


class OrgPredicate(StrEnum):
    """Predikat capaian kinerja organisasi (annex of PermenPANRB 6/2022; SE MenPAN-RB 3/2023), best first."""

    ISTIMEWA = "istimewa"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"
    SANGAT_KURANG = "sangat_kurang"

    @property
    def label(self) -> str:
        return _ORG_PREDICATE_LABELS[self]


_ORG_PREDICATE_LABELS = {
    OrgPredicate.ISTIMEWA: "Istimewa",
    OrgPredicate.BAIK: "Baik",
    OrgPredicate.BUTUH_PERBAIKAN: "Butuh Perbaikan",
    OrgPredicate.KURANG: "Kurang",
    OrgPredicate.SANGAT_KURANG: "Sangat Kurang",
}


E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], text: str, field: str) -> E:
    """Accept a code ("sangat_baik"), a label ("Sangat Baik", any case) or a rating without its "Ekspektasi"
    ("di atas"); the error names the field and the choices."""
    wanted = text.strip().casefold().replace("-", " ").replace("_", " ")
    for member in enum:
        label = str(getattr(member, "label", member.value))
        shown = label.casefold()
        candidates = {member.value.replace("_", " "), shown, shown.split("/")[0], shown.removesuffix(" ekspektasi")}
        if wanted in candidates:
            return member
    choices = ", ".join(str(getattr(m, "label", m.value)) for m in enum)
    raise DomainError(f"'{text}' tidak dikenal; pilihan: {choices}", field=field)
