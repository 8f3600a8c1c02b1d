from datetime import date

import pytest
from pydantic import ValidationError

from domain.errors import DomainError, NotFound
from domain.organisation import (
    Employee,
    ReviewerOverride,
    Unit,
    resolve_reviewers,
    superior_chain,
    unit_ancestry,
)

KADIS = "197001012000031001"
KABID = "198001012005011002"
OLD_KABID = "198202022006042003"
STAFF = "199003032015031004"


def _people(*, old_kabid_active: bool = True) -> dict[str, Employee]:
    rows = [
        Employee(nip=KADIS, name="Kepala Dinas", jabatan="Kepala Dinas", unit_code="DIS"),
        Employee(nip=KABID, name="Kabid Baru", jabatan="Kepala Bidang", unit_code="B1", superior_nip=KADIS),
        Employee(
            nip=OLD_KABID,
            name="Kabid Lama",
            jabatan="Kepala Bidang",
            unit_code="B2",
            superior_nip=KADIS,
            active=old_kabid_active,
        ),
        Employee(nip=STAFF, name="Staf", jabatan="Pengadministrasi", unit_code="B1", superior_nip=OLD_KABID),
    ]
    return {e.nip: e for e in rows}


def test_penilai_is_the_direct_superior_and_atasan_is_theirs() -> None:
    reviewers = resolve_reviewers(STAFF, _people())
    assert (reviewers.penilai_nip, reviewers.atasan_nip, reviewers.source) == (OLD_KABID, KADIS, "atasan langsung")


def test_override_after_reorg_wins_from_its_date() -> None:
    override = ReviewerOverride(
        employee_nip=STAFF, penilai_nip=KABID, effective_from=date(2026, 7, 1), reason="reorganisasi bidang"
    )
    people = _people()
    assert resolve_reviewers(STAFF, people, [override], on=date(2026, 6, 30)).penilai_nip == OLD_KABID
    moved = resolve_reviewers(STAFF, people, [override], on=date(2026, 7, 1))
    assert (moved.penilai_nip, moved.atasan_nip, moved.source) == (KABID, KADIS, "reorganisasi bidang")


def test_inactive_penilai_is_refused_so_the_task_gets_reassigned() -> None:
    with pytest.raises(DomainError, match="tidak aktif") as error:
        resolve_reviewers(STAFF, _people(old_kabid_active=False))
    assert error.value.field == "penilai_nip"


def test_top_official_without_superior_needs_an_explicit_penilai() -> None:
    with pytest.raises(DomainError, match="tidak memiliki atasan langsung"):
        resolve_reviewers(KADIS, _people())
    with pytest.raises(NotFound):
        resolve_reviewers("199999999999999999", _people())


def test_superior_chain_stops_at_the_top() -> None:
    assert superior_chain(STAFF, _people(), levels=5) == [OLD_KABID, KADIS]
    assert superior_chain(STAFF, _people(), levels=1) == [OLD_KABID]


def test_unit_tree_cycles_are_errors() -> None:
    units = {"A": Unit(code="A", name="A", parent_code="B"), "B": Unit(code="B", name="B", parent_code="A")}
    with pytest.raises(DomainError, match="berputar"):
        unit_ancestry("A", units)
    tree = {"DIS": Unit(code="DIS", name="Dinas"), "B1": Unit(code="B1", name="Bidang", parent_code="DIS")}
    assert unit_ancestry("B1", tree) == ["B1", "DIS"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unit_code", "U" * 33),
        ("unit_code", ""),
        ("email", "sri@dukcapil"),
        ("email", "a b@x.id"),
        ("superior_nip", "123"),
    ],
)
def test_an_employee_refuses_what_the_roster_cannot_hold(field: str, value: str) -> None:
    fields = {"nip": "199212252019032001", "name": "Sri Wahyuni", "jabatan": "Verifikator", "unit_code": "DAFDUK"}
    with pytest.raises(ValidationError) as error:
        Employee.model_validate({**fields, field: value})
    assert [e["loc"] for e in error.value.errors()] == [(field,)]
