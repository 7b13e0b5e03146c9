"""Composing and validating configuration, with or without Hydra's command line.

``load_config(["scheme=gain_sharing", "seed=7"])`` composes the shipped Hydra tree (``configs/``
in a checkout, ``sim/configs`` inside an installed wheel) with the given overrides and validates
it. Every user mistake becomes a :class:`ConfigError` whose message is one line naming the field
and what is allowed; the CLI prints that line and exits non-zero before anything is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

PACKAGE_DIR = Path(__file__).resolve().parent


class ConfigError(ValueError):
    """A user mistake in the configuration; ``str(err)`` is one line."""


def config_dir() -> Path:
    """Directory of the Hydra config tree: packaged copy first, then the checkout's ``configs/``."""
    for candidate in (PACKAGE_DIR / "configs", PACKAGE_DIR.parent / "configs"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise ConfigError("configs: the config tree was not found next to the sim package")


def group_options(group: str) -> list[str]:
    """Names of the options of a config group (the YAML files in its folder)."""
    return sorted(p.stem for p in (config_dir() / group).glob("*.yaml"))


def _one_line(exc: Exception) -> str:
    """Turn a Hydra/OmegaConf composition error into one line naming the field."""
    text = str(exc).strip()
    m = re.search(r"Could not find '([^']+)/([^']+)'", text)
    if m:
        group, option = m.groups()
        return (
            f"{group}: unknown option {option!r}; allowed: {', '.join(group_options(group))}"
        )
    m = re.search(r"Could not override '([^']+)'", text)
    if m:
        return (f"{m.group(1)}: no such setting (misspelt key? a field the preset does not list "
                f"is added with a leading +, e.g. +{m.group(1)}=...)")
    m = re.search(r"Key '([^']+)' is not in struct", text)
    if m:
        return f"{m.group(1)}: no such setting (misspelt key?)"
    m = re.search(r"Config group override must be a string or a list. Got (\w+)", text)
    if m:
        return f"config group: an option name is required, got {m.group(1)}"
    return text.splitlines()[0]


def load_config(overrides: Sequence[str] = (), config_name: str = "config",
                search: Sequence[str] = ()) -> DictConfig:
    """Compose the config tree with overrides and validate it.

    Args:
        overrides: Hydra override strings, e.g. ``["scheme=target_bonus", "seed=3"]``.
        search: Extra config folders (e.g. a designer's own ``scheme/`` plans), searched after
            the shipped tree.
        config_name: Primary config file (without ``.yaml``).

    Returns:
        The resolved, validated config.

    Raises:
        ConfigError: One line naming the bad field and what is allowed.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            cfg = compose(config_name=config_name,
                          overrides=[*list(overrides), *searchpath_overrides(search)])
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise ConfigError(_one_line(exc)) from None
    finally:
        GlobalHydra.instance().clear()
    validate(cfg)
    return cfg


def searchpath_overrides(folders: Sequence[str]) -> list[str]:
    """``hydra.searchpath`` override adding config folders (absolute ``file://`` URLs)."""
    if not folders:
        return []
    for f in folders:
        if not Path(f).is_dir():
            raise ConfigError(f"--plans: {f} is not a folder (it should hold scheme/<name>.yaml)")
    urls = ",".join(f"file://{Path(f).resolve()}" for f in folders)
    return [f"hydra.searchpath=[{urls}]"]


def sweep_points(overrides: Sequence[str], search: Sequence[str] = ()
                 ) -> tuple[list[list[str]], bool, str]:
    """Expand a (possible) sweep into its design points and validate every one.

    The sweep's values come from the preset's ``hydra.sweeper.params`` and from comma lists on
    the command line (which win for the same key), as Hydra's basic sweeper expands them.

    Args:
        overrides: Command-line overrides (no ``hydra.*`` ones).
        search: Extra config folders (``--plans``), as for :func:`load_config`.

    Returns:
        ``(points, multirun, name)``: the override list of every design point; whether the
        preset asks for a multirun (``hydra.mode: MULTIRUN``); the experiment's name.

    Raises:
        ConfigError: One line naming the bad field of the first bad design point.
    """
    from hydra import compose, initialize_config_dir
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    plain_args = [o for o in overrides if "," not in o.partition("=")[2]
                  or o.partition("=")[2].strip().startswith("[")]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            hcfg = compose(config_name="config",
                           overrides=[*plain_args, *searchpath_overrides(search)],
                           return_hydra_config=True)
        node = hcfg.hydra.sweeper.params
        params = OmegaConf.to_container(node, resolve=False) if node is not None else {}
        mode = str(OmegaConf.select(hcfg, "hydra.mode", default=None) or "")
        name = str(OmegaConf.select(hcfg, "experiment.name", default=None) or "sweep")
        assert isinstance(params, dict)
        swept = [f"{k!s}={v!s}" for k, v in params.items()] + list(overrides)
        parsed = OverridesParser.create().parse_overrides(swept)
        target = str(OmegaConf.select(hcfg, "hydra.sweeper._target_", default="") or "")
        if "optuna" in target:  # a search: its points come later; check the box's corners
            points = _search_corners(parsed)
        else:
            points = BasicSweeper.split_arguments(parsed, None)[0]
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise ConfigError(_one_line(exc)) from None
    finally:
        GlobalHydra.instance().clear()
    for point in points:
        load_config(point, search=search)
    return points, mode.endswith("MULTIRUN"), name


def _search_corners(parsed: list[Any]) -> list[list[str]]:
    """The lowest and the highest corner of a search space (intervals, ranges, choices)."""
    from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep

    corners: list[list[str]] = [[], []]
    for o in parsed:
        key = o.get_key_element()
        v = o.value()
        ends: list[Any]
        if isinstance(v, IntervalSweep):
            ends = [v.start, v.end]
        elif isinstance(v, RangeSweep):
            ends = [v.start, v.stop]
        elif isinstance(v, ChoiceSweep):
            ends = [v.list[0], v.list[-1]]
        else:
            ends = [v, v]
        for corner, end in zip(corners, ends, strict=True):
            corner.append(f"{key}={end}")
    return corners


def _expect_int(cfg: DictConfig, key: str, minimum: int) -> None:
    value = OmegaConf.select(cfg, key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{key}: must be an integer ≥ {minimum}, got {value!r}")


def validate(cfg: DictConfig) -> None:
    """Check a composed config; raise :class:`ConfigError` on the first problem.

    Args:
        cfg: A composed config.
    """
    from sim.plans import PlanError
    from sim.scheme import build_scheme

    _expect_int(cfg, "seed", 0)
    if "months" in cfg:
        _expect_int(cfg, "months", 1)
    _validate_firm(cfg)
    if OmegaConf.select(cfg, "experiment") is not None:
        _expect_int(cfg, "experiment.replications", 1)
        base = OmegaConf.select(cfg, "experiment.baseline")
        if base is not None and (not isinstance(base, str) or "=" not in base):
            raise ConfigError(f"experiment.baseline: must be key=value[,key=value] naming one "
                              f"design point, got {base!r}")
    for key in ("debug.fail_replication", "debug.kill_during_write"):
        if OmegaConf.select(cfg, key) is not None:
            _expect_int(cfg, key, 0)
    if "scheme" in cfg:
        try:
            build_scheme(cfg.scheme)
        except PlanError as exc:
            raise ConfigError(str(exc)) from None
    if OmegaConf.select(cfg, "rollout.month") is not None:
        _expect_int(cfg, "rollout.month", 1)
        if OmegaConf.select(cfg, "rollout.scheme") is None:
            raise ConfigError("rollout.scheme: give the plan to roll out, e.g. "
                              "scheme@rollout.scheme=gain_sharing")
        try:
            build_scheme(cfg.rollout.scheme)
        except PlanError as exc:
            raise ConfigError(f"rollout.scheme: {exc}") from None
    if "theory" in cfg:
        _expect_int(cfg, "theory.seeds", 2)
        _expect_int(cfg, "theory.periods", 1)
        _expect_int(cfg, "theory.seed", 0)
        _expect_number(cfg, "theory.budget", low=0.0, low_open=True)
        budget = float(cfg.theory.budget)
        _expect_number(cfg, "theory.grid_step", low=0.0, low_open=True, high=budget)
        _expect_number(cfg, "theory.window", low=0.0, low_open=True, high=1.0)
        _expect_number(cfg, "theory.sigma", low=0.0)
        _expect_number(cfg, "theory.baseline")
        _expect_number(cfg, "theory.prior_effort", low=0.0, high=budget)
        _validate_learner(cfg, "theory.learner")
    if "behavior" in cfg:
        _validate_learner(cfg, "behavior.learner")
        _expect_number(cfg, "behavior.grid_step", low=0.0, low_open=True, high=1.0)
        _expect_number(cfg, "behavior.ratchet_discount", low=0.0, high=1.0)
        _expect_number(cfg, "behavior.time_discount", low=0.0, high=1.0)
        frozen = OmegaConf.select(cfg, "behavior.frozen")
        if frozen is not None:
            from sim.scheme import ROLES

            if not isinstance(frozen, ListConfig | list) or any(r not in ROLES for r in frozen):
                raise ConfigError(f"behavior.frozen: must be a list of roles from "
                                  f"{', '.join(ROLES)}, got {frozen!r}")


def _expect_number(cfg: DictConfig, key: str, low: float | None = None,
                   high: float | None = None, low_open: bool = False) -> None:
    value = OmegaConf.select(cfg, key)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        lo = "" if low is None else (f" > {low:g}" if low_open else f" ≥ {low:g}")
        hi = "" if high is None else f" and ≤ {high:g}"
        raise ConfigError(f"{key}: must be a finite number{lo}{hi}, got {value!r}")


def _validate_learner(cfg: DictConfig, key: str) -> None:
    """Every learner parameter is a finite number in its range (LearnerParams states them)."""
    from dataclasses import fields

    from sim.behavior import LearnerParams

    node = OmegaConf.select(cfg, key)
    if not isinstance(node, DictConfig):
        raise ConfigError(f"{key}: must be a mapping of learner parameters")
    allowed = {f.name for f in fields(LearnerParams)}
    for name in map(str, node):
        if name not in allowed:
            raise ConfigError(f"{key}.{name}: unknown; allowed: {', '.join(sorted(allowed))}")
        _expect_number(cfg, f"{key}.{name}")
    try:
        LearnerParams(**_plain(node))
    except (TypeError, ValueError) as exc:
        msg = str(exc).splitlines()[0].replace("behavior.", f"{key}.", 1)
        raise ConfigError(msg) from None


def _expect_choice(cfg: DictConfig, key: str, allowed: Sequence[str]) -> None:
    value = OmegaConf.select(cfg, key)
    if value not in allowed:
        raise ConfigError(f"{key}: must be one of {', '.join(allowed)}, got {value!r}")


def _expect_bool(cfg: DictConfig, key: str) -> None:
    value = OmegaConf.select(cfg, key)
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: must be true or false, got {value!r}")


def _expect_share(cfg: DictConfig, key: str, low_open: bool = False) -> None:
    value = OmegaConf.select(cfg, key)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and (
        0 < value <= 1 if low_open else 0 <= value <= 1)
    if not ok:
        interval = "(0, 1]" if low_open else "[0, 1]"
        raise ConfigError(f"{key}: must be a number in {interval}, got {value!r}")


def _validate_firm(cfg: DictConfig) -> None:
    """Checks of the firm's knobs (size, org, tiering, market, headcounts)."""
    if "size" in cfg:
        _expect_int(cfg, "size.n_people", 1)
        _expect_int(cfg, "size.n_accounts", 1)
    if "org" in cfg:
        _expect_choice(cfg, "org.design", ("silo", "iron_triangle"))
        _expect_bool(cfg, "org.shared_pay")
        _expect_share(cfg, "org.triangle_share")
    if "tiering" in cfg:
        _expect_choice(cfg, "tiering.mode", ("by_unit", "company"))
        _expect_share(cfg, "tiering.top_share", low_open=True)
    if "process" in cfg:
        _expect_bool(cfg, "process.ltc_gates")
        _expect_share(cfg, "process.review_threshold")
        _expect_number(cfg, "process.review_noise", low=0.0)
        _expect_share(cfg, "process.sharpen")
    if "market" in cfg:
        if OmegaConf.select(cfg, "market.n_accounts") is not None:
            _expect_int(cfg, "market.n_accounts", 1)
        for key in ("strategic_needs_sr", "complementary_fit"):
            _expect_bool(cfg, f"market.{key}")
        _expect_share(cfg, "market.max_discount", low_open=True)
        for key in ("timing_control", "pull_discount", "slip_loss"):
            _expect_share(cfg, f"market.{key}")
        if OmegaConf.select(cfg, "market.tender.month") is not None:
            _expect_int(cfg, "market.tender.month", 0)
            _expect_number(cfg, "market.tender.value_months", low=0.0, low_open=True)
            _expect_number(cfg, "market.tender.competitor")
        if OmegaConf.select(cfg, "market.shock") is not None:
            if OmegaConf.select(cfg, "market.shock.month") is not None:
                _expect_int(cfg, "market.shock.month", 0)
            _expect_number(cfg, "market.shock.demand", low=0.0)
    if OmegaConf.select(cfg, "firm.rate_raise") is not None:
        _expect_bool(cfg, "firm.rate_raise.enabled")
        _expect_share(cfg, "firm.rate_raise.trigger", low_open=True)
        _expect_number(cfg, "firm.rate_raise.step", low=0.0, low_open=True)
    if "firm" in cfg and "size" in cfg:
        from sim.scheme import ROLES

        for role in ROLES:
            key = f"firm.n_{role}"
            if OmegaConf.select(cfg, key) is not None:
                _expect_int(cfg, key, 1)
            elif round(cfg.size.n_people * cfg.firm.share[role]) < 1:
                raise ConfigError(f"size.n_people: too small to staff role {role}; "
                                  f"set {key} ≥ 1 or a larger size")


def _plain(node: Any) -> dict[str, Any]:
    out = OmegaConf.to_container(node, resolve=True)
    assert isinstance(out, dict)
    return {str(k): v for k, v in out.items()}
