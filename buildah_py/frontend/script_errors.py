"""A build script that raised: its own traceback, with the frames of buildah-py left out.

Python hides its import machinery from a traceback; ``build -f script.py`` does the same for
buildah-py's frames, so what is left starts and ends in the user's code.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from buildah_py.errors import DockerfileError, StepFailed

#: Frames from files under this directory are buildah-py's, not the script's.
_OURS = Path(__file__).resolve().parent.parent


def _users(stack: traceback.StackSummary) -> traceback.StackSummary:
    kept = [
        frame
        for frame in stack
        if not frame.filename.startswith("<frozen ")
        and not Path(frame.filename).resolve().is_relative_to(_OURS)
    ]
    return traceback.StackSummary.from_list(kept)


def _trim(te: traceback.TracebackException) -> None:
    seen: set[int] = set()
    todo: list[traceback.TracebackException | None] = [te]
    while todo:
        one = todo.pop()
        if one is None or id(one) in seen:
            continue
        seen.add(id(one))
        one.stack = _users(one.stack)
        todo += [one.__cause__, one.__context__]


def script_failed(path: str, err: BaseException) -> DockerfileError:
    """`err`, raised while loading or running the script at `path`, as a located error whose
    message holds the script's traceback; a failed step keeps its exit status for ``build``."""
    te = traceback.TracebackException.from_exception(err)
    _trim(te)
    name = Path(path).name
    script = Path(path).resolve()
    line: int | None = None
    for frame in te.stack:
        if Path(frame.filename).resolve() == script:
            line = frame.lineno
    if isinstance(err, SyntaxError) and err.lineno is not None:
        line = err.lineno
    summary = "".join(te.format_exception_only()).strip().splitlines()[-1]
    status = err.status if isinstance(err, StepFailed) else None
    if isinstance(err, DockerfileError):
        status = err.step_status
    detail = "".join(te.format()).rstrip("\n")
    return DockerfileError(
        f"the build script raised {summary}\n{detail}",
        where=f"{name}:{line}" if line is not None else name,
        step_status=status,
    )
