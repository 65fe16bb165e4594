"""One router per resource."""

from . import admin, agents, analyses, auth, bars, health, keys, symbols

ROUTERS = (
    analyses.router, bars.router, symbols.router, keys.router, admin.router, agents.router, auth.router, health.router,
)  # fmt: skip

__all__ = ["ROUTERS"]
