"""Which identities a dead letter mentions (writers drop the letters of forgotten people; the list holds hashes)."""

from __future__ import annotations

import base64
import gzip
import json

from consumers.privacy.forgetlist import ForgetSnapshot, identity_hash
from consumers.privacy.mentions import identities_in

LINE = json.dumps({"_aws": {"Timestamp": 1}, "user.email": "Jane.Doe@Example.com", "user.id": "ab" * 32, "x": 1})


def test_an_emf_line_names_its_user_attributes() -> None:
    assert {"Jane.Doe@Example.com", "ab" * 32} <= identities_in(LINE)


def test_a_base64_gzipped_record_is_opened() -> None:
    envelope = {"messageType": "DATA_MESSAGE", "logEvents": [{"id": "1", "timestamp": 1, "message": LINE}]}
    payload = base64.b64encode(gzip.compress(json.dumps(envelope).encode())).decode()
    assert "Jane.Doe@Example.com" in identities_in(payload)


def test_a_cut_payload_still_yields_the_tokens_it_holds() -> None:
    cut = LINE[: LINE.index('"x"')]  # not JSON any more
    assert {"Jane.Doe@Example.com", "ab" * 32} <= identities_in(cut)
    assert "p-k1-" + "0" * 32 in identities_in('{"user.email": "p-k1-' + "0" * 32)


def test_the_snapshot_matches_normalised_identities_only() -> None:
    snap = ForgetSnapshot(1, frozenset({identity_hash("jane.doe@example.com")}))
    assert snap.mentions_forgotten(LINE)
    assert not snap.mentions_forgotten(LINE.replace("Jane.Doe", "John.Doe"))
    assert not ForgetSnapshot().mentions_forgotten(LINE)
    doc = {"users": {"JANE.DOE@example.com ": [{}, []], "bob@example.com": [{}, []]}}
    assert snap.filter_user_doc(doc) == {"users": {"bob@example.com": [{}, []]}}
    untouched = {"users": {"bob@example.com": [{}, []]}}
    assert snap.filter_user_doc(untouched) is untouched
