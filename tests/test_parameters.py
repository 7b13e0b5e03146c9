"""Every config leaf has a stated source (or is marked an assumption); the table is current."""

from __future__ import annotations

from sim import parameters


def test_every_leaf_of_every_option_has_a_source():
    table = parameters.sources()
    missing = [k for k in parameters.all_leaves() if not k.startswith("debug.")
               and parameters.source_of(k, table) is None]
    assert not missing, missing


def test_generated_table_is_current():
    assert parameters.TABLE.read_text(encoding="utf-8") == parameters.render(), (
        "run `python -m sim.parameters --write`")


def test_a_new_leaf_without_a_source_is_caught(monkeypatch):
    table = dict(parameters.sources())
    table.pop("market.handoff")
    assert parameters.source_of("market.handoff", table) is None
