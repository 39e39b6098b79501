"""Pick the engine for a target: Athena on AWS, DuckDB over a local mirror of the lake on an emulator.

moto has no Athena engine (it answers every query with no rows), so on an emulator the lake's Parquet files are
mirrored from the emulator's S3 into a cache folder and queried with DuckDB, with the same Trino SQL translated.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol

from consumers.athena.athena_engine import AthenaEngine
from consumers.athena.duckdb_engine import DuckDbEngine
from consumers.athena.names import AnalyticsNames
from consumers.athena.result import QueryResult
from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.errors import ConfigError
from consumers.lake.bucket import lake_bucket, s3_client
from consumers.lake.cache import default_cache_dir, sync_lake

EngineChoice = Literal["auto", "athena", "duckdb"]


class QueryEngine(Protocol):
    name: str

    def run(self, sql: str) -> QueryResult: ...


def open_engine(
    target: AwsTarget,
    names: Names,
    engine: EngineChoice = "auto",
    *,
    cache_dir: Path | None = None,
    lake_dir: Path | None = None,
    bucket: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> QueryEngine:
    """An engine ready to run queries.

    `lake_dir`: query this folder (holding `metrics/year=…/…`) with DuckDB as it is, without S3.
    `cache_dir`: where to mirror the lake bucket for DuckDB (default `default_cache_dir(bucket)`).
    `bucket`: the lake bucket (default `lake_bucket(target, names)`: $CCSTREAM_LAKE_BUCKET or the deployment's).
    """
    say = progress or (lambda _msg: None)
    choice = engine
    if choice == "auto":
        choice = "duckdb" if (target.is_emulator or lake_dir is not None) else "athena"
    if choice == "athena":
        if lake_dir is not None:
            raise ConfigError("--lake-dir is for the DuckDB engine; drop it or use --engine duckdb")
        an = AnalyticsNames.of(names)
        return AthenaEngine(target.client("athena"), an.workgroup, an.database, progress=say)
    if choice != "duckdb":
        raise ConfigError(f"unknown engine {engine!r}: use auto, athena or duckdb")
    if lake_dir is None:
        bucket = bucket or lake_bucket(target, names)
        lake_dir = cache_dir or default_cache_dir(bucket)
        stats = sync_lake(s3_client(target), bucket, lake_dir, progress=say)
        say(f"lake mirror {lake_dir}: {stats.objects} Parquet files ({stats.downloaded} new, {stats.removed} removed)")
    elif not lake_dir.is_dir():
        raise ConfigError(f"--lake-dir {lake_dir} is not a folder")
    return DuckDbEngine(lake_dir)
