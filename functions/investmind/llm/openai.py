"""Any OpenAI-compatible chat-completions endpoint (OpenAI, DeepSeek, Qwen, a local server) over httpx."""

from __future__ import annotations

import json
from typing import Any, Literal

import httpx

from .base import Completion, LLMError, LLMRequest, LLMRetryable, LLMTimeout, parse_object, retry_after


class OpenAICompatible:
    """``POST {base_url}/chat/completions`` with a JSON-schema (or JSON-object) response format.

    ``json_object`` is for servers without structured outputs (DeepSeek): the schema then travels in
    the prompt, and the reply is validated the same way either way.
    """

    name: Literal["openai"] = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        response_format: Literal["json_schema", "json_object"] = "json_schema",
        client: httpx.Client | None = None,
    ) -> None:
        self.model = model
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.response_format = response_format
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client or httpx.Client(headers=headers)
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"OpenAICompatible({self.url!r}, {self.model!r})"  # never the key

    def _redacted(self, text: str) -> str:
        """``text`` without the key: some servers echo it in their errors ("Incorrect API key provided: ...")."""
        return text.replace(self._api_key, "***") if self._api_key else text

    def complete(self, request: LLMRequest, timeout_s: float) -> Completion:
        try:
            response = self.client.post(self.url, json=self._body(request), timeout=timeout_s)
        except httpx.TimeoutException as exc:
            raise LLMTimeout(f"no answer within {timeout_s:.1f} s") from exc
        except httpx.TransportError as exc:
            raise LLMRetryable(self._redacted(f"connection failed: {exc}")) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise LLMRetryable(
                f"HTTP {response.status_code}", retry_after_s=retry_after(response.headers.get("retry-after"))
            )
        if response.is_error:
            raise LLMError(f"HTTP {response.status_code}: {self._redacted(response.text)[:300]}")
        try:
            payload = response.json()
            content = payload["choices"][0]["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"not a chat completion: {self._redacted(response.text)[:300]}") from exc
        usage = payload.get("usage") or {}
        data, problem = parse_object(content)
        return Completion(
            data=data,
            text=content,
            tokens_in=int(usage.get("prompt_tokens") or 0),
            tokens_out=int(usage.get("completion_tokens") or 0),
            latency_ms=int(response.elapsed.total_seconds() * 1000),
            problem=problem,
        )

    def _body(self, request: LLMRequest) -> dict[str, Any]:
        system = request.system
        if self.response_format == "json_schema":
            response_format: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.schema, "strict": True},
            }
        else:
            response_format = {"type": "json_object"}
            system += f"\n\nJSON schema of the reply:\n{json.dumps(request.schema, ensure_ascii=False)}"
        messages = [{"role": "system", "content": system}, {"role": "user", "content": request.prompt}]
        if request.repair is not None:
            messages.append({"role": "assistant", "content": request.repair.previous.text})
            messages.append({"role": "user", "content": request.repair.problems})
        return {
            "model": self.model,
            "messages": messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "response_format": response_format,
        }

    def close(self) -> None:
        self.client.close()
