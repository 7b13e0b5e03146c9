"""Validation: the assembled model against incentive theory, field evidence and the business case.

``incentive-sim-validate [NAME ...] [--quick] [--seeds N]`` (``make validate``) runs every preset
``configs/experiment/validate_*.yaml`` (or the named ones) and writes a fresh folder
``results/validation/run-NNN/`` with ``checks.json``, ``report.md`` and ``report.html`` (with
figures); ``results/validation/checks.json`` is a copy of the latest run's checks.

A preset is an ordinary experiment preset plus a ``validation`` block:

* ``kind: reduced`` — a check in the reduced environment of :mod:`sim.theory` (the firm's learning
  engine and plan classes without the firm around them), computed by a function in
  :data:`REDUCED` named by ``validation.check``;
* ``kind: firm`` — ``arms`` (name → config overrides) each run at the same ``seeds`` seeds spawned
  from the preset's ``seed`` (common random numbers: arms are paired by seed), every run reduced
  to one row of statistics by :func:`firm_stats`; ``checks`` are then evaluated from those rows by
  :func:`evaluate_spec`, declaratively: a statistic of one arm, a paired difference between two
  arms, or a relative effect ``a / b − 1``.

Every check ends as a :class:`Check` with one of the rules of :func:`decide`. The closed forms and
field numbers are *targets*; nothing in a preset feeds them to the agents.
"""

from sim.config import ConfigError
from sim.validation.checks import (
    RULES,
    Check,
    check_spec,
    decide,
    evaluate_spec,
    expectation,
    ratio_ci,
)
from sim.validation.firm_stats import cap_binding, check_cap_plan, firm_stats, firm_task
from sim.validation.reduced import REDUCED, Context
from sim.validation.report import figures, write_report
from sim.validation.runner import (
    Settings,
    arms_of,
    known_failures,
    load_preset,
    main,
    presets,
    run_preset,
    run_validation,
)

__all__ = ["REDUCED", "RULES", "Check", "ConfigError", "Context", "Settings", "arms_of",
           "cap_binding", "check_cap_plan", "check_spec", "decide", "evaluate_spec",
           "expectation", "figures", "firm_stats", "firm_task", "known_failures", "load_preset",
           "main", "presets", "ratio_ci", "run_preset", "run_validation", "write_report"]
