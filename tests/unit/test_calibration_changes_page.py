"""A proposal for a province's instansi moves a thousand predicates or more: the calibration page lists its changes a
page at a time (services.calibration_board.changes_page), each with the committee's fields, and the decision sent
from one page reads that page's fields; a change on another page is set in the rows for other employees."""

from __future__ import annotations

from decimal import Decimal

from domain.calibration import CalibrationDecision, Change, FinalPredicate
from domain.ratings import OrgPredicate, Predicate
from services.calibration_board import CHANGES_PER_PAGE, ShownProposal, StoredCalibration, changes_page, shown
from services.calibration_decision import ACCEPT, change_field, decision_from_form, extra_fields, reason_field
from services.cycles import LockedDecision

REASON = "Hasil kerja unit ini didukung bukti capaian yang lengkap."


def _stored(count: int) -> StoredCalibration:
    changes = [
        Change(
            employee_id=f"{n:018d}",
            achievement=Decimal("101.5"),
            from_predicate=Predicate.SANGAT_BAIK,
            to_predicate=Predicate.BAIK,
            rules=["Sangat Baik paling banyak 20%"],
            reason="melebihi kuota Sangat Baik",
        )
        for n in range(count)
    ]
    return StoredCalibration(locked=False, proposal=ShownProposal(changes=changes, message="", counts_after={}))


def test_the_changes_come_a_page_at_a_time_in_the_proposals_order() -> None:
    stored = _stored(2 * CHANGES_PER_PAGE + 7)
    first = changes_page(stored, 1)
    assert (first.page, first.pages, first.total, first.first) == (1, 3, 2 * CHANGES_PER_PAGE + 7, 1)
    assert first.per_page == CHANGES_PER_PAGE
    assert [c.employee_id for c in first.shown] == [f"{n:018d}" for n in range(CHANGES_PER_PAGE)]
    last = changes_page(stored, 99)  # past the last: the last
    assert (last.page, len(last.shown), last.first) == (3, 7, 2 * CHANGES_PER_PAGE + 1)
    assert changes_page(None, 1).total == 0 and changes_page(None, 1).pages == 1


def test_a_decision_reads_its_pages_fields_and_sets_a_change_of_another_page_in_the_extra_rows() -> None:
    page = changes_page(_stored(2 * CHANGES_PER_PAGE), 2)
    here, elsewhere = page.shown[0].employee_id, f"{0:018d}"  # on this page; on the first
    nip_field, predicate_field, why_field = extra_fields(0)
    form = {
        "keputusan": ACCEPT,
        change_field(here): Predicate.SANGAT_BAIK.value,
        reason_field(here): REASON,
        nip_field: elsewhere,
        predicate_field: Predicate.SANGAT_BAIK.value,
        why_field: REASON,
    }
    body = decision_from_form(form, page.shown, "0123456789ab")
    assert body.ubah == {here: Predicate.SANGAT_BAIK, elsewhere: Predicate.SANGAT_BAIK}
    assert body.terima and body.usulan == "0123456789ab"


def test_a_locked_decision_is_read_for_whom_it_moved_and_a_proposal_without_its_entries() -> None:
    def final(n: int, original: Predicate, decided: Predicate) -> FinalPredicate:
        return FinalPredicate(employee_id=f"{n:018d}", original=original, proposed=decided, final=decided)

    predicates = [final(n, Predicate.BAIK, Predicate.BAIK) for n in range(500)]
    predicates[7] = final(7, Predicate.SANGAT_BAIK, Predicate.BAIK)
    decision = CalibrationDecision(
        org_predicate=OrgPredicate.BAIK,
        accepted=True,
        overrides={},
        justification=None,
        predicates=predicates,
        violations=[],
        compliant=True,
        policy_version="v",
    )
    locked = LockedDecision(decision=decision, decided_by=f"{1:018d}", key="k")
    read = shown(True, locked.model_dump(mode="json"))
    assert read.locked and read.final() == [predicates[7]] and read.changes() == []
    proposal = _stored(3).proposal
    assert proposal is not None
    document = {**proposal.model_dump(mode="json"), "entries": [{"employee_id": "x"}] * 3, "feasible": True}
    again = shown(False, document)
    assert again.changes() == proposal.changes and again.final() == []
