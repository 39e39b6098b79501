"""The budget status endpoint: a Lambda function URL with `AuthType: AWS_IAM` (infra/dashboard.yaml).

A credential helper (e.g. the one that issues a developer's Bedrock credentials) or a gateway calls it, signed with
SigV4 by a role allowed `lambda:InvokeFunctionUrl`, before letting a developer in:

    GET <function url>?user=jane.doe@example.com[&groups=contractors,ml]
    POST <function url>   {"user": "jane.doe@example.com", "groups": ["contractors"]}

and gets `{"user", "allow": true|false, "reason", "month", "budget": {limit, spent, share, projected_month_total,
runs_out_ms, limit_from, as_of_ms}, "sets": [...]}` (HTTP 200 either way; 400 without a user). The figures are
those the scheduled budget check stored (every `BudgetCheckMinutes`); see `status.py` for the rule. Denying is the
caller's decision: e.g. the credential helper refuses to issue credentials, or the gateway returns 429.
"""

from __future__ import annotations

import base64
import functools
import json
import time
from typing import Any

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.dashboard.config import load_config
from consumers.spend.status import StatusStore, decide


def _now_ms() -> int:
    return int(time.time() * 1000)


@functools.cache
def _client(endpoint_url: str | None, region: str) -> Any:
    return AwsTarget(endpoint_url, region).client("dynamodb")


def _response(status: int, doc: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(doc)}


def request_of(event: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """(user, groups) from a function URL event: query string (GET) or JSON body (POST)."""
    params = event.get("queryStringParameters") or {}
    user = str(params.get("user") or "").strip()
    groups = tuple(g.strip() for g in str(params.get("groups") or "").split(",") if g.strip())
    body = event.get("body")
    if body and not user:
        text = base64.b64decode(body).decode() if event.get("isBase64Encoded") else str(body)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = {}
        if isinstance(doc, dict):
            user = str(doc.get("user") or "").strip()
            raw = doc.get("groups") or []
            groups = tuple(str(g) for g in raw) if isinstance(raw, list) else groups
    return user, groups


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    user, groups = request_of(event)
    if not user or len(user) > 1024:
        return _response(400, {"error": "pass ?user=<e-mail or user.id> (at most 1024 characters)"})
    aws = AwsTarget.from_env()
    store = StatusStore(_client(aws.endpoint_url, aws.region), Names.from_env().table)
    decision = decide(load_config(), store, user, groups, _now_ms())
    return _response(200, decision.to_json())
