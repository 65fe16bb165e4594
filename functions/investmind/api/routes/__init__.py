"""One router per resource."""

from . import agents, analyses, health, keys

ROUTERS = (analyses.router, keys.router, agents.router, health.router)

__all__ = ["ROUTERS"]
