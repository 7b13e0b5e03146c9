"""Statistical helpers on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from sim.stats import holm, mean_ci, paired

T975_2 = 4.302652729749462  # t quantile, 2 df (tables: 4.303)
T975_3 = 3.1824463052837078  # 3 df (tables: 3.182)


def test_mean_ci_of_one_two_three():
    s = mean_ci([1.0, 2.0, 3.0])
    assert s.n == 3 and s.mean == 2.0 and s.sd == pytest.approx(1.0)
    half = T975_2 / math.sqrt(3)
    assert (s.low, s.high) == pytest.approx((2 - half, 2 + half))


def test_mean_ci_drops_failed_replications_and_handles_one_value():
    assert mean_ci([1.0, float("nan"), 3.0]).n == 2
    one = mean_ci([5.0])
    assert (one.n, one.low, one.high) == (1, 5.0, 5.0)
    assert math.isnan(mean_ci([]).mean)


def test_paired_worked_example():
    # d = 2, 3, 4, 5: mean 3.5, sd sqrt(5/3), t = 5.4222 on 3 df, baseline mean 2.5.
    r = paired([3.0, 5.0, 7.0, 9.0], [1.0, 2.0, 3.0, 4.0])
    sd = math.sqrt(5 / 3)
    assert r.n == 4 and r.diff == pytest.approx(3.5)
    assert (r.low, r.high) == pytest.approx((3.5 - T975_3 * sd / 2, 3.5 + T975_3 * sd / 2))
    assert r.pct == pytest.approx(3.5 / 2.5)
    assert r.d_z == pytest.approx(3.5 / sd)
    assert r.p_t == pytest.approx(0.012307551821486276)
    # Wilcoxon: all four differences positive, W- = 0, exact two-sided p = 2/16.
    assert r.p_wilcoxon == pytest.approx(0.125)


def test_paired_sign_flips_with_the_order():
    a, b = [3.0, 5.0, 7.0, 9.0], [1.0, 2.0, 3.0, 4.0]
    assert paired(b, a).diff == -paired(a, b).diff
    assert paired(b, a).d_z == -paired(a, b).d_z


def test_paired_drops_pairs_with_a_failed_side_and_checks_lengths():
    r = paired([3.0, float("nan"), 7.0], [1.0, 2.0, float("nan")])
    assert r.n == 1 and r.diff == 2.0
    with pytest.raises(ValueError, match="paired"):
        paired([1.0, 2.0], [1.0])


def test_paired_identical_runs_have_no_effect():
    r = paired([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert r.diff == 0 and r.p_t == 1.0 and r.d_z == 0 and math.isnan(r.p_wilcoxon)


def test_holm_step_down_by_hand():
    # Sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> monotone 0.06.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_ignores_missing_p_values_and_caps_at_one():
    out = holm([0.5, float("nan"), 0.6])
    assert math.isnan(out[1])
    assert out[0] == pytest.approx(1.0) and out[2] == pytest.approx(1.0)
