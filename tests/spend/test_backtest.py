"""The forecast's backtest on a simulated quarter: the figure BENCHMARKS.md states, and that the band is honest."""

from __future__ import annotations

from consumers.spend.backtest import Population, run


def test_band_held_the_stated_share_of_real_month_ends() -> None:
    result = run(Population())
    overall = result.overall
    # Stated in BENCHMARKS.md ("python -m benchmarks.spend_backtest"): 4,238 of 4,695 = 90.3 %.
    assert (overall.held, overall.total) == (4238, 4695)
    # A nominal 90 % band that holds 80-95 % of the time: neither a band so wide it says nothing, nor overconfident.
    assert 0.80 <= overall.coverage <= 0.95
    assert all(t.coverage >= 0.75 for t in result.by_day.values())
    assert result.by_scope["org"].coverage == 1.0 and result.by_scope["team"].coverage > 0.8


def test_more_days_seen_means_a_better_projection() -> None:
    by_day = run(Population(users=60, teams=4, seed=7)).by_day
    errors = [sorted(t.errors)[len(t.errors) // 2] for _, t in sorted(by_day.items())]
    assert errors[-1] < errors[0]  # day 25's median error is below day 5's


def test_the_benchmark_script_prints_the_figures(capsys) -> None:  # type: ignore[no-untyped-def]
    from benchmarks import spend_backtest

    assert spend_backtest.main(["--users", "20", "--teams", "3"]) == 0
    out = capsys.readouterr().out
    assert "overall: band held" in out and "as of day 25" in out and "20 developers in 3 teams" in out
