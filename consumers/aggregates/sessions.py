"""Distinct sessions per user and window: exact up to a limit, then an HLL sketch (Apache DataSketches).

A person opens a few dozen sessions a day; a CI bot running `claude -p` per build can open tens of thousands, which
would make its user row grow without bound. Past `limit` session ids a user's entry switches to an HLL sketch of
`LG_K` (≈ 4 KB, ≈ 1.6 % standard error). An HLL keeps the maximum per register, so it depends only on the set of
ids added, not their order: a replay gives the same sketch, and sketches of several shards union exactly as their
sets would. Counts read from a sketch say so (`SessionCount.approximate`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

LG_K = 12
#: HLL_8: one byte per register, the fastest to update and union.
_TYPE = "HLL_8"


def _lib() -> Any:
    """The HLL classes: DataSketches' compiled module itself. Its `datasketches` package only re-exports them plus
    helpers that import numpy, which the Lambda package (whose dashboard and rollup read sketches) leaves out."""
    import _datasketches

    return _datasketches


def new_sketch() -> Any:
    lib = _lib()
    return lib.hll_sketch(LG_K, getattr(lib.tgt_hll_type, _TYPE))


def sketch_of(ids: Iterable[str], into: Any = None) -> Any:
    sketch = new_sketch() if into is None else into
    for sid in ids:
        sketch.update(sid)
    return sketch


def load_sketch(data: bytes) -> Any:
    return _lib().hll_sketch.deserialize(bytes(data))


def dump_sketch(sketch: Any) -> bytes:
    return bytes(sketch.serialize_compact())


@dataclass(frozen=True, slots=True)
class SessionCount:
    value: float
    approximate: bool = False


def union_sketch(sketches: Iterable[Any], ids: Iterable[str] = ()) -> Any:
    """One sketch of the union of `sketches` (None entries skipped) and the exact `ids`."""
    lib = _lib()
    union = lib.hll_union(LG_K)
    for s in sketches:
        if s is not None:
            union.update(s)
    return sketch_of(sorted(ids), union.get_result(getattr(lib.tgt_hll_type, _TYPE)))


def count_sessions(exact: Iterable[set[str]], sketches: Iterable[Any]) -> SessionCount:
    """Distinct sessions over exact id sets and sketches (their union, as if every id had been kept)."""
    ids: set[str] = set().union(*exact)
    present = [s for s in sketches if s is not None]
    if not present:
        return SessionCount(float(len(ids)))
    return SessionCount(float(round(union_sketch(present, ids).get_estimate())), approximate=True)
