"""Safety limits for reading an export that may not be what it claims to be."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class ReadLimits:
    """Upper bounds enforced while reading, on the bytes actually produced.

    A real heavy account has a ~100 MB ``messages.csv`` and a zip a few times smaller, so
    the defaults leave a wide margin and only stop zip bombs, runaway files and junk.
    """

    max_file_bytes: int = 2 * GiB
    """Largest uncompressed size of one file (zip member or file in a folder)."""
    max_total_bytes: int = 4 * GiB
    """Largest uncompressed size of all the files read from one export."""
    max_ratio: float = 200.0
    """Largest uncompressed/compressed ratio of a zip member ..."""
    ratio_min_bytes: int = 8 * MiB
    """... checked once the member has produced more than this many bytes."""
    max_field_bytes: int = 1 * MiB
    """Longest single cell (LinkedIn caps a message at a few thousand characters)."""
    max_entries: int = 200_000
    """Most files a zip or folder may list (a LinkedIn export has about a hundred)."""


DEFAULT_LIMITS = ReadLimits()


def human_size(n: float) -> str:
    """``2147483648`` -> ``"2 GiB"``: sizes as an adviser reads them."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            if unit == "bytes":
                return f"{int(n)} bytes"
            return f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    return f"{n} bytes"  # pragma: no cover
