"""Chat completions from any OpenAI-compatible endpoint, through the ``openai`` package.

The package's own retry loop is switched off (``max_retries=0``) and retries happen here,
because every HTTP request must be counted against the run's request budget and the
package's internal retries are invisible to the caller. Every failure becomes a
``NarrationError`` whose message is one short line, safe to log: it never holds the key,
and it does not echo the server's error text (which may quote the key back).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class NarrationError(Exception):
    """The endpoint gave no usable answer; the message says why in a few words."""


@dataclass
class Budget:
    """The HTTP requests one run may still send."""

    limit: int
    used: int = 0

    def take(self) -> bool:
        """Count one request; False when the budget is used up."""
        if self.used >= self.limit:
            return False
        self.used += 1
        return True


@dataclass
class Answer:
    """One completion: its text and how it ended."""

    content: str
    finish_reason: str | None


@dataclass
class ChatClient:
    """Asks one model for one answer at temperature 0, retrying what is worth retrying."""

    base_url: str
    model: str
    api_key: str | None
    budget: Budget
    timeout_seconds: float = 60.0
    max_retries: int = 2
    max_tokens: int = 4000
    max_wait_seconds: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    _client: Any = field(default=None, repr=False)

    def _openai(self):
        if self._client is None:
            try:
                import openai
            except ImportError:
                raise NarrationError("the openai package is not installed (pip install '.[narrator]')") from None
            # local servers (vLLM, llama.cpp, Ollama) want no key, but the client insists on one
            self._client = openai.OpenAI(base_url=self.base_url, api_key=self.api_key or "no-key",
                                         timeout=self.timeout_seconds, max_retries=0)
        return self._client

    def complete(self, messages: list[dict]) -> Answer:
        """The model's answer to ``messages``; ``NarrationError`` when there is none to use."""
        import openai

        client = self._openai()
        attempts = 1 + self.max_retries
        reason = "no attempt made"
        for attempt in range(attempts):
            if not self.budget.take():
                raise NarrationError(f"request budget of {self.budget.limit} per run used up")
            try:
                response = client.chat.completions.create(
                    model=self.model, messages=messages, temperature=0, max_tokens=self.max_tokens,
                )
                return _answer(response)
            except openai.APITimeoutError:
                reason, wait = f"timed out after {self.timeout_seconds:g}s", self._backoff(attempt)
            except openai.APIConnectionError:
                reason, wait = f"cannot connect to {self.base_url}", self._backoff(attempt)
            except openai.RateLimitError as exc:
                asked = _retry_after(exc.response)
                if asked is not None and asked > self.max_wait_seconds:
                    raise NarrationError(f"rate limited (HTTP 429), retry-after {asked:g}s exceeds "
                                         f"max_wait_seconds {self.max_wait_seconds:g}") from None
                reason, wait = "rate limited (HTTP 429)", self._backoff(attempt) if asked is None else asked
            except openai.APIStatusError as exc:
                status = exc.status_code
                if status >= 500 or status in (408, 409):
                    reason, wait = f"server error (HTTP {status})", _retry_after(exc.response) or self._backoff(attempt)
                else:
                    raise NarrationError(_client_error(status, self)) from None
            except (openai.APIError, ValueError) as exc:  # a 200 whose body is not a completion
                raise NarrationError(f"malformed response ({type(exc).__name__})") from None
            if attempt + 1 < attempts:
                self.sleep(min(wait, self.max_wait_seconds))
        raise NarrationError(f"{reason}; gave up after {attempts} attempt{'s' if attempts > 1 else ''}")

    def _backoff(self, attempt: int) -> float:
        return min(2.0 ** attempt, self.max_wait_seconds)


def _answer(response) -> Answer:
    choices = getattr(response, "choices", None)
    if not choices:
        raise NarrationError("malformed response (no choices)")
    choice = choices[0]
    message = getattr(choice, "message", None)
    finish = getattr(choice, "finish_reason", None)
    if message is not None and getattr(message, "refusal", None):
        raise NarrationError("the model refused")
    if finish == "content_filter":
        raise NarrationError("the answer was withheld by the endpoint's content filter")
    content = getattr(message, "content", None) if message is not None else None
    if finish == "length":
        raise NarrationError("truncated answer (finish_reason=length; raise narrator.max_tokens)")
    if not isinstance(content, str) or not content.strip():
        raise NarrationError("empty answer")
    return Answer(content=content, finish_reason=finish)


def _retry_after(response) -> float | None:
    headers = getattr(response, "headers", None) or {}
    ms = headers.get("retry-after-ms")
    value = headers.get("retry-after")
    try:
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        if value is not None:
            return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to backoff
    return None


def _client_error(status: int, client: ChatClient) -> str:
    if status == 404:
        return f"model {client.model!r} not found at {client.base_url} (HTTP 404; check narrator.model)"
    if status in (401, 403):
        return f"the endpoint refused the key (HTTP {status}; check the variable named by narrator.api_key_env)"
    if status == 400:
        return f"the endpoint rejected the request (HTTP 400; is {client.model!r} a chat model?)"
    return f"the endpoint rejected the request (HTTP {status})"
