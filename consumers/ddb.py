"""DynamoDB client helpers shared by the write side (`sink/`) and the read side (`query/`, rollup, dashboard).

Serialisation to and from the low-level attribute format, retry with backoff of transient failures only
(throttling, 5xx, connection errors), and a paginated Query. No table layout here (`consumers/items.py`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from consumers.errors import SinkRetryableError

T = TypeVar("T")

_ser = TypeSerializer()
_de = TypeDeserializer()
#: Error codes that may succeed when retried: throttling, capacity and server-side failures.
RETRYABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "SlowDown",
        "TransactionConflictException",
    }
)


def to_ddb(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in item.items()}


def from_ddb(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: _de.deserialize(v) for k, v in item.items()}
    for k, v in out.items():
        if isinstance(v, Binary):
            out[k] = v.value
    return out


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying: our own `SinkRetryableError`, throttling/5xx codes, connection errors."""
    if isinstance(exc, SinkRetryableError | BotoCoreError):
        return True
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error_code(exc) in RETRYABLE_CODES or status >= 500
    return isinstance(exc, TimeoutError | ConnectionError)


def with_backoff(call: Callable[[], T], what: str, attempts: int = 6, base_s: float = 0.1) -> T:
    """Retry transient failures with exponential backoff; anything else is raised at once. A transient failure
    that outlasts the attempts becomes `SinkRetryableError` (the caller keeps its state and tries later)."""
    for attempt in range(attempts):
        try:
            return call()
        except (ClientError, BotoCoreError) as exc:
            if not is_transient(exc):
                raise
            if attempt == attempts - 1:
                detail = error_code(exc) if isinstance(exc, ClientError) else str(exc)
                raise SinkRetryableError(f"{what}: {detail} after {attempts} attempts") from exc
        time.sleep(min(base_s * 2**attempt, 5.0))
    raise AssertionError("unreachable")


def query_items(client: Any, what: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item a Query returns, page after page (each page with backoff), as plain Python values."""
    while True:
        resp = with_backoff(functools.partial(client.query, **kwargs), what)
        for raw in resp.get("Items", []):
            yield from_ddb(raw)
        if "LastEvaluatedKey" not in resp:
            return
        kwargs = {**kwargs, "ExclusiveStartKey": resp["LastEvaluatedKey"]}
