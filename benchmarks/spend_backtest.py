"""Backtest of the budgets' month-end forecast on a simulated quarter (consumers/spend/backtest.py).

    python -m benchmarks.spend_backtest [--users 300] [--teams 12] [--seed 20261205]

For July, August and September 2026 and as-of days 5, 10, 15, 20 and 25, every developer's, team's and the org's
forecast (projection and nominal 90 % band, from the days before) is compared with the month's real total. Prints
how often the band held and the median error of the projection. Deterministic for a seed; no wall time involved.
"""

from __future__ import annotations

import argparse

from consumers.spend.backtest import Population, run, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--teams", type=int, default=12)
    parser.add_argument("--seed", type=int, default=Population().seed)
    args = parser.parse_args(argv)
    pop = Population(users=args.users, teams=args.teams, seed=args.seed)
    print(
        f"simulated quarter {pop.months[0]} … {pop.months[-1]}: {pop.users} developers in {pop.teams} teams, "
        f"seed {pop.seed}"
    )
    for line in summary(run(pop)):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
