"""Who a grant reaches (domain.access): a grant limited to one cycle reaches that cycle only, never the instansi."""

from __future__ import annotations

from domain.access import Grant, Principal
from domain.stages import Role

NIP = "198511022009031002"


def test_a_grant_for_one_cycle_reaches_that_cycle_and_not_the_instansi_as_a_whole() -> None:
    person = Principal(
        nip=NIP,
        name="Analis",
        grants=(
            Grant(role=Role.ADMIN_KEPEGAWAIAN, instansi_code="A", cycle_id="2026-A"),
            Grant(role=Role.OPERATOR, instansi_code="A"),
        ),
    )
    assert person.roles_in("A", "2026-A") == {Role.ADMIN_KEPEGAWAIAN, Role.OPERATOR}
    assert person.roles_in("A", "2027-A") == {Role.OPERATOR}
    assert person.roles_in("A") == {Role.OPERATOR}  # instansi routes: accounts, policy, imports, cycles
    assert person.roles_in("B") == set() and person.instansi() == {"A"}
