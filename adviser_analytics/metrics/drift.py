"""Policy drift: does practice follow the written policy, and how does it move?

- :func:`decisions`: labelled decisions dated in the period for which the version in force
  expects something: decisions on *incoming* invitations (dated by ``sent_at``) and
  handlings of requests (dated by the episode's start). The person's relationship comes from
  ``relationship`` labels (any source), ``unknown`` when there is none. A ``pending``
  decision is not a decision yet and is left out. Labels of every source count (``inferred``,
  ``suggested``, ``confirmed``; restrict with ``sources=``); the ``source`` column and the
  ``suggested`` count in :func:`conformance` show how much rests on unreviewed suggestions.
  Handling labels whose request key matches no episode are left out (they cannot be dated).
- :func:`conformance`: conforming / decisions with a Wilson 95 % interval.
- :func:`p_chart`: a p-chart over a series of periods with exact binomial limits at the
  pooled rate p-bar. A period is too small to judge when ``n < 4 / min(p̄, 1 - p̄)``: the
  domain's ``n < 4/p̄`` protects the expected non-conforming count only when p̄ is small;
  conformance rates are usually near 1, where the scarce outcome is non-conformance, so the
  rule is applied to whichever of the two rates is smaller (expected count of both outcomes
  at least 4). Too-small periods are marked (or, with ``pool=True``, pooled with their
  neighbours, never across a policy version change) and never signalled.
- :func:`decision_mix_shift`: the decision mix of a window against a baseline window:
  chi-square with a Monte Carlo p-value and the Jensen-Shannon distance beside its noise
  floor at this sample size. No PSI bands.
- :func:`prompt_for`: words for results, as reflective prompts, never verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from ..periods import Period
from ..policy import DECISIONS, HANDLINGS, Policy
from .episodes import utc_ns

__all__ = [
    "relationships",
    "decisions",
    "conformance",
    "wilson_interval",
    "conformance_series",
    "p_chart",
    "decision_mix_shift",
    "prompt_for",
    "DECISION_COLUMNS",
]

DECISION_COLUMNS = ["kind", "subject", "dated_at", "person_key", "relationship", "value",
                    "source", "version", "expected", "conforming"]
_Z95 = float(stats.norm.ppf(0.975))


def relationships(labels: pd.DataFrame | None) -> dict[str, str]:
    """person_key -> relationship, from ``relationship`` labels of any source."""
    if labels is None or len(labels) == 0:
        return {}
    lab = labels.loc[labels["kind"].astype("string").eq("relationship").fillna(False)]
    return dict(zip(lab["subject"].astype(str), lab["value"].astype(str), strict=False))


def _empty_decisions() -> pd.DataFrame:
    return pd.DataFrame({
        "kind": pd.Series(dtype="string"), "subject": pd.Series(dtype="string"),
        "dated_at": pd.Series(dtype="datetime64[ns, UTC]"),
        "person_key": pd.Series(dtype="string"), "relationship": pd.Series(dtype="string"),
        "value": pd.Series(dtype="string"), "source": pd.Series(dtype="string"),
        "version": pd.Series(dtype="string"), "expected": pd.Series(dtype=object),
        "conforming": pd.Series(dtype=bool),
    })


def _labels_of(labels: pd.DataFrame, kind: str, sources: Sequence[str]) -> pd.DataFrame:
    mask = (labels["kind"].astype("string").eq(kind).fillna(False)
            & labels["source"].astype("string").isin(list(sources)).fillna(False))
    lab = labels.loc[mask, ["subject", "value", "source"]].copy()
    lab["subject"] = lab["subject"].astype(str)
    return lab


def decisions(invitations: pd.DataFrame | None, labels: pd.DataFrame | None,
              requests: pd.DataFrame | None, policy: Policy | None,
              period: Period | None = None, *,
              sources: Sequence[str] = ("inferred", "suggested", "confirmed")) -> pd.DataFrame:
    """The decisions that count for conformance (see the module docstring); ``period=None``
    takes every date. Columns: :data:`DECISION_COLUMNS` (``expected`` is a tuple of the
    allowed values, ``version`` the name of the version in force)."""
    if policy is None or labels is None or len(labels) == 0:
        return _empty_decisions()
    parts = []
    if invitations is not None and len(invitations):
        lab = _labels_of(labels, "decision", sources)
        lab = lab.loc[lab["value"].astype(str) != "pending"]
        inv = invitations.loc[invitations["direction"].astype("string").eq("incoming")
                              .fillna(False), ["invitation_id", "person_key", "sent_at"]].copy()
        inv["subject"] = inv["invitation_id"].astype("int64").astype(str)
        joined = lab.merge(inv, on="subject", how="inner")
        parts.append(pd.DataFrame({
            "kind": "invitation", "subject": joined["subject"],
            "dated_at": utc_ns(joined["sent_at"]), "person_key": joined["person_key"],
            "value": joined["value"], "source": joined["source"]}))
    if requests is not None and len(requests):
        lab = _labels_of(labels, "handling", sources)
        lab = lab.loc[lab["value"].astype(str) != "no_reply_needed"]  # not a request (domain.md)
        req = requests[["request_key", "started_at", "counterpart_key"]].copy()
        req["subject"] = req["request_key"].astype(str)
        joined = lab.merge(req.drop(columns="request_key"), on="subject", how="inner")
        parts.append(pd.DataFrame({
            "kind": "request", "subject": joined["subject"],
            "dated_at": utc_ns(joined["started_at"]), "person_key": joined["counterpart_key"],
            "value": joined["value"], "source": joined["source"]}))
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_decisions()
    out = pd.concat(parts, ignore_index=True)
    out["dated_at"] = utc_ns(out["dated_at"])
    if period is not None:
        out = out.loc[(out["dated_at"] >= period.start_ts)
                      & (out["dated_at"] < period.end_exclusive_ts)]
    rel = relationships(labels)
    out["relationship"] = out["person_key"].astype("string").map(rel).astype("string") \
        .fillna("unknown")
    idx = policy.version_index(out["dated_at"])
    out = out.loc[idx >= 0]
    idx = idx[idx >= 0]
    vocab = {"invitation": DECISIONS, "request": HANDLINGS}
    cache: dict[tuple, tuple | None] = {}
    expected = []
    for i, kind, relationship in zip(idx, out["kind"], out["relationship"], strict=True):
        key = (i, kind, relationship)
        if key not in cache:
            allowed = policy.versions[i].expected(kind, relationship)
            cache[key] = None if allowed is None else \
                tuple(v for v in vocab[kind] if v in allowed)
        expected.append(cache[key])
    out["version"] = [policy.versions[i].name for i in idx]
    out["expected"] = pd.Series(expected, index=out.index, dtype=object)
    out = out.loc[out["expected"].notna()].copy()
    if len(out) == 0:
        return _empty_decisions()
    out["conforming"] = [str(v) in e for v, e in zip(out["value"], out["expected"], strict=True)]
    for col in ("kind", "subject", "person_key", "value", "source", "version"):
        out[col] = out[col].astype("string")
    return out.sort_values(["dated_at", "kind", "subject"]).reset_index(drop=True)[
        DECISION_COLUMNS]


def wilson_interval(successes: int, n: int, confidence: float = 0.95
                    ) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion; None when ``n == 0``."""
    if n <= 0:
        return None
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def conformance(decided: pd.DataFrame) -> dict:
    """``decisions, conforming, conformance_rate, conformance_ci95`` (and ``suggested``: how
    many of the decisions rest on suggested, unreviewed labels) for a :func:`decisions`
    frame."""
    n = int(len(decided))
    k = int(decided["conforming"].sum()) if n else 0
    ci = wilson_interval(k, n)
    return {
        "decisions": n,
        "conforming": k,
        "conformance_rate": (k / n) if n else None,
        "conformance_ci95": list(ci) if ci else None,
        "suggested": int(decided["source"].astype("string").eq("suggested").sum()) if n else 0,
    }


# ---------------------------------------------------------------------------------------
# series and p-chart


def conformance_series(invitations: pd.DataFrame | None, labels: pd.DataFrame | None,
                       requests: pd.DataFrame | None, policy: Policy | None,
                       periods: Sequence[Period]) -> pd.DataFrame:
    """Per period: ``period, start, end, decisions, conforming``, the ``version`` in force at
    the period's start and ``new_version``: the version(s) taking effect within the period
    (None when none)."""
    everything = decisions(invitations, labels, requests, policy)
    rows = []
    for p in periods:
        mask = (everything["dated_at"] >= p.start_ts) & (everything["dated_at"]
                                                          < p.end_exclusive_ts)
        version = policy.version_on(p.start) if policy else None
        changes = [v.name for v in policy.versions if p.start <= v.effective_from <= p.end] \
            if policy else []
        rows.append({"period": p.label, "start": p.start, "end": p.end,
                     "decisions": int(mask.sum()),
                     "conforming": int(everything.loc[mask, "conforming"].sum()),
                     "version": version.name if version else None,
                     "new_version": ", ".join(changes) if changes else None})
    return pd.DataFrame(rows, columns=["period", "start", "end", "decisions", "conforming",
                                       "version", "new_version"])


def _has(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) \
        and value is not pd.NA and str(value) != ""


def _pool(series: pd.DataFrame, min_n: Fraction) -> pd.DataFrame:
    """Merge consecutive periods until each group has ``n >= min_n``; a group never crosses a
    version change (a row with ``new_version``). A group left short (at a version change or
    at the end) joins the group before it when that does not cross a change, else stays as it
    is (and is marked too small)."""
    groups: list[list[int]] = []
    current: list[int] = []
    acc = 0

    def close_short() -> None:
        if groups and not _has(series.iloc[current[0]].get("new_version")) \
                and groups[-1][-1] == current[0] - 1:
            groups[-1].extend(current)
        else:
            groups.append(list(current))

    for i, row in enumerate(series.itertuples(index=False)):
        if current and _has(getattr(row, "new_version", None)):
            close_short()
            current, acc = [], 0
        current.append(i)
        acc += int(row.decisions)
        if acc >= min_n:
            groups.append(current)
            current, acc = [], 0
    if current:
        close_short()
    rows = []
    for g in groups:
        part = series.iloc[g]
        first, last = part.iloc[0], part.iloc[-1]
        row = first.to_dict()
        row.update({
            "period": first["period"] if len(g) == 1 else f"{first['period']} to {last['period']}",
            "end": last["end"], "decisions": int(part["decisions"].sum()),
            "conforming": int(part["conforming"].sum()), "pooled": len(g),
        })
        rows.append(row)
    return pd.DataFrame(rows)


def p_chart(series: pd.DataFrame, pool: bool = False, alpha: float = 0.05) -> pd.DataFrame:
    """Add a p-chart to a series with ``decisions`` (n) and ``conforming`` (k) per period.

    Adds ``p`` (k/n, NaN when n is 0), ``p_bar`` (sum k / sum n), ``min_n``
    (``4/min(p̄, 1-p̄)``), ``lower``/``upper`` (exact binomial limits:
    ``binom.ppf(alpha/2, n, p̄)/n`` and ``binom.ppf(1-alpha/2, n, p̄)/n``), ``too_small`` and
    ``signal`` (only for periods large enough to judge whose p is outside the limits).
    With ``pool=True`` too-small periods are first merged with neighbours (``pooled`` =
    number of periods merged).
    """
    out = series.copy().reset_index(drop=True)
    n_all = int(out["decisions"].sum()) if len(out) else 0
    k_all = int(out["conforming"].sum()) if len(out) else 0
    p_bar = k_all / n_all if n_all else np.nan
    # n < 4 / min(p̄, 1 - p̄), in exact arithmetic (p̄ = k_all / n_all)
    smaller = min(k_all, n_all - k_all)
    min_n = Fraction(4 * n_all, smaller) if smaller > 0 else None
    if pool and len(out) and min_n is not None:
        out = _pool(out, min_n)
    elif "pooled" not in out:
        out["pooled"] = 1
    n = out["decisions"].to_numpy(dtype=float)
    k = out["conforming"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["p"] = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
        if n_all and 0 <= p_bar <= 1:
            lo_k = stats.binom.ppf(alpha / 2, n, p_bar)
            hi_k = stats.binom.ppf(1 - alpha / 2, n, p_bar)
            out["lower"] = np.where(n > 0, lo_k / np.where(n > 0, n, 1), np.nan)
            out["upper"] = np.where(n > 0, hi_k / np.where(n > 0, n, 1), np.nan)
        else:
            lo_k = hi_k = np.full(len(out), np.nan)
            out["lower"] = np.nan
            out["upper"] = np.nan
    out["p_bar"] = p_bar
    out["min_n"] = float(min_n) if min_n is not None else np.inf
    out["too_small"] = [True if min_n is None else int(x) < min_n
                        for x in out["decisions"]]
    judged = ~out["too_small"].to_numpy()
    out["signal"] = judged & ((k < lo_k) | (k > hi_k))
    return out


# ---------------------------------------------------------------------------------------
# decision mix against a baseline


def _counts(values: Mapping[str, int] | pd.Series | Sequence[str]) -> pd.Series:
    if isinstance(values, pd.Series) and pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("int64")
    if isinstance(values, Mapping):
        return pd.Series(dict(values), dtype="int64")
    return pd.Series(list(values), dtype="string").value_counts().astype("int64")


def _chi2(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected > 0, (observed - expected) ** 2 / expected, 0.0)
    return terms.sum(axis=-1)


def decision_mix_shift(current_counts, baseline_counts, n_resamples: int = 9999,
                       seed: int | None = None, method: str = "baseline") -> dict:
    """Compare the decision mix of the current window with a baseline window.

    ``current_counts``/``baseline_counts``: mapping value -> count (or a Series, or the raw
    list of values). Baseline proportions are smoothed by adding 0.5 to every category seen
    in either window, so a category new in the current window gives a finite statistic.

    ``method="baseline"`` (default): the baseline proportions are taken as known; the
    Pearson chi-square of the current counts against them is compared with
    ``n_resamples`` multinomial samples of the current size drawn from them.
    ``method="homogeneity"``: both windows are samples; the chi-square of the 2 x K table
    is compared with tables drawn with both margins fixed (multivariate hypergeometric),
    which is the better choice when the baseline window is itself small.

    The Jensen-Shannon distance (base 2, 0..1) is reported beside its noise floor: the 95th
    percentile of the distances the same simulation gives when nothing has changed.
    """
    cur, base = _counts(current_counts), _counts(baseline_counts)
    cats = sorted(set(cur.index[cur > 0]) | set(base.index[base > 0]),
                  key=lambda c: (DECISIONS + HANDLINGS).index(c)
                  if c in DECISIONS + HANDLINGS else 99)
    cur = cur.reindex(cats, fill_value=0).to_numpy(dtype="int64")
    base = base.reindex(cats, fill_value=0).to_numpy(dtype="int64")
    n, nb = int(cur.sum()), int(base.sum())
    result = {"method": method, "categories": list(cats), "n_current": n, "n_baseline": nb,
              "current": dict(zip(cats, cur.tolist(), strict=True)),
              "baseline": dict(zip(cats, base.tolist(), strict=True)),
              "chi_square": None, "p_value": None, "js_distance": None,
              "js_noise_floor": None, "n_resamples": int(n_resamples)}
    if n == 0 or nb == 0 or len(cats) < 2:
        if n and nb and len(cats) == 1:  # everything in one category in both windows
            result.update(chi_square=0.0, p_value=1.0, js_distance=0.0, js_noise_floor=0.0)
        return result
    rng = np.random.default_rng(seed)
    p0 = (base + 0.5) / (nb + 0.5 * len(cats))
    if method == "baseline":
        observed = float(_chi2(cur, n * p0))
        sims = rng.multinomial(n, p0, size=n_resamples)
        sim_stats = _chi2(sims, n * p0)
        js = float(jensenshannon(cur / n, p0, base=2))
        sim_js = jensenshannon(sims / n, np.broadcast_to(p0, sims.shape), axis=1, base=2)
    elif method == "homogeneity":
        totals = cur + base
        col = totals / (n + nb)

        def table_chi2(c: np.ndarray) -> np.ndarray:
            b = totals - c
            return _chi2(c, n * col) + _chi2(b, nb * col)

        observed = float(table_chi2(cur))
        sims = rng.multivariate_hypergeometric(totals, n, size=n_resamples)
        sim_stats = table_chi2(sims)
        js = float(jensenshannon(cur / n, base / nb, base=2))
        sim_js = jensenshannon(sims / n, (totals - sims) / nb, axis=1, base=2)
    else:
        raise ValueError(f"unknown method {method!r}: use 'baseline' or 'homogeneity'")
    exceed = int(np.sum(sim_stats >= observed - 1e-9))
    result.update(
        chi_square=observed,
        p_value=(exceed + 1) / (n_resamples + 1),
        js_distance=js,
        js_noise_floor=float(np.nanpercentile(sim_js, 95)),
    )
    return result


# ---------------------------------------------------------------------------------------
# words


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def prompt_for(result, *, quote_counts: bool = True) -> str:
    """A reflective prompt for a result of this package: "Worth discussing: ..." or a
    neutral description; never a verdict or a rating. ``quote_counts=False`` leaves the
    numbers of decisions out (for the supervision audience)."""
    if isinstance(result, pd.DataFrame) and "signal" in result:
        judged = result.loc[~result["too_small"]]
        small = int(result["too_small"].sum())
        parts = []
        for row in result.loc[result["signal"]].itertuples(index=False):
            side = "below" if row.p < row.p_bar else "above"
            parts.append(f"{row.period} ({_pct(row.p)} of {int(row.decisions)} decisions, "
                         f"{side} the usual range)")
        tail = (f" {small} period{'s were' if small != 1 else ' was'} too small to judge "
                f"and {'are' if small != 1 else 'is'} not read either way.") if small else ""
        if parts:
            return ("Worth discussing: in " + "; ".join(parts) + " practice and the policy in "
                    "force were further apart or closer than chance alone would usually "
                    "explain. What was different then?" + tail)
        if len(judged) == 0:
            return ("No period had enough decisions to judge on its own; the series is "
                    "shown for description only." + tail)
        return ("Conformance moved within the range chance alone would produce in every "
                "period large enough to judge." + tail)
    if not isinstance(result, Mapping):
        raise TypeError(f"no prompt for {type(result).__name__}")
    if "conformance_rate" in result:
        n, k, rate = result["decisions"], result["conforming"], result["conformance_rate"]
        if not n:
            return ("No labelled decisions in this period that the policy had an expectation "
                    "for. Worth discussing: is this period one to label, or is the policy "
                    "silent on the relationships met?")
        lo, hi = result["conformance_ci95"]
        text = (f"{k} of {n} decisions ({_pct(rate)}) matched what the policy in force "
                f"expected; with this many decisions the rate could plausibly be anywhere from "
                f"{_pct(lo)} to {_pct(hi)}.")
        if result.get("suggested"):
            text += (f" {result['suggested']} of them rest on suggested labels not yet "
                     "reviewed.")
        if k < n:
            text += (" Worth discussing: in the cases that differed, was the policy or the "
                     "situation the better guide?")
        return text
    if "js_distance" in result:
        if result["p_value"] is None:
            return "Not enough decisions in one of the two windows to compare their mix."
        js, floor, p = result["js_distance"], result["js_noise_floor"], result["p_value"]
        p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
        size = f" for {result['n_current']} decisions" if quote_counts else ""
        if p < 0.05 and js > floor:
            return (f"Worth discussing: the mix of decisions differs from the baseline more "
                    f"than chance at this size would usually produce ({p_text}; "
                    f"Jensen-Shannon distance {js:.2f} against a noise floor of {floor:.2f}"
                    f"{size}). What changed in the requests, or in how you meet them?")
        return (f"The mix of decisions is within what chance would produce at this size "
                f"({p_text}; Jensen-Shannon distance {js:.2f}, noise floor {floor:.2f}"
                f"{size}). Worth discussing only if it matches something you noticed yourself.")
    if "reply_rate" in result:
        if not result["requests"]:
            return "No requests started in this period."
        text = (f"{result['answered_requests']} of {result['requests']} requests had a reply "
                f"({_pct(result['reply_rate'])}).")
        if result.get("backlog"):
            text += (f" {result['backlog']} conversation{'s' if result['backlog'] != 1 else ''}"
                     f" ended the period waiting, the oldest for "
                     f"{result['backlog_oldest_days']:.0f} days.")
        spent, budget = result.get("minutes_spent_estimate"), result.get("minutes_budget")
        if spent is not None and budget:
            text += (f" Estimated time replying: {spent:.0f} minutes against {budget:.0f} "
                     f"planned.")
        return text + (" Worth discussing: which requests could be met by referring to an "
                       "existing service, and which needed you?")
    if "outcomes" in result:
        if not result["requests"]:
            return "No introduction requests in this period."
        unrev = result["outcomes"].get("unreviewed", 0)
        text = f"{result['requests']} introduction request{'s' if result['requests'] != 1 else ''}."
        if unrev:
            text += f" {unrev} not yet reviewed."
        return text + (" Worth discussing: which contacts do you want to protect, and which "
                       "introductions were worth making?")
    raise TypeError("no prompt for this result")
