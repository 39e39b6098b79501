"""A CUR 2.0 export and a telemetry lake, built by the test from the documented schemas (no ccstream code).

CUR 2.0 columns and types as the Data Exports table dictionary lists them (a subset of its ~125 columns, with the
real names): Parquet files under `<root>/<export>/data/BILLING_PERIOD=YYYY-MM/`, as Data Exports writes them. The
lake: `metrics/year=/month=/day=/hour=` Parquet files with the lake's column names (schemas/lake.py documents them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CUR_SCHEMA = pa.schema(
    [
        ("bill_billing_period_start_date", pa.timestamp("ms")),
        ("bill_payer_account_id", pa.string()),
        ("line_item_usage_account_id", pa.string()),
        ("line_item_line_item_type", pa.string()),
        ("line_item_usage_start_date", pa.timestamp("ms")),
        ("line_item_usage_end_date", pa.timestamp("ms")),
        ("line_item_product_code", pa.string()),
        ("product_servicecode", pa.string()),
        ("line_item_usage_type", pa.string()),
        ("line_item_operation", pa.string()),
        ("line_item_resource_id", pa.string()),
        ("line_item_usage_amount", pa.float64()),
        ("pricing_unit", pa.string()),
        ("line_item_unblended_rate", pa.string()),
        ("line_item_unblended_cost", pa.float64()),
        ("line_item_net_unblended_cost", pa.float64()),
        ("line_item_iam_principal", pa.string()),
        ("resource_tags", pa.map_(pa.string(), pa.string())),
        ("product", pa.map_(pa.string(), pa.string())),
    ]
)


@dataclass(frozen=True)
class CurRow:
    start: datetime
    usage_type: str
    tokens: float
    cost: float
    principal: str | None
    tags: dict[str, str]
    resource_id: str = ""
    line_type: str = "Usage"


def write_cur(root: Path, month: str, rows: list[CurRow]) -> Path:
    folder = root / "ccstream-cur" / "data" / f"BILLING_PERIOD={month}"
    folder.mkdir(parents=True)
    period = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    cols: dict[str, list] = {f.name: [] for f in CUR_SCHEMA}
    for r in rows:
        values = {
            "bill_billing_period_start_date": period,
            "bill_payer_account_id": "111122223333",
            "line_item_usage_account_id": "111122223333",
            "line_item_line_item_type": r.line_type,
            "line_item_usage_start_date": r.start,
            "line_item_usage_end_date": r.start.replace(minute=59, second=59),
            "line_item_product_code": "AmazonBedrock",
            "product_servicecode": "AmazonBedrock",
            "line_item_usage_type": r.usage_type,
            "line_item_operation": "InvokeModelInference",
            "line_item_resource_id": r.resource_id,
            "line_item_usage_amount": r.tokens,
            "pricing_unit": "Tokens",
            "line_item_unblended_rate": f"{r.cost / r.tokens if r.tokens else 0:.10f}",
            "line_item_unblended_cost": r.cost,
            "line_item_net_unblended_cost": r.cost,
            "line_item_iam_principal": r.principal,
            "resource_tags": list(r.tags.items()),
            "product": [("region", "us-east-1"), ("servicename", "Amazon Bedrock")],
        }
        for k, v in values.items():
            cols[k].append(v)
    pq.write_table(pa.table(cols, schema=CUR_SCHEMA), folder / "ccstream-cur-00001.snappy.parquet")
    return root


@dataclass(frozen=True)
class TokenPoint:
    ts: datetime
    user: str
    team: str
    model: str
    token_type: str
    tokens: float


def write_lake(root: Path, points: list[TokenPoint]) -> Path:
    by_hour: dict[tuple[int, int, int, int], list[TokenPoint]] = {}
    for p in points:
        by_hour.setdefault((p.ts.year, p.ts.month, p.ts.day, p.ts.hour), []).append(p)
    for (y, m, d, h), pts in by_hour.items():
        folder = root / "metrics" / f"year={y}" / f"month={m}" / f"day={d}" / f"hour={h}"
        folder.mkdir(parents=True)
        table = pa.table(
            {
                "timestamp": pa.array([int(p.ts.timestamp() * 1000) for p in pts], pa.int64()),
                "metric": ["claude_code.token.usage"] * len(pts),
                "value": [p.tokens for p in pts],
                "token_usage": [p.tokens for p in pts],
                "unit": ["tokens"] * len(pts),
                "log_event_id": [str(i) for i in range(len(pts))],
                "event_key": [f"{y}{m}{d}{h}-{i}" for i in range(len(pts))],
                "point_index": pa.array([0] * len(pts), pa.int32()),
                "user_key": [p.user for p in pts],
                "model": [p.model for p in pts],
                "type": [p.token_type for p in pts],
                "team_id": [p.team for p in pts],
            }
        )
        pq.write_table(table, folder / "part-0.parquet")
    return root
