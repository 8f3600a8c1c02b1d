"""The rules of changing a cycle's officials during the year (domain.officials)."""

from __future__ import annotations

import pytest

from domain.bounds import MAX_OFFICIALS
from domain.errors import DomainError
from domain.officials import CHANGED_BY, Officials, changes, check_change
from domain.stages import Role

AUDITOR, AUDITOR_2 = "197808082003121006", "198304042008011012"
PENGELOLA = "198509092010012007"
SEKDA = "196801011990031001"
CURRENT = Officials(supervision_team=[AUDITOR], pengelola_kinerja=[PENGELOLA], pimpinan=[SEKDA])


def test_the_admin_kepegawaian_changes_them() -> None:
    check_change(CHANGED_BY, CURRENT, CURRENT.model_copy(update={"supervision_team": [AUDITOR_2]}))


@pytest.mark.parametrize("role", [Role.PENGAWASAN, Role.PENGELOLA_KINERJA, Role.PIMPINAN, Role.OPERATOR])
def test_nobody_else_does(role: Role) -> None:
    with pytest.raises(DomainError) as error:
        check_change(role, CURRENT, CURRENT.model_copy(update={"supervision_team": [AUDITOR_2]}))
    assert error.value.field == "peran" and "Admin Kepegawaian" in str(error.value)


def test_the_same_lists_change_nothing() -> None:
    with pytest.raises(DomainError) as error:
        check_change(CHANGED_BY, CURRENT, CURRENT.model_copy())
    assert "tidak ada yang diubah" in str(error.value)


def test_a_person_listed_twice_is_refused() -> None:
    with pytest.raises(DomainError) as error:
        check_change(CHANGED_BY, CURRENT, CURRENT.model_copy(update={"supervision_team": [AUDITOR_2, AUDITOR_2]}))
    assert error.value.field == "supervision_team" and AUDITOR_2 in str(error.value)


def test_a_list_is_bounded() -> None:
    crowd = [f"1980010120060410{n:02d}" for n in range(MAX_OFFICIALS + 1)]
    with pytest.raises(DomainError) as error:
        check_change(CHANGED_BY, CURRENT, CURRENT.model_copy(update={"pengelola_kinerja": crowd}))
    assert (error.value.field, error.value.rule) == ("pengelola_kinerja", "batas jumlah butir")


def test_a_supervision_team_and_a_pimpinan_are_required() -> None:
    with pytest.raises(ValueError):
        Officials(supervision_team=[], pimpinan=[SEKDA])
    with pytest.raises(ValueError):
        Officials(supervision_team=[AUDITOR], pimpinan=[])


def test_the_changes_say_who_joins_and_who_leaves() -> None:
    new = Officials(supervision_team=[AUDITOR, AUDITOR_2], pengelola_kinerja=[], pimpinan=[SEKDA])
    assert changes(CURRENT, new) == {
        "supervision_team": {"masuk": [AUDITOR_2], "keluar": []},
        "pengelola_kinerja": {"masuk": [], "keluar": [PENGELOLA]},
    }
