"""The Python twin of the collector's pseudonyms against the vectors both suites read (computed with openssl)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from consumers.errors import ConfigError
from consumers.identity.pseudonym import keyring_from_environ, month_of, normalise, parse_keyring

VECTORS = json.loads(Path(__file__).with_name("pseudonym_vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: f"{v['identity']!r}@{v['month']}")
def test_shared_vectors(vector: dict[str, str]) -> None:
    ring = parse_keyring(json.dumps(VECTORS["keys"]))
    assert normalise(vector["identity"]) == vector["normalised"]
    assert ring.of(vector["identity"], vector["month"]) == vector["pseudonym"]


def test_the_vectors_cover_rotation_and_the_month_before_every_key() -> None:
    kinds = {(v["month"] < "2026-07", v["pseudonym"][:5]) for v in VECTORS["vectors"]}
    assert kinds == {(True, "p-k1-"), (False, "p-k2-")}
    assert any(v["month"] < "2026-01" for v in VECTORS["vectors"])


def test_month_is_the_utc_month() -> None:
    # 00:30 on 1 July in UTC+2 is still June in UTC.
    local = datetime(2026, 7, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert month_of(local) == "2026-06"
    assert month_of(datetime(2026, 7, 1, 0, 0, tzinfo=UTC)) == "2026-07"


@pytest.mark.parametrize(
    "text",
    [
        "keys",
        '{"keys": []}',
        '{"keys": [{"id": "k-1", "from": "2026-01", "secret": "AAECAwQFBgcICQoLDA0ODw=="}]}',
        '{"keys": [{"id": "k1", "from": "2026-13", "secret": "AAECAwQFBgcICQoLDA0ODw=="}]}',
        '{"keys": [{"id": "k1", "from": "2026-01", "secret": "%%%"}]}',
        '{"keys": [{"id": "k1", "from": "2026-01", "secret": "AAEC"}]}',
    ],
)
def test_bad_keyrings_are_refused_without_showing_the_secret(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_keyring(text)
    assert "AAECAwQFBgcICQoLDA0ODw" not in str(err.value)


def test_the_keys_come_from_the_environment() -> None:
    with pytest.raises(ConfigError, match="CCSTREAM_IDENTITY_KEYS"):
        keyring_from_environ({})
    assert keyring_from_environ({"CCSTREAM_IDENTITY_KEYS": json.dumps(VECTORS["keys"])}).keys[0].id == "k1"
