"""glibc's ``malloc_trim`` behind ``shared.adapters.glibc``."""

import platform

import pytest

from shared.adapters.glibc import malloc_trim


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_malloc_trim_is_there_and_answers() -> None:
    trim = malloc_trim()
    assert trim is not None, f"glibc {platform.libc_ver()[1]} has no malloc_trim in libc.so.6"
    assert trim(0) in (0, 1), "malloc_trim returns 1 if memory was released, else 0"
