"""Who is who: profile URL normalisation and person keys.

A person is keyed by the normalised profile URL when one is known, else by ``name:`` and the
case-folded display name. Connections.csv percent-encodes non-ASCII slugs while messages.csv
writes them raw, so URLs are percent-decoded before comparison.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

import numpy as np
import pandas as pd

_SCHEME = re.compile(r"^(?:https?://)?", re.IGNORECASE)
_HOST = re.compile(r"^(?:[a-z]{2,3}\.|www\.)?linkedin\.com", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def normalise_url(url: object) -> str | None:
    """``https://www.linkedin.com/in/<slug>``: decoded, lower-case, no query, no trailing ``/``."""
    if url is None or url is pd.NA or (isinstance(url, float) and url != url):
        return None
    text = str(url).strip()
    if not text or not re.search(r"linkedin\.com", text, re.IGNORECASE):
        return None
    text = unquote(text).strip().lower()
    text = _SCHEME.sub("", text, count=1)
    text = _HOST.sub("www.linkedin.com", text, count=1)
    text = re.split(r"[?#]", text, maxsplit=1)[0].rstrip("/")
    return "https://" + text


def _per_distinct(values: pd.Series, function) -> pd.Series:
    """``function`` applied once per distinct value, spread back over the Series."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([function(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype="string")


# A URL already in normal form (what :func:`normalise_url` returns unchanged): printable
# ASCII without upper case, ``%``, ``?`` or ``#``, not ending in ``/``.
_NORMAL_CHARS = "".join(re.escape(c) for c in map(chr, range(0x21, 0x7F))
                        if c not in "#%?" and not c.isupper())
_ALREADY_NORMAL = (rf"https://www\.linkedin\.com/[{_NORMAL_CHARS}]*"
                   rf"[{_NORMAL_CHARS.replace('/', '')}]")


def normalise_urls(urls: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_url`: URLs already in normal form are kept as they are (one
    vectorised match), the others computed once per distinct value."""
    normal = urls.astype("string").str.fullmatch(_ALREADY_NORMAL).fillna(False).astype(bool)
    if not normal.any():
        return _per_distinct(urls, normalise_url)
    result = urls.astype("string").where(normal)
    if not normal.all():
        rest = ~normal
        result[rest] = _per_distinct(urls[rest], normalise_url)
    return result


def name_keys(names: pd.Series) -> pd.Series:
    """Vectorised :func:`name_key` (computed once per distinct value)."""
    return _per_distinct(names, name_key)


def name_key(name: object) -> str | None:
    """A display name folded for matching: NFKC, trimmed, single spaces, case-folded."""
    if name is None or name is pd.NA or (isinstance(name, float) and name != name):
        return None
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", str(name))).strip().casefold()
    return text or None


def person_key(url: object, name: object) -> str | None:
    """The key of a person: normalised URL, else ``name:<folded name>``, else ``None``."""
    normalised = normalise_url(url)
    if normalised:
        return normalised
    folded = name_key(name)
    return f"name:{folded}" if folded else None


def person_keys(urls: pd.Series, names: pd.Series, *, normalised: pd.Series | None = None) -> pd.Series:
    """Vectorised :func:`person_key` over two aligned Series (``normalised``: URLs already
    normalised, to save doing it twice)."""
    by_url = normalise_urls(urls) if normalised is None else normalised
    missing = by_url.isna()
    if not missing.any():
        return by_url
    by_name = "name:" + name_keys(names[missing])
    return by_url.fillna(by_name).astype("string")


_SEPARATOR = r"[,;]\s*(?=\S)"


def participants_per_conversation(conversation_ids: pd.Series,
                                  recipient_urls: pd.Series) -> pd.Series:
    """How many people each conversation holds (indexed by conversation id): the sender
    plus the recipients its widest message names, at least 2."""
    named = np.maximum(recipients_named(recipient_urls) + 1, 2)
    return pd.Series(named, index=conversation_ids.to_numpy(dtype=object)).groupby(
        level=0, sort=False).max()


def recipients_named(recipient_urls: pd.Series) -> np.ndarray:
    """How many recipients each message's list (``recipient_urls``) names, as ``int64``:
    one more than its separators (``,`` or ``;``) that something follows, 1 for a list
    without a separator, 0 for none."""
    text = recipient_urls.astype("string")
    named = text.str.strip().str.len().gt(0).fillna(False).to_numpy(dtype="int64")
    several = text.str.contains(r"[,;]", regex=True).fillna(False).to_numpy(dtype=bool)
    if several.any():
        named[several] = text[several].str.count(_SEPARATOR).to_numpy(dtype="int64") + 1
    return named
