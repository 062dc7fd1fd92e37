"""Our retry policy for model calls: exponential backoff with jitter, honouring retry-after.

The SDKs' own retries are switched off so every retry happens here, is logged with its reason
and is counted in ModelResponse.retries.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pydantic
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception,
    stop_after_attempt,
)

from agentbench.errors import InfraError
from agentbench.logging import get_logger
from agentbench.records import Record

log = get_logger(__name__)
T = TypeVar("T")


class RetryPolicy(Record):
    """How hard to retry: attempts come from ModelConfig.max_retries, waits from here."""

    initial_s: float = 1.0
    max_s: float = 60.0
    max_retry_after_s: float = 300.0  # a longer retry-after is capped to this


class ModelRequestError(InfraError):
    """The provider refused the request itself (4xx other than 408/409/429): not retried."""

    def __init__(self, message: str, status: int | None) -> None:
        self.status = status
        super().__init__("model_api", message)


class MalformedResponse(Exception):
    """The provider answered 200 with a body we cannot read (retried as "malformed")."""


def _mro_names(exc: BaseException) -> set[str]:
    return {c.__name__ for c in type(exc).__mro__}


def _headers(exc: BaseException) -> dict[str, str] | None:
    """Response headers of an SDK error, lower-cased (duck-typed: SDKs vendor their httpx)."""
    sources = (
        getattr(getattr(exc, "response", None), "headers", None),
        getattr(exc, "headers", None),
        getattr(exc, "litellm_response_headers", None),  # litellm's mock response has none
    )
    for raw in sources:
        if raw and hasattr(raw, "items"):
            return {str(k).lower(): str(v) for k, v in raw.items()}
    return None


def retry_after_s(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, retry-after seconds or date)."""
    headers = _headers(exc)
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an SDK exception carries, if any."""
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def classify(exc: BaseException) -> str | None:
    """The retry reason for `exc`, or None when retrying would not help."""
    names = _mro_names(exc)
    if (
        isinstance(exc, MalformedResponse | json.JSONDecodeError | pydantic.ValidationError)
        or "APIResponseValidationError" in names
    ):
        return "malformed"
    if names & {"APITimeoutError", "Timeout", "TimeoutException", "TimeoutError"}:
        return "timeout"
    status = status_of(exc)
    if status is not None:
        if status == 429:
            return "rate_limit"
        if status in (408, 409):
            return "timeout" if status == 408 else "conflict"
        if status >= 500:
            return f"server_error_{status}"
        return None
    if names & {
        "APIConnectionError",
        "TransportError",
        "RemoteProtocolError",
        "ConnectionError",
        "ServiceUnavailableError",
        "InternalServerError",
    }:
        return "connection"
    # litellm wraps a broken JSON body as a generic APIError with no status
    if "APIError" in names and ("JSON" in str(exc) or "Expecting" in str(exc)):
        return "malformed"
    return None


def delay_s(policy: RetryPolicy, failures: int, exc: BaseException | None) -> float:
    """Wait before the next try after `failures` failed ones: backoff with jitter, ≥ retry-after."""
    backoff = min(policy.max_s, policy.initial_s * 2 ** (failures - 1))
    backoff *= 0.5 + 0.5 * random.random()  # jitter: spread clients that failed together
    after = retry_after_s(exc) if exc is not None else None
    if after is not None:
        return max(backoff, min(after, policy.max_retry_after_s))
    return backoff


def _log_retry(model: str, failures: int, exc: BaseException | None, wait: float) -> None:
    log.warning(
        "model_retry",
        model=model,
        attempt=failures,
        reason=classify(exc) if exc else None,
        status=status_of(exc) if exc else None,
        wait_s=round(wait, 3),
        error=type(exc).__name__ if exc else None,
    )


def _gave_up(model: str, max_retries: int, exc: BaseException | None) -> InfraError:
    reason = classify(exc) if exc else "unknown"
    return InfraError(
        "model_api",
        f"{model}: gave up after {max_retries} retries (last: {reason}, {type(exc).__name__})",
    )


async def call_with_retries(
    fn: Callable[[], Awaitable[T]], *, max_retries: int, policy: RetryPolicy, model: str
) -> tuple[T, int]:
    """Run `fn` with retries; returns (result, retries). Exhausted → InfraError("model_api")."""
    # fast path: most calls succeed at once, and a tenacity loop costs ~0.2 ms per call
    try:
        return await fn(), 0
    except Exception as exc:
        if classify(exc) is None:
            raise
        first = exc
    if max_retries == 0:
        raise _gave_up(model, 0, first) from first
    wait = delay_s(policy, 1, first)
    _log_retry(model, 1, first, wait)
    await asyncio.sleep(wait)

    def state_exc(state: RetryCallState) -> BaseException | None:
        return state.outcome.exception() if state.outcome else None

    # tenacity numbers the attempts it makes; one failure happened before it started
    retrying = AsyncRetrying(
        stop=stop_after_attempt(max_retries),
        wait=lambda st: delay_s(policy, st.attempt_number + 1, state_exc(st)),
        retry=retry_if_exception(lambda e: classify(e) is not None),
        before_sleep=lambda st: _log_retry(
            model, st.attempt_number + 1, state_exc(st), st.upcoming_sleep
        ),
        reraise=False,
    )
    try:
        async for attempt in retrying:
            with attempt:
                result = await fn()
            if not attempt.retry_state.outcome or not attempt.retry_state.outcome.failed:
                return result, attempt.retry_state.attempt_number
    except RetryError as err:
        exc = err.last_attempt.exception()
        raise _gave_up(model, max_retries, exc) from exc
    raise AssertionError("unreachable: tenacity returned without an outcome")
