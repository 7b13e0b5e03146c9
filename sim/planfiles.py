"""Plan files: a designer's scheme YAML, read strictly and confined to the scheme it describes.

A plan file (``configs/scheme/<name>.yaml`` or ``<folder>/scheme/<name>.yaml`` given with
``--plans``) holds one scheme: ``name``, ``description``, ``plans``, ``roles``. Hydra would
let such a file do more — ``# @package _global_`` reaches the whole config (the seed,
``hydra.callbacks``, which can write files), ``_target_`` instantiates objects, ``${...}``
reads environment variables — so every plan file is read here first and refused in one line if
it tries. Hydra never sees a designer's folder: it sees a copy holding only the checked scheme
files (:func:`confined_tree`). Option names on the command line are plain names, never paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from sim.config import ConfigError

#: Largest plan file read (a scheme is a few kilobytes).
MAX_BYTES = 64 * 1024
#: What a plan file may hold at its top level.
TOP_KEYS = ("name", "description", "plans", "roles")
#: A config option's name: letters, digits, ``_``, ``.`` and ``-`` (no folders, no ``..``).
OPTION = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
#: Config groups chosen by name on the command line (``group=option``, ``group@pkg=option``).
GROUPS = ("scheme", "org", "tiering", "size", "market", "process", "firm", "behavior",
          "calibration", "theory", "debug", "experiment", "search", "sensitivity",
          "hydra/launcher", "hydra/sweeper")


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys and anchors or aliases (no alias bombs)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _no_anchors(text: str, where: str) -> None:
    for event in yaml.parse(text, Loader=_StrictLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 1
            raise ConfigError(f"{where}: line {line}: YAML anchors and aliases are not allowed "
                              f"in a plan file (write each value out)")


def _walk(node: Any, path: str, where: str) -> None:
    """Refuse ``_target_`` keys and interpolations anywhere in the scheme."""
    if isinstance(node, dict):
        for k, v in node.items():
            if str(k) == "_target_":
                raise ConfigError(f"{where}: {path}{k}: _target_ is not allowed in a plan file "
                                  f"(a plan file describes pay; it instantiates nothing)")
            _walk(v, f"{path}{k}.", where)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _walk(v, f"{path}{i}.", where)
    elif isinstance(node, str) and "${" in node:
        raise ConfigError(f"{where}: {path.rstrip('.')}: interpolations (${{...}}) are not "
                          f"allowed in a plan file; write the value, got {node!r}")


def read(path: Path) -> dict[str, Any]:
    """Read and check one plan file.

    Raises:
        ConfigError: One line naming the file and what is not allowed.
    """
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(f"{where}: {size:,} bytes; a plan file may be at most "
                              f"{MAX_BYTES // 1024} KiB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: not UTF-8 text") from None
    for i, line in enumerate(text.splitlines(), 1):
        if re.match(r"^\s*#\s*@package\b", line):
            raise ConfigError(f"{where}: line {i}: '# @package' is not allowed in a plan file "
                              f"(it holds one scheme; it cannot reach the rest of the config)")
    try:
        _no_anchors(text, where)
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader made stricter
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        at = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: {at}not valid YAML ({problem})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a plan file is a mapping with {', '.join(TOP_KEYS)}")
    for key in data:
        if key not in TOP_KEYS:
            raise ConfigError(f"{where}: {key}: not allowed in a plan file; it holds "
                              f"{', '.join(TOP_KEYS)}")
    _walk(data, "", where)
    return data


def check_option_names(overrides: Iterable[str]) -> None:
    """Every config group chosen on the command line is chosen by a plain name.

    Raises:
        ConfigError: ``scheme=../../x`` and the like, in one line.
    """
    for o in overrides:
        key, eq, value = o.partition("=")
        group = key.lstrip("+~").split("@", 1)[0]
        if not eq or group not in GROUPS:
            continue
        options = [v.strip() for v in value.split(",")] if value.strip() else [""]
        for option in options:
            if option != "null" and not OPTION.match(option):
                raise ConfigError(f"{key.lstrip('+~')}: an option is a name (letters, digits, "
                                  f"_ . -), not a path, got {option!r}")


def user_options(folders: Sequence[str]) -> dict[str, Path]:
    """The scheme files of the designer's folders by option name (first folder wins).

    Raises:
        ConfigError: A folder that does not hold ``scheme/``, or a file with a preset's name.
    """
    from sim.config import group_options

    presets = set(group_options("scheme"))
    out: dict[str, Path] = {}
    for folder in folders:
        root = Path(folder)
        if not (root / "scheme").is_dir():
            raise ConfigError(f"--plans: {folder} holds no scheme/ folder (it should hold "
                              f"scheme/<name>.yaml)")
        for path in sorted((root / "scheme").glob("*.yaml")):
            name = path.stem
            if not OPTION.match(name):
                raise ConfigError(f"--plans: {path}: a plan's file name is its option name "
                                  f"(letters, digits, _ . -)")
            if name in presets:
                raise ConfigError(f"--plans: {path}: has the name of the preset {name!r}, which "
                                  f"would hide it; rename the file (e.g. my_{name}.yaml)")
            out.setdefault(name, path)
    return out


def confined_tree(folders: Sequence[str], dest: Path) -> Path | None:
    """Copy the checked scheme files of the designer's folders into ``dest/scheme/``.

    Hydra searches ``dest`` instead of the folders, so nothing but schemes can come from them.

    Returns:
        ``dest``, or ``None`` when no folder is given.
    """
    if not folders:
        return None
    (dest / "scheme").mkdir(parents=True, exist_ok=True)
    for name, path in user_options(folders).items():
        data = read(path)
        (dest / "scheme" / f"{name}.yaml").write_text(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest


def check_chosen(choices: dict[str, Any], user: Iterable[str]) -> None:
    """Read the shipped scheme file of every scheme option chosen (user files are checked).

    Args:
        choices: Hydra's ``hydra.runtime.choices`` (group → option).
        user: Options that come from the designer's folders (already checked).
    """
    from sim.config import config_dir

    own = set(user)
    for group, option in choices.items():
        if str(group).split("@", 1)[0] != "scheme" or option is None or option in own:
            continue
        path = config_dir() / "scheme" / f"{option}.yaml"
        if path.is_file():
            read(path)
