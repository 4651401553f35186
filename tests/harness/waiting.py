"""Wait for something another process or thread does, without fixed sleeps."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    probe: Callable[[], T],
    *,
    timeout: float = 20.0,
    interval: float = 0.1,
    describe: Callable[[], str] | str = "",
) -> T:
    """Call probe until it returns something truthy; return that, or fail after timeout.

    describe (text, or a callable for text that is only worth building on failure, such as
    a worker's log) is added to the failure message.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() >= deadline:
            detail = describe() if callable(describe) else describe
            raise AssertionError(f"still waiting after {timeout:.0f} s. {detail}".rstrip())
        time.sleep(interval)
