"""Where the identity keys come from: env `CCSTREAM_IDENTITY_KEYS` (local), else the AWS Secrets Manager secret
`<prefix>/identity-keys` (needs `secretsmanager:GetSecretValue` on it, and `kms:Decrypt` on its key when it has a
customer managed one: the operators' permission to resolve pseudonyms)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from consumers.collector.auth_settings import IDENTITY_MODE as MODE_ENV
from consumers.collector.auth_settings import IDENTITY_MODES as MODES
from consumers.config import Names
from consumers.errors import ConfigError
from consumers.identity.pseudonym import KEYS_ENV, Keyring, parse_keyring

__all__ = ["KEYS_ENV", "MODES", "MODE_ENV", "identity_mode", "load_keys", "secret_name"]


def secret_name(names: Names) -> str:
    return f"{names.prefix}/identity-keys"


def identity_mode(env: Mapping[str, str] | None = None) -> str:
    mode = (env if env is not None else os.environ).get(MODE_ENV, "plain") or "plain"
    if mode not in MODES:
        raise ConfigError(f"{MODE_ENV}={mode!r}: choose {' or '.join(MODES)}")
    return mode


def load_keys(secrets: Any | None, names: Names, env: Mapping[str, str] | None = None) -> Keyring:
    """The identity keys, from `CCSTREAM_IDENTITY_KEYS` or the secret (via a `secretsmanager` client)."""
    text = (env if env is not None else os.environ).get(KEYS_ENV)
    source = KEYS_ENV
    if not text:
        if secrets is None:
            raise ConfigError(f"no identity keys: set {KEYS_ENV} or give access to the secret {secret_name(names)}")
        source = f"secret {secret_name(names)}"
        try:
            text = secrets.get_secret_value(SecretId=secret_name(names))["SecretString"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise ConfigError(
                f"cannot read the identity keys from {source} ({code}): resolving pseudonyms needs "
                "secretsmanager:GetSecretValue on it (and kms:Decrypt on its key), or set " + KEYS_ENV
            ) from exc
    try:
        return parse_keyring(text or "")
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc
