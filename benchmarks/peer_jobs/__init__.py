"""The peer engines' side of `benchmarks/peers.py`: each job runs in its own pinned venv (`.cache/peers/<engine>`),
imports only the standard library, its engine and `points` below, reads a job spec (JSON) and writes its totals."""
