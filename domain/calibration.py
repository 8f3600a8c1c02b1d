"""Calibration: employee predicates against the distribution pattern of the organisation's predicate.

SE MenPAN-RB 3/2023 (reference 1.5) ties the spread of predikat kinerja pegawai in a unit to the unit's own
predicate: e.g. an organisation rated Baik may have at most 70 % Baik and at least one Butuh Perbaikan and/or
Kurang/Misconduct. The patterns are policy data (`policy.calibration.patterns`); this module checks a distribution
against one, proposes the fewest changes that satisfy it, and records the committee's decision.

How a proposal is chosen, in this order:
1. the fewest employees whose predicate changes;
2. among those, the smallest total step in rank (Baik → Butuh Perbaikan before Baik → Sangat Kurang);
3. among those, the fewest steps upward. [U] SE 3/2023 does not say whether a surplus moves up or down when both
   are equally short; a quota caps how many may hold a predicate, so the proposal demotes rather than promotes
   beyond what the penilai gave, and the committee may decide otherwise with a justification;
4. who moves: the lowest capaian move down, the highest move up. [U] An employee without a capaian has nothing to
   rank them by, so they move only after everyone with one (ties by employee id, for a stable result).
Steps 1–3 are solved exactly: the rules constrain counts of groups of predicates, which (for groups that are
disjoint or nested, as in every SE 3/2023 pattern) is a small min-cost flow from current to target predicates.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.assessment import MIN_OVERRIDE_REASON_CHARS
from domain.errors import DomainError
from domain.policy import AppraisalPolicy, CalibrationPolicy, QuotaRule
from domain.ratings import OrgPredicate, Predicate

PREDICATES: tuple[Predicate, ...] = tuple(Predicate)  # best first: the index is the rank
Rounding = Literal["strict", "nearest"]
Bound = Literal["min", "max"]

# Patterns whose groups overlap without nesting cannot be a flow; they are solved by trying every distribution,
# which is exact but only affordable up to this many distributions (about 45 employees).
ENUMERATION_LIMIT = 200_000

JUSTIFICATION_RULE = (
    "menolak atau mengubah usulan kalibrasi, atau menetapkan distribusi yang menyimpang dari pola "
    "(SE MenPAN-RB 3/2023), wajib disertai justifikasi tertulis"
)


class CalibrationEntry(BaseModel):
    """One employee in the calibration: the predicate the penilai gave and the capaian that orders changes."""

    model_config = ConfigDict(frozen=True)

    employee_id: str = Field(min_length=1)  # NIP or another stable id
    name: str | None = None
    predicate: Predicate
    achievement: Decimal | None = None
    unit: str | None = None


class Violation(BaseModel):
    """A rule of the pattern the distribution breaks, with the bound in whole employees for this group size."""

    model_config = ConfigDict(frozen=True)

    rule: str
    predicates: list[Predicate]
    count: int
    total: int
    share_percent: Decimal  # count / total x 100, 2 dp
    bound: Bound
    allowed: int
    message: str


class Change(BaseModel):
    model_config = ConfigDict(frozen=True)

    employee_id: str
    name: str | None = None
    unit: str | None = None
    achievement: Decimal | None
    from_predicate: Predicate
    to_predicate: Predicate
    rules: list[str]  # the broken rules this change helps to satisfy
    reason: str


class Proposal(BaseModel):
    """The fewest predicate changes that satisfy the pattern, or `feasible=False` when no distribution can."""

    model_config = ConfigDict(frozen=True)

    org_predicate: OrgPredicate
    entries: list[CalibrationEntry]
    feasible: bool
    changes: list[Change]
    violations: list[Violation]  # of the distribution as given
    counts_before: dict[Predicate, int]
    counts_after: dict[Predicate, int]
    message: str
    policy_version: str | None  # None when proposed from a bare CalibrationPolicy

    def proposed_predicates(self) -> dict[str, Predicate]:
        proposed = {e.employee_id: e.predicate for e in self.entries}
        proposed.update({c.employee_id: c.to_predicate for c in self.changes})
        return proposed

    def proposed_entries(self) -> list[CalibrationEntry]:
        proposed = self.proposed_predicates()
        return [e.model_copy(update={"predicate": proposed[e.employee_id]}) for e in self.entries]


class FinalPredicate(BaseModel):
    model_config = ConfigDict(frozen=True)

    employee_id: str
    name: str | None = None
    original: Predicate
    proposed: Predicate
    final: Predicate


class CalibrationDecision(BaseModel):
    """What the committee decided, including any deviation from the pattern it chose knowingly."""

    model_config = ConfigDict(frozen=True)

    org_predicate: OrgPredicate
    accepted: bool
    overrides: dict[str, Predicate]  # only those that differ from what would otherwise apply
    justification: str | None
    predicates: list[FinalPredicate]
    violations: list[Violation]  # of the final distribution; non-empty only with a justification
    compliant: bool
    policy_version: str


# --- checking -----------------------------------------------------------------------------------------------------


def allowed_range(rule: QuotaRule, total: int, rounding: Rounding) -> tuple[int, int]:
    """The fewest and the most of `total` employees the rule allows, in whole employees.

    [U] SE 3/2023 gives shares and does not say how they round in small units. "strict" (the default): a maximum
    rounds down and a minimum rounds up, so a quota is never exceeded (70 % of 9 = 6,3 → at most 6; 10 % of 9 =
    0,9 → at least 1). "nearest": both round half up (70 % of 5 = 3,5 → at most 4).
    """
    return _bounds(rule.min_count, rule.max_count, rule.min_share, rule.max_share, total, rounding)


@functools.lru_cache(maxsize=4096)
def _bounds(
    min_count: int | None,
    max_count: int | None,
    min_share: Decimal | None,
    max_share: Decimal | None,
    total: int,
    rounding: Rounding,
) -> tuple[int, int]:
    """`allowed_range` by value, remembered: an instansi's thousands of units have few different sizes, and the
    calibration page checks every unit on every view."""
    low, high = 0, total
    if min_count is not None:
        low = max(low, min_count)
    if max_count is not None:
        high = min(high, max_count)
    if min_share is not None:
        exact = Fraction(min_share) * total
        low = max(low, math.ceil(exact) if rounding == "strict" else _half_up(exact))
    if max_share is not None:
        exact = Fraction(max_share) * total
        high = min(high, math.floor(exact) if rounding == "strict" else _half_up(exact))
    return low, high


def check_distribution(
    entries: Sequence[CalibrationEntry], org_predicate: OrgPredicate, policy: AppraisalPolicy | CalibrationPolicy
) -> list[Violation]:
    """The rules of the pattern for `org_predicate` that the predicates of `entries` break (none for no entries)."""
    _check_unique(entries)
    calibration = _calibration_policy(policy)
    counts = _counts(e.predicate for e in entries)
    return _violations(counts, calibration.patterns[org_predicate], calibration.rounding)


def check_counts(
    counts: Mapping[Predicate, int], org_predicate: OrgPredicate, policy: AppraisalPolicy | CalibrationPolicy
) -> list[Violation]:
    """`check_distribution` of a distribution known by its counts only (a unit's, summed from its reviews)."""
    if any(n < 0 for n in counts.values()):
        raise DomainError("jumlah pegawai per predikat tidak boleh negatif", field="counts")
    calibration = _calibration_policy(policy)
    ordered = [counts.get(p, 0) for p in PREDICATES]
    return _violations(ordered, calibration.patterns[org_predicate], calibration.rounding)


def compliance(
    org_predicate: OrgPredicate, policy: AppraisalPolicy | CalibrationPolicy
) -> Callable[[Sequence[int]], bool]:
    """Whether counts in predicate order, best first (none negative), meet the pattern of `org_predicate`:
    `check_counts` finding nothing, without wording what it would find, the pattern read once. The calibration page
    ranks an instansi's thousands of units by it on every view."""
    calibration = _calibration_policy(policy)
    rules = calibration.patterns[org_predicate]
    rounding = calibration.rounding

    def complies(ordered: Sequence[int]) -> bool:
        return next(_broken(ordered, rules, rounding), None) is None

    return complies


def _broken(counts: Sequence[int], rules: Sequence[QuotaRule], rounding: Rounding) -> Iterator[tuple[QuotaRule, int]]:
    """Each rule the counts (by rank) break, with how many it counts."""
    total = sum(counts)
    if total == 0:
        return
    for rule in rules:
        count = sum(counts[p.rank] for p in rule.predicates)
        low, high = allowed_range(rule, total, rounding)
        if not low <= count <= high:
            yield rule, count


def _violations(counts: Sequence[int], rules: Sequence[QuotaRule], rounding: Rounding) -> list[Violation]:
    total = sum(counts)
    found: list[Violation] = []
    for rule, count in _broken(counts, rules, rounding):
        low, high = allowed_range(rule, total, rounding)
        bound: Bound
        if count < low:
            bound, allowed, words = "min", low, "paling sedikit"
        else:
            bound, allowed, words = "max", high, "paling banyak"
        share = _half_up_decimal(Fraction(count * 100, total), 2)
        found.append(
            Violation(
                rule=rule.text,
                predicates=sorted(rule.predicates, key=lambda p: p.rank),
                count=count,
                total=total,
                share_percent=share,
                bound=bound,
                allowed=allowed,
                message=f"{rule.text}: {count} dari {total} pegawai ({_comma(share)}%), {words} {allowed}",
            )
        )
    return found


# --- proposing ----------------------------------------------------------------------------------------------------


def propose_adjustments(
    entries: Sequence[CalibrationEntry], org_predicate: OrgPredicate, policy: AppraisalPolicy | CalibrationPolicy
) -> Proposal:
    """The fewest predicate changes that make `entries` satisfy the pattern of `org_predicate` (module docstring).

    Returns `feasible=False` (and no changes) when no distribution of this many employees satisfies every rule,
    e.g. 2 employees under the Kurang pattern, which asks for at least 2 Kurang/Misconduct and 1 Butuh Perbaikan.
    Given the AppraisalPolicy, the proposal records its version, which `decide_calibration` requires.
    """
    _check_unique(entries)
    calibration = _calibration_policy(policy)
    rules = calibration.patterns[org_predicate]
    rounding = calibration.rounding
    counts = _counts(e.predicate for e in entries)
    total = len(entries)
    violations = _violations(counts, rules, rounding)
    pattern = f"pola distribusi capaian kinerja organisasi {org_predicate.label}"

    def proposal(feasible: bool, changes: list[Change], after: Sequence[int], message: str) -> Proposal:
        return Proposal(
            org_predicate=org_predicate,
            entries=list(entries),
            feasible=feasible,
            changes=changes,
            violations=violations,
            counts_before=_count_map(counts),
            counts_after=_count_map(after),
            message=message,
            policy_version=policy.version if isinstance(policy, AppraisalPolicy) else None,
        )

    if not violations:
        text = f"distribusi {total} pegawai sudah memenuhi {pattern}; tidak ada perubahan"
        return proposal(True, [], counts, text if total else "tidak ada pegawai untuk dikalibrasi")
    plan = _plan(counts, _groups(rules, total, rounding), pattern)
    if plan is None:
        limits = "; ".join(f"{r.text}: {_span(*allowed_range(r, total, rounding))} pegawai" for r in rules)
        return proposal(
            False,
            [],
            counts,
            f"tidak ada susunan predikat {total} pegawai yang memenuhi semua aturan {pattern} ({limits}); "
            "komite menetapkan predikat dengan justifikasi",
        )
    after = [sum(plan[p][q] for p in range(len(PREDICATES))) for q in range(len(PREDICATES))]
    changes = _changes(entries, plan, violations, pattern)
    return proposal(
        True, changes, after, f"{len(changes)} perubahan predikat membuat distribusi {total} pegawai memenuhi {pattern}"
    )


@dataclass(frozen=True)
class _Group:
    """The combined bounds of every rule on one set of predicates (by rank)."""

    members: frozenset[int]
    low: int
    high: int


def _groups(rules: Sequence[QuotaRule], total: int, rounding: Rounding) -> list[_Group] | None:
    """The constrained groups, or None when a rule cannot hold for any distribution of `total` employees."""
    bounds: dict[frozenset[int], tuple[int, int]] = {}
    for rule in rules:
        members = frozenset(p.rank for p in rule.predicates)
        low, high = allowed_range(rule, total, rounding)
        old_low, old_high = bounds.get(members, (0, total))
        bounds[members] = (max(low, old_low), min(high, old_high))
    groups: list[_Group] = []
    everyone = frozenset(range(len(PREDICATES)))
    for members, (low, high) in bounds.items():
        if low > high:
            return None
        size = total if members == everyone else 0 if not members else None
        if size is not None:  # a rule on nobody or on everybody: its count is fixed
            if not low <= size <= high:
                return None
            continue
        groups.append(_Group(members, low, high))
    return groups


Plan = list[list[int]]  # plan[p][q]: how many employees move from rank p to rank q (p == q: stay)


def _plan(counts: Sequence[int], groups: list[_Group] | None, pattern: str) -> Plan | None:
    if groups is None:
        return None
    if _laminar(groups):
        return _plan_by_flow(counts, groups)
    return _plan_by_enumeration(counts, groups, pattern)


def _laminar(groups: Sequence[_Group]) -> bool:
    return all(
        a.members <= b.members or b.members <= a.members or not a.members & b.members
        for i, a in enumerate(groups)
        for b in groups[i + 1 :]
    )


def _plan_by_flow(counts: Sequence[int], groups: Sequence[_Group]) -> Plan | None:
    """Min-cost flow: current predicate → target predicate → the innermost group → … → everyone.

    Disjoint or nested groups form a tree, so each group's bounds sit on one arc. One unit of flow is one employee;
    moving costs MOVE + STEP x ranks + ranks upward, weights far enough apart that the total cost orders plans by
    (moves, steps, upward steps). Flow with integer capacities has an integral optimum, so the plan is exact.
    """
    k = len(PREDICATES)
    total = sum(counts)
    step = 4 * total + 1  # more than any total of upward steps
    move = step * step  # more than any total of steps x STEP + upward steps
    ordered = sorted(range(len(groups)), key=lambda j: len(groups[j].members))
    source, sink = 0, 1
    root = 2 + 2 * k + len(groups)
    net = _Network(root + 1)
    balance = [0] * (root + 1)

    def current(p: int) -> int:
        return 2 + p

    def target(q: int) -> int:
        return 2 + k + q

    def group_node(j: int) -> int:
        return 2 + 2 * k + j

    def innermost(members: frozenset[int], strict: bool) -> int:
        for j in ordered:
            candidate = groups[j].members
            if members <= candidate and not (strict and candidate == members):
                return group_node(j)
        return root

    arcs: dict[tuple[int, int], int] = {}
    for p in range(k):
        balance[current(p)] += counts[p]
        for q in range(k):
            cost = 0 if p == q else move + step * abs(p - q) + max(0, p - q)
            arcs[p, q] = net.add(current(p), target(q), total, cost)
    for q in range(k):
        net.add(target(q), innermost(frozenset({q}), strict=False), total, 0)
    for j, group in enumerate(groups):
        parent = innermost(group.members, strict=True)
        # A lower bound l on an arc u → v: send l up front (u owes it, v receives it), leave capacity high - l.
        net.add(group_node(j), parent, group.high - group.low, 0)
        balance[group_node(j)] -= group.low
        balance[parent] += group.low
    balance[root] -= total
    required = 0
    for node, amount in enumerate(balance):
        if amount > 0:
            net.add(source, node, amount, 0)
            required += amount
        elif amount < 0:
            net.add(node, sink, -amount, 0)
    if net.min_cost_flow(source, sink, required) < required:
        return None
    return [[net.flow(arcs[p, q]) for q in range(k)] for p in range(k)]


class _Network:
    """A small residual network; successive shortest paths (Bellman–Ford, so negative residual costs are fine)."""

    def __init__(self, nodes: int) -> None:
        self.out: list[list[int]] = [[] for _ in range(nodes)]
        self.head: list[int] = []
        self.capacity: list[int] = []
        self.cost: list[int] = []

    def add(self, tail: int, head: int, capacity: int, cost: int) -> int:
        arc = len(self.head)
        for frm, to, cap, price in ((tail, head, capacity, cost), (head, tail, 0, -cost)):
            self.out[frm].append(len(self.head))
            self.head.append(to)
            self.capacity.append(cap)
            self.cost.append(price)
        return arc

    def flow(self, arc: int) -> int:
        return self.capacity[arc ^ 1]

    def min_cost_flow(self, source: int, sink: int, wanted: int) -> int:
        sent = 0
        nodes = len(self.out)
        while sent < wanted:
            distance: list[int | None] = [None] * nodes
            via = [-1] * nodes
            distance[source] = 0
            for _ in range(nodes):
                changed = False
                for node in range(nodes):
                    base = distance[node]
                    if base is None:
                        continue
                    for arc in self.out[node]:
                        if self.capacity[arc] <= 0:
                            continue
                        head, reach = self.head[arc], base + self.cost[arc]
                        known = distance[head]
                        if known is None or reach < known:
                            distance[head], via[head] = reach, arc
                            changed = True
                if not changed:
                    break
            if distance[sink] is None:
                break
            push, node = wanted - sent, sink
            while node != source:
                push = min(push, self.capacity[via[node]])
                node = self.head[via[node] ^ 1]
            node = sink
            while node != source:
                self.capacity[via[node]] -= push
                self.capacity[via[node] ^ 1] += push
                node = self.head[via[node] ^ 1]
            sent += push
        return sent


def _plan_by_enumeration(counts: Sequence[int], groups: Sequence[_Group], pattern: str) -> Plan | None:
    """Every distribution of the employees, the best plan among those that satisfy the groups (exact, small N)."""
    k, total = len(PREDICATES), sum(counts)
    if math.comb(total + k - 1, k - 1) > ENUMERATION_LIMIT:
        raise DomainError(
            f"{pattern} memuat aturan dengan kelompok predikat yang beririsan sebagian; usulan otomatis untuk "
            f"{total} pegawai tidak dapat dihitung. Gunakan kelompok yang terpisah atau bersarang",
            field="calibration.patterns",
        )
    best: tuple[tuple[int, int, int], Plan] | None = None
    for distribution in _distributions(total, k):
        if all(g.low <= sum(distribution[p] for p in g.members) <= g.high for g in groups):
            plan = _line_plan(counts, distribution)
            key = plan_cost(plan)
            if best is None or key < best[0]:
                best = (key, plan)
    return best[1] if best else None


def _distributions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _distributions(total - first, parts - 1):
            yield (first, *rest)


def _line_plan(counts: Sequence[int], target: Sequence[int]) -> Plan:
    """The cheapest moves from `counts` to `target` on the rank line: surpluses fill deficits in rank order."""
    k = len(counts)
    plan = [[min(counts[p], target[p]) if p == q else 0 for q in range(k)] for p in range(k)]
    surplus = [[p, counts[p] - target[p]] for p in range(k) if counts[p] > target[p]]
    deficit = [[q, target[q] - counts[q]] for q in range(k) if target[q] > counts[q]]
    i = j = 0
    while i < len(surplus) and j < len(deficit):
        moved = min(surplus[i][1], deficit[j][1])
        plan[surplus[i][0]][deficit[j][0]] += moved
        surplus[i][1] -= moved
        deficit[j][1] -= moved
        i += surplus[i][1] == 0
        j += deficit[j][1] == 0
    return plan


def plan_cost(plan: Sequence[Sequence[int]]) -> tuple[int, int, int]:
    """(employees moved, rank steps, upward rank steps): the order in which plans are preferred."""
    moves = steps = up = 0
    for p, row in enumerate(plan):
        for q, n in enumerate(row):
            if p != q:
                moves += n
                steps += n * abs(p - q)
                up += n * max(0, p - q)
    return moves, steps, up


def _changes(
    entries: Sequence[CalibrationEntry], plan: Plan, violations: Sequence[Violation], pattern: str
) -> list[Change]:
    k = len(PREDICATES)
    changes: list[Change] = []
    for p, source in enumerate(PREDICATES):
        members = [e for e in entries if e.predicate is source]
        # Lowest capaian first for moves down, highest first for moves up; no capaian last either way.
        lowest = sorted(members, key=lambda e: (e.achievement is None, e.achievement or 0, e.employee_id))
        highest = sorted(members, key=lambda e: (e.achievement is None, -(e.achievement or 0), e.employee_id))
        taken: set[str] = set()
        for order, targets, word in (
            (lowest, range(k - 1, p, -1), "terendah"),  # the lowest capaian take the furthest step down
            (highest, range(p), "tertinggi"),  # the highest capaian take the furthest step up
        ):
            ranked = [e.employee_id for e in order if e.achievement is not None]
            position = {employee_id: n for n, employee_id in enumerate(ranked, start=1)}
            queue = iter(e for e in order if e.employee_id not in taken)
            for q in targets:
                for _ in range(plan[p][q]):
                    entry = next(queue)
                    taken.add(entry.employee_id)
                    nth = position.get(entry.employee_id)
                    place = None if nth is None else word if nth == 1 else f"{word} ke-{nth}"
                    changes.append(_change(entry, PREDICATES[q], place, violations, pattern))
    return changes


def _change(
    entry: CalibrationEntry, to: Predicate, place: str | None, violations: Sequence[Violation], pattern: str
) -> Change:
    """One change and why, in Bahasa; `place` is "terendah ke-2" and the like, None without a capaian."""
    source = entry.predicate
    if entry.achievement is None or place is None:
        why = "tanpa capaian, dipindahkan setelah pegawai yang memiliki capaian"
    else:
        why = f"capaian {_comma(entry.achievement)} {place} di antara pegawai {source.label}"
    rules = [
        v.rule
        for v in violations
        if (v.bound == "max" and source in v.predicates and to not in v.predicates)
        or (v.bound == "min" and to in v.predicates and source not in v.predicates)
    ]
    if rules:
        because = "aturan " + " dan ".join(f"'{r}'" for r in rules)
    else:
        because = f"diperlukan agar semua aturan {pattern} terpenuhi"
    return Change(
        employee_id=entry.employee_id,
        name=entry.name,
        unit=entry.unit,
        achievement=entry.achievement,
        from_predicate=source,
        to_predicate=to,
        rules=rules,
        reason=f"{source.label} → {to.label}: {why}; {because}",
    )


# --- the committee's decision -------------------------------------------------------------------------------------


def decide_calibration(
    proposal: Proposal,
    *,
    accepted: bool,
    policy: AppraisalPolicy,
    overrides: Mapping[str, Predicate] | None = None,
    justification: str | None = None,
    min_justification_chars: int = MIN_OVERRIDE_REASON_CHARS,
) -> CalibrationDecision:
    """Record the committee's decision on `proposal`.

    Accepting the proposal as it stands needs no justification. Rejecting it (the predicates as given stay), changing
    any employee's predicate (`overrides`, on top of the proposal when accepted, else of the original), or ending
    with a distribution that still breaks the pattern needs a written justification: the committee may deviate
    from SE 3/2023 knowingly, and the remaining violations are recorded with the decision.
    """
    if proposal.policy_version != policy.version:
        raise DomainError(
            f"usulan dihitung dengan kebijakan {proposal.policy_version or 'tanpa versi'}, bukan {policy.version};"
            " hitung ulang usulan",
            field="policy_version",
        )
    proposed = proposal.proposed_predicates()
    base = proposed if accepted else {e.employee_id: e.predicate for e in proposal.entries}
    unknown = sorted(set(overrides or {}) - set(base))
    if unknown:
        raise DomainError(f"pegawai tidak ada dalam kalibrasi ini: {', '.join(unknown)}", field="overrides")
    changed = {i: p for i, p in (overrides or {}).items() if base[i] is not p}
    final = {**base, **changed}
    entries = [e.model_copy(update={"predicate": final[e.employee_id]}) for e in proposal.entries]
    violations = check_distribution(entries, proposal.org_predicate, policy)

    reasons = []
    if not accepted:
        reasons.append("usulan ditolak")
    if changed:
        reasons.append(f"{len(changed)} predikat ditetapkan berbeda oleh komite")
    if violations:
        reasons.append(f"distribusi akhir melanggar {len(violations)} aturan pola")
    text = " ".join((justification or "").split())
    if reasons and len(text.replace(" ", "")) < min_justification_chars:
        raise DomainError(
            f"tuliskan justifikasi (paling sedikit {min_justification_chars} karakter selain spasi) karena "
            + ", ".join(reasons),
            field="justification",
            rule=JUSTIFICATION_RULE,
        )
    return CalibrationDecision(
        org_predicate=proposal.org_predicate,
        accepted=accepted,
        overrides=changed,
        justification=text or None,
        predicates=[
            FinalPredicate(
                employee_id=e.employee_id,
                name=e.name,
                original=e.predicate,
                proposed=proposed[e.employee_id],
                final=final[e.employee_id],
            )
            for e in proposal.entries
        ],
        violations=violations,
        compliant=not violations,
        policy_version=policy.version,
    )


# --- helpers ------------------------------------------------------------------------------------------------------


def _calibration_policy(policy: AppraisalPolicy | CalibrationPolicy) -> CalibrationPolicy:
    return policy.calibration if isinstance(policy, AppraisalPolicy) else policy


def _check_unique(entries: Sequence[CalibrationEntry]) -> None:
    repeated = sorted(i for i, n in Counter(e.employee_id for e in entries).items() if n > 1)
    if repeated:
        raise DomainError(f"pegawai tercantum lebih dari sekali: {', '.join(repeated)}", field="employee_id")


def _counts(predicates: Iterable[Predicate]) -> list[int]:
    counts = [0] * len(PREDICATES)
    for p in predicates:
        counts[p.rank] += 1
    return counts


def _count_map(counts: Sequence[int]) -> dict[Predicate, int]:
    return {p: counts[p.rank] for p in PREDICATES}


def _span(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"


def _half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def _half_up_decimal(value: Fraction, places: int) -> Decimal:
    return Decimal(_half_up(value * 10**places)).scaleb(-places)


def _comma(value: Decimal) -> str:
    # Indonesian decimal comma: 92,50.
    return format(value, "f").replace(".", ",")
