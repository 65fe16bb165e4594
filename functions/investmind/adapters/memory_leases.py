"""Stream leases in one process: the implementation lives beside the cap (``services.streams``), since the API
falls back on it when the composition root gives no store; re-exported here beside the other memory adapters."""

from ..services.streams import MemoryStreamLeases

__all__ = ["MemoryStreamLeases"]
