"""The only code that knows LinkedIn's file layouts (``shared/linkedin-export-format.md``).

```python
from adviser_analytics.export import read_export, ExportContents, ReadLimits
contents = read_export(path)          # a .zip, or a folder with the files at any depth
for frame in read_message_batches(path):   # messages.csv in blocks, never held whole
    ...
```

``read_export`` finds the files (recursively; case, spaces and underscores ignored; the first
of duplicates in sorted path order), reads them in memory under :class:`ReadLimits`, decodes
them (UTF-8 with or without BOM, UTF-16), finds each header among the first 20 lines, maps
columns by name and returns :class:`ExportContents` with the canonical frames of
docs/architecture.md. Anything wrong with the input raises ``BadExportError`` naming the
file, the line and what to do; nothing else escapes.

Layouts (``contents.layouts[file]``) and what they map to:

- ``connections-2018`` (no preamble), ``connections-2021`` (Notes block), ``connections-2023``
  (+ ``URL``): First Name, Last Name, URL, Email Address, Company, Position, Connected On ->
  ``first_name, last_name, profile_url, email, company, position, connected_on`` (midnight
  UTC); blank-person rows are kept.
- ``messages-2018`` / ``messages-2020`` (From/FROM, To, Date, Subject, Content, Direction,
  Folder), ``messages-2021`` (+ CONVERSATION ID, CONVERSATION TITLE, SENDER PROFILE URL, no
  direction), ``messages-2023`` (+ RECIPIENT PROFILE URLS), ``messages-2024`` (+ any of
  ATTACHMENTS, IS MESSAGE DRAFT, IS CONVERSATION DRAFT) -> ``conversation_id,
  conversation_title, sender_name, sender_url, to_names, recipient_urls, sent_at, subject,
  content, folder, direction_raw, is_draft``.
- ``invitations-2018`` (From, To, Sent At, Message, Direction), ``invitations-2023``
  (+ URNs, which become NA), ``invitations-2024`` (+ inviterProfileUrl, inviteeProfileUrl)
  -> ``from_name, to_name, sent_at, message, direction, inviter_url, invitee_url``.
- ``profile``: First Name + Last Name -> ``owner_name``.
- ``coach`` (``coach-unknown`` when its header changed): AI-coach files, only counted.
- ``<kind>-empty``: a file with no text at all.
"""

from .dates import DATE_FORMATS, parse_dates
from .fingerprint import export_fingerprint
from .layouts import CANONICAL_NAMES
from .limits import ReadLimits
from .reader import (
    MESSAGE_BATCH_BYTES,
    ExportContents,
    empty_contents,
    find_export_files,
    read_export,
    read_message_batches,
)

__all__ = [
    "CANONICAL_NAMES",
    "DATE_FORMATS",
    "MESSAGE_BATCH_BYTES",
    "ExportContents",
    "ReadLimits",
    "empty_contents",
    "export_fingerprint",
    "find_export_files",
    "parse_dates",
    "read_export",
    "read_message_batches",
]
