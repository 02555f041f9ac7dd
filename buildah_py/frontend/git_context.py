"""A git repository as a build context: ``URL#ref:subdir`` cloned shallowly with the `git` program."""

from __future__ import annotations

import os
import posixpath
import signal
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from buildah_py.errors import DockerfileError
from buildah_py.linux.tree import remove_quietly

#: Forms docker and buildah take as a git repository (http(s) ones only with a ``.git`` path).
_GIT_SCHEMES = ("git://", "git@", "ssh://", "file://", "github.com/")


@dataclass(frozen=True)
class GitSource:
    """Where to clone from, which ref (empty: the remote's HEAD), which subdirectory is the context."""

    url: str
    ref: str
    subdir: str

    @property
    def shown(self) -> str:
        """The URL with any password left out, for messages."""
        return redact(self.url)


def is_git_url(spec: str) -> bool:
    """Whether `spec` names a git repository (docker's rules, plus ``ssh://`` and ``file://``)."""
    if spec.startswith(_GIT_SCHEMES):
        return True
    if spec.startswith(("http://", "https://")):
        path = urllib.parse.urlsplit(spec.partition("#")[0]).path
        return path.endswith(".git")
    return False


def redact(url: str) -> str:
    """`url` without the password of its user part."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def parse_git_url(spec: str) -> GitSource:
    """``URL[#ref[:subdir]]``; a subdirectory that leaves the repository is refused."""
    url, _, fragment = spec.partition("#")
    ref, _, subdir = fragment.partition(":")
    if url.startswith("github.com/"):
        url = "https://" + url
    shown = redact(url)
    if ref.startswith("-"):
        raise DockerfileError(f"build context {shown}: invalid git ref {ref!r}")
    clean = posixpath.normpath("/" + subdir).lstrip("/") if subdir else ""
    if subdir and (posixpath.isabs(subdir) or ".." in subdir.split("/")):
        raise DockerfileError(
            f"build context {shown}: subdirectory {subdir!r} leaves the repository"
        )
    return GitSource(url, ref, clean)


def clone(src: GitSource, into: Path, timeout: float) -> Path:
    """Fetch the one commit `src.ref` names into the empty directory `into`, without ``.git``;
    returns the context directory (the subdirectory when one is named)."""
    what = f"build context {src.shown}"
    ref = src.ref or "HEAD"
    _git(what, timeout, "init", "-q", str(into))
    _git(what, timeout, "-C", str(into), "remote", "add", "origin", src.url)
    _git(what, timeout, "-C", str(into), "fetch", "-q", "--depth", "1", "--no-tags", "origin", ref)
    _git(
        what,
        timeout,
        "-C",
        str(into),
        "-c",
        "advice.detachedHead=false",
        "checkout",
        "-q",
        "FETCH_HEAD",
    )
    if (into / ".gitmodules").is_file():
        _git(
            what,
            timeout,
            "-C",
            str(into),
            "submodule",
            "update",
            "-q",
            "--init",
            "--recursive",
            "--depth",
            "1",
        )
    remove_quietly(into / ".git")  # as BuildKit: the context holds the files, not the history
    context = into / src.subdir if src.subdir else into
    real, root = os.path.realpath(context), os.path.realpath(into)
    if os.path.commonpath([real, root]) != root:
        raise DockerfileError(f"{what}: subdirectory {src.subdir!r} leaves the repository")
    if not os.path.isdir(real):
        raise DockerfileError(f"{what}: no directory {src.subdir!r} at {ref}")
    return Path(real)


def _git(what: str, timeout: float, *args: str) -> None:
    """Run git in a session of its own (it can prompt on no terminal; a timeout or Ctrl-C ends
    it and its helpers together)."""
    try:
        proc = subprocess.Popen(
            ["git", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise DockerfileError(
            f"{what}: the git program is needed for git contexts (install the git package)"
        ) from None
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise DockerfileError(f"{what}: git {args[-1]!r} took longer than {timeout:g}s") from None
    except BaseException:
        _kill(proc)
        raise
    if proc.returncode != 0:
        lines = [ln.strip() for ln in err.decode(errors="replace").splitlines() if ln.strip()]
        detail = redact_text(lines[-1] if lines else f"exit status {proc.returncode}")
        raise DockerfileError(f"{what}: {detail}")


def redact_text(text: str) -> str:
    """`text` with the password of any URL in it left out."""
    words = [redact(w) if "://" in w else w for w in text.split(" ")]
    return " ".join(words)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
