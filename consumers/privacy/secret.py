"""The identity-keys secret: created once, in the shape the collector and `whois` read, with a first random key.

CloudFormation cannot generate this JSON shape, so `ccstream deploy --identity-mode pseudonymous` creates the secret
through the API (`ensure_identity_keys`) and passes its ARN to the monitoring stack, which scopes who may read it.
Rotation: add a key whose `from` is next month (`new_key_document(..., existing=...)`), never remove one still
covering stored data."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from consumers.config import Names
from consumers.identity.pseudonym import parse_keyring
from consumers.privacy.keys import secret_name


def new_key_document(now: datetime | None = None, existing: str | None = None) -> str:
    """A key document: `existing` plus a new key from next month, or a first key `k1` from this month."""
    now = now or datetime.now(UTC)
    if existing is None:
        keys: list[dict[str, str]] = []
        month = now.strftime("%Y-%m")
    else:
        keys = json.loads(existing)["keys"]
        year, mon = (now.year, now.month + 1) if now.month < 12 else (now.year + 1, 1)
        month = f"{year:04d}-{mon:02d}"
    keys.append(
        {"id": f"k{len(keys) + 1}", "from": month, "secret": base64.b64encode(secrets.token_bytes(32)).decode()}
    )
    text = json.dumps({"keys": keys})
    parse_keyring(text)  # the shape every reader accepts
    return text


def ensure_identity_keys(client: Any, names: Names, kms_key_arn: str = "") -> str:
    """The ARN of `<prefix>/identity-keys`, creating it with a first key when it does not exist."""
    name = secret_name(names)
    try:
        return str(client.describe_secret(SecretId=name)["ARN"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
    kwargs: dict[str, Any] = {
        "Name": name,
        "Description": "ccstream pseudonym keys (README Privacy): HMAC keys by month; readers: collector, whois",
        "SecretString": new_key_document(),
    }
    if kms_key_arn:
        kwargs["KmsKeyId"] = kms_key_arn
    return str(client.create_secret(**kwargs)["ARN"])
