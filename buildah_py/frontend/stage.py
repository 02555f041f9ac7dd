"""Building one stage: FROM, then each instruction compiled into working-container calls."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from buildah_py.container import Container, Image
from buildah_py.errors import BuildahPyError, DockerfileError, StepFailed
from buildah_py.frontend.errors import at
from buildah_py.frontend.history import instruction_note
from buildah_py.frontend.instructions import HANDLERS
from buildah_py.frontend.precheck import first_problem
from buildah_py.frontend.stages import Stage, stage_ref
from buildah_py.isolation import DEFAULT_PATH
from buildah_py.oci.descriptor import Platform
from dockerfile_parser import ExpansionError, Instruction, expand_word, expand_words, parse

if TYPE_CHECKING:
    from buildah_py.frontend.executor import Build

Handler = Callable[["StageBuilder", Instruction], None]
_SPECIAL = frozenset("$'\"")


class StageBuilder:
    """The state of one stage while it builds: its container, its ARGs, the expansion variables."""

    def __init__(self, build: Build, stage: Stage, prefix: str) -> None:
        self.build = build
        self.stage = stage
        self.prefix = prefix
        self.args: dict[str, str] = {}  # ARGs declared in this stage, with a value
        self.ctr: Container | None = None
        self.inst: Instruction | None = None
        self.cmd_set = (
            False  # CMD given in this stage (ENTRYPOINT clears an inherited one otherwise)
        )

    @property
    def container(self) -> Container:
        assert self.ctr is not None
        return self.ctr

    @property
    def filename(self) -> str:
        return self.build.filename

    def fail(self, message: str) -> DockerfileError:
        assert self.inst is not None
        return at(self.filename, self.inst, message)

    # --- variables -----------------------------------------------------------
    def variables(self) -> dict[str, str]:
        """What ${...} sees: the stage's ARGs, overridden by ENV (as docker does)."""
        out = dict(self.args)
        if self.ctr is not None:
            out.update(self.ctr.image_config.env_dict())
        return out

    def expand(self, word: str) -> str:
        if not _SPECIAL.intersection(word) and self.build.escape not in word:
            return word  # nothing to expand or unquote (most words): skip the lexer
        try:
            return expand_word(word, self.variables(), self.build.escape)
        except ExpansionError as err:
            raise self.fail(f"{self.inst.name if self.inst else ''}: {err}") from None

    def expand_split(self, word: str) -> list[str]:
        try:
            return expand_words(word, self.variables(), self.build.escape)
        except ExpansionError as err:
            raise self.fail(f"{self.inst.name if self.inst else ''}: {err}") from None

    def run_args(self) -> dict[str, str]:
        """The stage's ARGs with a value, as RUN sees them (an ENV of the same name wins)."""
        env = self.ctr.image_config.env_dict() if self.ctr else {}
        return {k: env.get(k, v) for k, v in self.args.items()}

    def run_env(self) -> dict[str, str]:
        """Extra environment of RUN: declared ARGs (ENV wins) and proxy build args."""
        env = self.ctr.image_config.env_dict() if self.ctr else {}
        out = {k: v for k, v in self.args.items() if k not in env}
        out.update(self.build.scope.proxies())
        return out

    # --- the stage ---------------------------------------------------------------
    def run(self) -> Container:
        st = self.stage
        total = 1 + len(st.instructions)
        self.inst = st.from_inst
        self.build.progress.step(
            self.prefix, 1, total, f"FROM {st.base}" + (f" AS {st.name}" if st.name else "")
        )
        self._from()
        for n, inst in enumerate(st.instructions, 2):
            self.build.check_cancelled()
            self.inst = inst
            self.build.progress.step(self.prefix, n, total, inst.original)
            self.execute(inst, HANDLERS)
        self.build.progress.done()
        return self.container

    def execute(self, inst: Instruction, handlers: Mapping[str, Handler]) -> None:
        handler = handlers.get(inst.name)
        if handler is None:
            raise self.fail(f"{inst.keyword or inst.original.split(' ')[0]}: unknown instruction")
        try:
            with self.container.noting(instruction_note(inst, self.run_args)):
                handler(self, inst)
        except DockerfileError:
            raise
        except StepFailed as err:
            failed = self.fail(f"{inst.name}: command exited with status {err.status}")
            failed.step_status = err.status
            raise failed from err
        except (BuildahPyError, OSError, ValueError) as err:
            raise self.fail(f"{inst.name}: {err}") from err

    def _from(self) -> None:
        st, b = self.stage, self.build
        try:
            if st.base_stage is not None:
                parent = b.stage_result(st.base_stage)
                self.ctr = Container.from_container(parent, cache=b.cache)
            elif st.base.lower() == "scratch" or st.context is not None:
                self.ctr = Container.from_scratch(store=b.store, cache=b.cache)
                self.ctr.autosave = False  # config changes are written by the next step
                default_path(self.ctr)
                if b.target_platform is not None:
                    set_platform(self.ctr, b.target_platform)
                if st.context is not None:  # FROM a named directory context: its files
                    self.ctr.copy(".", "/", context=st.context.path, ignored=st.context.ignored)
            else:
                opts = b.pull_options(st)
                # The build resolved the image for its platform before the first step (a local
                # image of another platform is used as it is), so it is not chosen again here.
                plat = opts.pop("platform", None)
                base = b.resolved.get(st.index, st.base)
                self.ctr = Container.from_image(base, store=b.store, cache=b.cache, **opts)
                self.ctr.autosave = False
                default_path(self.ctr)
                if plat is not None:
                    set_platform(self.ctr, plat)
        except DockerfileError:
            raise
        except (BuildahPyError, ValueError) as err:
            raise self.fail(f"FROM {st.base}: {err}") from err
        self.ctr.autosave = False  # config changes are written by the next step or the commit
        b.register(self.ctr)
        b.render_ahead(self.ctr, st.index)
        self._onbuild()

    def _onbuild(self) -> None:
        """Run the base image's ONBUILD triggers now, then drop them (they fire once)."""
        triggers = list(self.container.image_config.get("OnBuild") or [])
        if not triggers or self.stage.base_stage is not None:
            return
        for text in triggers:
            try:
                insts = parse(text + "\n", f"ONBUILD in {self.stage.base}").instructions
            except ValueError as err:
                raise self.fail(f"ONBUILD trigger {text!r}: {err}") from None
            for inst in insts:
                problem = first_problem(inst)
                if problem is not None:
                    raise self.fail(f"ONBUILD trigger {text!r}: {problem[0]}")
                self.build.progress.line(f"{self.prefix}--> ONBUILD {inst.original}")
                self.execute(inst, HANDLERS)
        self.container.config(clear_onbuild=True)

    def resolve_from(self, ref: str) -> Container | Image | str:
        """A --from value: a named context's image, an earlier stage's container, else an image
        (pulled per the policy)."""
        named = self.build.named.get(ref)
        if isinstance(named, str):
            return self.build.image(named)
        if named is not None:
            raise self.fail(f"{ref!r} is a directory context: only COPY and bind mounts read it")
        idx = stage_ref(ref, self.build.stages, self.stage.index)
        if idx is not None:
            return self.build.stage_result(idx)
        return self.build.image(ref)


def default_path(ctr: Container) -> None:
    """A stage whose base sets no ``PATH`` (``FROM scratch`` too) starts with the default one
    in its config, as buildah's does; no history entry."""
    env = ctr.image_config.get("Env") or []
    if not any(item.startswith("PATH=") for item in env):
        ctr.config(env={"PATH": DEFAULT_PATH}, add_history=False)


def set_platform(ctr: Container, platform: Platform) -> None:
    """The image is for the platform asked for (``--platform``, ``FROM --platform``); a config
    change with no history entry, like the base image's own fields."""
    ctr.config(os=platform.os, arch=platform.architecture, variant=platform.variant or "")
