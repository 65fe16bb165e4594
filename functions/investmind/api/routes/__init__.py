"""One router per resource."""

from . import admin, agents, analyses, bars, health, keys, symbols

ROUTERS = (analyses.router, bars.router, symbols.router, keys.router, admin.router, agents.router, health.router)

__all__ = ["ROUTERS"]
