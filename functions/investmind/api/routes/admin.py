"""``/v1/admin``: operations an admin runs by hand (docs/operations.md): the reconciler."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from ...errors import Forbidden, ServiceUnavailable
from ...services.reconcile import ReconcileReport
from ..deps import BackendDep, IdentityDep
from ..errors import ERROR_RESPONSES, described

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=ERROR_RESPONSES)


@router.post(
    "/reconcile",
    responses={403: described("The caller is not an admin"), 503: described("This deployment has no reconciler")},
)
async def reconcile(caller: IdentityDep, backend: BackendDep) -> ReconcileReport:
    """One reconciler pass now, as the schedule runs it (ReconcileFunction): the open tasks examined, the
    projections rebuilt from their logs, the tasks settled, each with its reason."""
    if not caller.admin:
        # An operation on every owner's tasks, not one's own resource, so 403 rather than 404 (docs/security.md).
        raise Forbidden("only an admin may run the reconciler")
    if backend.reconciler is None:
        raise ServiceUnavailable("this deployment runs no reconciler")
    return await run_in_threadpool(backend.reconciler)  # the pass is synchronous (boto3): off the event loop
