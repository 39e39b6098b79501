"""Named queries: `queries/<name>.sql`, each opening with `-- name:` and `-- description:` header lines.

The body is Trino SQL (Athena engine v3) reading the views of `views.py` (`metrics`, `metrics_all`,
`metrics_<name>`). `{{price_per_token}}` is replaced by the price table rendered as SQL (`pricing_sql.py`). The
rendered text is exactly what the analytics template's `AWS::Athena::NamedQuery` resources must hold
(`QueryString`); `render_named_queries()` gives it and `tests/athena` compares it with `infra/analytics.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from consumers.athena.pricing_sql import price_per_token_sql
from consumers.errors import ConfigError

_HEADER = re.compile(r"^--\s*(name|description):\s*(.*?)\s*$")
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    sql: str  # rendered, without the header lines


def parse_query_file(text: str, fallback_name: str) -> tuple[str, str, str]:
    """(name, description, body) of one `.sql` file; the header is the leading `-- key: value` lines."""
    meta: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines) and (m := _HEADER.match(lines[i])):
        meta[m.group(1)] = m.group(2)
        i += 1
    body = "\n".join(lines[i:]).strip() + "\n"
    return meta.get("name", fallback_name), meta.get("description", ""), body


def render(sql: str) -> str:
    """Fill `{{placeholders}}`; an unknown placeholder is an error (a typo would otherwise reach Athena)."""
    values = {"price_per_token": price_per_token_sql()}

    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in values:
            raise ConfigError(f"unknown placeholder {{{{{m.group(1)}}}}} in a named query")
        return values[m.group(1)]

    return _PLACEHOLDER.sub(sub, sql)


def render_named_queries() -> dict[str, NamedQuery]:
    """Every named query, rendered, by name (file order: alphabetical)."""
    out: dict[str, NamedQuery] = {}
    folder = resources.files("consumers.athena").joinpath("queries")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        name, description, body = parse_query_file(entry.read_text(encoding="utf-8"), entry.name[: -len(".sql")])
        if name in out:
            raise ConfigError(f"two named queries are called {name}")
        out[name] = NamedQuery(name, description, render(body))
    return out


def resolve_query(name_or_sql: str) -> tuple[str | None, str]:
    """(name, SQL) for a named query's name, or (None, text) for SQL typed by the user."""
    queries = render_named_queries()
    key = name_or_sql.strip()
    if key in queries:
        return key, queries[key].sql
    if re.fullmatch(r"[A-Za-z0-9_]+", key):
        raise ConfigError(f"no named query {key!r}; `ccstream athena list` shows them: {', '.join(queries)}")
    return None, render(name_or_sql)
