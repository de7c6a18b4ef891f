"""Requests: inbound episodes built from person-to-person messages.

A request (inbound episode) is a maximal run of consecutive inbound messages in one
conversation, messages ordered by ``sent_at`` then ``message_id``. It starts at its first
inbound message and ends at the owner's next message in that conversation (its reply).
Only the rows given are considered: drafts, system rows and other excluded rows must
already be filtered out, so they can neither split nor close an episode.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["requests", "EPISODE_COLUMNS", "utc_ns", "request_key"]

EPISODE_COLUMNS = ["conversation_id", "started_at", "counterpart_key", "inbound_messages",
                   "last_inbound_at", "replied_at", "request_key"]


def utc_ns(values: pd.Series) -> pd.Series:
    """A timestamp column as ``datetime64[ns, UTC]`` (naive input is taken as UTC)."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if not isinstance(s.dtype, pd.DatetimeTZDtype):
        s = pd.to_datetime(s, utc=True)
    else:
        s = s.dt.tz_convert("UTC")
    return s.dt.as_unit("ns")


def request_key(conversation_id: pd.Series, started_at: pd.Series) -> pd.Series:
    """``conversation_id|YYYY-MM-DDTHH:MM:SSZ``: the subject of handling/referral labels."""
    values = utc_ns(started_at).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    stamp = np.char.add(np.datetime_as_string(values.astype("datetime64[s]"), unit="s"), "Z")
    stamp = np.where(np.isnat(values), None, stamp.astype(object))
    conv = pd.Series(conversation_id).astype("string").to_numpy(dtype=object)
    keys = pd.Series(conv, dtype="string") + "|" + pd.Series(stamp, dtype="string")
    return keys.set_axis(pd.Series(conversation_id).index)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({
        "conversation_id": pd.Series(dtype="string"),
        "started_at": pd.Series(dtype="datetime64[ns, UTC]"),
        "counterpart_key": pd.Series(dtype="string"),
        "inbound_messages": pd.Series(dtype="int64"),
        "last_inbound_at": pd.Series(dtype="datetime64[ns, UTC]"),
        "replied_at": pd.Series(dtype="datetime64[ns, UTC]"),
        "request_key": pd.Series(dtype="string"),
    })


def requests(messages: pd.DataFrame) -> pd.DataFrame:
    """One row per inbound episode, ordered by conversation then start.

    Columns: ``conversation_id, started_at, counterpart_key, inbound_messages,
    last_inbound_at, replied_at, request_key``. ``counterpart_key`` is the first inbound
    message's ``counterpart_key`` or, when that is missing (e.g. a group conversation), its
    ``sender_key``. ``replied_at`` is the owner's next message in the conversation (NaT if
    none yet). Vectorised: no Python loop over messages.
    """
    if messages is None or len(messages) == 0:
        return _empty()
    direction = messages["direction"].astype("string")
    known = direction.isin(["inbound", "outbound"]).fillna(False).to_numpy(dtype=bool)
    if not known.all():  # a row of unknown direction can neither ask nor answer
        messages = messages.loc[known]
        if len(messages) == 0:
            return _empty()
    conv_codes, conv_uniques = pd.factorize(messages["conversation_id"], use_na_sentinel=False)
    sent = utc_ns(messages["sent_at"]).to_numpy(dtype="datetime64[ns]").view("int64")
    mid = pd.to_numeric(messages["message_id"]).to_numpy(dtype="int64") \
        if "message_id" in messages else np.arange(len(messages), dtype="int64")
    order = np.lexsort((mid, sent, conv_codes))
    conv = conv_codes[order]
    sent = sent[order]
    inbound = (messages["direction"].astype("string").eq("inbound")
               .fillna(False).to_numpy(dtype=bool)[order])

    n = len(order)
    same_as_prev = np.zeros(n, dtype=bool)
    same_as_prev[1:] = conv[1:] == conv[:-1]
    prev_inbound = np.zeros(n, dtype=bool)
    prev_inbound[1:] = inbound[:-1]
    starts = inbound & ~(same_as_prev & prev_inbound)

    same_as_next = np.zeros(n, dtype=bool)
    same_as_next[:-1] = conv[:-1] == conv[1:]
    next_inbound = np.zeros(n, dtype=bool)
    next_inbound[:-1] = inbound[1:]
    ends = inbound & ~(same_as_next & next_inbound)

    start_pos = np.flatnonzero(starts)
    end_pos = np.flatnonzero(ends)
    if len(start_pos) == 0:
        return _empty()

    # The row after a run's last inbound message is, if in the same conversation, outbound:
    # the owner's reply.
    has_reply = same_as_next[end_pos]
    reply_pos = np.minimum(end_pos + 1, n - 1)
    nat = np.iinfo("int64").min
    replied = np.where(has_reply, sent[reply_pos], nat)

    rows = order[start_pos]
    if "counterpart_key" in messages:
        counterpart = messages["counterpart_key"].iloc[rows].astype("string").reset_index(drop=True)
    else:
        counterpart = pd.Series(pd.NA, index=range(len(rows)), dtype="string")
    if "sender_key" in messages:
        sender = messages["sender_key"].iloc[rows].astype("string").reset_index(drop=True)
        counterpart = counterpart.fillna(sender)

    def _ts(values: np.ndarray) -> pd.Series:
        return pd.Series(pd.to_datetime(values.view("datetime64[ns]"), utc=True)) \
            .dt.as_unit("ns")

    out = pd.DataFrame({
        "conversation_id": pd.Series(conv_uniques.take(conv[start_pos]), dtype="string")
        .reset_index(drop=True),
        "started_at": _ts(sent[start_pos]),
        "counterpart_key": counterpart,
        "inbound_messages": (end_pos - start_pos + 1).astype("int64"),
        "last_inbound_at": _ts(sent[end_pos]),
        "replied_at": _ts(replied),
    })
    out["request_key"] = request_key(out["conversation_id"], out["started_at"])
    return out
