"""``lookaloud remote check`` and ``lookaloud remote set-key``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from lookaloud.core.assembly import RemoteChoice, remote_endpoint
from lookaloud.core.cli import EXIT_FAILED, EXIT_OK
from lookaloud.core.errors import SettingsError, WriterError
from lookaloud.core.settings import Settings, load_settings


def run_remote(args: argparse.Namespace) -> int:
    loaded = load_settings()
    for notice in loaded.notices:
        print(f"lookaloud: {notice}", file=sys.stderr)
    if args.remote_command == "set-key":
        return _set_key(args, loaded.settings, sys.stdin)
    return _check(args, loaded.settings, sys.stdout, sys.stderr)


def remote_choice(settings: Settings, args: argparse.Namespace) -> RemoteChoice:
    """The settings' [remote] section with the command line's --base-url/--model/--api-key-env."""
    base = RemoteChoice.from_settings(settings.remote)
    return RemoteChoice(
        getattr(args, "base_url", None) or base.base_url,
        getattr(args, "model", None) or base.model,
        getattr(args, "api_key_env", None) or base.api_key_env,
        base.connect_timeout_s,
        base.read_timeout_s,
        base.concurrency,
    )


def _check(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    from lookaloud.core.remote_check import check_server
    from lookaloud.core.writers._url import unencrypted_notice

    choice = remote_choice(settings, args)
    if not choice.base_url.strip():
        raise SettingsError(
            "Give the server's address with --base-url URL, or set base_url in the [remote] "
            "section of the settings."
        )
    endpoint = remote_endpoint(choice)
    vision = settings.remote.writer == "remote-vlm"
    warning = unencrypted_notice(endpoint.base_url, sends_images=vision)
    if warning:
        print(f"lookaloud: {warning}", file=err)
    try:
        report = check_server(endpoint)
    except WriterError as exc:
        print(f"lookaloud: {exc.message}", file=err)
        return EXIT_FAILED
    for line in report.lines():
        print(line, file=out)
    for notice in report.notices:
        print(f"lookaloud: {notice}", file=err)
    return EXIT_OK


def _set_key(args: argparse.Namespace, settings: Settings, stdin: TextIO) -> int:
    from lookaloud.core.writers._secrets import save_api_key
    from lookaloud.core.writers._url import normalize_base_url

    raw = args.base_url or settings.remote.base_url
    if not raw.strip():
        raise SettingsError("Give the server the key is for with --base-url URL.")
    base_url = normalize_base_url(raw)
    prompt = f"API key for {base_url}: "
    key = getpass.getpass(prompt) if stdin.isatty() else stdin.readline()
    if not key.strip():
        raise SettingsError("No API key was given, so nothing was stored.")
    save_api_key(base_url, key)
    print(f"The API key for {base_url} is now kept in the keyring.")
    return EXIT_OK
