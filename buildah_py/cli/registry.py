"""Registry verbs, login and logout, and the registry flags other verbs share."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from buildah_py.cli.common import handle_errors, option_group, parse_bool
from buildah_py.defaults import registry_files
from buildah_py.errors import AuthError, BuildahPyError
from buildah_py.transports.options import RegistryOptions
from buildah_py.transports.registry.retry import RetryPolicy

F = TypeVar("F", bound=Callable[..., Any])


_REGISTRY_FLAGS = option_group(
    click.option(
        "--tls-verify",
        default=None,
        help="Require HTTPS and verify certificates (true/false).",
    ),
    click.option("--authfile", help="Path of the registry credentials file."),
    click.option("--creds", help="USER:PASSWORD for the registry."),
    click.option("--cert-dir", help="Directory of CA certificates (*.crt) and client keys."),
    click.option(
        "--retry",
        type=click.IntRange(0, 100),
        help="Retries on throttling or gateway errors (default 4).",
    ),
    click.option("--retry-delay", help="First wait between retries, e.g. 2s (doubles each time)."),
)


def registry_options(fn: F) -> F:
    """--tls-verify, --authfile, --creds, --cert-dir, --retry, --retry-delay: given to `fn` as
    one ``registry: RegistryOptions`` argument (with the user's registry files)."""

    @functools.wraps(fn)
    def collect(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, registry=registry_opts(kwargs), **kwargs)

    return _REGISTRY_FLAGS(collect)  # type: ignore[return-value]


def _seconds(text: str) -> float:
    value = text.strip().lower()
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0}
    for suffix in ("ms", "s", "m"):
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * scale[suffix]
    return float(value)


def registry_opts(kw: dict[str, Any]) -> RegistryOptions:
    """Pop the shared registry flags from `kw` into one RegistryOptions, with the user's files."""
    policy = RetryPolicy()
    retry, delay = kw.pop("retry", None), kw.pop("retry_delay", None)
    if retry is not None or delay is not None:
        try:
            base = _seconds(delay) if delay else policy.base_delay
        except ValueError:
            raise click.BadParameter(f"--retry-delay {delay!r}: want seconds, like 2s") from None
        attempts = policy.attempts if retry is None else retry + 1
        policy = RetryPolicy(attempts=attempts, base_delay=base)
    try:
        files = registry_files()
    except BuildahPyError as err:  # before the verb's own error handling: still one line
        raise click.ClickException(str(err)) from None
    return RegistryOptions(
        tls_verify=parse_bool(kw.pop("tls_verify", None)),
        authfile=kw.pop("authfile", None),
        creds=kw.pop("creds", None),
        cert_dir=kw.pop("cert_dir", None),
        retry=policy,
        files=files,
    )


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, err=True))
    raise AuthError(
        "login: no password given and stdin is not a terminal; pipe it in with --password-stdin "
        '(printf %s "$PASSWORD" | buildah-py login -u USER --password-stdin REGISTRY)'
    )


@click.command("login")
@click.option("--username", "-u", help="User name for the registry.")
@click.option(
    "--password", "-p", help="Password (visible in the process list: prefer --password-stdin)."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option(
    "--authfile",
    help="Credentials file to write (default ${XDG_RUNTIME_DIR}/containers/auth.json).",
)
@click.option(
    "--tls-verify", default=None, help="Require HTTPS and verify certificates (true/false)."
)
@click.option("--cert-dir", help="Directory of CA certificates (*.crt) and client keys.")
@click.option("--get-login", is_flag=True, help="Print the user name stored for REGISTRY.")
@click.option("--verbose", "-v", is_flag=True, help="Also print the credentials file written.")
@click.argument("registry")
@handle_errors
def login_cmd(
    username: str | None,
    password: str | None,
    password_stdin: bool,
    authfile: str | None,
    tls_verify: str | None,
    cert_dir: str | None,
    get_login: bool,
    verbose: bool,
    registry: str,
) -> None:
    """Check credentials with REGISTRY and store them for later pushes and pulls."""
    from buildah_py.transports.registry.credentials import lookup_credentials
    from buildah_py.transports.registry.login import login, login_key

    files = registry_files()
    key = login_key(registry)
    if get_login:
        found = lookup_credentials(key, authfile=authfile, auth_files=files.auth_files)
        if found is None or not found.username:
            raise AuthError(f"not logged in to {key}")
        click.echo(found.username)
        return
    if password is not None and password_stdin:
        raise click.UsageError("--password and --password-stdin are mutually exclusive")
    if not username:
        if password_stdin or not sys.stdin.isatty():
            raise AuthError("login: no user name given; pass --username (-u)")
        username = str(click.prompt("Username", err=True))
    if password is None:
        password = _read_password(password_stdin)
    options = RegistryOptions(
        tls_verify=parse_bool(tls_verify), authfile=authfile, cert_dir=cert_dir, files=files
    )
    written = login(registry, username, password, options)
    if verbose:
        click.echo(f"Used: {written}")
    click.echo("Login Succeeded!")


@click.command("logout")
@click.option(
    "--authfile",
    help="Credentials file to change (default ${XDG_RUNTIME_DIR}/containers/auth.json).",
)
@click.option("--all", "-a", "all_", is_flag=True, help="Remove the credentials of every registry.")
@click.argument("registry", required=False)
@handle_errors
def logout_cmd(authfile: str | None, all_: bool, registry: str | None) -> None:
    """Forget the stored credentials of REGISTRY (or of all registries)."""
    from buildah_py.transports.registry.login import login_key, logout

    if all_ and registry:
        raise click.UsageError("name a registry or use --all, not both")
    logout(registry, RegistryOptions(authfile=authfile, files=registry_files()), all=all_)
    click.echo(
        "Removed login credentials for " + ("all registries" if all_ else login_key(registry or ""))
    )


COMMANDS = [login_cmd, logout_cmd]
