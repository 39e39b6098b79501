"""The scheduled monthly spend report: the export's figures for a month, as S3 objects, announced on SNS.

On the 1st of each month (EventBridge, `infra/dashboard.yaml`) the function writes, for the month just ended,
`s3://<bucket>/<prefix>/<YYYY-MM>/spend-by-<user|team|cost_center|model>.csv` (the same rows as `ccstream export
--by ... --format csv`) and `summary.json` (totals, rate card, object keys), then publishes one notification with
the totals and where the files are. An event `{"month": "YYYY-MM"}` reruns a month; objects are overwritten with
the same content, so a rerun is harmless.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.query.reader import DynamoRowReader, RowReader
from consumers.spend.export import BY, CachedReader, ExportRow, export_rows, to_csv
from consumers.spend.months import Month
from schemas.ratecard import load_rate_card

log = logging.getLogger(__name__)

REPORT_BUCKET_ENV = "CCSTREAM_REPORT_BUCKET"
REPORT_PREFIX_ENV = "CCSTREAM_REPORT_PREFIX"
TOPIC_ENV = "CCSTREAM_ALERT_TOPIC_ARN"


@dataclass(frozen=True)
class MonthlyReport:
    month: str
    rate_card: dict[str, object]
    tables: dict[str, list[ExportRow]]

    def summary(self, keys: dict[str, str]) -> dict[str, object]:
        by_model = self.tables.get("model", [])
        return {
            "month": self.month,
            "prices": self.rate_card,
            "total_usd": round(sum(r.cost_usd for r in by_model), 2),
            "claude_code_estimate_usd": round(sum(r.claude_code_cost_usd for r in by_model), 2),
            "tokens": sum(r.tokens for r in by_model),
            "unpriced_tokens": sum(r.unpriced_tokens for r in by_model),
            "rows": {by: len(rows) for by, rows in self.tables.items()},
            "objects": keys,
        }


def build_report(reader: RowReader, month: Month) -> MonthlyReport:
    card = load_rate_card()
    reader = CachedReader(reader)
    tables = {by: export_rows(reader, by, month.start_ms, month.end_ms, card.card_id) for by in BY}
    return MonthlyReport(month.name, card.provenance(), tables)


def publish(report: MonthlyReport, s3: Any, bucket: str, prefix: str, sns: Any, topic: str | None) -> dict[str, object]:
    base = f"{prefix.strip('/')}/{report.month}" if prefix.strip("/") else report.month
    keys = {by: f"{base}/spend-by-{by}.csv" for by in report.tables}
    for by, rows in report.tables.items():
        s3.put_object(Bucket=bucket, Key=keys[by], Body=to_csv(rows), ContentType="text/csv")
    summary = report.summary({by: f"s3://{bucket}/{k}" for by, k in keys.items()})
    s3.put_object(
        Bucket=bucket,
        Key=f"{base}/summary.json",
        Body=json.dumps(summary, indent=2).encode(),
        ContentType="application/json",
    )
    if topic:
        top = sorted(report.tables.get("team", []), key=lambda r: -r.cost_usd)[:5]
        lines = [
            f"Claude Code spend {report.month}: {summary['total_usd']:,.2f} USD "
            f"(rate card {report.rate_card['rate_card']}; Claude Code's own estimate "
            f"{summary['claude_code_estimate_usd']:,.2f} USD; {summary['unpriced_tokens']:,.0f} unpriced tokens).",
            "Top teams: " + ", ".join(f"{r.group} {r.cost_usd:,.2f}" for r in top),
            f"Files: s3://{bucket}/{base}/ (spend-by-user/team/cost_center/model.csv, summary.json)",
        ]
        sns.publish(
            TopicArn=topic,
            Subject=f"ccstream spend report {report.month}",
            Message="\n".join(lines) + "\n\n" + json.dumps(summary, sort_keys=True),
        )
    return summary


def handler(event: dict[str, Any] | None = None, context: Any = None) -> dict[str, object]:
    """EventBridge (monthly) entry point: the previous month, or `event["month"]`."""
    event = event or {}
    month = Month.parse(event["month"]) if event.get("month") else Month.containing(int(time.time() * 1000)).previous
    aws = AwsTarget.from_env()
    bucket = os.environ[REPORT_BUCKET_ENV]
    reader = DynamoRowReader(aws.client("dynamodb"), Names.from_env().table)
    report = build_report(reader, month)
    summary = publish(
        report, aws.client("s3"), bucket, os.environ.get(REPORT_PREFIX_ENV, "spend-reports"), aws.client("sns"),
        os.environ.get(TOPIC_ENV, "").strip() or None,
    )  # fmt: skip
    log.info("monthly report %s: %s", month.name, json.dumps(summary))
    return summary
