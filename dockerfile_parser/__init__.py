"""Standalone Dockerfile parser: grammar, syntax tree, semantic step, expansion, ignore files, lint.

Imports nothing from buildah_py, so other tools can use it on its own.
"""

from __future__ import annotations

from .errors import (
    DockerfileParserError,
    DockerfileSemanticError,
    DockerfileSyntaxError,
    ExpansionError,
    IgnoreFileError,
)
from .expand import (
    MAX_ENV,
    MAX_WORD,
    check_environment,
    check_word,
    expand_word,
    expand_words,
    referenced_names,
)
from .expand_rules import ExpansionRule, expands_args, expands_heredoc, expansion_rule
from .flags import Flag, FlagKind
from .ignore import IgnoreMatcher
from .instructions import (
    AddInstruction,
    ArgInstruction,
    CmdInstruction,
    CopyInstruction,
    EntrypointInstruction,
    EnvInstruction,
    ExposeInstruction,
    FromInstruction,
    HealthcheckInstruction,
    Heredoc,
    Instruction,
    KeyValue,
    LabelInstruction,
    MaintainerInstruction,
    OnbuildInstruction,
    RunInstruction,
    ShellInstruction,
    StopsignalInstruction,
    UnknownInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
)
from .lint import Warning, lint
from .parser import Dockerfile, parse, parse_file
from .semantic import instruction_problems, problems_of, semantic_problems
from .spans import Spans
from .table import INSTRUCTION_TABLE

LintWarning = Warning  # the same class, for code that would rather not shadow the builtin

__all__ = [
    "MAX_ENV",
    "MAX_WORD",
    "INSTRUCTION_TABLE",
    "AddInstruction",
    "ArgInstruction",
    "CmdInstruction",
    "CopyInstruction",
    "Dockerfile",
    "DockerfileParserError",
    "DockerfileSemanticError",
    "DockerfileSyntaxError",
    "EntrypointInstruction",
    "EnvInstruction",
    "ExpansionError",
    "ExpansionRule",
    "ExposeInstruction",
    "Flag",
    "FlagKind",
    "FromInstruction",
    "HealthcheckInstruction",
    "Heredoc",
    "IgnoreFileError",
    "IgnoreMatcher",
    "Instruction",
    "KeyValue",
    "LintWarning",
    "LabelInstruction",
    "MaintainerInstruction",
    "OnbuildInstruction",
    "RunInstruction",
    "ShellInstruction",
    "Spans",
    "StopsignalInstruction",
    "UnknownInstruction",
    "UserInstruction",
    "VolumeInstruction",
    "Warning",
    "WorkdirInstruction",
    "check_environment",
    "check_word",
    "expand_word",
    "expand_words",
    "expands_args",
    "expands_heredoc",
    "expansion_rule",
    "instruction_problems",
    "lint",
    "parse",
    "parse_file",
    "problems_of",
    "referenced_names",
    "semantic_problems",
]
