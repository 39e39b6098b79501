"""The Firehose transform's response stays under Lambda's 6 MB limit at 10,000+ developers.

Firehose hands the Lambda up to `BufferSizeInMBs` of records per invocation; the response is the rows as JSON,
base64'd. At 10,000 developers every invocation is full (the buffer fills long before its 60 s interval), so the
only numbers that matter are the buffer size and the output/input ratio. This test measures the ratio on
subscription records of production-shaped lines, checks that the template's buffer hint keeps a full invocation
under the budget with room to spare, and that the budget guard holds even for a 1 MB buffer.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from consumers.generate import simulate
from consumers.generate.subscription import pack
from consumers.lake.firehose_lambda import RESPONSE_LIMIT_BYTES, transform_firehose_event
from schemas.envelope import encode_envelope

TEMPLATE = Path(__file__).parents[2] / "infra" / "analytics.yaml"


def _records() -> list[bytes]:
    lines = list(simulate(400, 3, 1_795_219_200_000, seed=3))
    return [encode_envelope(p.envelope) for p in pack(lines) if not p.envelope.is_control]


def _event(records: list[bytes], max_bytes: int) -> tuple[dict[str, object], int]:
    out, size = [], 0
    for i, data in enumerate(records):
        if size + len(data) > max_bytes:
            break
        out.append({"recordId": str(i), "data": base64.b64encode(data).decode()})
        size += len(data)
    return {"invocationId": "x", "records": out}, size


def _response_bytes(event: dict[str, object], **kw: int) -> tuple[int, list[str]]:
    response = transform_firehose_event(event, **kw).response
    return len(json.dumps(response)), [r["result"] for r in response["records"]]


def test_template_buffer_keeps_a_full_invocation_under_the_limit() -> None:
    hint = re.search(r"ParameterName: BufferSizeInMBs, ParameterValue: \"([0-9.]+)\"", TEMPLATE.read_text())
    assert hint is not None
    buffer_bytes = int(float(hint.group(1)) * 1_000_000)
    event, used = _event(_records() * 3, buffer_bytes)
    assert used > buffer_bytes * 0.8  # a (nearly) full invocation, as at 10,000 developers
    size, results = _response_bytes(event, budget_bytes=10 * RESPONSE_LIMIT_BYTES)  # the guard not involved
    ratio = size / used
    print(
        f"\nFirehose transform: {used} bytes in -> {size} bytes out, ratio {ratio:.1f}x; limit {RESPONSE_LIMIT_BYTES}"
    )
    assert set(results) == {"Ok"}
    assert size < 0.8 * RESPONSE_LIMIT_BYTES, "buffer hint too big for the measured ratio"


def test_budget_guard_keeps_a_1mb_invocation_under_the_limit() -> None:
    event, used = _event(_records() * 15, 1_000_000)
    assert used > 900_000
    unguarded, _ = _response_bytes(event, budget_bytes=100 * RESPONSE_LIMIT_BYTES)
    assert unguarded > RESPONSE_LIMIT_BYTES  # what the old 1 MB buffer hint gave: over Lambda's limit
    outcome = transform_firehose_event(event)
    size = len(json.dumps(outcome.response))
    results = [r["result"] for r in outcome.response["records"]]
    print(
        f"\n{used} bytes in: unguarded {unguarded} bytes out; guarded {size} bytes, "
        f"{results.count('ProcessingFailed')} of {len(results)} records to the error prefix"
    )
    assert size < RESPONSE_LIMIT_BYTES
    assert results.count("ProcessingFailed") == sum(1 for d in outcome.dead_letters if d.reason == "response_budget")
    assert results.count("Ok") > 0
