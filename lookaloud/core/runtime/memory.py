"""Handing memory that was freed back to the operating system.

Reading the text of a 1280×800 screenshot allocates about 400 MB for a moment; glibc keeps
most of such freed blocks inside the process, so the app would sit at its highest size long
after. On Linux with glibc ``malloc_trim`` returns them; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from functools import cache
from typing import Any

log = logging.getLogger(__name__)


def return_free_memory() -> bool:
    """Ask the C allocator to give free memory back; True when it could be asked."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


@cache
def _glibc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    # musl (Alpine) has no malloc_trim: nothing to do there.
    return libc if hasattr(libc, "malloc_trim") else None
