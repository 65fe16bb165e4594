"""Memoise the moto server's choice of service for a request.

moto's ``DomainDispatcherApplication.get_application`` infers the service of every request by
trying each service's URL patterns, all under one global lock (about 8% of the embedded runtime's
GIL samples in a py-spy profile, ``docs/performance.md``, and a point where every request queues). The answer for a
given signing scope (region, service), ``X-Amz-Target`` prefix and first path segment never
changes, so this caches it per that key; requests without a signing scope and ``/moto-api``
calls go through moto's own inference every time.

Written against moto 5.2.5.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from .internals import Internal, SetAttr, check

WRITTEN_AGAINST = "moto 5.2.5"
RELIES_ON = (
    Internal(
        "moto.moto_server.werkzeug_app",
        "DomainDispatcherApplication.get_application",
        params=("self", "environ"),
        source=("infer_service_region_host(environ, path_info)",),
    ),
    # Every request is routed through get_application, so the cache sees them all.
    Internal(
        "moto.moto_server.werkzeug_app",
        "DomainDispatcherApplication.__call__",
        source=("self.get_application(environ)",),
    ),
)
_SCOPE = re.compile(r"Credential=[^/]*/[^/]*/([^/]*)/([^/]*)/")


def memoised(get_application: Callable[..., Any]) -> Callable[..., Any]:
    cache: dict[tuple[str, ...], Any] = {}

    @functools.wraps(get_application)
    def dispatch(self: Any, environ: dict[str, Any]) -> Any:
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        path = environ.get("PATH_INFO", "")
        if scope is None or path.startswith("/moto-api"):
            return get_application(self, environ)
        key = (
            *scope.groups(),
            environ.get("HTTP_X_AMZ_TARGET", "").split(".")[0],
            path.split("/")[1:2][0] if "/" in path else "",
        )
        app = cache.get(key)
        if app is None:
            app = cache[key] = get_application(self, environ)
        return app

    return dispatch


def apply(set_attr: SetAttr = setattr) -> None:
    check(__name__, WRITTEN_AGAINST, RELIES_ON)
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    set_attr(DomainDispatcherApplication, "get_application", memoised(DomainDispatcherApplication.get_application))
