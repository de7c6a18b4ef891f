"""Requests: inbound episodes built from person-to-person messages.

An inbound episode is a maximal run of consecutive inbound messages in one conversation.
It starts at its first inbound message and ends at the owner's next message in that
conversation (its reply). Only the rows given are considered: drafts, system rows and other
excluded rows must already be filtered out, so they can neither split nor close an episode.

Order within a conversation: by ``sent_at``; messages of the same second keep the
conversation's order. LinkedIn writes a conversation newest first, so within one second the
row further down the file is the earlier message: ties are broken by ``line`` descending when
the frame has the line in the file (frames straight from ``export``), else by ``message_id``
descending (the workspace numbers messages in file order as it stores them). A question and
its reply in the same second are therefore question, then reply.

Whether an episode counts as a *request* (one-to-one, not an acknowledgement) is decided in
:mod:`.load` with the labels; here every episode gets ``group`` (the conversation has two or
more other participants: two or more people wrote in it besides the owner, or a message
names two or more recipients: the workspace's ``participants`` is three or more, or, in a
frame straight from ``export``, ``recipient_urls`` names two or more) and ``opened_by_them`` (the
conversation's first message is inbound).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..people import recipients_named

__all__ = ["requests", "EPISODE_COLUMNS", "utc_ns", "request_key"]

EPISODE_COLUMNS = ["conversation_id", "started_at", "counterpart_key", "inbound_messages",
                   "last_inbound_at", "replied_at", "request_key", "group", "opened_by_them"]


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
        "group": pd.Series(dtype=bool),
        "opened_by_them": pd.Series(dtype=bool),
    })


def _tie_rank(messages: pd.DataFrame) -> np.ndarray:
    """Ascending = earlier within one second: minus the line in the file (newest first),
    else minus ``message_id``, else the row order."""
    for column in ("line", "message_id"):
        if column in messages:
            values = pd.to_numeric(messages[column], errors="coerce")
            if values.notna().all():
                return -values.to_numpy(dtype="int64")
    return np.arange(len(messages), dtype="int64")


def _others_per_conversation(messages: pd.DataFrame, conv_codes: np.ndarray,
                             inbound: np.ndarray, n_conv: int) -> np.ndarray:
    """Per conversation code: how many other participants it shows (at least the distinct
    inbound senders; at least the recipients named by any one message: the workspace's
    ``participants`` less the sender, else counted in ``recipient_urls``)."""
    others = np.zeros(n_conv, dtype="int64")
    if "sender_key" in messages and inbound.any():
        sender_codes = pd.factorize(messages["sender_key"].astype("string"),
                                    use_na_sentinel=False)[0]
        width = int(sender_codes.max()) + 1
        pairs = pd.unique(conv_codes[inbound].astype("int64") * width
                          + sender_codes[inbound].astype("int64"))
        others = np.bincount(pairs // width, minlength=n_conv).astype("int64")
    if "participants" in messages:
        named = pd.to_numeric(messages["participants"]).fillna(2).to_numpy(dtype="int64") - 1
    elif "recipient_urls" in messages:
        named = recipients_named(messages["recipient_urls"])
    else:
        return others
    np.maximum.at(others, conv_codes, named)
    return others


def requests(messages: pd.DataFrame) -> pd.DataFrame:
    """One row per inbound episode, ordered by conversation then start.

    Columns: ``conversation_id, started_at, counterpart_key, inbound_messages,
    last_inbound_at, replied_at, request_key, group, opened_by_them`` (see the module
    docstring for the order of same-second messages). ``counterpart_key`` is the first inbound
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
    order = np.lexsort((_tie_rank(messages), sent, conv_codes))
    inbound_rows = (messages["direction"].astype("string").eq("inbound")
                    .fillna(False).to_numpy(dtype=bool))
    others = _others_per_conversation(messages, conv_codes, inbound_rows, len(conv_uniques))
    conv = conv_codes[order]
    sent = sent[order]
    inbound = inbound_rows[order]

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
    # the conversation's first message (in sorted order) is inbound: they opened it
    first_inbound = np.zeros(len(conv_uniques), dtype=bool)
    firsts = ~same_as_prev
    first_inbound[conv[firsts]] = inbound[firsts]

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
    out["group"] = others[conv[start_pos]] >= 2
    out["opened_by_them"] = first_inbound[conv[start_pos]]
    return out
