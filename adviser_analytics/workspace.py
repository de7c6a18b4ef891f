"""Moved to :mod:`adviser_analytics.store` (this path is kept for one round; import from there)."""

from adviser_analytics.store import *  # noqa: F401,F403
