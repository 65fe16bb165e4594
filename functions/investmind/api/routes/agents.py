"""``/v1/agents``: the roster, stage by stage."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ...roster import STAGE_NAMES, STAGES
from ..deps import get_caller
from ..errors import ERROR_RESPONSES

router = APIRouter(prefix="/v1/agents", tags=["agents"], responses=ERROR_RESPONSES, dependencies=[Depends(get_caller)])


class AgentInfo(BaseModel):
    agent_id: str
    stage: int
    title: str
    role: str
    reads: list[str]


class StageInfo(BaseModel):
    stage: int
    name: str
    agents: list[AgentInfo]


class Roster(BaseModel):
    stages: list[StageInfo]


@router.get("")
async def list_agents() -> Roster:
    return Roster(
        stages=[
            StageInfo(
                stage=stage,
                name=STAGE_NAMES[stage],
                agents=[
                    AgentInfo(agent_id=a.agent_id, stage=a.stage, title=a.title, role=a.role, reads=list(a.reads))
                    for a in specs
                ],
            )
            for stage, specs in STAGES.items()
        ]
    )
