"""The stages of a build script with several (what ``buildah-py convert`` writes): each stage
a function, built once and only when something needs it, found by name or index as a
Dockerfile names them, so ``FROM $BASE`` and ``--target`` choose when the script runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from buildah_py.container import Container
from buildah_py.errors import DockerfileError
from buildah_py.frontend.script import BuildContext

#: A stage: makes its container from the build context and the other stages.
StageFn = Callable[[BuildContext, "Stages"], Container]


class Stages:
    """Stages by name (or index, as a string), in Dockerfile order; `header` holds the ARGs
    declared before the first FROM."""

    def __init__(
        self, ctx: BuildContext, header: dict[str, str], stages: Sequence[tuple[str, StageFn]]
    ) -> None:
        self.ctx = ctx
        #: What FROM lines expand with: the automatic platform ARGs and the header ARGs.
        self.header = {**ctx.automatic_args(), **header}
        self._stages = list(stages)
        self._built: dict[int, Container] = {}

    def index(self, ref: str, before: int | None = None) -> int | None:
        """The stage `ref` (a name, case-insensitive, or a number) names among the first
        `before` (all when None)."""
        count = len(self._stages) if before is None else before
        low = ref.lower()
        for i, (name, _) in enumerate(self._stages[:count]):
            if name and name.lower() == low:
                return i
        return int(ref) if ref.isdigit() and int(ref) < count else None

    def built(self, index: int) -> Container:
        """Stage `index`'s container, built now if it was not yet."""
        if index not in self._built:
            self._built[index] = self._stages[index][1](self.ctx, self)
        return self._built[index]

    def __getitem__(self, ref: str) -> Container:
        found = self.index(ref)
        if found is None:
            raise KeyError(ref)
        return self.built(found)

    def base(self, ref: str, before: int) -> Container:
        """What ``FROM ref`` starts from in stage `before`: an earlier stage, scratch, or an
        image; `ref` is known only when the script runs (``FROM $BASE``)."""
        if not ref:
            raise DockerfileError("FROM: the image name is empty (an unset ARG?)")
        found = self.index(ref, before)
        if found is not None:
            return self.ctx.from_container(self.built(found))
        if ref.lower() == "scratch":
            return self.ctx.from_scratch()
        return self.ctx.from_image(ref)

    def ref(self, ref: str, before: int) -> Container | str:
        """A ``--from`` value in stage `before`: an earlier stage's container, else the image."""
        found = self.index(ref, before)
        return ref if found is None else self.built(found)

    def before(self, index: int) -> Mapping[str, Container]:
        """The stages before `index` by name and number, built when looked up (RUN --mount
        from=)."""
        return _Earlier(self, index)

    def target(self) -> Container:
        """The stage ``--target`` names, else the last one."""
        want = self.ctx.target
        if want is None:
            return self.built(len(self._stages) - 1)
        found = self.index(want)
        if found is None:
            raise DockerfileError(f"--target: no stage named {want!r}")
        return self.built(found)


class _Earlier(Mapping[str, Container]):
    def __init__(self, stages: Stages, before: int) -> None:
        self._stages, self._before = stages, before

    def __getitem__(self, ref: str) -> Container:
        found = self._stages.index(ref, self._before)
        if found is None:
            raise KeyError(ref)
        return self._stages.built(found)

    def __contains__(self, ref: object) -> bool:
        return isinstance(ref, str) and self._stages.index(ref, self._before) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(str(i) for i in range(self._before))

    def __len__(self) -> int:
        return self._before
