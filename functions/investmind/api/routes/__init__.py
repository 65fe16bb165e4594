"""One router per resource."""

from . import agents, analyses, bars, health, symbols

ROUTERS = (analyses.router, bars.router, symbols.router, agents.router, health.router)

__all__ = ["ROUTERS"]
