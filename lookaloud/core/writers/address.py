"""The server address a user typed, made into the base URL of an OpenAI-compatible API."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

from lookaloud.core.errors import SettingsError
from lookaloud.core.i18n import tr

# A last path segment such as "v1" or "v1beta" already names the API version.
_VERSION_SEGMENT = re.compile(r"^v\d+[a-z0-9]*$")
# Users often paste the whole endpoint; the base URL is what comes before it.
_ENDPOINT_SUFFIXES = ("/chat/completions", "/completions", "/models")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def normalize_base_url(raw: str) -> str:
    """``raw`` with a trailing slash dropped and ``/v1`` added when no version is given.

    Raises SettingsError with a sentence when ``raw`` is not an http(s) address.
    """
    text = raw.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            tr(
                "The server address {text!r} is not a web address; write it in full, for "
                "example http://localhost:8000/v1.",
                text=text,
            )
        )
    path = _without_endpoint(parts.path.rstrip("/"))
    last = path.rsplit("/", 1)[-1]
    if not _VERSION_SEGMENT.match(last):
        path = f"{path}/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _without_endpoint(path: str) -> str:
    for suffix in _ENDPOINT_SUFFIXES:
        if path.endswith(suffix):
            return path[: -len(suffix)].rstrip("/")
    return path


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this computer (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(url).hostname or "").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unencrypted_notice(url: str, *, sends_images: bool) -> str | None:
    """A warning for plain http to another computer; None for https or this computer."""
    if urlsplit(url).scheme != "http" or is_loopback(url):
        return None
    what = (
        tr("your images and the text found in them")
        if sends_images
        else tr("the text found in your images")
    )
    return tr(
        "The server address {url} uses plain http, so {what} will cross the "
        "network unencrypted; use an https:// address if the server offers one.",
        url=url,
        what=what,
    )


def display_url(url: str) -> str:
    """``url`` as it may be shown or logged: without a user name or password in it."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
