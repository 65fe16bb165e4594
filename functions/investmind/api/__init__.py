"""The HTTP API: FastAPI app, SSE and the web console."""

from .app import create_app

__all__ = ["create_app"]
