"""Which identities a dead letter's text mentions, so that writers can drop the letters of forgotten people (the
forget list holds hashes only: the candidates are extracted, then looked up).

Candidates: the `user.*` values of an EMF line (or of every line of a base64, possibly gzipped, subscription
record), plus every token shaped like an e-mail, a pseudonym or a long hex id anywhere in the text (a cut payload
does not parse).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib

_TOKENS = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+|p-[\w.-]{1,64}-[0-9a-f]{32}|\b[0-9a-fA-F]{16,128}\b")
#: A payload decoded for the search is cut here (a record is at most 1 MiB; gzip bombs stop at this).
_MAX_DECODED = 16 << 20


def identities_in(text: str) -> set[str]:
    found = set(_TOKENS.findall(text))
    found |= _json_users(text)
    decoded = decoded_record(text)
    if decoded:
        found |= set(_TOKENS.findall(decoded)) | _json_users(decoded)
    return found


def _json_users(text: str) -> set[str]:
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return set()
    if isinstance(doc, dict) and isinstance(doc.get("logEvents"), list):
        out: set[str] = set()
        for ev in doc["logEvents"]:
            if isinstance(ev, dict) and isinstance(ev.get("message"), str):
                out |= _json_users(ev["message"])
        return out
    if not isinstance(doc, dict):
        return set()
    return {v for k, v in doc.items() if isinstance(k, str) and k.startswith("user.") and isinstance(v, str)}


def decoded_record(text: str) -> str:
    """The text of `text` read as base64 of a (possibly gzipped) record, cut at 16 MiB; "" when it is not one."""
    if len(text) < 8:
        return ""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return ""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = zlib.decompressobj(wbits=31).decompress(raw, _MAX_DECODED)
        except zlib.error:
            return ""
    return raw.decode("utf-8", "replace")
