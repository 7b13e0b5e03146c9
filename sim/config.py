"""Composing and validating configuration, with or without Hydra's command line.

``load_config(["scheme=gain_sharing", "seed=7"])`` composes the shipped Hydra tree (``configs/``
in a checkout, ``sim/configs`` inside an installed wheel) with the given overrides and validates
it. Every user mistake becomes a :class:`ConfigError` whose message is one line naming the field
and what is allowed; the CLI prints that line and exits non-zero before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

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

    for o in overrides:
        key, _, value = o.partition("=")
        if value.strip() == "{}" and not key.startswith(("+", "~", "hydra")):
            raise ConfigError(f"{key}: ={{}} changes nothing (a mapping on the command line is "
                              f"merged into the preset's); remove an entry with ~{key}.<name>")
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


def _check(fn: Any, cfg: DictConfig, key: str, *args: Any, **kwargs: Any) -> None:
    """Run one of :mod:`sim.firm.params`' single-value checks on a config leaf."""
    from sim.firm.params import ParamError

    try:
        fn(OmegaConf.select(cfg, key), key, *args, **kwargs)
    except ParamError as exc:
        raise ConfigError(str(exc)) from None


def _expect_int(cfg: DictConfig, key: str, minimum: int) -> None:
    from sim.firm.params import integer

    _check(integer, cfg, key, minimum)


def _expect_number(cfg: DictConfig, key: str, low: float | None = None,
                   high: float | None = None, low_open: bool = False) -> None:
    from sim.firm.params import number

    _check(number, cfg, key, low, high, low_open)


def validate(cfg: DictConfig) -> None:
    """Check a composed config; raise :class:`ConfigError` on the first problem.

    The firm's groups (size, market, firm, org, process, tiering, behavior and the calibration
    numbers it reads) are read into :class:`sim.firm.params.Params`, which checks every leaf;
    the scheme is built by :func:`sim.scheme.build_scheme`, which checks every plan.

    Args:
        cfg: A composed config.
    """
    from sim.plans import PlanError
    from sim.scheme import build_scheme

    _expect_int(cfg, "seed", 0)
    if "months" in cfg:
        _expect_int(cfg, "months", 1)
    if all(g in cfg for g in ("size", "market", "firm", "org", "process", "tiering",
                               "behavior", "calibration")):
        from sim.firm.params import ParamError, Params

        try:
            Params.from_config(_plain(cfg))
        except ParamError as exc:
            raise ConfigError(str(exc)) from None
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


def _plain(node: Any) -> dict[str, Any]:
    out = OmegaConf.to_container(node, resolve=True)
    assert isinstance(out, dict)
    return {str(k): v for k, v in out.items()}
