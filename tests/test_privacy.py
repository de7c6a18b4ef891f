"""privacy.py: secret, pseudonyms, suppression, leak check, escaping."""

from __future__ import annotations

import json
import os
import random
import stat
import threading
import time

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adviser_analytics import privacy as P
from adviser_analytics import textsafety as T
from adviser_analytics.errors import PrivacyError

SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))


# ---------------------------------------------------------------------------------- secret

@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_secret_created_owner_only_and_stable(tmp_path):
    path = tmp_path / "ws" / "secret.key"
    first = P.load_or_create_secret(path)
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert P.load_or_create_secret(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temp files left


def test_secrets_differ_between_workspaces(tmp_path):
    assert P.load_or_create_secret(tmp_path / "a") != P.load_or_create_secret(tmp_path / "b")


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_secret_readable_by_others_is_fixed_not_replaced(tmp_path, caplog):
    path = tmp_path / "secret.key"
    original = P.load_or_create_secret(path)
    os.chmod(path, 0o644)
    assert P.load_or_create_secret(path) == original
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "readable by other users" in caplog.text


def test_damaged_secret_is_refused(tmp_path):
    path = tmp_path / "secret.key"
    path.write_bytes(b"short")
    with pytest.raises(PrivacyError, match="damaged"):
        P.load_or_create_secret(path)


def test_concurrent_creation_agrees_on_one_secret(tmp_path):
    path = tmp_path / "secret.key"
    results: list[bytes] = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        results.append(P.load_or_create_secret(path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and len(set(results)) == 1


# ------------------------------------------------------------------------------ pseudonyms

KEYS = [f"https://www.linkedin.com/in/person-{i}" for i in range(3000)]


def test_pseudonym_stable_and_keyed():
    a = P.assign_pseudonyms(SECRET, KEYS[:50], {})
    assert a == P.assign_pseudonyms(SECRET, KEYS[:50], {})
    b = P.assign_pseudonyms(OTHER_SECRET, KEYS[:50], {})
    assert sum(a[k] == b[k] for k in a) < 5
    for key, code in a.items():
        assert len(code) >= 4 and P.person_hmac(SECRET, key).startswith(code)


def test_pseudonym_rendering():
    assert P.pseudonym("client", "3f9a") == "client-3f9a"
    assert P.pseudonym("unknown", "3f9a") == "unknown-3f9a"
    assert P.pseudonym(None, "3f9a") == "person-3f9a"
    assert P.pseudonym(pd.NA, "3f9a") == "person-3f9a"
    # free text outside the vocabulary is never printed (it could be a name)
    assert P.pseudonym("Jane Smith", "3f9a") == "person-3f9a"
    rel = pd.Series(["client", None, "spam"])
    codes = pd.Series(["aaaa", "bbbb", "cccc"])
    assert P.pseudonyms(rel, codes).tolist() == ["client-aaaa", "person-bbbb", "spam-cccc"]


def test_collisions_get_longer_unique_codes_in_sorted_order():
    codes = P.assign_pseudonyms(SECRET, KEYS, {})
    assert len(set(codes.values())) == len(KEYS)
    assert any(len(c) > 4 for c in codes.values())  # 3000 keys in 65536 4-digit codes collide
    # each person has the shortest prefix not held by someone earlier in sorted order
    taken: set[str] = set()
    for key in sorted(KEYS):
        digest = P.person_hmac(SECRET, key)
        expected = next(digest[:n] for n in range(4, 65) if digest[:n] not in taken)
        assert codes[key] == expected
        taken.add(expected)
    # the input order does not matter
    shuffled = KEYS[:]
    random.Random(1).shuffle(shuffled)
    assert P.assign_pseudonyms(SECRET, shuffled, {}) == codes


def test_existing_assignments_never_change():
    first = P.assign_pseudonyms(SECRET, KEYS[:100], {})
    more = P.assign_pseudonyms(SECRET, KEYS[:200], first)
    assert all(more[k] == first[k] for k in first)
    assert len(set(more.values())) == 200
    # an existing code that is another person's natural prefix pushes that person further
    newcomer = KEYS[500]
    squatter_code = P.person_hmac(SECRET, newcomer)[:4]
    existing = {"name:somebody": squatter_code, "name:old": "zzzz"}
    result = P.assign_pseudonyms(SECRET, [newcomer, "name:somebody", "name:old"], existing)
    assert result["name:somebody"] == squatter_code and result["name:old"] == "zzzz"
    assert result[newcomer] == P.person_hmac(SECRET, newcomer)[:5]


def test_duplicate_stored_codes_are_refused():
    with pytest.raises(ValueError):
        P.assign_pseudonyms(SECRET, ["a"], {"a": "abcd", "b": "abcd"})


def test_thirty_thousand_people_fast():
    keys = [f"https://www.linkedin.com/in/p-{i}" for i in range(30_000)]
    start = time.perf_counter()
    codes = P.assign_pseudonyms(SECRET, keys, {})
    assert time.perf_counter() - start < 2.0  # about 0.1 s here; the target is < 1 s
    assert len(set(codes.values())) == 30_000


# ----------------------------------------------------------------------------- suppression

def test_suppress_count():
    assert P.suppress_count(0) == 0
    assert [P.suppress_count(n) for n in (1, 2, 3, 4)] == ["<5"] * 4
    assert P.suppress_count(5) == 5
    assert P.suppress_count(5.0) == 5
    assert P.suppress_count(None) is None


def test_safe_percent():
    assert P.safe_percent(5, 9) is None
    assert P.safe_percent(5, 9, withheld="—") == "—"
    assert P.safe_percent(5, 10) == "50%"
    assert P.safe_percent(0, 10) == "0%"
    assert P.safe_percent(2, 3, decimals=1) is None
    assert P.safe_percent(10, 30, decimals=1) == "33.3%"
    # 3 of 12 would give back the count shown as "<5"
    assert P.safe_percent(3, 12) is None
    assert P.safe_percent(None, 12) is None


def test_suppress_table_one_row_secondary():
    df = pd.DataFrame({"made": [3], "explained": [7], "redirected": [12]})
    out = P.suppress_table(df, ["made", "explained", "redirected"], total_column="total",
                           row_total=False)
    # 3 is hidden; with the total 22 shown, 3 = 22 - 7 - 12, so 7 (next smallest) is hidden
    assert out.iloc[0].tolist() == ["<5", "≥5", "12", "22"]


def test_suppress_table_two_small_cells_need_no_secondary():
    df = pd.DataFrame({"a": [2], "b": [3], "c": [10]})
    out = P.suppress_table(df, ["a", "b", "c"], total_column="total", row_total=False)
    assert out.iloc[0].tolist() == ["<5", "<5", "10", "15"]


def test_suppress_table_small_total_hides_itself():
    df = pd.DataFrame({"a": [1], "b": [0], "c": [2]})
    out = P.suppress_table(df, ["a", "b", "c"], total_column="total", row_total=False)
    assert out.iloc[0].tolist() == ["<5", "0", "<5", "<5"]


def test_suppress_table_two_way_by_hand():
    df = pd.DataFrame({"relationship": ["client", "colleague"],
                       "made": [3, 6], "declined": [0, 0], "met": [8, 9]})
    out = P.suppress_table(df, ["made", "declined", "met"], total_column="total")
    # the row of totals is over everyone (the adviser's own totals) and is shown in full;
    # row client: 3 hidden -> smallest non-zero shown part (8; zeros are never picked);
    # column made: 3 hidden -> 6; column met: 8 hidden -> 9.  Then made(client) can be any
    # of 1-4: 9 - made(colleague >= 5) and 11 - met(client >= 5) both allow it.
    assert out.loc[0, ["made", "declined", "met", "total"]].tolist() == ["<5", "0", "≥5", "11"]
    assert out.loc[1, ["made", "declined", "met", "total"]].tolist() == ["≥5", "0", "≥5", "15"]
    assert out.loc["Total"].tolist() == ["Total", "9", "0", "17", "26"]


def test_suppress_table_column_total_only():
    df = pd.DataFrame({"n": [3, 6, 20]}, index=["a", "b", "c"])
    out = P.suppress_table(df, ["n"])
    assert out["n"].tolist() == ["<5", "≥5", "20", "29"]


def test_suppress_table_lower_bound_of_secondary_cells_is_not_a_leak():
    # b(client) = 1 and b(colleague) = 5: hiding both is not enough, since the column total
    # 15 minus the shown 9 leaves 6 = b(client) + b(colleague) with b(colleague) >= 5, which
    # pins b(client) at 1. The check of pinned cells hides the next cell (unknown's 9) and
    # then its row's 7, so that nothing follows from the totals.
    df = pd.DataFrame({"rel": ["client", "colleague", "unknown"], "a": [1, 6, 7],
                       "b": [1, 5, 9]})
    out = P.suppress_table(df, ["a", "b"], total_column="requests")
    assert out.loc[0, ["a", "b", "requests"]].tolist() == ["<5", "<5", "<5"]
    assert out.loc[1, ["a", "b", "requests"]].tolist() == ["≥5", "≥5", "≥5"]
    assert out.loc[2, ["a", "b", "requests"]].tolist() == ["≥5", "≥5", "16"]
    assert out.loc["Total", ["a", "b", "requests"]].tolist() == ["14", "15", "29"]


def test_suppress_table_unprotectable_breakdown_is_withheld():
    # one relationship only: its row is the row of totals, which is shown
    out = P.suppress_table(pd.DataFrame({"a": [0], "b": [0], "c": [1]}), ["a", "b", "c"],
                           total_column="total")
    assert out.iloc[0].tolist() == ["withheld"] * 4
    assert out.loc["Total"].tolist() == ["0", "0", "1", "1"]


def _hidden(cell: str) -> bool:
    return cell in ("<5", "≥5", "withheld")


def _range_of_hidden(grid: list[list[str]]) -> dict[tuple[int, int], tuple[int, int]]:
    """What an attacker can work out from a shown table (cells and the total column; the
    last row holds the column totals): for each hidden cell the least and greatest whole
    number consistent with every row and column total. Solved as integer programmes,
    independently of how the table was suppressed."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_rows, n_cols = len(grid), len(grid[0])
    unknown = [(r, c) for r in range(n_rows) for c in range(n_cols) if _hidden(grid[r][c])]
    if not unknown:
        return {}
    index = {cell: i for i, cell in enumerate(unknown)}
    lines = [[(r, c) for c in range(n_cols - 1)] + [(r, n_cols - 1)] for r in range(n_rows)]
    lines += [[(r, c) for r in range(n_rows - 1)] + [(n_rows - 1, c)] for c in range(n_cols)]
    a, rhs = [], []
    for line in lines:  # parts - total = 0
        row, constant = np.zeros(len(unknown)), 0.0
        for k, cell in enumerate(line):
            sign = -1.0 if k == len(line) - 1 else 1.0
            text = grid[cell[0]][cell[1]]
            if cell in index:
                row[index[cell]] += sign
            else:
                constant += sign * float(text or 0)
        if row.any():
            a.append(row)
            rhs.append(-constant)
    big = sum(float(x) for x in grid[-1] if x and not _hidden(x)) + 100
    low = [1 if grid[r][c] == "<5" else 5 if grid[r][c] == "≥5" else 0 for r, c in unknown]
    high = [4 if grid[r][c] == "<5" else big for r, c in unknown]
    constraint = LinearConstraint(np.array(a), np.array(rhs), np.array(rhs)) if a else ()
    out = {}
    for cell, i in index.items():
        objective = np.zeros(len(unknown))
        objective[i] = 1.0
        ranges = []
        for sign in (1.0, -1.0):
            res = milp(sign * objective, constraints=constraint, integrality=np.ones(len(unknown)),
                       bounds=Bounds(low, high))
            assert res.status == 0
            ranges.append(round(sign * res.fun))
        out[cell] = tuple(ranges)
    return out


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=3, max_size=3), min_size=1, max_size=4))
def test_suppress_table_no_hidden_cell_follows_from_the_totals(rows):
    df = pd.DataFrame(rows, columns=["a", "b", "c"])
    out = P.suppress_table(df, ["a", "b", "c"], total_column="total")
    grid = out[["a", "b", "c", "total"]].to_numpy().tolist()
    values = df.assign(total=df.sum(axis=1))
    values.loc["Total"] = values.sum()
    for (r, c), cell in pd.DataFrame(grid).stack().items():
        true = int(values.to_numpy()[r, c])
        if cell == "<5":
            assert 1 <= true <= 4
        elif cell == "≥5":
            assert true >= 5
        elif cell != "withheld":
            # shown: exact, and 1-4 only in the row of totals (the adviser's own totals)
            assert int(cell) == true and (r == len(grid) - 1 or not 1 <= true <= 4)
    assert all(not _hidden(x) for x in grid[-1])
    if len(grid) == 2:  # one row: it is the row of totals, withheld unless it is all zeros
        assert all(x == "withheld" for x in grid[0]) or grid[0] == grid[1]
        return
    for cell, (low, high) in _range_of_hidden(grid).items():
        # (a zero that follows from a zero total tells nothing: zeros are shown anyway)
        assert low < high or high == 0, f"hidden cell {cell} follows from the totals: {grid}"


def test_every_table_of_the_sample_report_keeps_its_hidden_cells(tmp_path):
    # the invitation decisions of the sample story (issue 13: every hidden cell followed)
    df = pd.DataFrame({"relationship": ["client", "colleague", "employer", "recruiter",
                                        "unknown"],
                       "accept": [14, 3, 2, 0, 6], "decline": [1, 0, 0, 4, 2],
                       "ignore": [0, 1, 0, 7, 3]})
    out = P.suppress_table(df, ["accept", "decline", "ignore"], total_column="total")
    grid = out[["accept", "decline", "ignore", "total"]].to_numpy().tolist()
    ranges = _range_of_hidden(grid)
    assert ranges and all(low < high for low, high in ranges.values())


SAMPLE_METRICS = {
    "period": {"from": "2025-01-01", "to": "2025-01-31"},
    "load": {"inbound_messages": 40, "requests": 12, "answered_requests": 9,
             "reply_rate": 0.75, "first_reply_hours_median": 5.0,
             "first_reply_hours_p90": 30.5, "waiting": 3, "waiting_oldest_days": 4.5,
             "minutes_spent_estimate": 54.0},
    "introductions": {"requests": 12,
                      "outcomes": {"made": 3, "explained": 7, "redirected": 0,
                                   "target_declined": 0, "no_response": 2, "met": 0,
                                   "pending": 0, "unreviewed": 0}},
    "policy": {"decisions": 8, "conforming": 6, "conformance_rate": 0.75,
               "conformance_ci95": [0.41, 0.93]},
}


def test_suppress_metrics_sample():
    out = P.suppress_metrics(SAMPLE_METRICS)
    assert out["period"] == SAMPLE_METRICS["period"]
    load = out["load"]
    assert load["inbound_messages"] == 40 and load["requests"] == 12
    # the adviser's own totals over everyone are about the adviser: shown as they are, small
    # or not (domain.md, "suppresses by disclosure risk")
    assert load["answered_requests"] == 9 and load["reply_rate"] == 0.75
    assert load["first_reply_hours_median"] == 5.0 and load["first_reply_hours_p90"] == 30.5
    assert load["waiting"] == 3 and load["waiting_oldest_days"] == 4.5
    intro = out["introductions"]
    assert intro["requests"] == 12
    # the outcomes are a breakdown: made 3 and no_response 2 are both hidden; with 12 and
    # explained 7 shown they add up to 5, which either could be 1-4 of: no secondary needed
    assert intro["outcomes"] == {"made": "<5", "explained": 7, "redirected": 0,
                                 "target_declined": 0, "no_response": "<5", "met": 0,
                                 "pending": 0, "unreviewed": 0}
    assert out["policy"] == {"decisions": 8, "conforming": 6, "conformance_rate": 0.75,
                             "conformance_ci95": [0.41, 0.93]}
    assert SAMPLE_METRICS["load"]["waiting"] == 3  # the input is not modified


def test_suppress_metrics_secondary_and_small_numerator():
    metrics = {"load": {"requests": 20, "answered_requests": 4, "reply_rate": 0.2},
               "introductions": {"requests": 10, "outcomes": {"made": 3, "explained": 7}},
               "policy": {"decisions": 30, "conforming": 27, "conformance_rate": 0.9,
                          "conformance_ci95": [0.74, 0.97]}}
    out = P.suppress_metrics(metrics)
    assert out["load"] == {"requests": 20, "answered_requests": 4, "reply_rate": 0.2}
    # made + explained = 10 (shown): made hidden, so explained is hidden too
    assert out["introductions"]["outcomes"] == {"made": "<5", "explained": "≥5"}
    assert out["introductions"]["requests"] == 10
    assert out["policy"]["conformance_rate"] == 0.9
    assert out["policy"]["conformance_ci95"] == [0.74, 0.97]


def test_suppress_metrics_total_without_unreviewed():
    # requests (10) = made + explained; unreviewed suggestions are counted apart
    metrics = {"introductions": {"requests": 10,
                                 "outcomes": {"made": 3, "explained": 7, "unreviewed": 2}}}
    out = P.suppress_metrics(metrics)["introductions"]["outcomes"]
    assert out == {"made": "<5", "explained": "≥5", "unreviewed": "<5"}


def test_unregistered_metrics_are_withheld_from_supervision():
    # deny by default: a key nobody registered never reaches a supervisor, whatever its value
    metrics = {"load": {"requests": 12, "favourite_client_messages": 40,
                        "reply_rate_of_one_person": 0.5, "who": "client-3f9a"},
               "new_section": {"count": 30, "names": ["x"]},
               "bare": 7}
    out = P.suppress_metrics(metrics)
    assert out["load"] == {"requests": 12, "favourite_client_messages": None,
                           "reply_rate_of_one_person": None, "who": None}
    assert out["new_section"] == {"count": None, "names": None}
    assert out["bare"] is None


def test_registered_metric_follows_its_entry():
    # the same new key, once registered as a rate on `requests`, is shown on a base of 12 with
    # 8 answered (not 1-4) and withheld on a base of 9
    registry = dict(P.METRICS)
    registry["load.new_rate"] = P.Metric("load.new_rate", "rate", "a new share", 4,
                                         base="requests", numerator="answered_requests",
                                         scope=P.BREAKDOWN)
    shown = P.suppress_metrics({"load": {"requests": 12, "answered_requests": 8,
                                         "new_rate": 0.6667}}, registry)
    assert shown["load"] == {"requests": 12, "answered_requests": 8, "new_rate": 0.6667}
    small = P.suppress_metrics({"load": {"requests": 9, "answered_requests": 8,
                                         "new_rate": 0.8889}}, registry)
    assert small["load"] == {"requests": 9, "answered_requests": 8, "new_rate": None}
    assert P.suppress_metrics({"load": {"new_rate": 0.5}})["load"] == {"new_rate": None}
    # registered as the adviser's own total it is shown on any base
    registry["load.new_rate"] = P.Metric("load.new_rate", "rate", "a new share", 4,
                                         base="requests", numerator="answered_requests")
    own = P.suppress_metrics({"load": {"requests": 9, "answered_requests": 8,
                                       "new_rate": 0.8889}}, registry)
    assert own["load"]["new_rate"] == 0.8889


def test_outcomes_that_the_total_gives_back_are_withheld():
    # 3 requests, all made: with the total shown (the adviser's own), "made" would follow
    out = P.suppress_metrics({"introductions": {"requests": 3,
                                                "outcomes": {"made": 3, "explained": 0}}})
    assert out["introductions"] == {"requests": 3,
                                    "outcomes": {"made": "withheld", "explained": 0}}


def test_registry_entries_are_complete():
    for key, entry in P.METRICS.items():
        assert key == entry.key and "." in key
        assert entry.scope in (P.OWN_TOTAL, P.BREAKDOWN)
        assert entry.label and entry.label == entry.label.strip()
        if entry.kind in ("rate", "interval", "statistic", "outcomes"):
            section = key.split(".")[0]
            assert f"{section}.{entry.base}" in P.METRICS, key
    # the introduction outcomes split requests by what happened to a person: a breakdown
    assert P.metric("introductions.outcomes").scope == P.BREAKDOWN
    assert P.metric("load.requests").scope == P.OWN_TOTAL
    with pytest.raises(ValueError):
        P.Metric("load.x", "guess", "x")


def test_part_percent_and_figure_rules():
    # 12 of 15: the rest (3) is 1-4, so the part is hidden as "≥5" and the percentage withheld
    assert P.suppress_part(12, 15) == "≥5" and P.supervision_percent(12, 15) is None
    # 10 of 15: the rest is 5, nothing to derive
    assert P.suppress_part(10, 15) == 10 and P.supervision_percent(10, 15) == "67%"
    assert P.suppress_part(3, 15) == "<5" and P.suppress_part(0, 15) == 0
    assert P.statistic_shown(10) and not P.statistic_shown(9) and not P.statistic_shown(None)
    assert P.withheld_reason(9) == "withheld (fewer than 10)"
    assert P.withheld_reason(20) == "withheld (small count)"
    assert P.counts_drawable([0, 5, 17, None]) and not P.counts_drawable([0, 5, 4])


# ------------------------------------------------------------------------------ leak check

PEOPLE = pd.DataFrame({
    "person_key": ["https://www.linkedin.com/in/zoë-ånström", "name:grace hill",
                   "https://www.linkedin.com/in/bartholomew-okafor-7b2"],
    "name": ["Zoë Ånström", "Grace Hill", "Dr Bartholomew Okafor, PhD"],
    "profile_url": ["https://www.linkedin.com/in/zo%C3%AB-%C3%A5nstr%C3%B6m", None,
                    "https://linkedin.com/in/bartholomew-okafor-7b2/"],
    "email": ["zoe.anstrom@example.org", None, "b.okafor@example.com"],
    "company": ["Quillfeather Analytics", "Self-employed", "Example University"],
})
MESSAGES = pd.DataFrame({
    "conversation_id": ["2-ZmQ1NTg0YjQtZmU2Ny00ZDk0LWE5", "2-YTBhNjM2MjktODVk"],
    "sender_name": ["Zoë Ånström", "Sam Adviser"],
    "subject": ["", "Re: careers"],
    "content": ['<p class="spaced">Could you introduce me to your contact at the '
                "O&#39;Neill Trust? I&rsquo;d be so grateful for any help.</p>",
                "Happy to look at your CV next week, book via reception."],
})
ALLOW = ["Sam Adviser", "Example University"]


@pytest.fixture(scope="module")
def terms():
    return P.sensitive_terms(PEOPLE, MESSAGES, allow=ALLOW)


def kinds_found(text, terms, allow=ALLOW):
    return sorted({leak.kind for leak in P.find_leaks([("page.html", text)], terms, allow)})


def test_terms_cover_what_must_not_leave(terms):
    texts = {str(t) for t in terms}
    assert {"Zoë Ånström", "Ånström", "Grace Hill", "Bartholomew Okafor", "Okafor"} <= texts
    assert "Grace" not in texts and "Hill" not in texts  # ordinary words alone
    assert "Zoë" not in texts  # fewer than 4 letters
    assert "zo%C3%AB-%C3%A5nstr%C3%B6m" in texts  # decoded, it is the same words as the name
    assert "bartholomew-okafor-7b2" in texts
    assert "zoe.anstrom@example.org" in texts
    assert "Quillfeather Analytics" in texts and "Self-employed" not in texts
    assert "2-ZmQ1NTg0YjQtZmU2Ny00ZDk0LWE5" in texts
    assert any(t.kind == "snippet" and "O'Neill" in t for t in terms)
    assert any(t.kind == "snippet" and "&#x27;" in t for t in terms)  # escaped form too
    # the owner's name and the institution are deliberately public
    assert not any("Sam" in t or "Adviser" in t or "Example University" == t for t in texts)
    assert "Zo" not in repr(terms[0]) or "chars" in repr(terms[0])  # repr is masked


def test_clean_page_has_no_leaks(terms):
    page = ("<html><body><h1>Reflection report, January 2025</h1><p>Sam Adviser, Example "
            "University</p><table><tr><td>client-3f9a</td><td>&lt;5</td></tr>"
            "<tr><td>colleague-09bc</td><td>12</td></tr></table>"
            "<p>Worth discussing: the reply rate fell while requests grew. Grace period: "
            "next week.</p></body></html>")
    assert P.find_leaks([("clean.html", page)], terms, ALLOW) == []


@pytest.mark.parametrize("fragment, kind", [
    ("<td>Zoë</td><td>ÅNSTRÖM</td>", "name"),                           # split across cells
    ("<td>Zo&euml; &#197;nstr&ouml;m</td>", "name"),                    # entity-escaped
    ("<p>Bartholomew\n  Okafor</p>", "name"),                           # wrapped, no title
    ('<a href="https://www.linkedin.com/in/zo%c3%ab-%c3%a5nstr%c3%b6m">x</a>', "slug"),
    ('<a href="https://www.linkedin.com/in/zoë-ånström">x</a>', "name"),  # same words
    ("<p>mail ZOE.ANSTROM@example.org</p>", "email"),
    ("<p>contact at the O'Neill Trust? I’d be so</p>", "snippet"),      # unescaped
    ("<p>contact at the O&#x27;Neill Trust? I&rsquo;d be so</p>", "snippet"),  # escaped
    ('{"text": "contact at the O\\u2019Neill Trust? I\\u2019d"}', "snippet"),  # JSON
    ("<p>conversation 2-ZmQ1NTg0YjQtZmU2Ny00ZDk0LWE5</p>", "conversation"),
    ("<p>Works at Quillfeather Analytics</p>", "company"),
])
def test_leaks_are_found(terms, fragment, kind):
    assert kind in kinds_found(f"<html><body>{fragment}</body></html>", terms)


def test_percent_encoded_slug_found():
    people = pd.DataFrame({"profile_url": ["https://www.linkedin.com/in/jos%C3%A9-mar%C3%ADa"]})
    terms = P.sensitive_terms(people, None)
    page = "see linkedin.com/in/jos%C3%A9-mar%C3%ADa/ and later josé-maría"
    leaks = P.find_leaks([("p.html", page)], terms)
    assert {leak.kind for leak in leaks} == {"slug"} and len(leaks) == 2


def test_allow_list(terms):
    cell = "<table><tr><td>Sam Adviser met Okafor.</td></tr></table>"
    assert kinds_found(cell, terms) == ["name"]
    assert kinds_found(cell, terms, allow=ALLOW + ["met Okafor"]) == []
    # plain strings count as "extra" terms; allowed text around them hides them
    extra_leaks = P.find_leaks(["Project Nightjar starts"], ["project nightjar"])
    assert [leak.kind for leak in extra_leaks] == ["extra"]
    assert P.find_leaks(["Project Nightjar starts"], ["Nightjar"],
                        allow=["Project Nightjar"]) == []


def test_leak_report_does_not_leak(terms, tmp_path):
    page = tmp_path / "report.html"
    page.write_text("<p>ok</p>\n<p>Quillfeather Analytics and zoe.anstrom@example.org</p>",
                    encoding="utf-8")
    leaks = P.find_leaks([page], terms, ALLOW)
    assert {(leak.kind, leak.line) for leak in leaks} == {("company", 2), ("email", 2)}
    for leak in leaks:
        assert leak.term not in str(leak) and leak.term not in repr(leak)
    with pytest.raises(PrivacyError) as error:
        P.check_artefacts([tmp_path], terms, ALLOW)
    message = str(error.value)
    assert "report.html" in message and "not written" in message
    assert "an employer's name" in message and "an e-mail address" in message
    assert "public_terms" in message  # the allow list the message names exists
    # nothing of the data: no part of it, no first letters, no length
    for part in ("Quillfeather", "Qu", "anstrom", "zo", "chars", "…"):
        assert part not in message
    assert page.exists()  # nothing is deleted


# -- the report's own words and where data are rendered (issue 13) ---------------------------

WORD_PEOPLE = pd.DataFrame({
    "name": ["Floor Lang", "Grace Wilson", "Will Jensen", "Hope Security", "May Jobs",
             "Waiting Median", "Zed Quorfle"],
    "company": ["People", "First", None, None, None, None, "Next"],
})


def _page(body: str) -> str:
    return ('<!DOCTYPE html><html lang="en"><head><meta http-equiv="Content-Security-Policy" '
            'content="default-src \'none\'"><style>.jp-OutputArea{floor:1}</style>'
            f'<title>Reflection report</title></head><body>{body}</body></html>')


def _report_table(caption: str, rows: list[list[str]]) -> str:
    cells = "".join("<tr>" + "".join(f'<td data-aa="data">{c}</td>' for c in row) + "</tr>"
                    for row in rows)
    return (f'<table class="aa-table" data-aa="report"><caption>{caption}</caption><thead><tr>'
            f'<th>person</th><th>requests</th></tr></thead><tbody>{cells}</tbody></table>')


def test_the_reports_own_words_are_never_leaks():
    index = P.report_index(WORD_PEOPLE, None)
    own = _page(
        "<h2>Who asked</h2><p>Wilson 95 % interval of that share; the noise floor for this "
        "sample; Jensen-Shannon distance. People first: security, jobs; waiting at the end; the "
        "median time.</p>"
        + _report_table("People with more than one request in the period.",
                        [["client-3f9a", "7"], ["Conversations waiting at the end", "3"],
                         ["Total", "10"]])
        + '<script type="application/json">{"jobs": 2, "security": "strict"}</script>')
    assert P.find_leaks([("report.html", own)], index) == []
    run_log = '{"jobs": 2, "first": "2026-01-01", "people": 4, "waiting": 3}'
    assert P.find_leaks([("run-log.jsonl", run_log)], index) == []


@pytest.mark.parametrize("planted, where", [
    ("Floor", "in the table 'Who asked in the period', row 2"),          # a one-word name
    ("People", "in the table 'Who asked in the period', row 2"),         # a one-word employer
    ("Floor Lang", "in the table 'Who asked in the period', row 2"),
])
def test_a_name_planted_in_a_data_cell_is_caught(planted, where):
    index = P.report_index(WORD_PEOPLE, None)
    page = _page("<h2>Who asked</h2><p>the noise floor</p>" + _report_table(
        "Who asked in the period", [["client-3f9a", "7"], [planted, "3"]]))
    leaks = P.find_leaks([("report.html", page)], index)
    assert leaks and all(leak.kind in ("name", "company") for leak in leaks)
    with pytest.raises(PrivacyError) as error:
        P.check_artefacts([("report.html", page)], index)
    assert where in str(error.value)
    assert planted not in str(error.value) and planted[:2] not in str(error.value)


def test_full_names_are_checked_everywhere_single_words_only_in_data():
    index = P.report_index(WORD_PEOPLE, None)
    assert P.find_leaks([("r.html", _page("<p>Quorfle asked twice.</p>"))], index) == []
    prose = P.find_leaks([("r.html", _page("<h2>Requests</h2><p>Zed Quorfle asked.</p>"))],
                         index)
    assert [(x.kind, x.where) for x in prose] == [("name", "in the section 'Requests'")]
    # a heading that is itself a name is not quoted in the message
    prose = P.find_leaks([("r.html", _page("<h2>Waiting</h2><p>Zed Quorfle asked.</p>"))],
                         index)
    assert [(x.kind, x.where) for x in prose] == [("name", "in the text")]
    # a table of a notebook of your own (pandas, no marks): its cells are data
    custom = _page('<table class="dataframe"><thead><tr><th></th><th>n</th></tr></thead>'
                   "<tbody><tr><th>Quorfle</th><td>3</td></tr></tbody></table>")
    assert [x.where for x in P.find_leaks([("r.html", custom)], index)] == ["in a table, row 1"]
    # printed output and SVG text of a figure are data as well
    for body in ("<pre>Quorfle 3</pre>", "<svg><text x='1'>Quorfle</text></svg>",
                 '<figure><ul hidden data-aa="data"><li>Quorfle</li></ul></figure>'):
        assert [x.kind for x in P.find_leaks([("r.html", _page(body))], index)] == ["name"]


def test_public_terms_are_allowed():
    people = pd.DataFrame({"name": ["Ada Brightquay", "Sam Adviser"],
                           "company": ["Northgate", "Northgate"]})
    page = _page(_report_table("Who", [["Northgate", "3"], ["Sam Adviser", "2"]]))
    assert {x.kind for x in P.find_leaks([("r.html", page)], P.report_index(people, None))} \
        == {"name", "company"}
    index = P.report_index(people, None, public_terms=["Sam Adviser", "Northgate"])
    assert P.find_leaks([("r.html", page)], index) == []


def test_check_artefacts_passes_clean_files(terms, tmp_path):
    (tmp_path / "a.html").write_text("<p>client-3f9a: &lt;5 requests</p>", encoding="utf-8")
    assert P.check_artefacts([tmp_path / "a.html"], terms, ALLOW) is None


@pytest.mark.slow
def test_scan_is_fast_for_many_terms_and_megabytes():
    rng = random.Random(0)
    people = pd.DataFrame({"name": [f"Person{i} Surname{i}" for i in range(5000)],
                           "email": [f"p{i}@example.org" for i in range(5000)]})
    words = "could you help me with my cv cover letter interview graduate scheme".split()
    messages = pd.DataFrame({"content": [" ".join(rng.choices(words, k=25))
                                         for _ in range(2000)]})
    terms = P.sensitive_terms(people, messages)
    page = "".join(f"<tr><td>client-{i:04x}</td><td>{i % 97}</td><td>Lorem ipsum dolor</td>"
                   f"</tr>\n" for i in range(40_000))
    assert len(page) > 2_000_000
    start = time.perf_counter()
    index = P.TermIndex(terms)
    assert P.find_leaks([("big.html", page)], index) == []
    assert time.perf_counter() - start < 5.0
    # a single name of the index on the page: the 120,000 cells are read one by one
    start = time.perf_counter()
    leaks = P.find_leaks([("big.html", page + "<p>Person4321 Surname4321</p>"
                                              "<table><tr><td>Person4321</td></tr></table>")],
                         index)
    assert time.perf_counter() - start < 15.0
    assert [(leak.kind, leak.line, leak.where) for leak in leaks] == [
        ("name", 40_001, "in the text"), ("name", 40_001, "in a table, row 1")]


# -------------------------------------------------------------------------------- escaping

def test_html_text():
    assert T.html_text("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert T.html_text("I&rsquo;d") == "I’d"
    assert T.html_text("&lt;b&gt;") == "&lt;b&gt;"  # decoded once, escaped once
    assert T.html_text("AT&T") == "AT&amp;T"
    assert T.html_text(None) == ""


@pytest.mark.parametrize("value, expected", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+1", "'+1"), ("-2", "'-2"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Jane Smith", "Jane Smith"), ("", ""), ("a=b", "a=b"),
])
def test_spreadsheet_safe(value, expected):
    assert T.spreadsheet_safe(value) == expected
    assert T.spreadsheet_unprotect(T.spreadsheet_safe(value)) == value


def test_spreadsheet_safe_leaves_non_text():
    assert T.spreadsheet_safe(-2) == -2
    assert T.spreadsheet_safe(None) is None


def test_spreadsheet_safe_frame():
    df = pd.DataFrame({
        "obj": pd.Series(["=1+1", "ok", None, 5], dtype="object"),
        "text": pd.Series(["@cmd", "fine", pd.NA, "-x"], dtype="string"),
        "n": [-1, 2, 3, 4],
    })
    out = T.spreadsheet_safe_frame(df)
    assert out["obj"].tolist()[:2] == ["'=1+1", "ok"] and out["obj"].tolist()[3] == 5
    assert out["obj"].isna().tolist()[2]
    assert out["text"].tolist()[:2] == ["'@cmd", "fine"] and out["text"].tolist()[3] == "'-x"
    assert out["text"].dtype == df["text"].dtype
    assert out["n"].tolist() == [-1, 2, 3, 4]
    assert df["obj"].tolist()[0] == "=1+1"  # input unchanged


@given(st.text())
def test_spreadsheet_safe_never_starts_dangerous(value):
    assert not T.spreadsheet_safe(value).startswith(T.DANGEROUS_PREFIXES)


@given(st.text())
def test_html_text_never_contains_markup(value):
    out = T.html_text(value)
    assert "<" not in out and ">" not in out and '"' not in out


def test_strip_html():
    assert T.strip_html('<p class="spaced">Hi Sam,</p><p>Could you&nbsp;help?</p>') == \
        "Hi Sam,\n\nCould you help?"
    assert T.strip_html("a < b and c > d") == "a < b and c > d"
    assert T.strip_html("I&rsquo;d like <b>that</b>") == "I’d like that"
    assert T.strip_html("x<script>alert(1)</script>y<br>z") == "xy\nz"
    assert T.strip_html("plain   text\r\n\r\n\r\nnext") == "plain text\n\nnext"
    assert T.strip_html(None) is None


def _index_entry(label: str = "2026-03", waiting: str = "7 waiting, 2 past your 5-day aim; "
                 "135 older threads lapsed") -> dict:
    return {"file": f"{label}.html", "label": label, "from": "2026-03-01", "to": "2026-03-31",
            "audience": "supervision", "generated_at": "2026-04-01T09:00:00Z",
            "headline": {"requests": "12", "reply_rate": "75 %", "waiting": waiting,
                         "conformance": "<5"}}


def test_the_index_of_reports_marks_its_data_cells_for_the_leak_check():
    from adviser_analytics.reports import build_index

    index = P.report_index(WORD_PEOPLE, None)
    page = build_index({"supervision": [_index_entry()]}, {"supervision": ""},
                       "Reflection reports (supervision)")
    assert page.count('data-aa="data"') == 6 and '<table data-aa="report">' in page
    assert P.find_leaks([("index.html", page)], index) == []  # "waiting" is the page's word
    planted = build_index({"supervision": [_index_entry(label="Floor")]}, {"supervision": ""},
                          "Reflection reports (supervision)")
    leaks = P.find_leaks([("index.html", planted)], index)
    assert [(x.kind, x.where) for x in leaks] == [
        ("name", "in the table 'Supervision version', row 1")]


def test_the_manifests_waiting_sentence_is_the_reports_own_words():
    """manifest.json keeps each report's headline as text; its waiting sentence ("7 waiting,
    2 past your 5-day aim") is the report's own words and figures, though a contact is called
    Waiting; a name in its place is still caught."""
    index = P.report_index(WORD_PEOPLE, None)
    manifest = json.dumps({"reports": {"2026-03": _index_entry()}})
    assert P.find_leaks([("manifest.json", manifest)], index) == []
    named = json.dumps({"reports": {"2026-03": _index_entry(waiting="7 waiting for Quorfle")}})
    leaks = P.find_leaks([("manifest.json", named)], index)
    assert leaks and {x.kind for x in leaks} == {"name"}
