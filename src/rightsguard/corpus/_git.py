"""Repository URL and HEAD commit of a git checkout, looked up once per repository."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class GitCheckout:
    """A git work tree: its top folder, remote URL (credentials removed) and HEAD commit."""

    top: Path
    remote: str | None
    commit: str | None


def find_top(folder: Path) -> Path | None:
    """The nearest ancestor of ``folder`` (itself included) holding ``.git``, or None."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _git(top: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(top), *args], capture_output=True, text=True,
                              timeout=_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):  # git missing, or hung
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and out else None


def strip_credentials(url: str) -> str:
    """``https://user:token@host/x`` -> ``https://host/x``; scp-like ``git@host:x`` unchanged."""
    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return url


def describe(top: Path) -> GitCheckout:
    """Remote (``origin``, else the first remote) and HEAD commit; None where git cannot say."""
    commit = _git(top, "rev-parse", "--verify", "HEAD")
    remotes = (_git(top, "remote") or "").split()
    remote = None
    if remotes:
        name = "origin" if "origin" in remotes else remotes[0]
        url = _git(top, "remote", "get-url", name)
        remote = strip_credentials(url) if url else None
    return GitCheckout(top=top, remote=remote, commit=commit)
