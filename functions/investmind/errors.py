"""Domain exceptions. Agent error class names double as ``ErrorEquals`` names in the state machine."""

from __future__ import annotations

from typing import Any


class InvestMindError(Exception):
    """Base error, carrying what the API needs to answer with docs/architecture.md §3's error shape."""

    code = "internal_error"
    status = 500

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(InvestMindError):
    """The request is malformed or names something that cannot be analysed."""

    code = "invalid_request"
    status = 400


class UnprocessableRequest(InvestMindError):
    """The request is well-formed but cannot be served (e.g. a symbol the data sources do not know)."""

    code = "unprocessable"
    status = 422


class IdempotencyKeyReused(UnprocessableRequest):
    """The caller's ``Idempotency-Key`` already names a task submitted with a different request."""

    code = "idempotency_key_reused"


class UnknownSymbol(UnprocessableRequest):
    """The symbol is well-formed but the deployment's data sources do not hold it."""

    code = "unknown_symbol"


class Unauthorized(InvestMindError):
    """No credential, or one that does not verify (docs/security.md); answered with ``WWW-Authenticate``."""

    code = "unauthorized"
    status = 401

    @property
    def headers(self) -> dict[str, str]:
        # RFC 6750: name the error only when a token was presented.
        presented = bool(self.details and self.details.get("presented"))
        return {"WWW-Authenticate": 'Bearer realm="investmind"' + (', error="invalid_token"' if presented else "")}


class Forbidden(InvestMindError):
    """The caller is known but may not do this (e.g. manage another owner's API keys without being an admin)."""

    code = "forbidden"
    status = 403


class NotFound(InvestMindError):
    """No such resource for this caller (another caller's resource is also 'not found')."""

    code = "not_found"
    status = 404


class Conflict(InvestMindError):
    """The request conflicts with the resource's state."""

    code = "conflict"
    status = 409


class TooManyRequests(InvestMindError):
    """The caller is over a quota; ``Retry-After`` says when to try again. Nothing was created."""

    code = "too_many_requests"
    status = 429

    def __init__(self, message: str, retry_after_s: int, details: dict | None = None) -> None:
        super().__init__(message, {**(details or {}), "retry_after_s": retry_after_s})
        self.retry_after_s = max(1, retry_after_s)

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_s)}


class ServiceUnavailable(InvestMindError):
    """A dependency (queue, table) failed; the request changed nothing or was rolled back."""

    code = "service_unavailable"
    status = 503


class SeqConflict(InvestMindError):
    """Another writer took the next event seq first; re-read and retry."""

    code = "seq_conflict"
    status = 409


class TaskEnded(InvestMindError):
    """The task's log already holds its terminal event: nothing may be appended after it."""

    code = "task_ended"
    status = 409


class DataUnavailable(InvestMindError):
    """The data sources do not have what the analysis needs (unknown symbol, date out of range)."""

    code = "data_unavailable"
    status = 422


class AgentError(InvestMindError):
    """An agent failed for good; the state machine catches it and records a failed result."""

    code = "agent_error"


class TransientAgentError(AgentError):
    """An agent failed in a way worth retrying (throttling, a flaky dependency)."""

    code = "transient_agent_error"


class ProviderTimeout(TransientAgentError):
    """A data or LLM provider did not answer in time."""

    code = "provider_timeout"


# Error names the state machine retries (besides Lambda's own transient errors).
TRANSIENT_ERROR_NAMES: tuple[str, ...] = (TransientAgentError.__name__, ProviderTimeout.__name__)
