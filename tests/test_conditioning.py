"""Issue 19: peer conditioning (Che & Yoo 2001), the technology's parts with literal numbers.

The learned-against-derived check is ``sim.theory_upside`` ``conditioning``
(tests/test_theory_checks.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.behavior import Learner, LearnerParams
from sim.behavior.conditioning import PeerConditioning
from sim.effort import EffortSpace

COND = PeerConditioning(task="output", edges=(0.25, 0.5, 0.75, 1.0), weight=0.9)


def test_bins_peers_and_what_a_candidate_sends_them() -> None:
    np.testing.assert_array_equal(COND.bin(np.array([0.0, 0.25, 0.49, 0.5, 1.2])),
                                  [0, 1, 1, 2, 4])
    np.testing.assert_array_equal(COND.peers(6, 3), [[1, 2], [2, 0], [0, 1], [4, 5], [5, 3],
                                                     [3, 4]])
    level = np.array([0.2, 0.4, 0.6, 0.9, 0.9, 0.9])
    # the others' mean: (0.4 + 0.6)/2 = 0.5 → bin 2; (0.2 + 0.6)/2 = 0.4 → 1; 0.3 → 1; 0.9 → 3
    np.testing.assert_array_equal(COND.observed(level, 3), [2, 1, 1, 3, 3, 3])
    # person 0's candidates 0.2 (as played) and 1.0: peer 1 sees (0.6 + c)/2, peer 2 (0.4 + c)/2
    sent = COND.sent(level, np.array([[0.2, 1.0]] * 6), 3)
    np.testing.assert_array_equal(sent[0], [[1, 3], [1, 2]])
    assert sent.shape == (6, 2, 2)


@pytest.mark.parametrize("bad", [{"edges": ()}, {"edges": (0.5, 0.25)}, {"weight": 1.5}])
def test_a_bad_conditioning_is_refused(bad: dict) -> None:
    with pytest.raises(ValueError, match="conditioning"):
        PeerConditioning(**{"task": "output", "edges": (0.5,), **bad})


def test_what_others_expect_in_a_state_one_has_not_been_in() -> None:
    """Two states; person 0 has been in state 1 only, person 1 in none yet."""
    space = EffortSpace(("output",), 1.0, 0.5, np.array([[1.0]]))  # grid 0, 0.5, 1
    lr = Learner(space, LearnerParams(precision=50.0), np.array([[0.5], [0.5]]), n_states=2)
    u = np.zeros((2, 1, 3))
    u[0, 0] = [0.0, 0.0, 1.0]  # state 1 of person 0 learns that 1.0 is best
    lr.update(u, np.array([[1], [1]]), state=np.array([1, 0]), who=np.array([True, False]))
    policy = lr.policy_by_state()[:, :, 0]
    assert policy[0, 1] > 0.6
    assert policy[0, 0] == policy[0, 1]  # unexplored: as where one has been
    np.testing.assert_allclose(policy[1], [0.5, 0.5])  # nothing visited: the prior


def test_the_peers_response_is_priced_by_a_pool_and_worth_nothing_under_a_piece_rate() -> None:
    """After a few periods of learning: a pool prices the response, a piece rate gives zeros."""
    from sim.plans import build_plan
    from sim.theory import ReducedModel
    from sim.theory_base import pool_plan

    space = EffortSpace(("output",), 2.5, 0.005, np.array([[1.0]]))
    params = LearnerParams(precision=2000.0, recency=0.99, experience_decay=0.99,
                           prior_precision=0.1)
    plans = {"pool": pool_plan(1.0, 1.0),
             "piece": build_plan({"kind": "commission", "measure": "output", "rate": 0.5})}
    seen = {}
    for name, plan in plans.items():
        model = ReducedModel(plan, space, params, n_people=6, team_size=3, work_group=3,
                             sigma=0.2, baseline=1.0, prior=[0.5], seed=3, conditioning=COND)
        calls: list[float] = []
        real = model.peer_response

        def spy(*args, _real=real, _calls=calls):
            out = _real(*args)
            _calls.append(float(np.abs(out).max()))
            return out

        model.peer_response = spy  # type: ignore[method-assign]
        for _ in range(30):
            model.step()
        seen[name] = max(calls)
    assert seen["piece"] == 0.0
    assert seen["pool"] > 1e-4


def test_a_mean_on_an_edge_is_in_the_bin_above_whatever_the_rounding() -> None:
    grid = np.round(np.arange(0, 1.005, 0.005), 3)
    # every pair of grid levels whose mean is exactly 0.5: the bin [0.5, 0.75) (index 2)
    a = grid[grid <= 0.5]
    b = np.round(1.0 - a, 3)
    level = np.stack([np.zeros_like(a), a, b], axis=1).ravel()  # groups of 3: (x, a, b)
    np.testing.assert_array_equal(COND.observed(level, 3)[0::3], 2)
    # the realised level sends each peer to the bin that peer observes
    rng = np.random.default_rng(5)
    for n in (2, 3, 6):
        lv = rng.choice(grid, 600)
        sent = COND.sent(lv, lv[:, None], n)[:, :, 0]
        np.testing.assert_array_equal(sent, COND.observed(lv, n)[COND.peers(lv.size, n)])


def test_conditioning_needs_work_groups_inside_one_pool() -> None:
    from sim.theory import ReducedModel
    from sim.theory_base import pool_plan

    space = EffortSpace(("output",), 2.5, 0.005, np.array([[1.0]]))
    with pytest.raises(ValueError, match="inside one pool"):
        ReducedModel(pool_plan(1.0, 1.0), space, LearnerParams(precision=10.0), n_people=8,
                     team_size=2, work_group=4, sigma=0.2, baseline=1.0, prior=[0.5], seed=1,
                     conditioning=COND)


def test_with_a_discount_the_next_bin_is_the_state_a_candidate_leads_to() -> None:
    """A one-state plan and γ > 0: the learner is given each candidate's next state."""
    from sim.plans import build_plan
    from sim.theory import ReducedModel

    space = EffortSpace(("output",), 2.5, 0.005, np.array([[1.0]]))
    plan = build_plan({"kind": "commission", "measure": "output", "rate": 0.5})
    model = ReducedModel(plan, space, LearnerParams(precision=10.0, discount=0.5), n_people=6,
                         team_size=3, work_group=3, sigma=0.2, baseline=1.0, prior=[0.5], seed=1,
                         conditioning=COND)
    seen = []
    real = model.learner.update

    def spy(*args, **kwargs):
        seen.append(kwargs.get("next_state"))
        return real(*args, **kwargs)

    model.learner.update = spy  # type: ignore[method-assign]
    model.step()
    assert seen[0] is not None and seen[0].shape == (6, 1, space.grid.size)
    np.testing.assert_array_equal(seen[0][:, 0, 0], model.decision_state)
