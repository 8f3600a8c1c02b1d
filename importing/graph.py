"""Cycles in a "points to" relation: superiors in a roster, parent units, cascaded RHKs."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def find_cycles(edges: Mapping[K, K | None]) -> list[list[K]]:
    """Every cycle once, each starting at the member reached first in `edges` order; edges leaving it are ignored."""
    done: set[K] = set()
    cycles: list[list[K]] = []
    for start in edges:
        path: list[K] = []
        on_path: set[K] = set()
        node: K | None = start
        while node is not None and node in edges and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = edges[node]
        if node is not None and node in on_path:
            cycles.append(path[path.index(node) :])
        done.update(path)
    return cycles
