"""``/v1/admin``: operations an admin runs by hand (docs/operations.md): the reconciler."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from ...errors import Forbidden, ServiceUnavailable
from ...services.reconcile import ReconcileReport
from ..deps import BackendDep, IdentityDep
from ..errors import ERROR_RESPONSES, described

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=ERROR_RESPONSES)


ADMIN_PASS_BUDGET_S = 20.0
"""How long one admin pass may run: inside API Gateway's 30 s integration limit, with room to answer."""


@router.post(
    "/reconcile",
    responses={
        400: described("The cursor is malformed"),
        403: described("The caller is not an admin"),
        503: described("This deployment has no reconciler"),
    },
)
async def reconcile(
    caller: IdentityDep,
    backend: BackendDep,
    cursor: Annotated[str | None, Query(max_length=1024, description="A report's `next_cursor`: go on from it")] = None,
) -> ReconcileReport:
    """One reconciler pass now, as the schedule runs it (ReconcileFunction): the open tasks examined, the
    projections rebuilt from their logs, the tasks settled, each with its reason.

    A pass stops after about 20 seconds (API Gateway allows 30); its report's `next_cursor` is then set,
    and a call with it goes on where the pass stopped (`investmind reconcile` does so until none is left).
    """
    if not caller.admin:
        # An operation on every owner's tasks, not one's own resource, so 403 rather than 404 (docs/security.md).
        raise Forbidden("only an admin may run the reconciler")
    if backend.reconciler is None:
        raise ServiceUnavailable("this deployment runs no reconciler")
    # The pass is synchronous (boto3): off the event loop.
    return await run_in_threadpool(backend.reconciler, cursor=cursor, budget_s=ADMIN_PASS_BUDGET_S)
