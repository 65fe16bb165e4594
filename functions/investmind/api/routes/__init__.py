"""One router per resource."""

from . import agents, analyses, health

ROUTERS = (analyses.router, agents.router, health.router)

__all__ = ["ROUTERS"]
