"""``adviser-analytics advice``: the "Advice for contacting" text, written from the policy.

The words come from an editable Jinja2 template: the package's ``templates/advice.txt.j2``,
or the adviser's own copy at ``WORKSPACE/templates/advice.txt.j2`` when it exists. The
template receives plain facts drawn from the policy version in force (whom the adviser
connects with, the introductions stance, the service's links, the reply target and weekly
time) and writes first-person sentences from them.

When a new policy version came into force recently (``--recent-days``, default 60) or when
asked (``--compare``), the previous version's text is shown beside the new one.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import date
from itertools import zip_longest
from pathlib import Path

import jinja2

from adviser_analytics.errors import AdviserAnalyticsError
from adviser_analytics.resources import template_environment

__all__ = ["TEMPLATE_NAME", "PolicyParts", "read_policy", "advice_context", "render_advice",
           "Advice", "build_advice"]

TEMPLATE_NAME = "advice.txt.j2"
REFERRAL_WORDS = {"appointment": "book an appointment", "mentor": "find an alumni mentor",
                  "event": "events and fairs", "resource": "guides and resources",
                  "reception": "ask reception", "other": "other help"}
PLURALS = {"client": "students and graduates I advise", "colleague": "colleagues",
           "professional": "employers and professional contacts", "personal": "friends and family",
           "unknown": "people I don't know yet", "spam": "spam"}


# ---------------------------------------------------------------------- the policy
@dataclass(frozen=True)
class PolicyParts:
    """The stored policy (versions), and its top-level ``service`` as a plain dict."""

    policy: object  # adviser_analytics.policy.Policy
    service: dict


def read_policy(text: str | None, file: str = "the stored policy") -> PolicyParts | None:
    """The stored policy and its ``service`` block (``{}`` when it has none)."""
    from adviser_analytics.policy import load_policy

    if not text:
        return None
    policy = load_policy(text, file=file)
    return PolicyParts(policy, _service_dict(getattr(policy, "service", None)))


def _service_dict(service: object) -> dict:
    """``service`` as ``{name, reception, links: {kind: [url, ...]}}``."""
    if service is None:
        return {}
    raw = service.to_dict() if hasattr(service, "to_dict") else dict(service)
    links = {}
    for kind, urls in (raw.get("links") or {}).items():
        urls = [urls] if isinstance(urls, str) else list(urls)
        links[str(kind)] = [str(u) for u in urls if u]
    return {"name": raw.get("name"), "reception": raw.get("reception"), "links": links}


# ---------------------------------------------------------------------- the facts
def advice_context(version, service: object, owner_institution: str | None = None) -> dict:
    """What the template needs, from one policy version and the service block."""
    from adviser_analytics.policy import RELATIONSHIPS

    invitations = version.invitations or {}

    def who(decision: str) -> list[str]:
        return [PLURALS[r] for r in RELATIONSHIPS
                if r in invitations and decision in invitations[r]
                and (decision != "ignore" or r == "spam")]

    connect_with = [PLURALS[r] for r in RELATIONSHIPS
                    if r not in ("spam", "unknown") and "accept" in invitations.get(r, ())]
    ask_first = who("ask")
    redirect = [w for w in who("redirect") if w not in connect_with]
    ignore = who("ignore") + [w for w in who("report") if w not in who("ignore")]
    stance = set(version.introductions or ())
    if stance & {"made", "met"}:
        introductions = "case_by_case" if stance & {"explained", "redirected"} else "welcome"
    else:
        introductions = "not_made"
    service = service or {}
    link_list = [(REFERRAL_WORDS.get(kind, kind), url)
                 for kind, urls in (service.get("links") or {}).items() for url in urls]
    per_reply, per_week = version.minutes_per_reply, version.minutes_per_week
    replies_per_week = int(per_week // per_reply) if per_reply and per_week else None
    return {
        "version": {"name": version.name, "effective_from": version.effective_from.isoformat()},
        "connect_with": connect_with, "ask_first": ask_first, "redirect": redirect,
        "ignore": ignore, "introductions": introductions,
        "service": {"name": service.get("name") or owner_institution,
                    "reception": service.get("reception"), "links": link_list},
        "reply_within_days": version.reply_within_days,
        "minutes_per_week": per_week, "replies_per_week": replies_per_week,
        "busy_caveat": per_week is not None,
    }


def _join_words(words) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    if len(words) == 2:
        return words[0] + " and " + words[1]
    return ", ".join(words[:-1]) + ", and " + words[-1]


def _days(value) -> str:
    n = float(value)
    n_text = f"{n:g}"
    return f"{n_text} day" if n == 1 else f"{n_text} days"


def _environment(workspace: Path | None) -> jinja2.Environment:
    env = template_environment(workspace=workspace, undefined=jinja2.StrictUndefined)
    env.filters["join_words"] = _join_words
    env.filters["days"] = _days
    return env


def render_advice(context: dict, workspace: Path | None = None) -> str:
    """The advice text (paragraphs separated by one blank line)."""
    env = _environment(workspace)
    try:
        template = env.get_template(TEMPLATE_NAME)
        text = template.render(**context)
    except jinja2.TemplateError as error:
        name = getattr(error, "filename", None) or TEMPLATE_NAME
        line = getattr(error, "lineno", None)
        raise AdviserAnalyticsError(
            f"the advice template cannot be used ({error.message or error})", file=name, line=line,
            what_to_do="Correct your copy of the template, or delete it to use the standard words",
        ) from None
    paragraphs = [re.sub(r"[ \t]+\n", "\n", p).strip() for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


# ---------------------------------------------------------------------- old and new
@dataclass
class Advice:
    """The text in force and, when compared, the text of the version before it."""

    version: str
    effective_from: date
    text: str
    previous_version: str | None = None
    previous_from: date | None = None
    previous_text: str | None = None

    @property
    def compared(self) -> bool:
        return self.previous_text is not None

    def to_dict(self) -> dict:
        return {"version": self.version, "effective_from": self.effective_from.isoformat(),
                "text": self.text,
                "previous": None if not self.compared else {
                    "version": self.previous_version,
                    "effective_from": self.previous_from.isoformat(),
                    "text": self.previous_text}}


def build_advice(parts: PolicyParts, on: date, workspace: Path | None = None, *,
                 compare: bool = False, recent_days: int = 60) -> Advice:
    """The advice of the version in force on ``on``; the previous version's beside it when
    ``compare`` or when the version started within ``recent_days`` before ``on``."""
    policy = parts.policy
    version = policy.version_on(on)
    if version is None:
        first = policy.versions[0].effective_from
        raise AdviserAnalyticsError(
            f"no policy version is in force on {on} (the first starts on {first})",
            what_to_do=f"Give a later date with --on, e.g. --on {first}")
    institution = getattr(policy, "owner_institution", None)
    advice = Advice(version.name, version.effective_from,
                    render_advice(advice_context(version, parts.service, institution), workspace))
    index = policy.versions.index(version)
    recent = (on - version.effective_from).days <= recent_days
    if index > 0 and (compare or recent):
        before = policy.versions[index - 1]
        advice.previous_version, advice.previous_from = before.name, before.effective_from
        advice.previous_text = render_advice(advice_context(before, parts.service, institution),
                                             workspace)
    return advice


# ---------------------------------------------------------------------- output
def _side_by_side(left: str, right: str, width: int = 38) -> str:
    def lines(text: str) -> list[str]:
        out: list[str] = []
        for paragraph in text.split("\n\n"):
            for line in paragraph.split("\n"):
                out.extend(textwrap.wrap(line, width, break_long_words=False,
                                         break_on_hyphens=False) or [""])
            out.append("")
        return out[:-1]

    rows = zip_longest(lines(left), lines(right), fillvalue="")
    return "\n".join(f"{a:<{width}} | {b}".rstrip() for a, b in rows)


def as_text(advice: Advice) -> str:
    if not advice.compared:
        return advice.text + "\n"
    head_old = f"Before: {advice.previous_version} (from {advice.previous_from})"
    head_new = f"Now: {advice.version} (from {advice.effective_from})"
    return (_side_by_side(head_old, head_new) + "\n" + "-" * 38 + "-+-" + "-" * 38 + "\n"
            + _side_by_side(advice.previous_text, advice.text) + "\n")


def as_markdown(advice: Advice) -> str:
    if not advice.compared:
        return f"## Advice for contacting\n\n{advice.text}\n"
    return (f"## Advice for contacting: before and now\n\n"
            f"### Before: {advice.previous_version} (from {advice.previous_from})\n\n"
            f"{advice.previous_text}\n\n"
            f"### Now: {advice.version} (from {advice.effective_from})\n\n{advice.text}\n")


_URL = re.compile(r"https?://[^\s<>\"']+")


def _paragraphs_html(text: str):
    """Paragraphs as escaped HTML with the service's links clickable (Markup for Jinja2)."""
    from markupsafe import Markup, escape

    out = []
    for paragraph in text.split("\n\n"):
        escaped = str(escape(paragraph))
        linked = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        out.append(Markup(linked.replace("\n", "<br>\n")))
    return out


def as_html(advice: Advice) -> str:
    env = template_environment()
    columns = []
    if advice.compared:
        columns.append({"title": f"Before: {advice.previous_version}",
                        "since": advice.previous_from.isoformat(),
                        "paragraphs": _paragraphs_html(advice.previous_text)})
    columns.append({"title": f"Now: {advice.version}" if advice.compared else advice.version,
                    "since": advice.effective_from.isoformat(),
                    "paragraphs": _paragraphs_html(advice.text)})
    return env.get_template("advice.html.j2").render(columns=columns)


# ---------------------------------------------------------------------- command
