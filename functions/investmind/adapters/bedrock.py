"""Amazon Bedrock through the Converse API, structured output as a forced call of one tool.

The tool's input schema is the reply model's JSON Schema, so the model answers with a ``toolUse``
block whose ``input`` is the reply object; nothing is parsed out of free text.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, ConnectTimeoutError, ReadTimeoutError

from ..llm.base import Completion, LLMError, LLMRequest, LLMRetryable, LLMTimeout

# Throttling and server-side trouble: the same request may well succeed after a pause.
_RETRYABLE = frozenset(
    {"ThrottlingException", "ServiceUnavailableException", "InternalServerException", "ModelNotReadyException"}
)
_TIMEOUTS = frozenset({"ModelTimeoutException"})


class BedrockConverse:
    """``bedrock-runtime`` ``Converse`` with one tool and ``toolChoice`` ``any``.

    ``any`` (the model must call some tool) forces our only tool on every model family that supports
    tool choice (Anthropic, Mistral, Amazon Nova), where naming the tool works on fewer of them.
    """

    name: Literal["bedrock"] = "bedrock"

    def __init__(self, model: str, client: Any = None, region: str = "", timeout_s: float = 30.0) -> None:
        self.model = model
        if client is None:
            # Retries are ours (each one logged as an event), so botocore makes one attempt per call.
            config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=timeout_s)
            client = boto3.session.Session().client("bedrock-runtime", region_name=region or None, config=config)
        self.client = client

    def complete(self, request: LLMRequest, timeout_s: float) -> Completion:
        """One Converse call (``timeout_s`` is the client's read timeout, fixed when it was built)."""
        try:
            response = self.client.converse(**self._request(request))
        except ClientError as exc:
            raise _translate(exc) from exc
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise LLMTimeout(f"no answer in time: {exc}") from exc
        except ConnectionError as exc:
            raise LLMRetryable(f"connection failed: {exc}") from exc
        usage, blocks = response["usage"], response["output"]["message"]["content"]
        tool = next((b["toolUse"] for b in blocks if "toolUse" in b), None)
        text = "\n".join(b["text"] for b in blocks if "text" in b)
        data = tool["input"] if tool is not None and isinstance(tool["input"], dict) else None
        return Completion(
            data=data,
            text=json.dumps(tool["input"], ensure_ascii=False) if tool is not None else text,
            tokens_in=int(usage["inputTokens"]),
            tokens_out=int(usage["outputTokens"]),
            latency_ms=int(response["metrics"]["latencyMs"]),
            problem=None if data is not None else f"no tool call (stopReason {response['stopReason']})",
            call_id=tool["toolUseId"] if tool is not None else None,
        )

    def _request(self, request: LLMRequest) -> dict[str, Any]:
        messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": request.prompt}]}]
        repair = request.repair
        if repair is not None and repair.previous.call_id is not None:
            # A toolUse turn must be answered by its toolResult: the rejection travels as an error result.
            previous = repair.previous
            use = {"toolUseId": previous.call_id, "name": request.schema_name, "input": previous.data or {}}
            result = {"toolUseId": previous.call_id, "content": [{"text": repair.problems}], "status": "error"}
            messages.append({"role": "assistant", "content": [{"toolUse": use}]})
            messages.append({"role": "user", "content": [{"toolResult": result}]})
        elif repair is not None:
            messages.append({"role": "assistant", "content": [{"text": repair.previous.text or "(no answer)"}]})
            messages.append({"role": "user", "content": [{"text": repair.problems}]})
        spec = {
            "name": request.schema_name,
            "description": "Record your analysis. Call this exactly once with the complete reply.",
            "inputSchema": {"json": request.schema},
        }
        return {
            "modelId": self.model,
            "system": [{"text": request.system}],
            "messages": messages,
            "inferenceConfig": {"maxTokens": request.max_tokens, "temperature": request.temperature},
            "toolConfig": {"tools": [{"toolSpec": spec}], "toolChoice": {"any": {}}},
        }


def _translate(exc: ClientError) -> LLMError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    message = f"{code or 'error'} (HTTP {status}): {error.get('Message', '')}"
    if code in _TIMEOUTS:
        return LLMTimeout(message)
    if code in _RETRYABLE or status == 429 or status >= 500:
        return LLMRetryable(message)
    return LLMError(message)
