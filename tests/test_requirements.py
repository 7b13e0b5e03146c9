"""Requirements, hand-offs and integration (issue 17): kernels, a constructed case, and the firm.

Worked examples with literal numbers for the kernels of :mod:`sim.firm.requirements`; a
constructed case where the silo's fit gap exceeds the triangle's by more on every added line;
the draws' own stream; and (slow) the statistical tests the issue states, each committed with
its expected value before the first comparison run: at size s, 20 seeds paired by seed, both
tiering modes, ``commission`` and ``gain_sharing`` (80 paired units), on the reference key
accounts

* with hand-off noise on, the silo's fit gap exceeds the triangle's on 2- and 3+-line deals,
  and the difference grows with the lines (1 < 2 < 3+, each step's 95 % interval above 0);
* with ``org.handoff_noise=0`` and ``market.complementary_fit=false`` the triangle − silo win
  rate gap is the same on every line count: the 90 % interval of (gap on 2 lines − gap on 1)
  and of (gap on 3+ − gap on 1) lies within ±1.5 pp (two one-sided tests at 5 %).
"""

from __future__ import annotations

import functools
import logging
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from sim.config import load_config
from sim.firm import requirements as rq
from sim.firm.ledger import Deals, Lines
from sim.firm.pipeline import fit
from sim.simulation import plain, run
from sim.stats import mean_ci

# -- kernels ----------------------------------------------------------------------------------

def test_squared_errors_add_the_ars_and_the_unrepaired_hand_off():
    # (1 − 0.4)² · 0.25 + (1 − 0.5)² · 1.0 = 0.09 + 0.25
    e = rq.squared_errors(np.array([[0.25, 0.0]]), np.array([[1.0, 0.0]]), np.array([0.4]),
                          np.array([0.5]))
    assert e == pytest.approx(np.array([[0.34, 0.0]]))


def test_closeness_is_the_weakest_line_or_the_mean_over_the_deals_lines():
    err2 = np.array([[0.5, 2.0, 0.0, 0.0]])  # a 2-line deal (lines 3 and 4 not in it)
    k1, k2 = np.exp(-0.25), np.exp(-1.0)  # 0.7788, 0.3679
    assert rq.closeness(err2, np.array([2]), True) == pytest.approx([k2])
    assert rq.closeness(err2, np.array([2]), False) == pytest.approx([(k1 + k2) / 2])
    assert rq.fit_gap(err2) == pytest.approx([np.sqrt(2.5)])


def test_integration_is_the_weakest_of_coordination_and_support_within_0_and_1():
    assert rq.integration(np.array([1.7, 0.4, 0.9]), np.array([0.8, 1.0, -0.1])) == \
        pytest.approx([0.8, 0.4, 0.0])


def test_hand_offs_happen_on_lines_someone_else_designs_and_never_in_a_triangle():
    bits = np.array([[1.0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 1, 0], [1, 1, 1, 1]])
    strategic = np.array([False, False, True, True])
    integrated = np.array([True, False, False, True])
    team = np.array([-1, -1, -1, 4])
    off = rq.handed_off(bits, strategic, integrated, True, team)
    # integrated: FR on every line; single hardware line: nobody; single strategic line: SR;
    # the triangle's deal: the members share the AR's signal.
    assert off.tolist() == [[1, 0, 1, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert rq.handed_off(bits, strategic, integrated, False, team)[2].tolist() == [0, 0, 0, 0]


def test_fit_reads_closeness_on_every_deal_in_place_of_assigned_integration(params):
    mp = params.market
    args = (np.array([0.9, 1.0]), np.array([0.8, 1.0]), np.array([0.7, 1.0]), np.array([0.2, 0.2]),
            np.array([True, False]), np.array([True, False]), 0.9, mp)
    close = np.array([0.95, 0.6])
    # min(0.9, 0.8, 0.7, 0.95) · 0.9 = 0.63; a single standard line: closeness 0.6 · 0.9 = 0.54
    assert fit(*args, close=close) == pytest.approx([0.63, 0.54])
    from dataclasses import replace
    additive = replace(mp, complementary_fit=False)
    # the mean of the inputs needed: (0.9 + 0.8 + 0.7 + 0.95) / 4 · 0.9; the single line: 0.6
    assert fit(*args[:-1], additive, close=close) == pytest.approx([0.75375, 0.54])


@pytest.fixture(scope="module")
def params():
    from sim.firm.params import Params

    return Params.from_config(plain(load_config(["debug=small"])))


# -- a constructed case -------------------------------------------------------------------------

def test_constructed_silo_gap_exceeds_the_triangles_by_more_on_every_added_line():
    """Unit draws on every line, relationship 0.4, no integration, default noises (0.5, 1.0).

    Triangle: err² = 0.36 · 0.25 = 0.09 per line; silo: + 1.0. Gap difference
    (√1.09 − √0.09)·√n = 0.7440·√n: 0.744, 1.052, 1.289, 1.488 for 1–4 lines.
    """
    diffs = []
    for n in range(1, 5):
        bits = np.zeros((1, 4))
        bits[0, :n] = 1
        ar2 = 0.25 * bits
        gap = {}
        for org, team in (("silo", -1), ("triangle", 0)):
            off = rq.handed_off(bits, np.ones(4, bool), np.array([n >= 2]), True,
                                np.array([team]))
            err2 = rq.squared_errors(ar2, 1.0 * off, np.array([0.4]), np.array([0.0]))
            gap[org] = float(rq.fit_gap(err2)[0])
        diffs.append(gap["silo"] - gap["triangle"])
    assert diffs == pytest.approx([0.74403, 1.05222, 1.28870, 1.48806], abs=1e-5)


# -- draws --------------------------------------------------------------------------------------

def test_requirement_draws_cover_each_new_deals_lines_only_once():
    d = Deals(capacity=2)
    d.add(lines=np.array([0b0101, 0b0010], dtype=np.int64), value=np.ones(2))
    lines = Lines(names=("a", "b", "c", "d"), margin=np.full(4, 0.4),
                  strategic=np.array([False, False, True, True]))
    req = rq.Requirements(lines, capacity=1)
    rng, rng_t = np.random.default_rng(1), np.random.default_rng(2)
    req.extend(d, rng, rng_t)
    d.add(lines=np.array([0b1111, 0, 0b0011], dtype=np.int64), value=np.ones(3),
          run_rate=np.array([False, True, False]), tender=np.array([False, False, True]))
    req.extend(d, rng, rng_t)
    req.extend(d, rng, rng_t)  # nothing new: nothing drawn
    assert req.z2.shape == (5, 4) and np.isnan(req.gap).all()
    assert ((req.z2 > 0) == (lines.bits(d.lines) > 0)).all()  # a run-rate order: none
    assert ((req.eta2 > 0) == (req.z2 > 0)).all()
    # arrivals from one stream in order, the stream's tender from the other
    first = np.random.default_rng(1).standard_normal((3, 2, 4))
    assert req.z2[2] == pytest.approx(first[2, 0] ** 2)
    assert req.z2[4, :2] == pytest.approx(np.random.default_rng(2).standard_normal((1, 2, 4))[
        0, 0, :2] ** 2)


def _stepped(*overrides: str, months: int = 8) -> object:
    from sim.firm.model import Firm

    firm = Firm(plain(load_config(["debug=small", *overrides])))
    for _ in range(months):
        firm.step()
    return firm


def test_the_mechanism_draws_from_its_own_stream():
    """Switching closeness on leaves every deal's arrival draws as they were."""
    firms = [_stepped(f"market.solution_fit={m}") for m in ("assigned", "closeness")]
    a, b = (f.deals for f in firms)
    for key in ("account", "value", "lines", "created", "u_ati", "u_atb", "u_atc"):
        assert np.array_equal(getattr(a, key)[~a.run_rate], getattr(b, key)[~b.run_rate]), key
    assert firms[0].requirements is None and firms[1].requirements is not None


def test_every_arrival_keeps_its_requirement_under_every_scheme_even_with_tenders():
    """Common random numbers: a tender stream whose size depends on behaviour shifts nothing."""
    firms = [_stepped("market.tender.per_month=3", "tiering=by_unit", f"scheme={s}", "seed=1",
                      months=26)
             for s in ("commission", "gain_sharing")]
    rows = []
    for f in firms:
        d = f.deals
        arrival = np.flatnonzero(~d.run_rate & ~d.tender)
        rows.append((d.created[arrival], d.account[arrival], f.requirements.z2[arrival],
                     f.requirements.eta2[arrival]))
    for x, y in zip(*rows, strict=True):
        assert np.array_equal(x, y)
    # the schemes brought different numbers of tenders (75 and 74; over 14 months, since issue
    # 20's deal timing, both brought 42): the test can see a shift
    assert len({int(f.deals.tender.sum()) for f in firms}) == 2


# -- the firm (slow) ------------------------------------------------------------------------------

SEEDS = tuple(range(20))
CELLS = [(t, s) for t in ("by_unit", "company") for s in ("commission", "gain_sharing")]
SWITCHED_OFF = ("org.handoff_noise=0", "market.complementary_fit=false")


def _one(args: tuple[tuple[str, ...], int]) -> dict[str, float]:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    return run(load_config([*args[0], f"seed={args[1]}"])).metrics


@functools.cache
def _units(extra: tuple[str, ...]) -> dict[str, dict[str, np.ndarray]]:
    """Per org, metric → values over the 80 (cell, seed) units, in the same order."""
    arms = [(f"tiering={t}", f"scheme={s}", f"org={o}", *extra)
            for t, s in CELLS for o in ("silo", "iron_triangle")]
    tasks = [(a, k) for a in arms for k in SEEDS]
    with ProcessPoolExecutor(2) as pool:
        got = dict(zip(tasks, pool.map(_one, tasks, chunksize=4), strict=True))
    out: dict[str, dict[str, np.ndarray]] = {}
    for o in ("silo", "iron_triangle"):
        rows = [got[(a, k)] for a in arms if a[2] == f"org={o}" for k in SEEDS]
        out[o] = {key: np.array([r[key] for r in rows]) for key in rows[0]}
    return out


@pytest.mark.slow
def test_silo_fit_gap_exceeds_the_triangles_and_the_difference_grows_with_lines():
    u = _units(())
    d = {n: u["silo"][f"key_fit_gap_lines_{n}"] - u["iron_triangle"][f"key_fit_gap_lines_{n}"]
         for n in ("1", "2", "3plus")}
    for n in ("2", "3plus"):
        assert mean_ci(d[n]).low > 0, (n, mean_ci(d[n]))
    for lo, hi in (("1", "2"), ("2", "3plus")):
        step = mean_ci(d[hi] - d[lo])
        assert step.low > 0, (lo, hi, step)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "a known failure (docs/validation.md, issue 17): with both switches off the triangle's "
    "advantage is 2.1 pp smaller on 2-line than on 1-line deals (90 % CI −2.7 to −1.4 pp): its "
    "one FR covers multi-line deals' per-line need worse than the pools do; the next test "
    "checks that cause. No default was moved."))
def test_without_hand_off_noise_and_weakest_line_the_triangle_gap_is_equal_across_lines():
    u = _units(SWITCHED_OFF)
    gap = {n: u["iron_triangle"][f"key_win_rate_lines_{n}"] - u["silo"][f"key_win_rate_lines_{n}"]
           for n in ("1", "2", "3plus")}
    for n in ("2", "3plus"):
        s = mean_ci(gap[n] - gap["1"], level=0.90)
        assert -0.015 < s.low and s.high < 0.015, (n, s)


@pytest.mark.slow
def test_without_the_information_channels_the_triangles_multi_line_deals_get_less_support():
    """The cause of the known failure above, measured on the same runs.

    With hand-off noise and the weakest line off, what is left of the triangle − silo gradient
    is support: the triangle firm's key-account deals spanning 2 lines are covered worse,
    against the silo's, than its 1-line deals (each triangle has one FR, and FR need grows
    per line).
    """
    u = _units(SWITCHED_OFF)
    cover = {n: u["iron_triangle"][f"key_support_lines_{n}"] - u["silo"][f"key_support_lines_{n}"]
             for n in ("1", "2")}
    assert mean_ci(cover["2"] - cover["1"]).high < 0, mean_ci(cover["2"] - cover["1"])
