"""IKU (organisation KPIs, versioned per period) and an employee's SKP (PermenPANRB 6/2022, reference 1.3)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Polarity(StrEnum):
    """How an indicator's achievement is measured (SAKIP, reference 3)."""

    HIGHER_IS_BETTER = "higher"  # kondisi normal
    LOWER_IS_BETTER = "lower"  # kondisi khusus
    RANGE = "range"  # a target band [target, target_upper]


class Aspect(StrEnum):
    KUANTITAS = "kuantitas"
    KUALITAS = "kualitas"
    WAKTU = "waktu"
    BIAYA = "biaya"


class RhkKind(StrEnum):
    UTAMA = "utama"
    TAMBAHAN = "tambahan"


class BerAkhlak(StrEnum):
    """The 7 core values of SE MenPAN-RB 20/2021, the basis of perilaku kerja."""

    BERORIENTASI_PELAYANAN = "Berorientasi Pelayanan"
    AKUNTABEL = "Akuntabel"
    KOMPETEN = "Kompeten"
    HARMONIS = "Harmonis"
    LOYAL = "Loyal"
    ADAPTIF = "Adaptif"
    KOLABORATIF = "Kolaboratif"


class Target(BaseModel):
    """A target value, or a band for range polarity; both bounds are exact decimals."""

    model_config = ConfigDict(frozen=True)

    polarity: Polarity = Polarity.HIGHER_IS_BETTER
    value: Decimal
    upper: Decimal | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.polarity is Polarity.RANGE:
            if self.upper is None:
                raise ValueError("target_atas wajib diisi untuk polaritas rentang (range)")
            if self.upper < self.value:
                raise ValueError("target_atas harus >= target untuk polaritas rentang")
        elif self.upper is not None:
            raise ValueError("target_atas hanya untuk polaritas rentang (range)")
        if self.value <= 0 and self.polarity is not Polarity.RANGE:
            raise ValueError("target harus lebih besar dari 0 (capaian = realisasi/target)")
        return self


class Iku(BaseModel):
    """Indikator Kinerja Utama of an instansi (or one of its units) for one period."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=300)
    unit_of_measure: str = Field(min_length=1, max_length=50)
    target: Target
    period: int = Field(ge=2000, le=2100)
    unit_code: str | None = None


class CascadeRef(BaseModel):
    """Where an RHK comes from: an IKU of the period, or an RHK of the superior's SKP (intervensi)."""

    model_config = ConfigDict(frozen=True)

    iku_code: str | None = None
    superior_rhk_id: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> CascadeRef:
        if (self.iku_code is None) == (self.superior_rhk_id is None):
            raise ValueError("rujukan kaskade harus tepat satu: kode IKU atau RHK atasan")
        return self


class Indicator(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=40)
    aspect: Aspect
    text: str = Field(min_length=1, max_length=500)
    target: Target
    unit_of_measure: str = Field(min_length=1, max_length=50)


class RencanaHasilKerja(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=40)
    kind: RhkKind
    text: str = Field(min_length=1, max_length=500)
    indicators: list[Indicator] = Field(min_length=1)
    cascaded_from: CascadeRef | None = None


class BehaviourExpectation(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: BerAkhlak
    expectation: str = ""  # ekspektasi khusus pimpinan for this value, if any


class Skp(BaseModel):
    """Sasaran Kinerja Pegawai: rencana hasil kerja and perilaku kerja expectations for one period."""

    model_config = ConfigDict(frozen=True)

    employee_nip: str = Field(pattern=r"^\d{18}$")
    period: int = Field(ge=2000, le=2100)
    rhk: list[RencanaHasilKerja] = Field(min_length=1)
    perilaku: list[BehaviourExpectation] = Field(
        default_factory=lambda: [BehaviourExpectation(value=v) for v in BerAkhlak]
    )

    @model_validator(mode="after")
    def _rules(self) -> Skp:
        if not any(r.kind is RhkKind.UTAMA for r in self.rhk):
            raise ValueError("SKP wajib memiliki paling sedikit satu rencana hasil kerja utama")
        ids = [i.id for r in self.rhk for i in r.indicators]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"id indikator ganda: {', '.join(duplicates)}")
        rhk_ids = [r.id for r in self.rhk]
        if len(set(rhk_ids)) != len(rhk_ids):
            raise ValueError("id rencana hasil kerja ganda")
        values = {p.value for p in self.perilaku}
        if values != set(BerAkhlak):
            missing = [v.value for v in BerAkhlak if v not in values]
            raise ValueError(f"perilaku kerja harus memuat ketujuh nilai BerAKHLAK; belum ada: {', '.join(missing)}")
        return self

    def indicator(self, indicator_id: str) -> Indicator | None:
        return next((i for r in self.rhk for i in r.indicators if i.id == indicator_id), None)


class Realisation(BaseModel):
    """Self-assessment of one indicator: the realised value and links to evidence."""

    model_config = ConfigDict(frozen=True)

    indicator_id: str
    value: Decimal
    evidence: list[str] = Field(default_factory=list)
    note: str = ""
