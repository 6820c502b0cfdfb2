"""``lookaloud remote check`` and ``lookaloud remote set-key``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from lookaloud.cli.common import EXIT_FAILED, EXIT_OK, tell, user_settings, with_flags
from lookaloud.core.errors import SettingsError, WriterError
from lookaloud.core.i18n import tr
from lookaloud.core.settings import Settings
from lookaloud.core.writers.registry import endpoint_for


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    settings = with_flags(user_settings(), args)
    if args.remote_command == "set-key":
        return _set_key(settings, sys.stdin)
    return _check(settings, sys.stdout, sys.stderr)


def _check(settings: Settings, out: TextIO, err: TextIO) -> int:
    from lookaloud.cli.remote_check import check_server
    from lookaloud.core.writers.address import unencrypted_notice

    remote = settings.remote
    if not remote.base_url.strip():
        raise SettingsError(
            tr(
                "Give the server's address with --base-url URL, or set base_url in the "
                "[remote] section of the settings.",
                "error",
            )
        )
    endpoint = endpoint_for(remote)
    vision = settings.remote.writer == "remote-vlm"
    warning = unencrypted_notice(endpoint.base_url, sends_images=vision)
    if warning:
        tell(warning, err)
    try:
        report = check_server(endpoint)
    except WriterError as exc:
        tell(exc.message, err)
        return EXIT_FAILED
    for line in report.lines():
        print(line, file=out)
    for notice in report.notices:
        tell(notice, err)
    return EXIT_OK


def _set_key(settings: Settings, stdin: TextIO) -> int:
    from lookaloud.core.writers.address import normalize_base_url
    from lookaloud.core.writers.api_keys import save_api_key

    raw = settings.remote.base_url
    if not raw.strip():
        raise SettingsError(tr("Give the server the key is for with --base-url URL."))
    base_url = normalize_base_url(raw)
    prompt = tr("API key for {url}: ", "asked in the terminal", url=base_url)
    key = getpass.getpass(prompt) if stdin.isatty() else stdin.readline()
    if not key.strip():
        raise SettingsError(tr("No API key was given, so nothing was stored."))
    save_api_key(base_url, key)
    print(tr("The API key for {url} is now kept in the keyring.", url=base_url))
    return EXIT_OK
