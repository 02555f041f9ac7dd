"""Signature and policy errors: what failed, with the rule and scope as attributes."""

from __future__ import annotations

from buildah_py.errors import BuildahPyError


class SignatureError(BuildahPyError):
    """A signature could not be made, read or checked (a key, gpg, the lookaside)."""


class PolicyError(SignatureError):
    """A policy.json or registries.d file cannot be used as written."""


class PolicyDenied(SignatureError):
    """policy.json refuses an image: `rule` (its type), `scope` and `reason` say why."""

    def __init__(self, image: str, rule: str, scope: str, reason: str, source: str) -> None:
        super().__init__(f"{image}: refused by {source}: {rule} for {scope}: {reason}")
        self.image = image
        self.rule = rule
        self.scope = scope
        self.reason = reason
        self.source = source
