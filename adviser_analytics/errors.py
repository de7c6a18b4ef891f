"""The project's exception hierarchy.

Every foreseeable problem with the adviser's input is one of these; ``str(error)`` is the
one-paragraph message the command line prints (exit code 1). Anything else is a bug.
"""

from __future__ import annotations


class AdviserAnalyticsError(Exception):
    """Base class: a problem the adviser can act on."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 what_to_do: str | None = None):
        self.message = message
        self.file = file
        self.line = line
        self.what_to_do = what_to_do
        super().__init__(self.render())

    def render(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}"
            if self.line:
                where += f", line {self.line}"
            where += ": "
        text = where + self.message.rstrip(".") + "."
        if self.what_to_do:
            advice = self.what_to_do.rstrip(".")
            text += " " + advice[:1].upper() + advice[1:] + "."
        return text


class BadExportError(AdviserAnalyticsError):
    """An export (zip or folder) that cannot be read as a LinkedIn data export."""


class BadLabelsError(AdviserAnalyticsError):
    """A label CSV with values outside the vocabulary or a broken layout."""


class BadPolicyError(AdviserAnalyticsError):
    """A policy YAML that does not follow the contract."""


class WorkspaceError(AdviserAnalyticsError):
    """The workspace is missing, belongs to someone else, or cannot be written."""


class ReportError(AdviserAnalyticsError):
    """One or more reports could not be produced."""


class PrivacyError(AdviserAnalyticsError):
    """A supervision artefact would have revealed something it must not."""


class UsageError(Exception):
    """Wrong use of the command line (exit 2): not an AdviserAnalyticsError, which means bad input."""
