"""Inference: what the workspace's data say about invitations, requests and people.

- A **decision** on an incoming invitation is ``accept`` when the inviter appears in
  Connections (connected on or after it), ``ask`` when the adviser wrote to them, ``ignore``
  when still unanswered ``UNANSWERED_DAYS`` after it was sent, and a suggested ``redirect``
  when the adviser's message names a service (a referral rule); an invitation gone from a
  later export whose window still covers it was withdrawn (no label).
- The **handling** of a request is ``answer`` when replied, ``none`` when unanswered for
  ``UNANSWERED_DAYS``; a reply a referral or honest-decline rule reads is suggested as
  ``refer`` (with the referral) or ``explain``.
- A **relationship** is suggested by the first relationship rule that matches a person's
  title, company, invitation note or messages.

Everything is read once (:func:`load_data`) and computed with pandas; nothing is written here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from adviser_analytics.errors import AdviserAnalyticsError
from adviser_analytics.labels.rules import Rules, acknowledgements, clip, first_rule, matches
from adviser_analytics.labels.store import empty_labels, iso_day
from adviser_analytics.metrics.episodes import request_key
from adviser_analytics.metrics.episodes import requests as find_requests
from adviser_analytics.people import name_keys, recipients_named
from adviser_analytics.policy import NO_REPLY_NEEDED
from adviser_analytics.store import Workspace, snapshots

UNANSWERED_DAYS = 21      # an invitation or request older than this, still unanswered
ASK_WINDOW_DAYS = 30      # an owner message this soon after an invitation answers it
REPLY_RUN_HOURS = 24      # owner messages this soon after the first reply are read with it
_FIELD_WORDS = {"position": "title", "company": "company", "invitation": "invitation note",
                "messages": "their message"}


@dataclass
class WorkspaceData:
    """Everything derivation reads from the workspace, read once."""

    messages: pd.DataFrame
    threads: pd.DataFrame
    episodes: pd.DataFrame
    people: pd.DataFrame
    connections: pd.DataFrame
    invitations: pd.DataFrame
    owner_key: str | None
    institution: str | None
    last_export: pd.Timestamp | None
    sightings: pd.DataFrame  # invitation_id, snapshot_id, export_date, sent_at
    links: dict | None = None  # the service's web addresses by referral kind (policy)
    owner_first: str | None = None  # the adviser's first name ("Thanks Morwenna!")


def load_data(ws: Workspace) -> WorkspaceData:
    messages = ws.messages()
    policy = None
    with contextlib.suppress(AdviserAnalyticsError):  # a stored policy that no longer reads
        policy = ws.policy()
    last_export = snapshots.last_export_date(ws)
    sightings = snapshots.invitation_sightings(ws)
    return WorkspaceData(
        messages=messages,
        threads=reply_runs(messages),
        episodes=find_requests(messages),
        people=ws.people(),
        connections=ws.connections(),
        invitations=ws.invitations(),
        owner_key=ws.owner.key,
        institution=policy.owner_institution if policy is not None else None,
        last_export=last_export,
        sightings=sightings,
        links=dict(policy.service.links) if policy is not None and policy.service else None,
        owner_first=_first_name(ws.owner.name),
    )


def _first_name(name: object) -> str | None:
    words = str(name).split() if isinstance(name, str) else []
    return words[0] if words else None


def reply_runs(messages: pd.DataFrame) -> pd.DataFrame:
    """Messages in conversation order, each with ``request_key``: for an inbound message the
    request (inbound episode) it belongs to, for an owner message the request it answers
    (``<NA>`` before the conversation's first inbound message). ``reply_rank`` numbers the
    owner's messages after a request (0 = the reply itself) and ``after_reply`` is the time
    since that reply. Vectorised; the same episodes as :func:`metrics.episodes.requests`."""
    if messages is None or len(messages) == 0:
        return pd.DataFrame(columns=[*(messages.columns if messages is not None else []),
                                     "request_key", "reply_rank", "after_reply"])
    m = messages.sort_values(["conversation_id", "sent_at", "message_id"],
                             kind="mergesort").reset_index(drop=True)
    conversation = m["conversation_id"].astype(object)
    inbound = m["direction"].eq("inbound").to_numpy(dtype=bool)
    same_previous = (conversation == conversation.shift()).to_numpy(dtype=bool)
    previous_inbound = np.r_[False, inbound[:-1]]
    start = inbound & ~(same_previous & previous_inbound)
    started_at = m["sent_at"].where(start).groupby(conversation, sort=False).ffill()
    m["request_key"] = request_key(conversation, started_at).where(started_at.notna())
    outbound_after = ~inbound & m["request_key"].notna().to_numpy(dtype=bool)
    m["reply_rank"] = pd.Series(np.where(outbound_after, 0, -1), index=m.index)
    ranks = m[outbound_after].groupby("request_key", sort=False).cumcount()
    m.loc[ranks.index, "reply_rank"] = ranks
    first_reply = m["sent_at"].where(m["reply_rank"] == 0).groupby(
        m["request_key"].astype(object), sort=False).transform("first")
    m["after_reply"] = (m["sent_at"] - first_reply).where(outbound_after)
    return m


def infer_decisions(d: WorkspaceData, rules: Rules) -> tuple[pd.DataFrame, dict]:
    """Decisions on incoming invitations, from the snapshots (see ``domain.md``)."""
    stats = {"withdrawn": 0, "unanswered_recent": 0}
    inv = d.invitations[d.invitations["direction"].eq("incoming")].copy()
    if len(inv) == 0:
        return empty_labels(), stats
    inv["subject"] = inv["invitation_id"].astype("int64").astype(str)
    inv["nk"] = name_keys(inv["name"])
    inv["person_key"] = inv["person_key"].astype(object)
    inv["sent_day"] = inv["sent_at"].dt.floor("D")
    by_name_ok = inv["person_key"].fillna("name:").str.startswith("name:")

    # accepted: the inviter appears in Connections, connected on or after the invitation
    conn = d.connections[["person_key", "name", "connected_on"]].copy()
    conn["person_key"] = conn["person_key"].astype(object)
    conn["nk"] = name_keys(conn["name"])
    by_key = inv[["subject", "person_key", "sent_at", "sent_day"]].merge(
        conn[["person_key", "connected_on"]], on="person_key")
    by_key["conn_key"] = by_key["person_key"]
    by_key["how"] = 0
    # (a missing name matches nothing: pandas would pair missing with missing)
    by_name = inv[["subject", "person_key", "nk", "sent_at", "sent_day"]].assign(
        inv_named=by_name_ok).dropna(subset=["nk"]).merge(
        conn[["person_key", "nk", "connected_on"]].rename(columns={"person_key": "conn_key"})
        .dropna(subset=["nk"]), on="nk")
    by_name = by_name[by_name["inv_named"] | by_name["conn_key"].str.startswith("name:")]
    by_name["how"] = 1
    accepted = pd.concat([by_key, by_name[by_key.columns]], ignore_index=True)
    accepted = accepted[accepted["connected_on"] >= accepted["sent_day"]]
    # a connection accepts one invitation: the inviter's latest one sent before it
    accepted = accepted.sort_values(["how", "sent_at"], ascending=[True, False])
    accepted = accepted.drop_duplicates("conn_key").drop_duplicates("subject")
    rows = [pd.DataFrame({
        "kind": "decision", "subject": accepted["subject"], "value": "accept",
        "source": "inferred", "rule": "connected",
        "reason": "connected on " + iso_day(accepted["connected_on"])
        + np.where(accepted["how"] == 1, " (matched by name)", ""),
    })]
    open_ = inv[~inv["subject"].isin(accepted["subject"])]

    # withdrawn: gone from a later snapshot whose Invitations window still covers it
    windows = _invitation_windows(d)
    withdrawn = set()
    if len(open_) and len(windows):
        cross = open_[["subject", "invitation_id", "sent_at", "first_seen_on"]].merge(
            windows, how="cross")
        cross = cross[(cross["export_date"] > cross["first_seen_on"])
                      & (cross["sent_at"] >= cross["window_start"])]
        seen = _sightings(d)
        cross = cross.merge(seen, on=["invitation_id", "snapshot_id"], how="left",
                            indicator=True)
        withdrawn = set(cross.loc[cross["_merge"] == "left_only", "subject"])
    stats["withdrawn"] = len(withdrawn)
    open_ = open_[~open_["subject"].isin(withdrawn)]

    # unanswered in a snapshot taken 21 days or more after it was sent
    age = open_["last_seen_on"] - open_["sent_day"]
    old = open_[age >= pd.Timedelta(days=UNANSWERED_DAYS)].copy()
    stats["unanswered_recent"] = int(len(open_) - len(old))
    if len(old):
        old["age_days"] = (old["last_seen_on"] - old["sent_day"]).dt.days
        old["seen"] = iso_day(old["last_seen_on"])
        answers = _owner_answers(d, old, rules)
        old = old.merge(answers, on="subject", how="left")
        redirect = old["answer"].eq("redirect").to_numpy(dtype=bool)
        messaged = old["answer"].eq("ask").to_numpy(dtype=bool)
        base = ("still unanswered in the export of " + old["seen"] + ", "
                + old["age_days"].astype(str) + " days after it was sent")
        message_day = pd.to_datetime(old["message_at"], utc=True).dt.strftime("%Y-%m-%d") \
            .astype(object).fillna("")
        words = old["words"].astype(object).where(old["words"].notna(), "").map(clip)
        rows.append(pd.DataFrame({
            "kind": "decision", "subject": old["subject"],
            "value": np.where(redirect, "redirect", np.where(messaged, "ask", "ignore")),
            "source": np.where(redirect, "suggested", "inferred"),
            "rule": np.where(redirect, old["rule"].astype(object).where(old["rule"].notna(), ""),
                             np.where(messaged, "messaged", "unanswered")),
            "reason": np.where(
                redirect,
                "not connected; on " + message_day + " you wrote \"" + words + "\"",
                np.where(messaged, base + "; you wrote to them on " + message_day, base)),
        }))
    return pd.concat(rows, ignore_index=True), stats


def _invitation_windows(d: WorkspaceData) -> pd.DataFrame:
    """Per snapshot with invitations: its date and the oldest invitation it lists."""
    sightings = _sightings(d, with_dates=True)
    if len(sightings) == 0:
        return pd.DataFrame(columns=["snapshot_id", "export_date", "window_start"])
    return (sightings.groupby(["snapshot_id", "export_date"], as_index=False)["sent_at"].min()
            .rename(columns={"sent_at": "window_start"}))


def _sightings(d: WorkspaceData, with_dates: bool = False) -> pd.DataFrame:
    if with_dates:
        return d.sightings
    return d.sightings[["invitation_id", "snapshot_id"]]


def _owner_answers(d: WorkspaceData, inv: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """How the owner answered each invitation without accepting it, from their messages to
    the inviter within ``ASK_WINDOW_DAYS`` after it: ``redirect`` when one of them names a
    service (a referral rule matches), else ``ask`` when one of them is not merely the reply
    to a request of the inviter's (replying to someone's question is not asking who they
    are). Columns ``subject, answer, message_at, rule, words``."""
    out_cols = ["subject", "answer", "message_at", "rule", "words"]
    t = d.threads
    if len(t) == 0:
        return pd.DataFrame(columns=out_cols)
    om = t[t["direction"].eq("outbound") & t["counterpart_key"].notna()]
    om = om[["counterpart_key", "sent_at", "content", "message_id", "reply_rank"]].copy()
    om["counterpart_key"] = om["counterpart_key"].astype(object)
    names = d.people.set_index("person_key")["name"]
    om["nk"] = name_keys(om["counterpart_key"].map(names))
    columns = ["subject", "sent_at", "message_at", "content", "message_id", "reply_rank"]
    a = inv[["subject", "person_key", "sent_at"]].merge(
        om.rename(columns={"counterpart_key": "person_key", "sent_at": "message_at"}),
        on="person_key")
    named = inv[["subject", "person_key", "nk", "sent_at"]].dropna(subset=["nk"]).merge(
        om.rename(columns={"counterpart_key": "other_key", "sent_at": "message_at"})
        .dropna(subset=["nk"]), on="nk")
    named = named[named["person_key"].fillna("name:").str.startswith("name:")
                  | named["other_key"].str.startswith("name:")]
    both = pd.concat([a[columns], named[columns]], ignore_index=True)
    both = both[(both["message_at"] >= both["sent_at"])
                & (both["message_at"] <= both["sent_at"] + pd.Timedelta(days=ASK_WINDOW_DAYS))]
    both = both.sort_values(["subject", "message_at", "message_id"]).reset_index(drop=True)
    if len(both) == 0:
        return pd.DataFrame(columns=out_cols)
    referral = first_rule(both["content"], rules.family("referral"), links=d.links)
    both["rule"], both["words"] = referral["rule"], referral["words"]
    redirect = both[both["rule"].notna()].drop_duplicates("subject").assign(answer="redirect")
    ask = both[(both["reply_rank"] != 0) & ~both["subject"].isin(redirect["subject"])]
    ask = ask.drop_duplicates("subject").assign(answer="ask", rule=pd.NA, words=pd.NA)
    return pd.concat([redirect, ask], ignore_index=True)[out_cols]


def requests_by_rules(d: WorkspaceData, rules: Rules) -> pd.DataFrame:
    """Referral and honest-decline rules on the owner's reply to each request (the reply and
    the owner's messages within ``REPLY_RUN_HOURS`` of it): one row per request a rule read,
    ``request_key, handling, referral, rule, words``."""
    columns = ["request_key", "handling", "referral", "rule", "words"]
    t = d.threads
    if len(t) == 0:
        return pd.DataFrame(columns=columns)
    replies = t[(t["reply_rank"] >= 0)
                & (t["after_reply"] <= pd.Timedelta(hours=REPLY_RUN_HOURS))]
    if len(replies) == 0:
        return pd.DataFrame(columns=columns)
    found = []
    for family, handling in (("referral", "refer"), ("explain", "explain")):
        hits = first_rule(replies["content"], rules.family(family), links=d.links)
        hit = hits["rule"].notna()
        hits = hits[hit].copy()
        hits["request_key"] = replies.loc[hit, "request_key"].to_numpy(dtype=object)
        hits["sent_at"] = replies.loc[hit, "sent_at"].to_numpy()
        hits["handling"] = handling
        found.append(hits)
    hits = pd.concat(found, ignore_index=True)
    if len(hits) == 0:
        return pd.DataFrame(columns=columns)
    # a referral wins over a decline in the same reply (the decline is the courtesy);
    # within a family the first rule of the file wins, then the earliest message
    hits["family_order"] = np.where(hits["handling"] == "refer", 0, 1)
    hits = hits.sort_values(["request_key", "family_order", "order", "sent_at"])
    hits = hits.drop_duplicates("request_key")
    hits["referral"] = hits["value"].where(hits["handling"] == "refer")
    return hits[columns].reset_index(drop=True)


def group_conversations(messages: pd.DataFrame) -> pd.Index:
    """Conversations with more than one other participant: more than one person wrote in
    them, or a message went to two or more people besides its sender (the workspace's
    ``participants`` is three or more; in a frame without it, ``recipient_urls`` names two
    or more)."""
    if len(messages) == 0:
        return pd.Index([])
    conversation = messages["conversation_id"].astype(object)
    inbound = messages["direction"].eq("inbound")
    senders = messages.loc[inbound, "sender_key"].astype(object).groupby(
        conversation[inbound]).nunique()
    many = senders[senders > 1].index
    if "participants" in messages:
        wide = pd.to_numeric(messages["participants"]).fillna(2).to_numpy() >= 3
    elif "recipient_urls" in messages:
        wide = recipients_named(messages["recipient_urls"]) >= 2
    else:
        return many
    return many.union(pd.Index(pd.unique(conversation[wide])))


def acknowledgement_runs(d: WorkspaceData, rules: Rules) -> pd.DataFrame:
    """Requests whose every inbound message is only an acknowledgement (an
    ``acknowledgement`` rule: thanks, an emoji, congratulations): ``request_key, rule,
    words``. A thanks followed by a question is a request. Only in one-to-one
    conversations: a group thread is context, not requests."""
    columns = ["request_key", "rule", "words"]
    family = rules.family("acknowledgement")
    t = d.threads
    if len(t) == 0 or not family:
        return pd.DataFrame(columns=columns)
    inbound = t[t["direction"].eq("inbound") & t["request_key"].notna()]
    inbound = inbound[~inbound["conversation_id"].isin(group_conversations(t))]
    if len(inbound) == 0:
        return pd.DataFrame(columns=columns)
    filler = (d.owner_first,) if d.owner_first else ()
    hits = acknowledgements(inbound["content"], family, filler)
    frame = pd.DataFrame({"request_key": inbound["request_key"].astype(object),
                          "rule": hits["rule"], "words": hits["words"],
                          "ack": hits["rule"].notna()})
    whole = frame.groupby("request_key", sort=False)["ack"].all()
    whole = whole[whole]
    frame = frame[frame["request_key"].isin(whole.index)]
    first = frame.drop_duplicates("request_key")
    words = frame.groupby("request_key", sort=False)["words"].agg(
        lambda w: " / ".join(dict.fromkeys(str(x) for x in w)))
    first = first.assign(words=first["request_key"].map(words).map(clip))
    return first[columns].reset_index(drop=True)


def infer_handling(d: WorkspaceData, by_rules: pd.DataFrame,
                   acks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Handling of requests: ``answer`` (inferred) when replied, unless a rule read the reply
    as a referral or decline (``suggested``, with the referral); ``none`` (inferred) when
    unanswered and older than ``UNANSWERED_DAYS`` at the last export; ``no_reply_needed``
    (``suggested``) when the run is only an acknowledgement (``acks``, see
    :func:`acknowledgement_runs`), whatever the reply."""
    e = d.episodes
    if len(e) == 0:
        return empty_labels()
    if acks is not None and len(acks):
        e = e[~e["request_key"].isin(acks["request_key"])]
        by_rules = by_rules[~by_rules["request_key"].isin(acks["request_key"])]
    replied = e["replied_at"].notna()
    ruled = e["request_key"].isin(by_rules["request_key"])
    rows = []
    if acks is not None and len(acks):
        rows.append(pd.DataFrame({
            "kind": "handling", "subject": acks["request_key"].astype(object),
            "value": NO_REPLY_NEEDED, "source": "suggested", "rule": acks["rule"],
            "reason": "an acknowledgement only: they wrote \"" + acks["words"].astype(str)
            + "\""}))
    answered = e[replied & ~ruled]
    rows.append(pd.DataFrame({
        "kind": "handling", "subject": answered["request_key"].astype(object), "value": "answer",
        "source": "inferred", "rule": "replied",
        "reason": "you replied on " + iso_day(answered["replied_at"]),
    }))
    if len(by_rules):
        reasons = "your reply says \"" + by_rules["words"].map(clip) + "\""
        rows.append(pd.DataFrame({
            "kind": "handling", "subject": by_rules["request_key"].astype(object),
            "value": by_rules["handling"], "source": "suggested", "rule": by_rules["rule"],
            "reason": reasons}))
        refer = by_rules[by_rules["handling"] == "refer"]
        rows.append(pd.DataFrame({
            "kind": "referral", "subject": refer["request_key"].astype(object),
            "value": refer["referral"], "source": "suggested", "rule": refer["rule"],
            "reason": reasons[refer.index]}))
    if d.last_export is not None:
        age = d.last_export - e["started_at"]
        waiting = e[~replied & (age >= pd.Timedelta(days=UNANSWERED_DAYS))]
        days = (d.last_export - waiting["started_at"]).dt.days.astype(str)
        rows.append(pd.DataFrame({
            "kind": "handling", "subject": waiting["request_key"].astype(object), "value": "none",
            "source": "inferred", "rule": "no-reply",
            "reason": "no reply by the export of " + d.last_export.strftime("%Y-%m-%d") + ", "
            + days + " days after the request",
        }))
    return pd.concat(rows, ignore_index=True)


# ---------------------------------------------------------------------- relationships
def relationships_by_rules(d: WorkspaceData, rules: Rules) -> tuple[pd.DataFrame, list[str]]:
    """Relationship suggestions for people (not the owner): the first rule that matches."""
    skipped: list[str] = []
    people = d.people[["person_key", "name", "company", "position"]].copy()
    people["person_key"] = people["person_key"].astype(object)
    if d.owner_key:
        people = people[people["person_key"] != d.owner_key]
    people = people.set_index("person_key")
    if len(people) == 0:
        return empty_labels(), skipped
    inbound = d.messages[d.messages["direction"].eq("inbound")]
    invitations = d.invitations[d.invitations["direction"].eq("incoming")
                                & d.invitations["message"].notna()]
    texts = {
        "position": people["position"],
        "company": people["company"],
        "messages": (inbound["sender_key"].astype(object), inbound["content"]),
        "invitation": (invitations["person_key"].astype(object), invitations["message"]),
    }
    chosen = pd.DataFrame({"rule": pd.Series(pd.NA, index=people.index, dtype=object),
                           "value": pd.Series(pd.NA, index=people.index, dtype=object),
                           "reason": pd.Series(pd.NA, index=people.index, dtype=object)})
    for rule in rules.family("relationship"):
        if rule.owner_institution and not d.institution:
            skipped.append(f"{rule.name} (the stored policy has no owner_institution)")
            continue
        todo = chosen["rule"].isna()
        if not todo.any():
            break
        found = pd.Series(pd.NA, index=people.index, dtype=object)
        for f in rule.fields:
            if f in ("position", "company"):
                words = matches(texts[f][todo], rule, d.institution)
            else:
                keys, values = texts[f]
                keys_todo = keys.isin(people.index[todo])
                hits = matches(values[keys_todo], rule, d.institution)
                hits = pd.DataFrame({"k": keys[keys_todo], "w": hits}).dropna()
                words = hits.drop_duplicates("k").set_index("k")["w"]
            words = (_FIELD_WORDS[f] + ": \"" + words.dropna().map(clip) + "\"")
            found = found.fillna(words.reindex(found.index))
        for f in rule.requires:
            present = texts[f].fillna("").astype(str).str.strip().ne("")
            found = found.where(present, pd.NA)
        hit = todo & found.notna()
        chosen.loc[hit, "rule"] = rule.name
        chosen.loc[hit, "value"] = rule.value
        chosen.loc[hit, "reason"] = found[hit]
    chosen = chosen[chosen["rule"].notna()]
    return pd.DataFrame({
        "kind": "relationship", "subject": chosen.index.astype(object), "value": chosen["value"].values,
        "source": "suggested", "rule": chosen["rule"].values, "reason": chosen["reason"].values,
    }), skipped
