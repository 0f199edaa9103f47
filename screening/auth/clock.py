"""The clock of authentication (TOTP steps, session timeouts); tests move it forward."""

from __future__ import annotations

import time


def now() -> float:
    """Seconds since the epoch; call it through the module so tests can replace it."""
    return time.time()
