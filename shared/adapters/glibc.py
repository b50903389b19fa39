"""glibc: ``malloc_trim``, through ctypes (Python has no binding for it).

glibc keeps what a thread frees in that thread's arena; ``malloc_trim(0)`` gives the
free pages back to the system. Elsewhere (musl, macOS) there is nothing to call.
"""

import ctypes
from collections.abc import Callable


def malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    trim.restype = ctypes.c_int  # type: ignore[attr-defined]
    trim.argtypes = [ctypes.c_size_t]  # type: ignore[attr-defined]
    return trim
