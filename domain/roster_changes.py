"""Running appraisals whose pejabat penilai or atasan the roster no longer names (issue 20): a roster import that
changes someone's superior (a mutasi, a reorganisation), or a penilai who leaves.

The pejabat penilai kinerja is the direct superior and the atasan pejabat penilai that person's own superior
(PermenPANRB 6/2022 Pasal 1; domain.organisation.resolve_reviewers, overrides included). An appraisal keeps the
reviewers it was enrolled with until someone reassigns it (`alihkan`): a roster import changes no running workflow
by itself. This module says, for each running appraisal, whom the roster names now, so that the supervision team can
move them all at once with the import as the reason (services.bulk.follow_roster); each move is then the ordinary
reassignment Update, checked by the workflow's validator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from domain.errors import DomainError
from domain.organisation import Employee, ReviewerOverride, resolve_reviewers
from domain.worklist import WorkItem

LEFT = "pegawai ini tidak lagi aktif di roster: tarik dari siklus lewat halaman tindakannya, bukan dialihkan"


@dataclass(frozen=True)
class Moved:
    """One running appraisal whose reviewers differ from the roster's, and whom the roster names instead."""

    employee_nip: str
    penilai_was: str
    atasan_was: str | None
    penilai_now: str | None  # None: the roster names nobody who can appraise; `problem` says why
    atasan_now: str | None
    problem: str | None = None

    @property
    def follows(self) -> bool:
        """Whether the appraisal can be moved to whom the roster names."""
        return self.problem is None and self.penilai_now is not None


def moved_reviewers(
    items: Iterable[WorkItem],
    people: Mapping[str, Employee],
    overrides: Sequence[ReviewerOverride],
    on: date,
) -> list[Moved]:
    """The appraisals among `items` (open worklist entries) whose penilai or atasan is not whom the roster (`people`,
    with the superiors above them, inactive ones included) and the reviewer overrides name on `on`.

    An appraisal whose current penilai can still act while the roster names nobody (no superior, an inactive one) is
    left alone: the roster cannot say where to; one whose penilai left is listed with why it cannot follow. Where either
    side names no atasan (an entry written before it was kept, a penilai at the top), the penilai alone is compared."""
    found: list[Moved] = []
    for item in items:
        employee = people.get(item.employee_nip)
        if employee is not None and not employee.active:
            found.append(_unmovable(item, LEFT))
            continue
        try:
            named = resolve_reviewers(item.employee_nip, people, overrides, on=on)
        except DomainError as error:
            current = people.get(item.penilai_nip)
            if current is None or not current.active:
                found.append(_unmovable(item, str(error)))
            continue
        # None on either side says nothing of the atasan: an old entry, or a penilai at the top of the roster
        same_atasan = None in (item.atasan_nip, named.atasan_nip) or item.atasan_nip == named.atasan_nip
        if named.penilai_nip != item.penilai_nip or not same_atasan:
            found.append(
                Moved(
                    employee_nip=item.employee_nip,
                    penilai_was=item.penilai_nip,
                    atasan_was=item.atasan_nip,
                    penilai_now=named.penilai_nip,
                    atasan_now=named.atasan_nip,
                )
            )
    return found


def _unmovable(item: WorkItem, problem: str) -> Moved:
    return Moved(
        employee_nip=item.employee_nip,
        penilai_was=item.penilai_nip,
        atasan_was=item.atasan_nip,
        penilai_now=None,
        atasan_now=None,
        problem=problem,
    )
