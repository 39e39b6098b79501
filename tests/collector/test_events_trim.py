"""The collector's `transform/events_trim`: events keep exactly the attributes ccstream reads, nothing it decodes
changes, and the scope goes."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from consumers.collector.build import collector_config
from consumers.decode.events import read_event
from consumers.decode.limits import DecodeLimits
from schemas import events as ev
from schemas.envelope import LogEvent
from tests.collector.conftest import CollectorUnderTest

ROOT = Path(__file__).resolve().parents[2]
#: The real CLI's logs requests and what the collector wrote from them before the trim existed
#: (tests/fixtures/events/README.md).
TAP = ROOT / "tests" / "fixtures" / "events" / "realcli.otlp-logs.jsonl"
CAPTURE = ROOT / "tests" / "fixtures" / "events" / "realcli.events.ndjson"
TRIM = "transform/events_trim"
#: What the decoder reads (consumers/decode/events.py): on the event, and on the resource (identity and labels).
READ_ON_EVENT = {*ev.IDENTITY, *ev.LABELS, *ev.NUMBERS, *ev.LENGTHS, *ev.FLAGS, ev.EVENT_NAME, ev.EVENT_SEQUENCE}
READ_ON_RESOURCE = {*ev.IDENTITY, *ev.LABELS}


def _patterns() -> tuple[str, str]:
    doc = yaml.safe_load(collector_config().read_text())
    statements = doc["processors"][TRIM]["log_statements"]
    on_event, on_resource = (re.search(r'"(.*)"', s).group(1) for s in statements[:2])  # type: ignore[union-attr]
    return on_event, on_resource


def _names_the_cli_sent() -> set[str]:
    names: set[str] = set()
    for line in TAP.read_text().splitlines():
        for rl in json.loads(line)["resourceLogs"]:
            names |= {a["key"] for a in rl["resource"]["attributes"]}
            for sl in rl["scopeLogs"]:
                for record in sl["logRecords"]:
                    names |= {a["key"] for a in record["attributes"]}
    return names


def test_the_keep_patterns_are_the_names_the_decoder_reads() -> None:
    on_event, on_resource = _patterns()
    candidates = _names_the_cli_sent() | READ_ON_EVENT | set(ev.CONTENT_ATTRIBUTES) | {"user.groups", "cost_center"}
    candidates |= {"cost_usd", "event.timestamp", "organization", "attempts", "total_attempt", "x" + ev.TEAM}
    assert {n for n in candidates if re.fullmatch(on_event, n)} == READ_ON_EVENT
    assert {n for n in candidates if re.fullmatch(on_resource, n)} == READ_ON_RESOURCE
    assert len(_names_the_cli_sent() - READ_ON_EVENT) >= 20  # the real CLI sends plenty nobody reads


def test_the_trim_runs_after_identity_and_before_batch() -> None:
    doc = yaml.safe_load(collector_config().read_text())
    processors = doc["service"]["pipelines"]["logs"]["processors"]
    assert processors.index("ccstream_identity") < processors.index(TRIM) == processors.index("batch") - 1
    assert TRIM not in doc["service"]["pipelines"]["metrics"]["processors"]


def _decoded(message: str, timestamp: int) -> tuple[Any, ...]:
    event, reason, _ = read_event(0, LogEvent("1", timestamp, message), DecodeLimits(), keep_lengths=True)
    assert event is not None and reason == ""
    return (
        event.name,
        event.sequence,
        tuple(sorted(event.identity.items())),
        tuple(sorted(event.labels.items())),
        tuple(sorted(event.numbers.items())),
        tuple(sorted(event.flags.items())),
    )


def _shifted(line: str, shift_ns: int) -> bytes:
    """The request with every record moved by `shift_ns` (CloudWatch takes events of the last 14 days only)."""
    doc = json.loads(line)
    for rl in doc["resourceLogs"]:
        for sl in rl["scopeLogs"]:
            for record in sl["logRecords"]:
                for key in ("timeUnixNano", "observedTimeUnixNano"):
                    if key in record:
                        record[key] = str(int(record[key]) + shift_ns)
    return json.dumps(doc).encode()


def test_the_real_cli_events_decode_the_same_after_the_trim(running: CollectorUnderTest) -> None:
    before = [json.loads(x) for x in CAPTURE.read_text().splitlines()]
    shift_ms = (int(time.time() * 1000) - 3_600_000) - max(x["timestamp"] for x in before)
    for line in TAP.read_text().splitlines():
        assert running.post("/v1/logs", _shifted(line, shift_ms * 1_000_000)) == 200
    after = [e for _, e in running.wait_for_events(running.events_group, len(before))]
    assert len(after) == len(before)

    # Everything the decoder reads is unchanged (expected values: the lines written before the trim existed).
    assert Counter(_decoded(e["message"], e["timestamp"]) for e in after) == Counter(
        _decoded(x["message"], x["timestamp"]) for x in before
    )
    docs = [json.loads(e["message"]) for e in after]
    assert all(set(d["attributes"]) <= READ_ON_EVENT for d in docs)
    assert all(set(d.get("resource", {})) <= READ_ON_RESOURCE for d in docs)
    assert not any("scope" in d for d in docs)
    assert any("tool_input_size_bytes" in d["attributes"] for d in docs)  # lengths stay for the keep-lengths switch
    trimmed = sum(len(e["message"].encode()) for e in after)
    assert trimmed < 0.7 * sum(len(x["message"].encode()) for x in before)
