"""The syntax tree: one frozen dataclass per instruction (gathered from their modules)."""

from __future__ import annotations

from .base import Heredoc, Instruction, InstructionError, KeyValue
from .commands import (
    AddInstruction,
    CmdInstruction,
    CopyInstruction,
    EntrypointInstruction,
    FromInstruction,
    OnbuildInstruction,
    RunInstruction,
    ShellInstruction,
    UnknownInstruction,
)
from .config import (
    ArgInstruction,
    EnvInstruction,
    ExposeInstruction,
    HealthcheckInstruction,
    LabelInstruction,
    MaintainerInstruction,
    StopsignalInstruction,
    UserInstruction,
    VolumeInstruction,
    WorkdirInstruction,
)

__all__ = [
    "AddInstruction",
    "ArgInstruction",
    "CmdInstruction",
    "CopyInstruction",
    "EntrypointInstruction",
    "EnvInstruction",
    "ExposeInstruction",
    "FromInstruction",
    "HealthcheckInstruction",
    "Heredoc",
    "Instruction",
    "InstructionError",
    "KeyValue",
    "LabelInstruction",
    "MaintainerInstruction",
    "OnbuildInstruction",
    "RunInstruction",
    "ShellInstruction",
    "StopsignalInstruction",
    "UnknownInstruction",
    "UserInstruction",
    "VolumeInstruction",
    "WorkdirInstruction",
]
