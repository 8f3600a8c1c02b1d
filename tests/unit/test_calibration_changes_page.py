"""A proposal for a province's instansi moves a thousand predicates or more: the calibration page lists its changes a
page at a time (read from the database a page at a time: tests/integration/test_persistence.py), each with the
committee's fields, and the decision sent from one page reads that page's fields; a change on another page is set in
the rows for other employees."""

from __future__ import annotations

from decimal import Decimal

from domain.calibration import CalibrationDecision, Change, FinalPredicate
from domain.ratings import OrgPredicate, Predicate
from services.calibration_board import CHANGES_PER_PAGE, ChangesPage, ShownProposal, changes_of, shown
from services.calibration_decision import ACCEPT, change_field, decision_from_form, extra_fields, reason_field
from services.calibration_store import SUMMARY_PARTS, LockedDecision

REASON = "Hasil kerja unit ini didukung bukti capaian yang lengkap."


def _changes(count: int, start: int = 0) -> list[Change]:
    return [
        Change(
            employee_id=f"{n:018d}",
            achievement=Decimal("101.5"),
            from_predicate=Predicate.SANGAT_BAIK,
            to_predicate=Predicate.BAIK,
            rules=["Sangat Baik paling banyak 20%"],
            reason="melebihi kuota Sangat Baik",
        )
        for n in range(start, start + count)
    ]


def test_a_page_of_changes_is_numbered_over_the_whole_proposal() -> None:
    page = ChangesPage(shown=_changes(7, 2 * CHANGES_PER_PAGE), page=3, pages=3, total=2 * CHANGES_PER_PAGE + 7)
    assert (page.first, page.per_page) == (2 * CHANGES_PER_PAGE + 1, CHANGES_PER_PAGE)
    assert changes_of(None).total == 0 and changes_of(None).pages == 1


def test_a_decision_reads_its_pages_fields_and_sets_a_change_of_another_page_in_the_extra_rows() -> None:
    page = ChangesPage(shown=_changes(CHANGES_PER_PAGE, CHANGES_PER_PAGE), page=2, pages=2, total=2 * CHANGES_PER_PAGE)
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
    moved = [p.model_dump(mode="json") for p in locked.decision.predicates if p.final != p.original]
    read = shown(True, {"message": None, "counts_after": None}, moved, page=1, pages=1, total=1)
    assert read.locked and read.moved.shown == [predicates[7]] and read.proposal is None
    assert changes_of(read).total == 0  # nothing to decide once locked
    changes = _changes(3)
    lines = [c.model_dump(mode="json") for c in changes]
    again = shown(False, {"message": "3 perubahan", "counts_after": {}}, lines, page=1, pages=1, total=3)
    assert changes_of(again).shown == changes and again.moved.total == 0
    assert again.proposal is not None and again.proposal.message == "3 perubahan"


def test_the_summary_stored_with_a_proposal_is_what_the_page_shows_of_it() -> None:
    assert set(ShownProposal.model_fields) == set(SUMMARY_PARTS)
