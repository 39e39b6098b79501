"""What a replay input file holds, recognised by its content, and the Kinesis records in it.

Shapes recognised (whatever the file is called):

* raw EMF lines, one JSON object with an `_aws` member per line (the collector's output) -> `InputFormat.EMF`;
* captured Kinesis records, `InputFormat.KINESIS`, in any of these forms:
  - one record per line, `{"Data": "<base64>", "PartitionKey": "..."}` (our `*.kinesis.jsonl`, `jq -c
    '.Records[]'` of `aws kinesis get-records`); `SequenceNumber`, `ApproximateArrivalTimestamp` and anything else
    are ignored, since Kinesis assigns new ones;
  - `aws kinesis get-records` output, `{"Records": [...], "NextShardIterator": ...}`, pretty-printed or one per line,
    several pages one after the other allowed;
  - a Lambda Kinesis event, `{"Records": [{"kinesis": {"data": "<base64>", "partitionKey": "..."}, ...}]}`;
  - a bare JSON list of such records.

The first `SNIFF_LINES` non-blank lines decide; when none of them is recognisable (a corpus of broken EMF lines,
say) the name decides (`*.emf.ndjson`, `*.kinesis.jsonl`); otherwise `ReplayInputError` says what was expected.
One-value-per-line files are streamed; a pretty-printed document is read whole.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import msgspec

from consumers.replay.errors import ReplayInputError


class InputFormat(StrEnum):
    EMF = "emf"
    KINESIS = "kinesis"


SNIFF_LINES = 50
_SUFFIXES = {".emf.ndjson": InputFormat.EMF, ".kinesis.jsonl": InputFormat.KINESIS}

EXPECTED = (
    "raw EMF lines (one JSON object with an `_aws` member per line, sent with PutLogEvents) or captured Kinesis "
    'records: one `{"Data": <base64>, "PartitionKey": ...}` object per line, `aws kinesis get-records` output '
    '(`{"Records": [...]}`), or a Lambda Kinesis event (`{"Records": [{"kinesis": {"data": ..., '
    '"partitionKey": ...}}]}`); see tests/fixtures/README.md'
)


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and "Data" in value and "PartitionKey" in value


def _is_lambda_record(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("kinesis"), dict)


def classify(value: Any) -> InputFormat | None:
    """The format one parsed JSON value belongs to, or None when it says nothing."""
    if isinstance(value, dict):
        if isinstance(value.get("_aws"), dict):
            return InputFormat.EMF
        if _is_record(value):
            return InputFormat.KINESIS
        records = value.get("Records")
        if isinstance(records, list) and (not records or _is_record(records[0]) or _is_lambda_record(records[0])):
            return InputFormat.KINESIS
    if isinstance(value, list) and value and (_is_record(value[0]) or _is_lambda_record(value[0])):
        return InputFormat.KINESIS
    return None


def _first_lines(path: Path, limit: int) -> Iterator[str]:
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        seen = 0
        for raw in fh:
            if raw.strip():
                yield raw
                seen += 1
                if seen >= limit:
                    return


def detect_format(path: Path) -> InputFormat:
    """EMF or Kinesis, from the content first and the name second (see the module doc)."""
    if not path.is_file():
        raise ReplayInputError(f"{path}: no such file")
    lines = list(_first_lines(path, SNIFF_LINES))
    for line in lines:
        try:
            fmt = classify(json.loads(line))
        except ValueError:
            continue
        if fmt is not None:
            return fmt
    if lines and lines[0].lstrip().startswith(("{", "[")):
        try:
            whole = _documents(path)
            fmt = classify(next(whole, None))
        except ReplayInputError:
            fmt = None
        if fmt is not None:
            return fmt
    for suffix, by_name in _SUFFIXES.items():
        if path.name.endswith(suffix):
            return by_name
    raise ReplayInputError(f"{path}: not a replay input I recognise; expected {EXPECTED}")


def _documents(path: Path) -> Iterator[Any]:
    """Every JSON value of a file holding one or more (pretty-printed) documents one after the other."""
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            return
        try:
            value, at = decoder.raw_decode(text, at)
        except ValueError as exc:
            raise ReplayInputError(f"{path}: not valid JSON at character {at} ({exc}); expected {EXPECTED}") from exc
        yield value


def _values(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, value) of each JSON value: one per line when the first line is a whole value, else documents."""
    with path.open("rb") as fh:
        first = next((raw for raw in fh if raw.strip()), b"")
    try:
        json.loads(first)
        per_line = True
    except ValueError:
        per_line = False
    if per_line:
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    yield f"{path}:{number}", msgspec.json.decode(raw)
                except msgspec.DecodeError as exc:
                    raise ReplayInputError(f"{path}:{number}: not JSON ({exc}); expected {EXPECTED}") from exc
    else:
        for index, value in enumerate(_documents(path), 1):
            yield f"{path} (document {index})", value


def _record(where: str, value: Any) -> tuple[bytes, str]:
    """(Data bytes, PartitionKey) of one get-records record or one Lambda event record."""
    if _is_lambda_record(value):
        data, key = value["kinesis"].get("data"), value["kinesis"].get("partitionKey")
        names = '"kinesis": {"data", "partitionKey"}'
    elif isinstance(value, dict):
        data, key = value.get("Data"), value.get("PartitionKey")
        names = '"Data" and "PartitionKey"'
    else:
        raise ReplayInputError(f"{where}: a record must be a JSON object; expected {EXPECTED}")
    if not isinstance(data, str) or not isinstance(key, str) or not key:
        raise ReplayInputError(f"{where}: not a captured Kinesis record: it needs {names} (base64 text, a key)")
    try:
        return base64.b64decode(data, validate=True), key
    except (binascii.Error, ValueError) as exc:
        raise ReplayInputError(f"{where}: the record's data is not base64 ({exc})") from exc


def read_captured(path: Path) -> Iterator[tuple[bytes, str]]:
    """`(Data bytes, PartitionKey)` of each captured Kinesis record, in file order, whatever the capture shape."""
    for where, value in _values(path):
        if isinstance(value, dict) and "Records" in value and not _is_record(value):
            items = value["Records"]
            if not isinstance(items, list):
                raise ReplayInputError(f'{where}: "Records" must be a list; expected {EXPECTED}')
            for i, item in enumerate(items):
                yield _record(f"{where} Records[{i}]", item)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield _record(f"{where} [{i}]", item)
        else:
            yield _record(where, value)
