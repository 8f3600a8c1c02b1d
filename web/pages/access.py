"""Who may open a page, stated on its route like the API's rules (web.access): `**page(PUBLIC)` for the citizens'
survey and the sign-in form, `**page(signed_in())` for any signed-in person, `**page(signed_in(Role.PIMPINAN, ...))`
for a section of the site a role opens. tests/pages/test_page_access.py fails on a page route that states none.

The section's role is the first gate only: the services a page calls scope what it shows and does to the instansi
and cycle where the person holds the role (a pimpinan of A sees A's calibration, and a cycle of B is not found).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends

from domain.stages import Role
from web.deps import Caller
from web.pages.deps import page_caller
from web.problems import Problem


@dataclass(frozen=True)
class PageAccess:
    public: bool
    roles: tuple[Role, ...] = ()  # empty: any signed-in person

    def describe(self) -> str:
        if self.public:
            return "umum (tanpa masuk)"
        return "siapa pun yang masuk" if not self.roles else ", ".join(role.label for role in self.roles)


PUBLIC = PageAccess(public=True)


def signed_in(*roles: Role) -> PageAccess:
    return PageAccess(public=False, roles=roles)


PAGE_ACCESS_ATTRIBUTE = "__page_access__"


def _check(access: PageAccess) -> Callable[..., Coroutine[Any, Any, None]]:
    if access.public:

        async def open_to_all() -> None:
            return None

        setattr(open_to_all, PAGE_ACCESS_ATTRIBUTE, access)
        return open_to_all

    async def check(user: Annotated[Caller, Depends(page_caller)]) -> None:
        if access.roles and not {grant.role for grant in user.principal.grants} & set(access.roles):
            allowed = ", ".join(role.label for role in access.roles)
            raise Problem(403, f"halaman ini untuk {allowed}", field="peran")

    setattr(check, PAGE_ACCESS_ATTRIBUTE, access)
    return check


def page(access: PageAccess) -> dict[str, Any]:
    """The keyword arguments of a page route: its access check, and out of the API's OpenAPI spec."""
    return {"dependencies": [Depends(_check(access))], "include_in_schema": False}


def access_of(dependencies: list[Any]) -> PageAccess | None:
    for dependency in dependencies:
        found = getattr(dependency.dependency, PAGE_ACCESS_ATTRIBUTE, None)
        if isinstance(found, PageAccess):
            return found
    return None
