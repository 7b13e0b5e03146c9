"""The firm's Mesa face (issue 13 point 5): people and triangles as agents over the arrays.

Views per role and triangle agents, AgentSet selection, Mesa's DataCollector and SolaraViz, and
that a job running many replications does not grow its memory (Mesa 3.3.1 keeps every model
that created agents alive unless it is released).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from sim.config import load_config
from sim.firm import RND, SALES, SUPPLY, Firm
from sim.firm.agents import (
    AccountManager,
    DeliveryEngineer,
    Person,
    SolutionEngineer,
    SupportStaff,
    Team,
    collector,
)
from sim.simulation import plain

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def firm() -> Firm:
    f = Firm(plain(load_config(["debug=small", "org=iron_triangle"])))
    for _ in range(3):
        f.step()
    return f


def test_one_view_per_seat_and_one_team_per_triangle(firm):
    heads = firm.params.heads
    for cls, role in ((AccountManager, "sales"), (SolutionEngineer, "rnd"),
                      (DeliveryEngineer, "supply_chain"), (SupportStaff, "support")):
        assert len(firm.agents_by_type[cls]) == heads[role]
    teams = list(firm.agents_by_type[Team])
    assert len(teams) == firm.org.n_triangles > 0
    for t in teams:
        assert [type(m) for m in t.members] == [AccountManager, SolutionEngineer,
                                                DeliveryEngineer]
        assert {m.team for m in t.members} == {t.index}


def test_views_read_the_arrays(firm):
    last = firm.last
    assert last is not None
    am = firm.agents_by_type[AccountManager][3]
    assert am.row == 3 and am.role == "sales"
    assert am.effort == pytest.approx(dict(zip(am.tasks, last.actions.effort[SALES][3],
                                               strict=True)))
    assert am.pay == firm.record.pay_log[-1][am.seat]
    assert am.discount == last.actions.discount[3]
    np.testing.assert_array_equal(am.accounts, np.flatnonzero(firm.accounts.owner == 3))
    sr = firm.agents_by_type[SolutionEngineer][0]
    assert sr.seat == firm.org.idx[RND][0] and set(sr.policy) == set(sr.tasks)
    team = firm.agents_by_type[Team][0]
    assert team.pay == pytest.approx(sum(firm.record.pay_log[-1][m.seat] for m in team.members))
    assert (firm.accounts.team[team.accounts] == 0).all()


def test_agentset_selection_works_on_views(firm):
    in_triangles = firm.agents.select(lambda a: isinstance(a, Person) and a.team >= 0)
    assert len(in_triangles) == 3 * firm.org.n_triangles
    fr = firm.agents_by_type[DeliveryEngineer].select(lambda a: a.team < 0)
    assert len(fr) == firm.org.idx[SUPPLY].size - firm.org.n_triangles


def test_a_data_collector_collects_every_month_only_when_set():
    f = Firm(plain(load_config(["debug=small"])))
    f.step()  # no collector: nothing collected, nothing costs
    f.datacollector = collector()
    for _ in range(2):
        f.step()
    model = f.datacollector.get_model_vars_dataframe()
    assert len(model) == 2
    assert model["revenue"].tolist() == [r["revenue"] for r in f.record.records[1:]]
    agents = f.datacollector.get_agent_vars_dataframe()
    assert len(agents) == 2 * f.org.n
    assert set(agents["role"]) == {"sales", "rnd", "supply_chain", "support"}


@pytest.mark.filterwarnings("ignore:.*use_state.*:UserWarning")  # inside Mesa 3.3.1's own page
def test_mesas_solara_visualisation_renders_the_firm():
    import solara
    from mesa.visualization import SolaraViz, make_plot_component

    f = Firm(plain(load_config(["debug=small"])))
    f.datacollector = collector()
    f.step()
    page = SolaraViz(f, components=[make_plot_component("revenue")], name="firm")
    box, _ = solara.render(page, handle_error=False)
    assert box is not None


def test_twenty_replications_in_one_process_do_not_grow_memory():
    """Peak RSS after 20 size-s runs within 10 % of that after 2 (a leaked firm is ~10 MiB)."""
    script = textwrap.dedent("""
        import logging
        logging.getLogger("MESA").setLevel(logging.WARNING)
        from sim.config import load_config
        from sim.simulation import plain, run
        cfg = plain(load_config(["months=24"]))
        # VmHWM, not ru_maxrss: the latter keeps the forking parent's size across exec
        peak = lambda: next(int(x.split()[1]) for x in open("/proc/self/status")
                            if x.startswith("VmHWM"))
        for i in range(2):
            run({**cfg, "seed": i})
        two = peak()
        for i in range(2, 20):
            run({**cfg, "seed": i})
        print(two, peak())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, check=True, timeout=300)
    two, twenty = map(int, out.stdout.split())
    assert twenty <= 1.10 * two, (two, twenty)
