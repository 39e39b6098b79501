"""Turn CloudFormation failure reasons into a sentence saying how to fix them."""

from __future__ import annotations

import re

_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"lake ?formation|Insufficient .*permissions? .*(database|catalog)", re.IGNORECASE),
        "Lake Formation governs this account's Glue catalog: make the deploying principal a data lake "
        "administrator (Lake Formation console → Administrative roles) or grant it CREATE_DATABASE with "
        "`aws lakeformation grant-permissions --principal DataLakePrincipalIdentifier=<your role ARN> "
        "--permissions CREATE_DATABASE --resource '{\"Catalog\":{}}'`, then deploy again.",
    ),
    (
        re.compile(r"already exists", re.IGNORECASE),
        "a resource with this name already exists outside this stack: delete it, or deploy with another --prefix.",
    ),
    (
        re.compile(r"not authorized to perform|AccessDenied|is not authorized", re.IGNORECASE),
        "the deploying principal lacks the IAM permission named above; add it (or deploy with an admin role).",
    ),
    (
        re.compile(r"LimitExceeded|limit exceeded|quota", re.IGNORECASE),
        "an account quota is reached: raise it in Service Quotas or lower the requested size (e.g. --shards).",
    ),
    (
        re.compile(r"certificate", re.IGNORECASE),
        "pass an issued ACM certificate in this region with --certificate-arn (aws acm list-certificates).",
    ),
    (
        re.compile(r"subscription filter", re.IGNORECASE),
        "a log group takes at most 2 subscription filters: remove an unused one "
        "(aws logs describe-subscription-filters --log-group-name /aws/claude-code/metrics).",
    ),
)


def fix_for(reason: str) -> str | None:
    """The first hint whose pattern matches `reason`, or None."""
    for pattern, hint in _HINTS:
        if pattern.search(reason):
            return hint
    return None
