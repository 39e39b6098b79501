"""Benchmarks of the ccstream consumer: throughput, write amplification, freshness, memory, soak.

Each script is run from the repository root as `python -m benchmarks.<name> --help` and prints its figures, the
ratios measured in the same run and the machine it ran on. Results are recorded in `BENCHMARKS.md`. Tests only
check that the scripts run on tiny inputs; no figure here is ever asserted on wall-clock time.
"""
