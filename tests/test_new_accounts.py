"""The ``new_accounts`` metric: prospects won into a portfolio per year (issue 20, part 5)."""

from __future__ import annotations

import logging

import pytest

from sim.config import load_config
from sim.simulation import run

SMALL = ["debug=small"]


@pytest.fixture(scope="module")
def result():
    logging.getLogger("MESA").setLevel(logging.WARNING)
    return run(load_config(SMALL), keep_deals=False)


def test_new_accounts_is_the_months_prospects_won_per_year_in_the_window(result):
    months = [row["new_accounts"] for row in result.timeseries]
    burn = load_config(SMALL).firm.burn_in
    window = months[burn:]
    assert all(float(m).is_integer() and m >= 0 for m in months)
    assert result.metrics["new_accounts"] == pytest.approx(sum(window) / len(window) * 12)
    assert result.metrics["new_accounts"] > 0


def test_without_hunting_no_account_is_won():
    logging.getLogger("MESA").setLevel(logging.WARNING)
    res = run(load_config([*SMALL, "market.hunting_rate=0"]))
    assert res.metrics["new_accounts"] == 0.0
