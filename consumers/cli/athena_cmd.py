"""`ccstream athena list | show | run | setup`: the lake's named queries, on Athena or locally on DuckDB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import typer

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target

athena_app = typer.Typer(
    help="Query the Parquet lake: on Athena (AWS) or with DuckDB over the lake's files (emulator).",
    no_args_is_help=True,
)

EngineOption = typer.Option(
    "auto",
    "--engine",
    help="auto (DuckDB on an emulator endpoint, Athena on AWS), athena or duckdb.",
)
CacheDirOption = typer.Option(
    None,
    "--cache-dir",
    help="DuckDB: where to mirror the lake bucket (default $CCSTREAM_LAKE_CACHE or .ccstream/lake-cache).",
    show_default=False,
)
LakeDirOption = typer.Option(
    None,
    "--lake-dir",
    help="DuckDB: query this folder (holding metrics/year=…/…) directly, without S3.",
    show_default=False,
)


def register(app: typer.Typer) -> None:
    """Add `ccstream athena …` to the app."""
    app.add_typer(athena_app, name="athena")


def _progress(message: str) -> None:
    typer.echo(message, err=True)


@athena_app.command("list")
def list_queries(as_json: bool = JsonOption) -> None:
    """List the named queries (the same ones the analytics stack saves in Athena)."""
    from consumers.athena.named import render_named_queries

    queries = render_named_queries()
    if as_json:
        typer.echo(json.dumps([{"name": q.name, "description": q.description} for q in queries.values()], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "description", title="named queries (`ccstream athena run NAME`)")
    for q in queries.values():
        table.add_row(q.name, q.description)
    Console().print(table)


@athena_app.command("show")
def show(
    name: str = typer.Argument(..., help="A named query (see `ccstream athena list`)."),
    duckdb_sql: bool = typer.Option(False, "--duckdb", help="Print the DuckDB translation instead of Athena SQL."),
) -> None:
    """Print a named query's SQL as saved in Athena (or as translated for DuckDB)."""
    from consumers.athena.duckdb_engine import to_duckdb
    from consumers.athena.named import resolve_query

    _, sql = resolve_query(name)
    typer.echo(";\n".join(to_duckdb(sql)) + ";" if duckdb_sql else sql)


@athena_app.command("run")
def run(
    query: str = typer.Argument(..., help="A named query's name, or SQL in Athena's (Trino) dialect."),
    as_json: bool = JsonOption,
    engine: str = EngineOption,
    cache_dir: Path | None = CacheDirOption,
    lake_dir: Path | None = LakeDirOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Run a named query or SQL. On an emulator: DuckDB over the lake's Parquet files, SQL translated by sqlglot."""
    from consumers.athena.engine import EngineChoice, open_engine
    from consumers.athena.named import resolve_query
    from consumers.errors import ConfigError

    if engine not in ("auto", "athena", "duckdb"):
        raise ConfigError(f"--engine {engine!r}: use auto, athena or duckdb")
    name, sql = resolve_query(query)
    choice = cast(EngineChoice, engine)
    eng = open_engine(
        target(endpoint_url, region), names(), choice, cache_dir=cache_dir, lake_dir=lake_dir, progress=_progress
    )
    result = eng.run(sql)
    if as_json:
        typer.echo(json.dumps(result.to_json(name), indent=2))
        return
    _print_table(name or "query", result.engine, result.columns, result.rows)


@athena_app.command("setup")
def setup(endpoint_url: str | None = EndpointOption, region: str | None = RegionOption) -> None:
    """Create (or replace) the de-duplicating view `metrics` in Athena. Not needed on an emulator."""
    from consumers.athena.engine import open_engine
    from consumers.athena.views import ensure_view

    tgt = target(endpoint_url, region)
    if tgt.is_emulator:
        typer.echo("emulator endpoint: the DuckDB engine creates the view itself; nothing to do")
        return
    ensure_view(open_engine(tgt, names(), "athena", progress=_progress))
    typer.echo(
        "views created: metrics_all (one row per data point over metrics_raw), metrics (token usage, the seed's table)"
        " and metrics_<name> (one per metric)"
    )


def _print_table(title: str, engine: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    from rich.console import Console
    from rich.table import Table

    from consumers.athena.result import plain

    table = Table(*columns, title=f"{title} ({engine}, {len(rows)} rows)")
    for row in rows:
        table.add_row(*("" if v is None else str(plain(v)) for v in row))
    Console().print(table)
