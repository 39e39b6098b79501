"""A local mirror of the lake's Parquet files, for DuckDB (its httpfs extension cannot be downloaded here).

`sync_lake` lists `metrics/` in the bucket and downloads new or changed objects (by ETag) into a cache folder with
the same key layout, and deletes local files whose object is gone, so the mirror equals the bucket after each
sync even across emulator restarts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from consumers.errors import ConfigError
from schemas.events_lake import EVENTS_PREFIX
from schemas.lake import DATA_PREFIX

CACHE_ENV = "CCSTREAM_LAKE_CACHE"
_INDEX = ".etags.json"


def default_cache_dir(bucket: str) -> Path:
    """$CCSTREAM_LAKE_CACHE/<bucket>, else `.ccstream/lake-cache/<bucket>` under the working directory."""
    root = os.environ.get(CACHE_ENV) or os.path.join(".ccstream", "lake-cache")
    return Path(root) / bucket


@dataclass(frozen=True)
class SyncStats:
    objects: int
    downloaded: int
    removed: int
    bytes_downloaded: int


def sync_lake(
    s3: Any,
    bucket: str,
    dest: Path,
    progress: Callable[[str], None] | None = None,
    prefix: str = DATA_PREFIX,
    also: tuple[str, ...] = (EVENTS_PREFIX,),
) -> SyncStats:
    """Make `dest/<prefix>` (and `dest/<p>` for each of `also`: the events table) hold exactly the bucket's
    `.parquet` objects under them."""
    say = progress or (lambda _msg: None)
    dest.mkdir(parents=True, exist_ok=True)
    index_path = dest / _INDEX
    index: dict[str, str] = json.loads(index_path.read_text()) if index_path.exists() else {}

    remote: dict[str, tuple[str, int]] = {}
    try:
        for each in (prefix, *also):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=each):
                for obj in page.get("Contents", []):
                    if obj["Key"].endswith(".parquet"):
                        remote[obj["Key"]] = (obj["ETag"], int(obj["Size"]))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            raise ConfigError(
                f"lake bucket {bucket} does not exist: start the lake writer (`ccstream consume`) or deploy "
                "infra/analytics.yaml first"
            ) from exc
        raise

    todo = [k for k, (etag, _) in remote.items() if index.get(k) != etag or not (dest / k).is_file()]
    if todo:
        total = sum(remote[k][1] for k in todo)
        say(f"downloading {len(todo)} of {len(remote)} lake files ({total / 1e6:.1f} MB) from s3://{bucket}/{prefix}")
    downloaded = 0
    for i, key in enumerate(todo, 1):
        path = dest / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]  # not download_file: it HEADs, which the emulator fails
        with tmp.open("wb") as out:
            while chunk := body.read(1 << 20):
                out.write(chunk)
        tmp.replace(path)
        index[key] = remote[key][0]
        downloaded += remote[key][1]
        if i % 200 == 0:
            say(f"  {i}/{len(todo)} files")

    removed = 0
    for key in [k for k in index if k not in remote]:
        (dest / key).unlink(missing_ok=True)
        del index[key]
        removed += 1
    for each in (prefix, *also):
        for path in (dest / each).rglob("*.parquet") if (dest / each).exists() else ():
            key = path.relative_to(dest).as_posix()
            if key not in remote:
                path.unlink()
                removed += 1
    index_path.write_text(json.dumps(index))
    return SyncStats(len(remote), len(todo), removed, downloaded)
