"""What a walk through the product as an adviser found: numbers that must agree between
sections, and stored codes that must not reach the page."""

from __future__ import annotations

import re

import pytest

from adviser_analytics import reflection


@pytest.mark.parametrize("audience", ["self", "supervision"])
def test_decisions_count_the_requests_of_the_key_numbers(labelled_workspace, audience):
    # the autumn term of the samples holds thanks needing no reply and group-conversation
    # runs: the Decisions section said "48 requests" where the key numbers said 32
    r = reflection.open_report(labelled_workspace, "2025-09-01", "2025-12-31", audience)
    block = r.decisions_summary()
    requests = r.metrics["load"]["requests"]
    runs = len(r.model.period_requests())
    assert runs > requests  # the case under test: runs that are not requests
    said = re.search(r"and (\d+) requests? for help in the period \(and (\d+) other runs? of",
                     block.text)
    assert said, block.text
    assert int(said.group(1)) == requests
    assert int(said.group(2)) == runs - requests
    assert "no_reply_needed" not in block.html
    assert "no reply needed" in block.html
