"""The key-account firm as a schedule of phases, one module per mechanism (docs/firm.md).

=================  ============================================================  ==============
module             owns                                                           may import
=================  ============================================================  ==============
``params``         typed, range-checked parameters read once from the config       nothing of sim
``ledger``         the deal ledger, stages and product lines                        nothing of sim
``market``         accounts and their motion: relationships, competitors,          ledger, params
                   hunting, arrivals, the tender, run-rate demand
``org``            seats, iron triangles, support pools, tiering                    market, ledger
``pipeline``       deal context, support allocation, fit, gates, reviews, timing   market, org
``fulfilment``     delivery, complaints, collection, write-offs, credited events   market, org
``counterfactual`` what each candidate would have changed in the measures          pipeline
``payroll``        measures, plans, pay and counterfactual pay, the raise policy    plans, scheme
``people``         learners, decision states, reference pay, learning, attrition    behavior
``record``         the monthly series and logs                                      ledger, org
``agents``         thin ``mesa.Agent`` views of people and triangles                params
``model``          ``Firm(mesa.Model)``: wiring and the month's ``step``           all of these
=================  ============================================================  ==============

The market, org, pipeline, fulfilment and counterfactual modules never import ``sim.plans``,
``sim.scheme`` or ``sim.behavior``: they return changes in measures, and payroll prices them.
``tests/test_firm_structure.py`` reads the imports and checks these rules.

``Firm`` is imported lazily, so that ``sim.firm.params`` (config validation) does not import
Mesa.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.firm.params import RND, ROLES, SALES, SUPPLY, SUPPORT

if TYPE_CHECKING:
    from sim.firm.model import Firm

__all__ = ["RND", "ROLES", "SALES", "SUPPLY", "SUPPORT", "Firm"]


def __getattr__(name: str) -> Any:
    if name == "Firm":
        from sim.firm.model import Firm

        return Firm
    raise AttributeError(f"module 'sim.firm' has no attribute {name!r}")
