import random
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calibration import (
    CalibrationEntry,
    Proposal,
    Rounding,
    allowed_range,
    check_distribution,
    decide_calibration,
    plan_cost,
    propose_adjustments,
)
from domain.errors import DomainError
from domain.policy import DEFAULT_POLICY, AppraisalPolicy, CalibrationPolicy, QuotaRule
from domain.ratings import OrgPredicate, Predicate

D = Decimal
SB, B, BP, K, SK = (
    Predicate.SANGAT_BAIK,
    Predicate.BAIK,
    Predicate.BUTUH_PERBAIKAN,
    Predicate.KURANG,
    Predicate.SANGAT_KURANG,
)
NEAREST = DEFAULT_POLICY.with_overrides({"calibration": {"rounding": "nearest"}}, revision="pembulatan")


def _entries(*groups: tuple[Predicate, int], start: int = 1) -> list[CalibrationEntry]:
    """`n` employees per predicate; capaian rises with the employee number: E01 90,00, E02 91,00, …"""
    entries: list[CalibrationEntry] = []
    for predicate, count in groups:
        for _ in range(count):
            n = start + len(entries)
            entries.append(
                CalibrationEntry(
                    employee_id=f"E{n:02}", name=f"Pegawai {n}", predicate=predicate, achievement=D(89 + n)
                )
            )
    return entries


def _messages(
    entries: Sequence[CalibrationEntry], org: OrgPredicate, policy: AppraisalPolicy = DEFAULT_POLICY
) -> list[str]:
    return [v.message for v in check_distribution(entries, org, policy)]


def _counts(entries: Sequence[CalibrationEntry]) -> list[int]:
    return [sum(e.predicate is p for e in entries) for p in Predicate]


# --- the five patterns --------------------------------------------------------------------------------------------

PATTERNS = [
    (
        OrgPredicate.ISTIMEWA,
        [(SB, 7), (B, 3)],
        [(SB, 8), (B, 2)],
        ["Sangat Baik paling banyak 70%: 8 dari 10 pegawai (80,00%), paling banyak 7"],
    ),
    (
        OrgPredicate.BAIK,
        [(SB, 2), (B, 7), (BP, 1)],
        [(B, 10)],
        [
            "Baik paling banyak 70%: 10 dari 10 pegawai (100,00%), paling banyak 7",
            "paling sedikit 1 pegawai Butuh Perbaikan dan/atau Kurang/Misconduct: 0 dari 10 pegawai (0,00%), "
            "paling sedikit 1",
        ],
    ),
    (
        OrgPredicate.BUTUH_PERBAIKAN,
        [(SB, 1), (B, 3), (BP, 6)],
        [(SB, 2), (B, 3), (BP, 5)],
        [
            "Butuh Perbaikan paling sedikit 60%: 5 dari 10 pegawai (50,00%), paling sedikit 6",
            "Sangat Baik paling banyak 10%: 2 dari 10 pegawai (20,00%), paling banyak 1",
        ],
    ),
    (
        OrgPredicate.KURANG,
        [(SB, 1), (B, 2), (BP, 1), (K, 6)],
        [(SB, 1), (B, 3), (K, 6)],
        ["Butuh Perbaikan paling sedikit 10%: 0 dari 10 pegawai (0,00%), paling sedikit 1"],
    ),
    (
        OrgPredicate.SANGAT_KURANG,
        [(B, 3), (BP, 1), (SK, 6)],
        [(SB, 1), (B, 2), (K, 1), (SK, 6)],
        ["tidak boleh ada Sangat Baik: 1 dari 10 pegawai (10,00%), paling banyak 0"],
    ),
]


@pytest.mark.parametrize(("org", "passing", "failing", "messages"), PATTERNS, ids=[p[0].value for p in PATTERNS])
def test_each_pattern_passes_and_fails_with_its_wording(
    org: OrgPredicate,
    passing: list[tuple[Predicate, int]],
    failing: list[tuple[Predicate, int]],
    messages: list[str],
) -> None:
    assert check_distribution(_entries(*passing), org, DEFAULT_POLICY) == []
    assert _messages(_entries(*failing), org) == messages


@pytest.mark.parametrize(
    ("org", "failing", "expected"),
    [
        (OrgPredicate.ISTIMEWA, [(SB, 8), (B, 2)], [("E01", SB, B)]),
        (OrgPredicate.BUTUH_PERBAIKAN, [(SB, 2), (B, 3), (BP, 5)], [("E01", SB, BP)]),  # one move fixes both rules
        (OrgPredicate.KURANG, [(SB, 1), (B, 3), (K, 6)], [("E02", B, BP)]),  # not a Kurang: they are at the floor
        (OrgPredicate.SANGAT_KURANG, [(SB, 1), (B, 2), (K, 1), (SK, 6)], [("E01", SB, B)]),
    ],
)
def test_each_failing_pattern_gets_the_fewest_smallest_changes(
    org: OrgPredicate, failing: list[tuple[Predicate, int]], expected: list[tuple[str, Predicate, Predicate]]
) -> None:
    proposal = propose_adjustments(_entries(*failing), org, DEFAULT_POLICY)
    assert proposal.feasible
    assert [(c.employee_id, c.from_predicate, c.to_predicate) for c in proposal.changes] == expected
    assert check_distribution(proposal.proposed_entries(), org, DEFAULT_POLICY) == []


# --- the Baik example ---------------------------------------------------------------------------------------------


def test_ten_baik_under_a_baik_organisation() -> None:
    entries = [
        CalibrationEntry(employee_id=f"P{n}", predicate=B, achievement=D(value))
        for n, value in enumerate(
            ["101.00", "92.50", "110.25", "98.00", "93.10", "120.00", "99.99", "105.00", "95.75", "100.00"]
        )
    ]
    proposal = propose_adjustments(entries, OrgPredicate.BAIK, DEFAULT_POLICY)
    assert proposal.feasible
    assert [v.rule for v in proposal.violations] == [
        "Baik paling banyak 70%",
        "paling sedikit 1 pegawai Butuh Perbaikan dan/atau Kurang/Misconduct",
    ]
    # Exactly 3 changes, the three lowest capaian, one step down to Butuh Perbaikan.
    assert [(c.employee_id, c.achievement, c.to_predicate) for c in proposal.changes] == [
        ("P1", D("92.50"), BP),
        ("P4", D("93.10"), BP),
        ("P8", D("95.75"), BP),
    ]
    assert proposal.changes[0].reason == (
        "Baik → Butuh Perbaikan: capaian 92,50 terendah di antara pegawai Baik; aturan 'Baik paling banyak 70%' dan "
        "'paling sedikit 1 pegawai Butuh Perbaikan dan/atau Kurang/Misconduct'"
    )
    assert proposal.changes[2].reason.startswith("Baik → Butuh Perbaikan: capaian 95,75 terendah ke-3 di antara")
    assert proposal.counts_before[B] == 10
    assert (proposal.counts_after[B], proposal.counts_after[BP]) == (7, 3)
    assert proposal.message == (
        "3 perubahan predikat membuat distribusi 10 pegawai memenuhi pola distribusi capaian kinerja organisasi Baik"
    )
    assert proposal.policy_version == DEFAULT_POLICY.version
    assert check_distribution(proposal.proposed_entries(), OrgPredicate.BAIK, DEFAULT_POLICY) == []


def test_one_employee_under_a_baik_organisation_becomes_butuh_perbaikan() -> None:
    proposal = propose_adjustments(_entries((B, 1)), OrgPredicate.BAIK, DEFAULT_POLICY)
    assert [(c.from_predicate, c.to_predicate) for c in proposal.changes] == [(B, BP)]


def test_a_compliant_distribution_needs_no_change() -> None:
    entries = _entries((SB, 2), (B, 7), (K, 1))
    proposal = propose_adjustments(entries, OrgPredicate.BAIK, DEFAULT_POLICY)
    assert (proposal.feasible, proposal.changes, proposal.violations) == (True, [], [])
    assert proposal.message == (
        "distribusi 10 pegawai sudah memenuhi pola distribusi capaian kinerja organisasi Baik; tidak ada perubahan"
    )
    assert proposal.proposed_predicates() == {e.employee_id: e.predicate for e in entries}


def test_no_employees_no_violations() -> None:
    for org in OrgPredicate:
        assert check_distribution([], org, DEFAULT_POLICY) == []
        proposal = propose_adjustments([], org, DEFAULT_POLICY)
        assert (proposal.feasible, proposal.changes, proposal.message) == (
            True,
            [],
            "tidak ada pegawai untuk dikalibrasi",
        )


# --- rounding of shares into whole employees ----------------------------------------------------------------------


def _rule(**limits: object) -> QuotaRule:
    return QuotaRule.model_validate({"predicates": [B], "text": "aturan uji", **limits})


@pytest.mark.parametrize(
    ("limits", "total", "strict", "nearest"),
    [
        ({"max_share": "0.70"}, 9, (0, 6), (0, 6)),  # 6,3
        ({"max_share": "0.70"}, 5, (0, 3), (0, 4)),  # 3,5
        ({"max_share": "0.70"}, 10, (0, 7), (0, 7)),
        ({"max_share": "0.70"}, 1, (0, 0), (0, 1)),  # 0,7
        ({"min_share": "0.60"}, 9, (6, 9), (5, 9)),  # 5,4
        ({"min_share": "0.10"}, 9, (1, 9), (1, 9)),  # 0,9
        ({"min_share": "0.10"}, 4, (1, 4), (0, 4)),  # 0,4
        ({"min_share": "0.10"}, 5, (1, 5), (1, 5)),  # 0,5
        ({"max_share": "0.10"}, 15, (0, 1), (0, 2)),  # 1,5
        ({"min_count": 1}, 3, (1, 3), (1, 3)),
        ({"max_count": 0}, 3, (0, 0), (0, 0)),
        ({"min_count": 2, "min_share": "0.10"}, 10, (2, 10), (2, 10)),
    ],
)
def test_share_bounds_in_whole_employees(
    limits: dict[str, object], total: int, strict: tuple[int, int], nearest: tuple[int, int]
) -> None:
    assert allowed_range(_rule(**limits), total, "strict") == strict
    assert allowed_range(_rule(**limits), total, "nearest") == nearest


def test_seventy_percent_of_nine_is_at_most_six() -> None:
    entries = _entries((B, 7), (BP, 2))
    assert _messages(entries, OrgPredicate.BAIK) == [
        "Baik paling banyak 70%: 7 dari 9 pegawai (77,78%), paling banyak 6"
    ]
    assert _messages(entries, OrgPredicate.BAIK, NEAREST) == _messages(entries, OrgPredicate.BAIK)
    assert check_distribution(_entries((B, 6), (BP, 3)), OrgPredicate.BAIK, DEFAULT_POLICY) == []


def test_nearest_rounding_allows_more_in_small_units() -> None:
    entries = _entries((B, 4), (K, 1))  # 70 % of 5 = 3,5
    assert _messages(entries, OrgPredicate.BAIK) == [
        "Baik paling banyak 70%: 4 dari 5 pegawai (80,00%), paling banyak 3"
    ]
    assert check_distribution(entries, OrgPredicate.BAIK, NEAREST) == []


def test_a_bare_calibration_policy_works_but_records_no_version() -> None:
    entries = _entries((B, 10))
    assert check_distribution(entries, OrgPredicate.BAIK, DEFAULT_POLICY.calibration) == check_distribution(
        entries, OrgPredicate.BAIK, DEFAULT_POLICY
    )
    proposal = propose_adjustments(entries, OrgPredicate.BAIK, DEFAULT_POLICY.calibration)
    assert len(proposal.changes) == 3 and proposal.policy_version is None
    with pytest.raises(DomainError, match="hitung ulang usulan") as error:
        decide_calibration(proposal, accepted=True, policy=DEFAULT_POLICY)
    assert error.value.field == "policy_version"


# --- infeasible patterns ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("org", "total"), [(OrgPredicate.KURANG, 1), (OrgPredicate.KURANG, 2), (OrgPredicate.SANGAT_KURANG, 2)]
)
def test_too_few_employees_for_a_pattern_is_infeasible(org: OrgPredicate, total: int) -> None:
    proposal = propose_adjustments(_entries((B, total)), org, DEFAULT_POLICY)
    assert not proposal.feasible and proposal.changes == []
    assert proposal.message.startswith(f"tidak ada susunan predikat {total} pegawai yang memenuhi semua aturan")
    assert proposal.message.endswith("komite menetapkan predikat dengan justifikasi")
    assert proposal.counts_after == proposal.counts_before


def test_kurang_pattern_for_two_is_infeasible_strictly_but_not_rounding_to_nearest() -> None:
    strict = propose_adjustments(_entries((B, 2)), OrgPredicate.KURANG, DEFAULT_POLICY)
    assert "Kurang/Misconduct paling sedikit 60%: 2 pegawai; Butuh Perbaikan paling sedikit 10%: 1–2 pegawai" in (
        strict.message
    )
    nearest = propose_adjustments(_entries((B, 2)), OrgPredicate.KURANG, NEAREST)
    assert nearest.feasible and check_distribution(nearest.proposed_entries(), OrgPredicate.KURANG, NEAREST) == []


# --- who moves, and where -----------------------------------------------------------------------------------------


def test_moves_up_take_the_highest_capaian() -> None:
    # All Sangat Kurang under a Butuh Perbaikan organisation: 6 of 10 must rise to Butuh Perbaikan.
    proposal = propose_adjustments(_entries((SK, 10)), OrgPredicate.BUTUH_PERBAIKAN, DEFAULT_POLICY)
    assert [c.employee_id for c in proposal.changes] == ["E10", "E09", "E08", "E07", "E06", "E05"]
    assert {c.to_predicate for c in proposal.changes} == {BP}
    assert proposal.changes[0].reason == (
        "Sangat Kurang → Butuh Perbaikan: capaian 99 tertinggi di antara pegawai Sangat Kurang; "
        "aturan 'Butuh Perbaikan paling sedikit 60%'"
    )
    assert proposal.changes[1].reason.startswith("Sangat Kurang → Butuh Perbaikan: capaian 98 tertinggi ke-2")


def test_the_smallest_step_and_the_lowest_capaian_take_the_furthest_step() -> None:
    # All Baik under a Sangat Kurang organisation: 6 to Sangat Kurang, 1 to Butuh Perbaikan (1 step, not 2 to Kurang).
    proposal = propose_adjustments(_entries((B, 10)), OrgPredicate.SANGAT_KURANG, DEFAULT_POLICY)
    assert [(c.employee_id, c.to_predicate) for c in proposal.changes] == [
        *[(f"E{n:02}", SK) for n in range(1, 7)],
        ("E07", BP),
    ]
    assert proposal.changes[6].rules == ["Kurang/Misconduct dan/atau Butuh Perbaikan paling sedikit 10%"]


def test_a_surplus_moves_down_rather_than_up_when_both_are_one_step() -> None:
    # Baik may go to Sangat Baik or to Butuh Perbaikan, both one step: the proposal demotes ([U], module docstring).
    proposal = propose_adjustments(_entries((SB, 1), (B, 8), (K, 1)), OrgPredicate.BAIK, DEFAULT_POLICY)
    assert [(c.employee_id, c.to_predicate) for c in proposal.changes] == [("E02", BP)]


def test_employees_without_capaian_move_last() -> None:
    entries = [
        CalibrationEntry(employee_id="A", predicate=B),
        *_entries((B, 9)),
    ]
    proposal = propose_adjustments(entries, OrgPredicate.BAIK, DEFAULT_POLICY)
    assert [c.employee_id for c in proposal.changes] == ["E01", "E02", "E03"]
    only_unknown = [CalibrationEntry(employee_id=f"X{n}", predicate=B) for n in range(10)]
    proposal = propose_adjustments(only_unknown, OrgPredicate.BAIK, DEFAULT_POLICY)
    assert [c.employee_id for c in proposal.changes] == ["X0", "X1", "X2"]
    assert "tanpa capaian, dipindahkan setelah pegawai yang memiliki capaian" in proposal.changes[0].reason


def test_equal_capaian_break_ties_by_employee_id() -> None:
    entries = [
        CalibrationEntry(employee_id=f"N{n}", predicate=B, achievement=D(100)) for n in (5, 3, 9, 1, 7, 2, 8, 4, 6, 0)
    ]
    proposal = propose_adjustments(entries, OrgPredicate.BAIK, DEFAULT_POLICY)
    assert [c.employee_id for c in proposal.changes] == ["N0", "N1", "N2"]


def test_duplicate_employees_are_refused() -> None:
    entries = [*_entries((B, 2)), _entries((B, 1))[0]]
    with pytest.raises(DomainError, match="pegawai tercantum lebih dari sekali: E01") as error:
        check_distribution(entries, OrgPredicate.BAIK, DEFAULT_POLICY)
    assert error.value.field == "employee_id"
    with pytest.raises(DomainError):
        propose_adjustments(entries, OrgPredicate.BAIK, DEFAULT_POLICY)


def test_a_whole_instansi_of_5000_is_solved() -> None:
    rng = random.Random(2023)
    entries = [
        CalibrationEntry(
            employee_id=f"{n:05d}", predicate=rng.choice(list(Predicate)), achievement=D(rng.randint(6000, 13000)) / 100
        )
        for n in range(5000)
    ]
    for org in OrgPredicate:
        proposal = propose_adjustments(entries, org, DEFAULT_POLICY)
        assert proposal.feasible
        assert check_distribution(proposal.proposed_entries(), org, DEFAULT_POLICY) == []


# --- patterns with overlapping groups (policy overrides) ----------------------------------------------------------

OVERLAPPING = CalibrationPolicy(
    patterns={
        OrgPredicate.BAIK: [
            QuotaRule(predicates=frozenset({B}), text="Baik paling banyak 50%", max_share=D("0.5")),
            QuotaRule(predicates=frozenset({BP, K}), text="BP/K paling sedikit 20%", min_share=D("0.2")),
            QuotaRule(predicates=frozenset({K, SK}), text="K/SK paling banyak 10%", max_share=D("0.1")),
        ]
    }
)


def test_overlapping_groups_are_solved_exactly_for_small_units() -> None:
    proposal = propose_adjustments(_entries((B, 10)), OrgPredicate.BAIK, OVERLAPPING)
    assert [(c.employee_id, c.to_predicate) for c in proposal.changes] == [(f"E{n:02}", BP) for n in range(1, 6)]
    assert check_distribution(proposal.proposed_entries(), OrgPredicate.BAIK, OVERLAPPING) == []


def test_overlapping_groups_are_refused_for_large_units() -> None:
    entries = [CalibrationEntry(employee_id=str(n), predicate=B) for n in range(200)]
    assert len(check_distribution(entries, OrgPredicate.BAIK, OVERLAPPING)) == 2
    with pytest.raises(DomainError, match="kelompok predikat yang beririsan sebagian") as error:
        propose_adjustments(entries, OrgPredicate.BAIK, OVERLAPPING)
    assert error.value.field == "calibration.patterns"


# --- properties ---------------------------------------------------------------------------------------------------


def _distributions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _distributions(total - first, parts - 1):
            yield (first, *rest)


def _satisfies(target: Sequence[int], rules: Sequence[QuotaRule], rounding: Rounding) -> bool:
    total = sum(target)
    for rule in rules:
        low, high = allowed_range(rule, total, rounding)
        if not low <= sum(target[p.rank] for p in rule.predicates) <= high:
            return False
    return True


def _cost_to(current: Sequence[int], target: Sequence[int]) -> tuple[int, int, int]:
    """(moves, rank steps, upward steps) of the cheapest way from `current` to `target`, by a separate formula."""
    moves = sum(max(0, c - t) for c, t in zip(current, target, strict=True))
    steps = sum(abs(sum(current[: k + 1]) - sum(target[: k + 1])) for k in range(len(current) - 1))
    downward = sum(rank * (t - c) for rank, (c, t) in enumerate(zip(current, target, strict=True)))
    return moves, steps, (steps - downward) // 2


def _proposal_cost(proposal: Proposal) -> tuple[int, int, int]:
    k = len(Predicate)
    plan = [[0] * k for _ in range(k)]
    for change in proposal.changes:
        plan[change.from_predicate.rank][change.to_predicate.rank] += 1
    return plan_cost(plan)


_entry_lists = st.lists(
    st.tuples(st.sampled_from(Predicate), st.one_of(st.none(), st.decimals(min_value=0, max_value=150, places=2))),
    min_size=1,
    max_size=40,
)


def _build(drawn: list[tuple[Predicate, Decimal | None]]) -> list[CalibrationEntry]:
    return [CalibrationEntry(employee_id=f"E{n:02}", predicate=p, achievement=a) for n, (p, a) in enumerate(drawn)]


@settings(max_examples=150, deadline=None)
@given(_entry_lists, st.sampled_from([DEFAULT_POLICY, NEAREST]))
def test_every_proposal_satisfies_its_pattern(
    drawn: list[tuple[Predicate, Decimal | None]], policy: AppraisalPolicy
) -> None:
    entries = _build(drawn)
    for org in OrgPredicate:
        proposal = propose_adjustments(entries, org, policy)
        if proposal.feasible:
            after = proposal.proposed_entries()
            assert check_distribution(after, org, policy) == []
            assert _counts(after) == [proposal.counts_after[p] for p in Predicate]
            assert len({c.employee_id for c in proposal.changes}) == len(proposal.changes)
            assert all(c.from_predicate is not c.to_predicate for c in proposal.changes)
        else:
            rules = policy.calibration.patterns[org]
            assert not any(
                _satisfies(t, rules, policy.calibration.rounding) for t in _distributions(len(entries), len(Predicate))
            )


_small_entry_lists = st.lists(
    st.tuples(st.sampled_from(Predicate), st.one_of(st.none(), st.decimals(min_value=0, max_value=150, places=2))),
    min_size=1,
    max_size=10,
)

# Nested groups (a tree of rules) and the partly overlapping groups above, as an instansi might override them.
NESTED = CalibrationPolicy(
    patterns={
        OrgPredicate.BAIK: [
            QuotaRule(predicates=frozenset({SB}), text="SB paling banyak 10%", max_share=D("0.1")),
            QuotaRule(predicates=frozenset({SB, B}), text="SB/B paling banyak 50%", max_share=D("0.5")),
            QuotaRule(predicates=frozenset({BP, K, SK}), text="BP/K/SK paling sedikit 30%", min_share=D("0.3")),
            QuotaRule(predicates=frozenset({K, SK}), text="K/SK paling sedikit 1", min_count=1),
            QuotaRule(predicates=frozenset({SK}), text="SK paling banyak 10%", max_share=D("0.1")),
        ]
    },
    rounding="nearest",
)


def _assert_cheapest(entries: list[CalibrationEntry], org: OrgPredicate, policy: CalibrationPolicy) -> None:
    """Brute force over every distribution: no target needs fewer moves, then fewer steps, then fewer steps up."""
    current = _counts(entries)
    rules = policy.patterns[org]
    costs = [
        _cost_to(current, t)
        for t in _distributions(len(entries), len(Predicate))
        if _satisfies(t, rules, policy.rounding)
    ]
    proposal = propose_adjustments(entries, org, policy)
    assert proposal.feasible == bool(costs)
    if costs:
        assert _proposal_cost(proposal) == min(costs)
        assert check_distribution(proposal.proposed_entries(), org, policy) == []


@settings(max_examples=150, deadline=None)
@given(_small_entry_lists, st.sampled_from([DEFAULT_POLICY, NEAREST]))
def test_proposals_are_the_cheapest_possible(
    drawn: list[tuple[Predicate, Decimal | None]], policy: AppraisalPolicy
) -> None:
    for org in OrgPredicate:
        _assert_cheapest(_build(drawn), org, policy.calibration)


@settings(max_examples=100, deadline=None)
@given(_small_entry_lists, st.sampled_from([NESTED, OVERLAPPING]))
def test_proposals_for_overridden_patterns_are_the_cheapest_possible(
    drawn: list[tuple[Predicate, Decimal | None]], policy: CalibrationPolicy
) -> None:
    _assert_cheapest(_build(drawn), OrgPredicate.BAIK, policy)


@settings(max_examples=100, deadline=None)
@given(_entry_lists)
def test_moves_down_take_lower_capaian_than_those_who_stay(drawn: list[tuple[Predicate, Decimal | None]]) -> None:
    entries = _build(drawn)
    for org in OrgPredicate:
        proposal = propose_adjustments(entries, org, DEFAULT_POLICY)
        moved = {c.employee_id: c for c in proposal.changes}
        for change in proposal.changes:
            if change.achievement is None:
                continue
            stayers = [
                e.achievement
                for e in entries
                if e.predicate is change.from_predicate and e.employee_id not in moved and e.achievement is not None
            ]
            if change.to_predicate.rank > change.from_predicate.rank:
                assert all(change.achievement <= a for a in stayers)
            else:
                assert all(change.achievement >= a for a in stayers)


# --- the committee's decision -------------------------------------------------------------------------------------


def _baik_proposal() -> Proposal:
    return propose_adjustments(_entries((B, 10)), OrgPredicate.BAIK, DEFAULT_POLICY)


def test_accepting_the_proposal_needs_no_justification() -> None:
    decision = decide_calibration(_baik_proposal(), accepted=True, policy=DEFAULT_POLICY)
    assert decision.accepted and decision.compliant and decision.violations == []
    assert (decision.justification, decision.overrides) == (None, {})
    assert [p.final for p in decision.predicates] == [BP, BP, BP, *[B] * 7]
    assert decision.predicates[0].model_dump() == {
        "employee_id": "E01",
        "name": "Pegawai 1",
        "original": B,
        "proposed": BP,
        "final": BP,
    }
    assert decision.policy_version == DEFAULT_POLICY.version


@pytest.mark.parametrize("justification", [None, "", "   ", "setuju", "o k e o k e o k"])
def test_rejecting_needs_a_justification(justification: str | None) -> None:
    with pytest.raises(DomainError, match=r"tuliskan justifikasi .* karena usulan ditolak") as error:
        decide_calibration(_baik_proposal(), accepted=False, policy=DEFAULT_POLICY, justification=justification)
    assert error.value.field == "justification"
    assert error.value.rule is not None and "SE MenPAN-RB 3/2023" in error.value.rule


def test_rejecting_with_a_justification_keeps_the_original_and_records_the_violations() -> None:
    decision = decide_calibration(
        _baik_proposal(),
        accepted=False,
        policy=DEFAULT_POLICY,
        justification="  Seluruh pegawai mencapai target  kinerja utama ",
    )
    assert not decision.accepted and not decision.compliant
    assert decision.justification == "Seluruh pegawai mencapai target kinerja utama"
    assert {p.final for p in decision.predicates} == {B}
    assert [v.rule for v in decision.violations] == [
        "Baik paling banyak 70%",
        "paling sedikit 1 pegawai Butuh Perbaikan dan/atau Kurang/Misconduct",
    ]


def test_overriding_an_employee_needs_a_justification() -> None:
    proposal = _baik_proposal()
    with pytest.raises(DomainError, match="karena 2 predikat ditetapkan berbeda oleh komite") as error:
        decide_calibration(proposal, accepted=True, policy=DEFAULT_POLICY, overrides={"E03": B, "E04": BP})
    assert "distribusi akhir" not in str(error.value)  # E03 back to Baik and E04 down keeps the pattern
    assert error.value.field == "justification"
    decision = decide_calibration(
        proposal,
        accepted=True,
        policy=DEFAULT_POLICY,
        overrides={"E03": B, "E04": BP, "E05": B},  # E05 stays Baik anyway: not an override
        justification="E03 memimpin proyek prioritas daerah",
    )
    assert decision.overrides == {"E03": B, "E04": BP}
    assert decision.compliant
    assert [(p.employee_id, p.proposed, p.final) for p in decision.predicates[2:4]] == [("E03", BP, B), ("E04", B, BP)]


def test_a_deviating_override_is_allowed_with_a_justification_and_recorded() -> None:
    decision = decide_calibration(
        _baik_proposal(),
        accepted=True,
        policy=DEFAULT_POLICY,
        overrides={"E01": B},
        justification="Capaian E01 terlambat diinput, sebenarnya 104%",
    )
    assert not decision.compliant
    assert [v.message for v in decision.violations] == [
        "Baik paling banyak 70%: 8 dari 10 pegawai (80,00%), paling banyak 7"
    ]


def test_accepting_an_infeasible_proposal_needs_a_justification() -> None:
    proposal = propose_adjustments(_entries((B, 2)), OrgPredicate.KURANG, DEFAULT_POLICY)
    with pytest.raises(DomainError, match="karena distribusi akhir melanggar 2 aturan pola"):
        decide_calibration(proposal, accepted=True, policy=DEFAULT_POLICY)
    decision = decide_calibration(
        proposal, accepted=True, policy=DEFAULT_POLICY, justification="Unit hanya dua pegawai; pola tidak mungkin"
    )
    assert not decision.compliant and len(decision.violations) == 2


def test_overrides_must_name_employees_of_the_calibration() -> None:
    with pytest.raises(DomainError, match="pegawai tidak ada dalam kalibrasi ini: Z9") as error:
        decide_calibration(_baik_proposal(), accepted=True, policy=DEFAULT_POLICY, overrides={"Z9": B})
    assert error.value.field == "overrides"


def test_decision_needs_the_policy_of_the_proposal() -> None:
    other = DEFAULT_POLICY.with_overrides({}, revision="baru")
    with pytest.raises(DomainError, match=re.escape(f"bukan {other.version}; hitung ulang usulan")):
        decide_calibration(_baik_proposal(), accepted=True, policy=other)
