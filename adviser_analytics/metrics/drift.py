"""Policy drift: does practice follow the written policy, and how does it move?

- :func:`decisions`: labelled decisions dated in the period for which the version in force
  expects something: decisions on *incoming* invitations (dated by ``sent_at``) and
  handlings of requests (dated by the episode's start). The person's relationship comes from
  ``relationship`` labels (any source), ``unknown`` when there is none. A ``pending``
  decision is not a decision yet and is left out. Labels of every source count (``inferred``,
  ``suggested``, ``confirmed``; restrict with ``sources=``); the ``source`` column and the
  ``suggested`` count in :func:`conformance` show how much rests on unreviewed suggestions.
  Handling labels whose request key matches no episode are left out (they cannot be dated);
  so are ``no_reply_needed`` runs (not requests) and runs in group conversations unless the
  adviser confirmed their handling (as in :mod:`.load`).
- :func:`conformance`: conforming / decisions with a Wilson 95 % interval.
- :func:`p_chart`: a p-chart over a series of periods with exact binomial limits, its
  centre line p̄ computed per policy version. A period is too small to judge when
  ``n < 4 / min(p̄, 1 - p̄)`` (expected count of both outcomes at least 4). Too-small periods
  are marked (or, with ``pool=True``, pooled only with neighbouring periods that are each
  too small, never across a policy version change) and never signalled. With ``as_of``,
  periods reaching into the inference window (21 days before ``as_of``) are provisional:
  marked, not judged.
- :func:`decision_mix_shift`: the decision mix of a window against a baseline window:
  chi-square with a Monte Carlo p-value and the Jensen-Shannon distance beside its noise
  floor at this sample size (the 95th percentile of the distances chance alone gives: chance
  exceeds it 5 times in 100). No PSI bands.
- :func:`decision_mix_by_relationship`: the same comparison within each relationship (a
  month with more clients is not a change of practice): a stratified permutation test and
  the mix per relationship.
- The words for these results (reflective prompts) are in ``reflection/prompts.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from ..periods import Period
from ..policy import DECISIONS, HANDLINGS, NO_REPLY_NEEDED, RELATIONSHIPS, Policy
from .episodes import utc_ns

__all__ = [
    "relationships",
    "decisions",
    "conformance",
    "wilson_interval",
    "conformance_series",
    "p_chart",
    "decision_mix_shift",
    "decision_mix_by_relationship",
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
        lab = lab.loc[lab["value"].astype(str) != NO_REPLY_NEEDED]
        req = requests[["request_key", "started_at", "counterpart_key"]].copy()
        req["subject"] = req["request_key"].astype(str)
        req["group"] = requests["group"].to_numpy(dtype=bool) if "group" in requests \
            else False
        joined = lab.merge(req.drop(columns="request_key"), on="subject", how="inner")
        # a run in a group conversation is a request only when the adviser said so
        joined = joined.loc[~joined["group"].astype(bool)
                            | joined["source"].astype(str).eq("confirmed")]
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


def _segments(out: pd.DataFrame) -> np.ndarray:
    """A segment number per row: a new segment starts at every row naming a
    ``new_version`` (a version takes effect within the period: the period belongs to the
    version in force at its end). A series without ``new_version`` is cut where its
    ``version`` changes."""
    n = len(out)
    if n == 0:
        return np.zeros(0, dtype="int64")
    if "new_version" in out:
        starts = np.array([_has(v) for v in out["new_version"]], dtype=bool)
    elif "version" in out:
        v = ["" if not _has(x) else str(x) for x in out["version"]]
        starts = np.array([i > 0 and v[i] != v[i - 1] for i in range(n)], dtype=bool)
    else:
        starts = np.zeros(n, dtype=bool)
    starts[0] = False
    return np.cumsum(starts)


def _min_n(n_all: int, k_all: int) -> Fraction | None:
    """``4 / min(p̄, 1 - p̄)`` in exact arithmetic (p̄ = k/n); None when p̄ is 0 or 1 (or
    nothing was decided): no number of decisions is enough to judge then."""
    smaller = min(k_all, n_all - k_all)
    return Fraction(4 * n_all, smaller) if smaller > 0 else None


def _pool_small(rows: pd.DataFrame, small: np.ndarray, min_n: Fraction | None
                ) -> list[list[int]]:
    """Groups of row positions: a row large enough to judge (or provisional: ``small`` is
    False for it) stands alone; consecutive too-small rows are merged until a group reaches
    ``min_n``; a short remainder joins the group of the same run before it, if any."""
    groups: list[list[int]] = []
    run_start = None  # index into groups where the current run of small rows began
    current: list[int] = []
    acc = 0
    for i in range(len(rows)):
        if not small[i]:
            if current:
                if run_start is not None and run_start < len(groups):
                    groups[-1].extend(current)
                else:
                    groups.append(current)
            current, acc, run_start = [], 0, None
            groups.append([i])
            continue
        if run_start is None:
            run_start = len(groups)
        current.append(i)
        acc += int(rows["decisions"].iloc[i])
        if min_n is not None and acc >= min_n:
            groups.append(current)
            current, acc = [], 0
    if current:
        if run_start is not None and run_start < len(groups):
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups


def p_chart(series: pd.DataFrame, pool: bool = False, alpha: float = 0.05, *,
            as_of: object = None, provisional_days: int = 21) -> pd.DataFrame:
    """Add a p-chart to a series with ``decisions`` (n) and ``conforming`` (k) per period
    (``domain.md``, "Policy drift", revised).

    - The centre line ``p_bar`` is computed per policy version: a segment starts where a
      version takes effect (``new_version``) or the ``version`` changes (``segment`` numbers
      them, ``baseline`` names the version). Without those columns: one segment.
    - ``provisional``: with ``as_of`` (a date), a period ending after ``as_of`` minus
      ``provisional_days`` (the inference window: labels such as "no reply" are not inferred
      before then) is marked provisional: never judged, never pooled, left out of its
      segment's centre line (unless the segment has nothing else).
    - ``min_n`` = ``4/min(p̄, 1-p̄)`` of the segment; ``too_small`` when ``n < min_n``
      (always, when p̄ is 0 or 1). With ``pool=True`` consecutive periods that are *each*
      too small are merged (``pooled`` = how many) until they reach ``min_n``, never
      across a version change and never with a period large enough on its own.
    - ``lower``/``upper``: exact binomial limits ``binom.ppf(alpha/2, n, p̄)/n`` and
      ``binom.ppf(1-alpha/2, n, p̄)/n``; ``signal`` only for judged periods (large enough,
      not provisional) whose k is outside them; ``p`` = k/n (NaN when n is 0).
    """
    base = series.copy().reset_index(drop=True)
    if "pooled" not in base:
        base["pooled"] = 1
    cutoff = None
    if as_of is not None:
        cutoff = pd.Timestamp(as_of).date() - pd.Timedelta(days=provisional_days)
    if cutoff is not None and "end" in base and len(base):
        base["provisional"] = [pd.Timestamp(e).date() > cutoff for e in base["end"]]
    else:
        base["provisional"] = False
    base["segment"] = _segments(base)
    parts = []
    for _, seg in base.groupby("segment", sort=True):
        seg = seg.reset_index(drop=True)
        prov = seg["provisional"].to_numpy(dtype=bool)
        settled = seg.loc[~prov] if (~prov).any() and seg.loc[~prov, "decisions"].sum() \
            else seg
        n_all, k_all = int(settled["decisions"].sum()), int(settled["conforming"].sum())
        min_n = _min_n(n_all, k_all)
        small = np.array([min_n is None or int(x) < min_n for x in seg["decisions"]]) & ~prov
        if pool:
            groups = _pool_small(seg, small, min_n)
            rows = []
            for g in groups:
                part = seg.iloc[g]
                first, last = part.iloc[0], part.iloc[-1]
                row = first.to_dict()
                row.update({
                    "period": first["period"] if len(g) == 1
                    else f"{first['period']} to {last['period']}",
                    "decisions": int(part["decisions"].sum()),
                    "conforming": int(part["conforming"].sum()),
                    "pooled": int(part["pooled"].sum()),
                })
                if "end" in part:
                    row["end"] = last["end"]
                rows.append(row)
            seg = pd.DataFrame(rows, columns=seg.columns)
        seg["p_bar"] = k_all / n_all if n_all else np.nan
        seg["min_n"] = float(min_n) if min_n is not None else np.inf
        seg["baseline"] = _baseline_name(seg)
        parts.append(seg)
    out = pd.concat(parts, ignore_index=True) if parts else base.assign(
        p_bar=np.nan, min_n=np.inf, baseline=None)
    n = out["decisions"].to_numpy(dtype=float)
    k = out["conforming"].to_numpy(dtype=float)
    p_bar = out["p_bar"].to_numpy(dtype=float)
    safe_n = np.where(n > 0, n, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["p"] = np.where(n > 0, k / safe_n, np.nan)
        ok = (n > 0) & ~np.isnan(p_bar)
        lo_k = np.where(ok, stats.binom.ppf(alpha / 2, n, np.nan_to_num(p_bar)), np.nan)
        hi_k = np.where(ok, stats.binom.ppf(1 - alpha / 2, n, np.nan_to_num(p_bar)), np.nan)
        out["lower"] = lo_k / safe_n
        out["upper"] = hi_k / safe_n
    out["too_small"] = [bool(not prov and (mn == np.inf or int(x) < mn))
                        for x, mn, prov in zip(out["decisions"], out["min_n"],
                                               out["provisional"], strict=True)]
    judged = ~out["too_small"].to_numpy(dtype=bool) & ~out["provisional"].to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        out["signal"] = judged & ((k < lo_k) | (k > hi_k))
    return out


def _baseline_name(seg: pd.DataFrame):
    if "new_version" in seg and len(seg) and _has(seg["new_version"].iloc[0]):
        return str(seg["new_version"].iloc[0]).split(", ")[-1]
    if "version" in seg and len(seg) and _has(seg["version"].iloc[0]):
        return str(seg["version"].iloc[0])
    return None


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


def _order(categories) -> list[str]:
    vocab = DECISIONS + HANDLINGS
    return sorted(set(categories), key=lambda c: (vocab.index(c) if c in vocab else 99, c))


def decision_mix_by_relationship(current: pd.DataFrame, baseline: pd.DataFrame,
                                 n_resamples: int = 9999, seed: int | None = None) -> dict:
    """Compare the decision mix of two windows *within each relationship*.

    ``current``/``baseline``: :func:`decisions` frames (at least ``relationship`` and
    ``value``; pass one ``kind`` at a time). A window with more clients is not a change of
    practice, so the windows are compared stratum by stratum:

    - ``strata``: per relationship, the counts of each window (``current``, ``baseline``),
      their sizes and ``compared`` (both windows have decisions there);
    - ``composition``: decisions per relationship in each window (what changed in *who*);
    - ``chi_square``: the sum over the compared relationships of the chi-square of their
      2 x K table (current vs baseline); ``p_value``: a stratified permutation test, i.e.
      the share of ``n_resamples`` tables with every relationship's margins fixed
      (decisions shuffled between the windows within the relationship) whose summed
      statistic is at least as large (``(exceed + 1) / (n_resamples + 1)``);
    - ``js_distance``: Jensen-Shannon distance (base 2) between the two windows' mixes
      after direct standardisation to the baseline's relationship composition (over the
      compared relationships), beside ``js_noise_floor``, the 95th percentile of that
      distance under the same shuffling (chance alone exceeds it 5 times in 100).

    ``p_value``/``js_*`` are None when no relationship has decisions in both windows.
    """
    def counts(frame: pd.DataFrame) -> pd.DataFrame:
        if frame is None or len(frame) == 0:
            return pd.DataFrame(dtype="int64")
        f = pd.DataFrame({"relationship": frame["relationship"].astype("string")
                          .fillna("unknown").astype(str),
                          "value": frame["value"].astype(str)})
        return pd.crosstab(f["relationship"], f["value"])

    cur_t, base_t = counts(current), counts(baseline)
    cats = _order([*cur_t.columns, *base_t.columns])
    rels = [r for r in (*RELATIONSHIPS, *sorted(set(cur_t.index) | set(base_t.index)))
            if r in set(cur_t.index) | set(base_t.index)]
    rels = list(dict.fromkeys(rels))
    cur_t = cur_t.reindex(index=rels, columns=cats, fill_value=0).astype("int64")
    base_t = base_t.reindex(index=rels, columns=cats, fill_value=0).astype("int64")
    n_cur, n_base = cur_t.sum(axis=1), base_t.sum(axis=1)
    compared = [r for r in rels if n_cur[r] > 0 and n_base[r] > 0]
    result = {
        "method": "stratified_permutation", "categories": cats,
        "n_current": int(n_cur.sum()), "n_baseline": int(n_base.sum()),
        "composition": {"current": {r: int(n_cur[r]) for r in rels},
                        "baseline": {r: int(n_base[r]) for r in rels}},
        "strata": {r: {"compared": r in compared, "n_current": int(n_cur[r]),
                       "n_baseline": int(n_base[r]),
                       "current": dict(zip(cats, cur_t.loc[r].tolist(), strict=True)),
                       "baseline": dict(zip(cats, base_t.loc[r].tolist(), strict=True))}
                   for r in rels},
        "strata_compared": len(compared),
        "chi_square": None, "p_value": None, "js_distance": None, "js_noise_floor": None,
        "n_resamples": int(n_resamples),
    }
    if not compared:
        return result
    rng = np.random.default_rng(seed)
    weights = n_base[compared].to_numpy(dtype=float)
    weights = weights / weights.sum()
    observed = 0.0
    sim_stats = np.zeros(n_resamples)
    cur_mix = np.zeros(len(cats))
    base_mix = np.zeros(len(cats))
    sim_mix = np.zeros((n_resamples, len(cats)))
    sim_base_mix = np.zeros((n_resamples, len(cats)))
    for w, r in zip(weights, compared, strict=True):
        c = cur_t.loc[r].to_numpy(dtype="int64")
        b = base_t.loc[r].to_numpy(dtype="int64")
        nc, nb = int(c.sum()), int(b.sum())
        totals = c + b
        col = totals / (nc + nb)

        def table_chi2(x: np.ndarray, totals=totals, nc=nc, nb=nb, col=col) -> np.ndarray:
            return _chi2(x, nc * col) + _chi2(totals - x, nb * col)

        observed += float(table_chi2(c))
        sims = rng.multivariate_hypergeometric(totals, nc, size=n_resamples)
        sim_stats += table_chi2(sims)
        cur_mix += w * c / nc
        base_mix += w * b / nb
        sim_mix += w * sims / nc
        sim_base_mix += w * (totals - sims) / nb
    exceed = int(np.sum(sim_stats >= observed - 1e-9))
    sim_js = jensenshannon(sim_mix, sim_base_mix, axis=1, base=2)
    result.update(
        chi_square=observed,
        p_value=(exceed + 1) / (n_resamples + 1),
        js_distance=float(jensenshannon(cur_mix, base_mix, base=2)),
        js_noise_floor=float(np.nanpercentile(sim_js, 95)),
    )
    for r in rels:
        s = result["strata"][r]
        if s["compared"]:
            c = cur_t.loc[r].to_numpy(dtype=float)
            b = base_t.loc[r].to_numpy(dtype=float)
            s["js_distance"] = float(jensenshannon(c / c.sum(), b / b.sum(), base=2))
        else:
            s["js_distance"] = None
    return result
