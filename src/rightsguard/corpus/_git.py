"""Repository URL and HEAD commit of a git checkout, looked up once per repository."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class GitCheckout:
    """A git work tree: its top folder, remote URL (credentials removed) and HEAD commit.

    ``tracked``: paths (relative to ``top``, POSIX) git tracks; ``modified``: tracked paths that
    differ from HEAD. Only a tracked, unmodified file is "the file at that commit".
    """

    top: Path
    remote: str | None
    commit: str | None
    tracked: frozenset[str] = frozenset()
    modified: frozenset[str] = frozenset()


def find_top(folder: Path) -> Path | None:
    """The nearest ancestor of ``folder`` (itself included) holding ``.git``, or None."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _git(top: Path, *args: str, strip: bool = True) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(top), *args], capture_output=True, text=True,
                              timeout=_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):  # git missing, or hung
        return None
    out = done.stdout.strip() if strip else done.stdout
    return out if done.returncode == 0 and out else None


def strip_credentials(url: str) -> str:
    """``https://user:token@host/x`` -> ``https://host/x``; scp-like ``git@host:x`` unchanged."""
    parts = urlsplit(url)
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return url


_SCP_LIKE = re.compile(r"^(?:[\w.+-]+@)?(?P<host>[\w.-]+):(?!//)(?P<path>.+)$")


def repository_url(url: str) -> str:
    """One spelling of a git remote, so that the clones of one repository compare equal: the
    web form ``https://host/owner/name`` for ``https``, ``http``, ``ssh``, ``git`` and scp-like
    (``git@host:owner/name``) remotes — credentials and port dropped, host lowercased, a
    trailing ``/`` or ``.git`` dropped. Other URLs and local paths are returned without their
    credentials and trailing ``/``. (git itself accepts all these spellings for one remote;
    a newcomer's pre-commit hook reported a vendored file's own indexed copy because the
    index held ``…/vend.git`` and the checkout's remote was ``…/vend``.)"""
    url = url.strip()
    # git reads host:path as scp-like unless it is a URL, an absolute path or a drive letter
    scp_like = not ("://" in url or url.startswith("/") or re.match(r"^[A-Za-z]:[/\\]", url))
    scp = _SCP_LIKE.match(url) if scp_like else None
    if scp is not None:
        host, path = scp.group("host").lower(), scp.group("path")
    else:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("https", "http", "ssh", "git", "git+ssh") or \
                not parts.hostname:
            return strip_credentials(url).rstrip("/") or url
        host, path = parts.hostname.lower(), parts.path
    path = path.strip("/")
    path = path.removesuffix(".git").rstrip("/")
    return f"https://{host}/{path}" if path else f"https://{host}"


def describe(top: Path) -> GitCheckout:
    """Remote (``origin``, else the first remote), HEAD commit and the tracked and modified files.

    Fields are None (or empty) where git cannot say: git missing, no commit, not a safe directory.
    """
    commit = _git(top, "rev-parse", "--verify", "HEAD")
    remotes = (_git(top, "remote") or "").split()
    remote = None
    if remotes:
        name = "origin" if "origin" in remotes else remotes[0]
        url = _git(top, "remote", "get-url", name)
        remote = repository_url(url) if url else None
    tracked = (_git(top, "ls-files", "-z", strip=False) or "").split("\0")
    modified = ((_git(top, "diff", "--name-only", "-z", "HEAD", strip=False) or "").split("\0")
                if commit else [])
    return GitCheckout(top=top, remote=remote, commit=commit,
                       tracked=frozenset(p for p in tracked if p),
                       modified=frozenset(p for p in modified if p))
