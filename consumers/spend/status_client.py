"""A reference client of the budget status endpoint, for a credential helper or gateway written in Python.

The function URL has `AuthType: AWS_IAM`, so each request is signed with SigV4 for the service `lambda` with the
caller's own credentials (a role allowed `lambda:InvokeFunctionUrl` on the function). A credential helper would:

    decision = ask_budget_status(url, "jane.doe@example.com", groups=("contractors",))
    if not decision["allow"]:
        sys.exit(f"Claude Code is paused for you this month: {decision['reason']}")

and otherwise go on issuing the developer's Bedrock credentials. Any HTTP client that signs SigV4 works the same.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


def signed_request(url: str, user: str, groups: tuple[str, ...], session: Any, region: str) -> urllib.request.Request:
    query = {"user": user, **({"groups": ",".join(groups)} if groups else {})}
    full = f"{url.rstrip('/')}/?{urllib.parse.urlencode(query)}"
    request = AWSRequest(method="GET", url=full)
    SigV4Auth(session.get_credentials().get_frozen_credentials(), "lambda", region).add_auth(request)
    return urllib.request.Request(full, headers=dict(request.headers.items()), method="GET")


def ask_budget_status(
    url: str, user: str, groups: tuple[str, ...] = (), session: Any = None, region: str | None = None
) -> dict[str, Any]:
    """The endpoint's answer (`allow`, `reason`, `budget`, `sets`) for `user`, signed with `session`'s credentials."""
    session = session or boto3.Session()
    region = region or session.region_name or "us-east-1"
    with urllib.request.urlopen(signed_request(url, user, groups, session, region), timeout=10) as resp:
        return dict(json.loads(resp.read()))
