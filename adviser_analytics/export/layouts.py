"""LinkedIn's file layouts: which files matter, which header names map to which column,
and which era a header belongs to (see ``shared/linkedin-export-format.md``).

Columns are mapped by name, never by position: a header is recognised when it holds the
required names of its file, in any order and case, with any extra columns (ignored).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# Logical file name (lower-case, spaces as underscores) -> kind.
FILE_KINDS: dict[str, str] = {
    "connections.csv": "connections",
    "messages.csv": "messages",
    "invitations.csv": "invitations",
    "profile.csv": "profile",
    "coach_messages.csv": "coach_messages",
    "learning_coach_messages.csv": "learning_coach_messages",
    "learning_role_play_messages.csv": "learning_role_play_messages",
}
CANONICAL_NAMES: dict[str, str] = {
    "connections": "Connections.csv",
    "messages": "messages.csv",
    "invitations": "Invitations.csv",
    "profile": "Profile.csv",
    "coach_messages": "coach_messages.csv",
    "learning_coach_messages": "learning_coach_messages.csv",
    "learning_role_play_messages": "learning_role_play_messages.csv",
}
MAIN_KINDS = ("connections", "messages", "invitations", "profile")
COACH_KINDS = ("coach_messages", "learning_coach_messages", "learning_role_play_messages")

_SPACES = re.compile(r"[\s_]+")


def logical_name(file_name: str) -> str:
    """``Learning Coach Messages.CSV`` -> ``learning_coach_messages.csv``."""
    return _SPACES.sub("_", file_name.strip().casefold())


def kind_of(file_name: str) -> str | None:
    """The kind of a file from its base name, or ``None`` for files this tool ignores."""
    return FILE_KINDS.get(logical_name(file_name))


def header_key(name: str) -> str:
    """A header cell folded for matching: no BOM/quotes/outer spaces, case-folded, single spaces."""
    text = name.replace("\ufeff", "").strip().strip('"').strip()
    return _SPACES.sub(" ", text).casefold()


@dataclass(frozen=True)
class FileSpec:
    """How to recognise and map the header of one kind of file."""

    kind: str
    aliases: Mapping[str, tuple[str, ...]]
    """canonical column -> accepted header names (as folded by :func:`header_key`)."""
    required: tuple[str, ...]
    example: str
    """A header of the current era, quoted in messages to the adviser."""
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Known columns that are not kept but tell the era apart."""

    def match(self, cells: list[str]) -> dict[str, int] | None:
        """canonical column -> index in ``cells`` (first occurrence), if the header is known."""
        keys = [header_key(c) for c in cells]
        found: dict[str, int] = {}
        for column, names in (*self.aliases.items(), *self.extras.items()):
            for index, key in enumerate(keys):
                if key in names:
                    found[column] = index
                    break
        if all(column in found for column in self.required):
            return found
        return None


CONNECTIONS = FileSpec(
    kind="connections",
    aliases={
        "first_name": ("first name",),
        "last_name": ("last name",),
        "profile_url": ("url", "profile url"),
        "email": ("email address", "email", "e-mail address"),
        "company": ("company",),
        "position": ("position",),
        "connected_on": ("connected on",),
    },
    required=("first_name", "last_name", "connected_on"),
    example="First Name,Last Name,URL,Email Address,Company,Position,Connected On",
)

MESSAGES = FileSpec(
    kind="messages",
    aliases={
        "conversation_id": ("conversation id",),
        "conversation_title": ("conversation title",),
        "sender_name": ("from",),
        "sender_url": ("sender profile url",),
        "to_names": ("to",),
        "recipient_urls": ("recipient profile urls", "recipient profile url"),
        "sent_at": ("date",),
        "subject": ("subject",),
        "content": ("content",),
        "folder": ("folder",),
        "direction_raw": ("direction",),
        "is_draft": ("is message draft",),
    },
    extras={
        "attachments": ("attachments",),
        "is_conversation_draft": ("is conversation draft",),
    },
    required=("sender_name", "sent_at", "content"),
    example=("CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,"
             "RECIPIENT PROFILE URLS,DATE,SUBJECT,CONTENT,FOLDER"),
)

INVITATIONS = FileSpec(
    kind="invitations",
    aliases={
        "from_name": ("from",),
        "to_name": ("to",),
        "sent_at": ("sent at",),
        "message": ("message",),
        "direction": ("direction",),
        "inviter_url": ("inviterprofileurl", "inviter profile url"),
        "invitee_url": ("inviteeprofileurl", "invitee profile url"),
    },
    extras={
        "inviter_urn": ("inviterprofileurn", "inviter profile urn"),
        "invitee_urn": ("inviteeprofileurn", "invitee profile urn"),
    },
    required=("from_name", "to_name", "sent_at"),
    example="From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl",
)

PROFILE = FileSpec(
    kind="profile",
    aliases={"first_name": ("first name",), "last_name": ("last name",)},
    required=("first_name", "last_name"),
    example="First Name,Last Name,Maiden Name,Address,Birth Date,Headline,Summary,...",
)

SPECS: dict[str, FileSpec] = {
    "connections": CONNECTIONS,
    "messages": MESSAGES,
    "invitations": INVITATIONS,
    "profile": PROFILE,
    "coach_messages": MESSAGES,
    "learning_coach_messages": MESSAGES,
    "learning_role_play_messages": MESSAGES,
}

# The canonical frames' columns, in order (docs/architecture.md).
CONNECTION_COLUMNS = ("first_name", "last_name", "profile_url", "email", "company", "position",
                      "connected_on", "line")
MESSAGE_COLUMNS = ("conversation_id", "conversation_title", "sender_name", "sender_url",
                   "to_names", "recipient_urls", "sent_at", "subject", "content", "folder",
                   "direction_raw", "is_draft", "line", "file")
INVITATION_COLUMNS = ("from_name", "to_name", "sent_at", "message", "direction", "inviter_url",
                      "invitee_url", "line")


def era(kind: str, columns: Mapping[str, int], header_cells: list[str], preamble: bool) -> str:
    """A short label of the layout a header belongs to, e.g. ``messages-2023``."""
    if kind == "connections":
        if "profile_url" in columns:
            return "connections-2023"
        return "connections-2021" if preamble else "connections-2018"
    if kind == "messages":
        if any(c in columns for c in ("attachments", "is_draft", "is_conversation_draft")):
            return "messages-2024"
        if "recipient_urls" in columns:
            return "messages-2023"
        if "conversation_id" in columns:
            return "messages-2021"
        sender = header_cells[columns["sender_name"]].strip()
        return "messages-2020" if sender.isupper() else "messages-2018"
    if kind == "invitations":
        if "inviter_url" in columns or "invitee_url" in columns:
            return "invitations-2024"
        if "inviter_urn" in columns or "invitee_urn" in columns:
            return "invitations-2023"
        return "invitations-2018"
    if kind == "profile":
        return "profile"
    return "coach"
