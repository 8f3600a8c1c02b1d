"""The officials of a cycle, who change during the year: the supervision team (tim pengawasan), the pengelola kinerja
(BKD/BKPSDM) and the pimpinan who sets the organisation predicate and decides calibration (SE MenPAN-RB 3/2023).

A cycle starts with them; the admin kepegawaian changes them while it runs (someone retires, an inspektorat team is
reassigned), and the change reaches the cycle and every appraisal still running in it. Who holds a role from then on
is what the workflows check a person's step against.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain.bounds import MAX_OFFICIALS, check_items
from domain.errors import DomainError
from domain.stages import Role

# Deliberately loose (a NIP and a first entry where one is required): a model that checks more would refuse, on
# replay, payloads accepted when it checked less. The rules of a change are in `check_change`.
_Nip = Annotated[str, Field(pattern=r"^\d{18}$")]
CHANGED_BY = Role.ADMIN_KEPEGAWAIAN  # who changes them: the instansi's HR administration
RULE = "pejabat siklus ditetapkan admin kepegawaian instansi"

LABELS = {
    "supervision_team": "tim pengawasan",
    "pengelola_kinerja": "pengelola kinerja",
    "pimpinan": "pimpinan",
}


class Officials(BaseModel):
    """Who holds each of a cycle's roles, as a whole: a change names every list, including those it keeps."""

    model_config = ConfigDict(frozen=True)

    supervision_team: list[_Nip] = Field(min_length=1)
    pengelola_kinerja: list[_Nip] = Field(default_factory=list)
    pimpinan: list[_Nip] = Field(min_length=1)

    def lists(self) -> dict[str, list[str]]:
        return {
            "supervision_team": self.supervision_team,
            "pengelola_kinerja": self.pengelola_kinerja,
            "pimpinan": self.pimpinan,
        }


def check_change(role: Role, current: Officials, new: Officials) -> None:
    """DomainError unless the admin kepegawaian changes the officials to lists of bounded size, each person once,
    that differ from the current ones."""
    if role is not CHANGED_BY:
        raise DomainError(
            f"pejabat siklus hanya dapat diubah oleh {CHANGED_BY.label}, bukan {role.label}", field="peran", rule=RULE
        )
    for field, nips in new.lists().items():
        check_items(nips, field, limit=MAX_OFFICIALS)
        twice = sorted({nip for nip in nips if nips.count(nip) > 1})
        if twice:
            raise DomainError(
                f"NIP {', '.join(twice)} tercantum lebih dari sekali dalam daftar {LABELS[field]}", field=field
            )
    if new == current:
        raise DomainError("pejabat siklus sudah seperti itu; tidak ada yang diubah", field="pejabat")


def changes(current: Officials, new: Officials) -> dict[str, dict[str, list[str]]]:
    """Who joins and who leaves each list, for the audit entry and the reply: {list: {"masuk": [], "keluar": []}}."""
    found: dict[str, dict[str, list[str]]] = {}
    before = current.lists()
    for field, nips in new.lists().items():
        joined = [nip for nip in nips if nip not in before[field]]
        left = [nip for nip in before[field] if nip not in nips]
        if joined or left:
            found[field] = {"masuk": joined, "keluar": left}
    return found
