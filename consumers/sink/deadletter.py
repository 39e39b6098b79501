"""Dead letters to S3, one object per letter under a deterministic key, so replays overwrite instead of adding."""

from __future__ import annotations

import functools
from typing import Any

import msgspec

from consumers.model import DeadLetter
from consumers.sink.dynamodb import with_backoff

PREFIX = "deadletter"


def letter_key(dl: DeadLetter) -> str:
    seq = dl.sequence_number.zfill(64)
    metric = dl.metric or "_"
    return f"{PREFIX}/{dl.reason}/{dl.shard_id}/{seq}-{dl.sub_sequence_number}-{dl.index}-{metric}.json"


class S3DeadLetters:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def write(self, letters: list[DeadLetter]) -> None:
        for dl in letters:
            body = msgspec.json.encode(dl)
            with_backoff(
                functools.partial(
                    self.client.put_object,
                    Bucket=self.bucket,
                    Key=letter_key(dl),
                    Body=body,
                    ContentType="application/json",
                ),
                "PutObject(dead letter)",
            )
