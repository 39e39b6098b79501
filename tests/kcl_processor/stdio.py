"""amazon_kclpy's stdio protocol played from a script (no JVM): the MultiLangDaemon's messages as JSON lines in, the
processor's actions out. The checkpoint replies are in the script, so a test reads which checkpoints the processor
asked for. For a daemon that answers as it goes, see tests/lake/kcl_harness.py; the real daemon runs in tests/e2e.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from amazon_kclpy import kcl


def kcl_record(seq: int, data: bytes, arrival_ms: int) -> dict[str, object]:
    """One record as the daemon sends it in `processRecords` (kclpy dispatches on the `action` tag)."""
    return {
        "action": "record",
        "data": base64.b64encode(data).decode(),
        "partitionKey": "pk",
        "sequenceNumber": str(seq),
        "subSequenceNumber": 0,
        "approximateArrivalTimestamp": arrival_ms,
    }


def batches_then_shutdown(shard: str, batches: list[list[dict[str, object]]]) -> list[dict[str, object]]:
    """Initialize at TRIM_HORIZON, each batch answered by a successful checkpoint at its last record, then shutdown."""
    lines: list[dict[str, object]] = [
        {"action": "initialize", "shardId": shard, "sequenceNumber": "TRIM_HORIZON", "subSequenceNumber": 0}
    ]
    for batch in batches:
        lines.append({"action": "processRecords", "records": batch, "millisBehindLatest": 0})
        last = batch[-1]["sequenceNumber"]
        lines.append({"action": "checkpoint", "sequenceNumber": last, "subSequenceNumber": 0, "error": None})
    lines.append({"action": "shutdownRequested"})
    return lines


def run_stdio(processor: Any, lines: list[dict[str, object]]) -> list[dict[str, object]]:
    """Run the script through `kcl.KCLProcess`; the processor's messages. Fails when kclpy caught an exception."""
    out, err = io.StringIO(), io.StringIO()
    inp = io.StringIO("".join(json.dumps(line) + "\n" for line in lines))
    kcl.KCLProcess(processor, input_file=inp, output_file=out, error_file=err).run()
    assert "Caught exception" not in err.getvalue(), err.getvalue()
    return [json.loads(x) for x in out.getvalue().splitlines() if x.strip()]
