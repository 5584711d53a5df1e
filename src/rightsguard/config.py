"""Typed settings: defaults < TOML file < ``RIGHTSGUARD_*`` environment < CLI flags.

==========================  ==============================  ======================================
setting                     environment                     default
==========================  ==============================  ======================================
home (index folder)         ``RIGHTSGUARD_HOME``            the user data folder (platformdirs)
                                                            ``…/rightsguard/index``
max_input_bytes             ``RIGHTSGUARD_MAX_INPUT_BYTES`` 16 MiB per input file
config file                 ``RIGHTSGUARD_CONFIG``          ``<user config dir>/rightsguard.toml``
==========================  ==============================  ======================================
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from rightsguard.errors import ConfigError

DEFAULT_MAX_INPUT_BYTES = 16 * 1024 * 1024
APP_NAME = "rightsguard"
#: platformdirs' XDG variables and their defaults under ``$HOME`` on Linux.
_XDG = {"config": ("XDG_CONFIG_HOME", ".config"), "data": ("XDG_DATA_HOME", ".local/share")}


def user_dir(kind: str) -> Path:
    """The user ``config`` or ``data`` folder of rightsguard, as :mod:`platformdirs` gives it.

    On Linux, when the XDG variable is an absolute path or unset and ``HOME`` is absolute (the
    usual case), it is computed here: importing platformdirs costs more than the rest of a
    ``check`` besides numpy. Every other case asks platformdirs.
    """
    var, default = _XDG[kind]
    xdg = os.environ.get(var, "")
    home = os.environ.get("HOME", "")
    if sys.platform == "linux" and xdg == xdg.strip():
        if xdg.startswith("/"):
            return Path(xdg, APP_NAME)
        if not xdg and home.startswith("/"):
            return Path(home.rstrip("/") + "/" + default, APP_NAME)
    import platformdirs

    get = platformdirs.user_config_dir if kind == "config" else platformdirs.user_data_dir
    return Path(get(APP_NAME))


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings (see the module docstring for precedence)."""

    home: Path
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES

    @classmethod
    def load(cls, *, home: str | os.PathLike[str] | None = None,
             max_input_bytes: int | None = None) -> Settings:
        """Resolve settings; explicit arguments (CLI flags) win over everything else."""
        file_values: dict[str, object] = {}
        cfg = os.environ.get("RIGHTSGUARD_CONFIG") or str(user_dir("config") / "rightsguard.toml")
        if Path(cfg).is_file():
            try:
                file_values = tomllib.loads(Path(cfg).read_text("utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"config file {cfg} is unreadable: {exc}") from exc
        resolved_home = (home or os.environ.get("RIGHTSGUARD_HOME") or file_values.get("home")
                         or user_dir("data") / "index")
        limit: object = max_input_bytes if max_input_bytes is not None else (
            os.environ.get("RIGHTSGUARD_MAX_INPUT_BYTES")
            or file_values.get("max_input_bytes", DEFAULT_MAX_INPUT_BYTES))
        try:
            limit_int = int(str(limit))
        except ValueError:
            raise ConfigError(f"max_input_bytes must be a whole number of bytes, got {limit!r}"
                              ) from None
        if limit_int < 1:
            raise ConfigError(f"max_input_bytes must be at least 1, got {limit_int}")
        return cls(home=Path(str(resolved_home)), max_input_bytes=limit_int)
