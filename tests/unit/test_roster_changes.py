"""Which running appraisals a roster change reaches (domain.roster_changes): a new superior moves the penilai and the
atasan, a new superior's superior the atasan alone, an override keeps its penilai, a penilai who left cannot be
followed when the roster names nobody active, an employee who left is for withdrawal, and the rest stay as they are."""

from __future__ import annotations

from datetime import date

from domain.organisation import Employee, ReviewerOverride
from domain.roster_changes import LEFT, Moved, moved_reviewers
from domain.stages import Step
from domain.worklist import WorkItem

TODAY = date(2026, 7, 1)
KADIS, KABID, KABID_BARU, KASI, KASI_BARU = (f"1970010120000110{n:02d}" for n in range(1, 6))
STAFF, STAFF_2, STAFF_3, STAFF_4 = (f"1990010120150120{n:02d}" for n in range(1, 5))


def person(nip: str, superior: str | None, *, active: bool = True) -> Employee:
    return Employee(nip=nip, name=f"P{nip[-2:]}", jabatan="J", unit_code="U", superior_nip=superior, active=active)


def entry(nip: str, penilai: str, atasan: str | None) -> WorkItem:
    return WorkItem(
        workflow_id=f"appraisal-C-{nip}",
        cycle_id="C",
        instansi_code="X",
        unit_code="U",
        employee_nip=nip,
        penilai_nip=penilai,
        atasan_nip=atasan,
        step=Step.SELF_ASSESSMENT,
    )


def roster(*people: Employee) -> dict[str, Employee]:
    return {p.nip: p for p in people}


BASE = (person(KADIS, None), person(KABID, KADIS), person(KABID_BARU, KADIS), person(KASI_BARU, KABID_BARU))


def test_a_new_superior_moves_the_penilai_and_the_atasan() -> None:
    people = roster(*BASE, person(KASI, KABID), person(STAFF, KASI_BARU))  # STAFF moved from KASI's seksi
    moved = moved_reviewers([entry(STAFF, KASI, KABID)], people, [], TODAY)
    assert moved == [Moved(STAFF, KASI, KABID, KASI_BARU, KABID_BARU)]
    assert moved[0].follows


def test_a_new_superior_of_the_penilai_moves_the_atasan_alone() -> None:
    people = roster(*BASE, person(KASI, KABID_BARU), person(STAFF, KASI))  # the seksi moved to another bidang
    assert moved_reviewers([entry(STAFF, KASI, KABID)], people, [], TODAY) == [
        Moved(STAFF, KASI, KABID, KASI, KABID_BARU)
    ]


def test_appraisals_as_the_roster_names_them_or_with_an_override_stay() -> None:
    override = ReviewerOverride(
        employee_nip=STAFF_2, penilai_nip=KABID, effective_from=date(2026, 1, 1), reason="penugasan khusus"
    )
    people = roster(*BASE, person(KASI, KABID), person(STAFF, KASI), person(STAFF_2, KASI))
    items = [entry(STAFF, KASI, KABID), entry(STAFF_2, KABID, KADIS), entry(STAFF_3, KASI, None)]
    people[STAFF_3] = person(STAFF_3, KASI)
    # an entry written before the atasan was kept is compared on its penilai alone
    assert moved_reviewers(items, people, [override], TODAY) == []


def test_a_penilai_who_left_is_replaced_or_listed_with_why() -> None:
    people = roster(*BASE, person(KASI, KABID, active=False), person(STAFF, KASI_BARU), person(STAFF_2, KASI))
    moved = moved_reviewers([entry(STAFF, KASI, KABID), entry(STAFF_2, KASI, KABID)], people, [], TODAY)
    assert moved[0] == Moved(STAFF, KASI, KABID, KASI_BARU, KABID_BARU)
    # STAFF_2's superior on the roster is still KASI, who left: nobody to move to
    assert (moved[1].employee_nip, moved[1].penilai_now, moved[1].follows) == (STAFF_2, None, False)
    assert moved[1].problem is not None and "tidak aktif" in moved[1].problem


def test_without_a_superior_an_active_penilai_keeps_the_appraisal() -> None:
    people = roster(*BASE, person(KASI, KABID), person(STAFF, None))  # the superior cleared in the file
    assert moved_reviewers([entry(STAFF, KASI, KABID)], people, [], TODAY) == []


def test_an_employee_who_left_is_for_withdrawal_not_a_move() -> None:
    people = roster(*BASE, person(KASI, KABID), person(STAFF_4, KASI_BARU, active=False))
    assert moved_reviewers([entry(STAFF_4, KASI, KABID)], people, [], TODAY) == [
        Moved(STAFF_4, KASI, KABID, None, None, LEFT)
    ]
