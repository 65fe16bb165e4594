"""The embedded runtime's own fault: the API process dying between creating a task and sending its start
message (the plan's ``api.send`` target). The plan itself, which both emulations apply to the functions,
is ``investmind_emulation.faults``."""

from __future__ import annotations

from typing import Any

from investmind_emulation.faults import API_SEND, FaultPlan


class ApiCrash(BaseException):
    """The API process dying mid-request: a BaseException, so that no handler of the app's catches it (the
    app's own send-failure path, which fails the task, must not run); uvicorn answers the request 500."""


class CrashingQueue:
    """The API's start queue with the ``api.send`` faults: a planned one dies before the message is sent."""

    def __init__(self, queue: Any, plan: FaultPlan) -> None:
        self.queue, self.plan = queue, plan

    async def send(self, start: Any) -> Any:
        if self.plan.take(API_SEND, start.model_dump(mode="json")) is not None:
            raise ApiCrash(f"injected crash of the API between creating {start.task_id} and sending it")
        return await self.queue.send(start)
