"""One router per resource."""

from . import agents, analyses, auth, bars, health, keys, symbols

ROUTERS = (analyses.router, bars.router, symbols.router, keys.router, agents.router, auth.router, health.router)

__all__ = ["ROUTERS"]
