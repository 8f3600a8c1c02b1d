"""What waits for the signed-in person: their open steps, from the worklist table (never Temporal visibility)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from domain.worklist import WorkItem, WorklistQuery
from services.worklist import names_of, open_steps
from web.access import Rule
from web.deps import CurrentPrincipal, Svc, guard

router = APIRouter(tags=["tugas"])


class Task(WorkItem):
    employee_name: str = ""  # the appraised employee's name, from the roster


class MyTasks(BaseModel):
    tugas: list[Task]
    jumlah: int  # how many there are, listed or not


@router.get("/me/tasks", summary="Tugas saya: langkah yang menunggu saya", **guard(Rule("self")))
async def my_tasks(
    principal: CurrentPrincipal,
    svc: Svc,
    batas: Annotated[int, Query(ge=1, le=500, description="paling banyak sekian tugas")] = 100,
) -> MyTasks:
    def read() -> MyTasks:
        found = open_steps(svc.uow_factory, WorklistQuery(assignee=principal.nip), limit=batas)
        names = names_of(svc.uow_factory, found.items)
        tasks = [Task(**item.model_dump(), employee_name=names.get(item.employee_nip, "")) for item in found.items]
        return MyTasks(tugas=tasks, jumlah=found.total)

    return await run_in_threadpool(read)
