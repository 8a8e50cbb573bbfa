"""Independent SciPy reference for lakeloop's drift statistics.

Generates a synthetic baseline/current pair of tables (fixed seed, so the output
is reproducible) and computes every drift statistic with numpy/scipy, following
the definitions in README.md. The Java drift job is tested against these files.

Outputs (in OUTDIR, default: this script's folder):
  baseline.csv, current.csv  input tables (null = empty cell, NaN = "NaN",
                             +/-inf = "Infinity"/"-Infinity", floats written
                             with repr() so they read back bit-identically)
  expected.csv               column,statistic,value,p_value (long format)
  edges.csv                  column,kind,index,edge (baseline quantile edges)
  ks_pvalues.csv             n,m,d,p: ks_2samp's two-sided p-value for statistic d at sizes
                             n and m (exact lattice count up to 10,000 rows a side, else the
                             finite-n Kolmogorov law kstwo at round(nm/(n+m)))

Regenerate:  python make_reference.py [OUTDIR]
Check:       python -m pytest -q   (re-runs this script and diffs the output)
"""

import csv
import math
import os
import sys
from collections import Counter

import numpy as np
from scipy import stats
from scipy.stats import _stats_py  # ks_2samp's own exact two-sample count
from scipy.spatial.distance import jensenshannon

SEED = 20261122
N_BASE, N_CUR = 4000, 3000
EPS = 1e-4
TOP_K = 20
PSI_Q = [i / 10 for i in range(1, 10)]
FINE_Q = [i / 1000 for i in range(1, 1000)]
OTHER, NULL = "__other__", "__null__"

NUMERIC = ["n_same", "n_shift", "n_ties", "n_const", "n_nulls", "n_allnull"]
CATEGORICAL = ["c_same", "c_shift", "c_many"]
COLUMNS = NUMERIC + CATEGORICAL


# ---------------------------------------------------------------- KS p-value


def ks_2samp_pvalue(d, n, m):
    """The p-value ks_2samp(method='auto', two-sided) gives for a statistic d at sizes n and m.

    ks_2samp computes D from data; this takes D (e.g. the grid statistic) and follows its path:
    exact when both sides have at most 10,000 rows (falling back to the asymptotic law if the
    exact count fails), else kstwo.sf(d, round(nm/(n+m))). main() checks it against ks_2samp.
    """
    if max(n, m) <= 10000:
        ok, _, p = _stats_py._attempt_exact_2kssamp(n, m, math.gcd(n, m), d, "two-sided")
        if ok:
            return float(np.clip(p, 0, 1))
    big, small = max(n, m), min(n, m)
    return float(np.clip(stats.kstwo.sf(d, np.round(big * small / (big + small))), 0, 1))


# ---------------------------------------------------------------- data

def make_data():
    """Return (baseline, current): dicts column -> column data.

    A numeric column is (values, is_null): float64 array plus a null mask, so
    that a null cell and a NaN value stay distinct. A categorical column is a
    list of str, with None for null.
    """
    rng = np.random.default_rng(SEED)
    base, cur = {}, {}

    def numeric(values, null_mask=None):
        values = np.asarray(values, dtype=np.float64)
        if null_mask is None:
            null_mask = np.zeros(len(values), dtype=bool)
        values = values.copy()
        values[null_mask] = np.nan  # placeholder only; the mask is what counts
        return values, null_mask

    base["n_same"] = numeric(rng.normal(0, 1, N_BASE))
    cur["n_same"] = numeric(rng.normal(0, 1, N_CUR))

    base["n_shift"] = numeric(rng.normal(0, 1, N_BASE))
    cur["n_shift"] = numeric(rng.normal(0.5, 1.3, N_CUR))

    base["n_ties"] = numeric(np.minimum(rng.poisson(2.0, N_BASE), 5))
    cur["n_ties"] = numeric(np.minimum(rng.poisson(2.6, N_CUR), 5))

    base["n_const"] = numeric(np.full(N_BASE, 3.0))
    c = np.full(N_CUR, 3.0)
    c[rng.choice(N_CUR, N_CUR // 10, replace=False)] = 4.0
    cur["n_const"] = numeric(c)

    b = rng.normal(10, 2, N_BASE)
    b_null = np.zeros(N_BASE, dtype=bool)
    b_null[rng.choice(N_BASE, N_BASE * 5 // 100, replace=False)] = True
    base["n_nulls"] = numeric(b, b_null)
    c = rng.normal(10, 2, N_CUR)
    perm = rng.permutation(N_CUR)
    n_null, n_nan = N_CUR * 30 // 100, N_CUR // 100
    c_null = np.zeros(N_CUR, dtype=bool)
    c_null[perm[:n_null]] = True
    c[perm[n_null:n_null + n_nan]] = np.nan
    c[perm[n_null + n_nan:n_null + n_nan + 2]] = np.inf
    cur["n_nulls"] = numeric(c, c_null)

    base["n_allnull"] = numeric(rng.normal(0, 1, N_BASE))
    cur["n_allnull"] = numeric(np.zeros(N_CUR), np.ones(N_CUR, dtype=bool))

    letters = ["a", "b", "c", "d", "e"]
    p_letters = [0.4, 0.3, 0.15, 0.1, 0.05]
    base["c_same"] = list(rng.choice(letters, N_BASE, p=p_letters))
    cur["c_same"] = list(rng.choice(letters, N_CUR, p=p_letters))

    base["c_shift"] = list(rng.choice(letters, N_BASE, p=p_letters))
    c = list(rng.choice(letters, N_CUR, p=[0.2, 0.2, 0.2, 0.2, 0.2]))
    perm = rng.permutation(N_CUR)
    n_new, n_null = N_CUR // 10, N_CUR * 3 // 100
    new_values = rng.choice(["z1", "z2"], n_new)
    for i, v in zip(perm[:n_new], new_values):
        c[i] = v
    for i in perm[n_new:n_new + n_null]:
        c[i] = None
    cur["c_shift"] = c

    names = [f"v{i:02d}" for i in range(60)]
    rank = np.arange(1, 61, dtype=np.float64)
    p_base = 1 / rank
    p_cur = 1 / rank ** 0.7
    base["c_many"] = list(rng.choice(names, N_BASE, p=p_base / p_base.sum()))
    cur["c_many"] = list(rng.choice(names, N_CUR, p=p_cur / p_cur.sum()))

    # plain str rather than numpy.str_
    for table in (base, cur):
        for col in CATEGORICAL:
            table[col] = [None if v is None else str(v) for v in table[col]]
    return base, cur


# ---------------------------------------------------------------- formatting

def fmt_float(x):
    """Text that parses back to exactly x (Spark: nanValue=NaN, +/-Infinity)."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(x)  # shortest string that round-trips to the same float64


def write_table(path, table, n_rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for i in range(n_rows):
            row = []
            for col in NUMERIC:
                values, is_null = table[col]
                row.append("" if is_null[i] else fmt_float(values[i]))
            for col in CATEGORICAL:
                v = table[col][i]
                row.append("" if v is None else v)
            w.writerow(row)


# ---------------------------------------------------------------- statistics

def psi(b_share, c_share):
    b = np.where(b_share == 0, EPS, b_share)
    c = np.where(c_share == 0, EPS, c_share)
    return float(np.sum((c - b) * np.log(c / b)))


def numeric_bin_shares(values, is_null, edges):
    """Shares over all rows: len(edges)+1 value bins, then the null bin."""
    null = is_null | np.isnan(values)
    k = np.searchsorted(edges, values[~null], side="right")
    counts = np.bincount(k, minlength=len(edges) + 1).astype(np.float64)
    counts = np.append(counts, null.sum())
    return counts / len(values)


def numeric_stats(col, b_col, c_col):
    rows, edge_rows = [], []
    b_vals, b_null_mask = b_col
    c_vals, c_null_mask = c_col

    def finite(values, is_null):
        return values[~is_null & np.isfinite(values)]

    bv, cv = finite(*b_col), finite(*c_col)

    for side, (values, is_null), fv in (("baseline", b_col, bv), ("current", c_col, cv)):
        nan = ~is_null & np.isnan(values)
        rows.append((col, f"{side}_count", len(values), None))
        rows.append((col, f"{side}_null_count", int((is_null | nan).sum()), None))
        rows.append((col, f"{side}_nan_count", int(nan.sum()), None))
        if len(fv) > 0:
            rows.append((col, f"{side}_mean", np.mean(fv), None))
            rows.append((col, f"{side}_min", np.min(fv), None))
            rows.append((col, f"{side}_max", np.max(fv), None))
        if len(fv) > 1:
            rows.append((col, f"{side}_std", np.std(fv, ddof=1), None))

    b_null_share = np.mean(b_null_mask | np.isnan(b_vals))
    c_null_share = np.mean(c_null_mask | np.isnan(c_vals))
    rows.append((col, "null_rate_change", c_null_share - b_null_share, None))

    if len(bv) == 0:  # no baseline values: no edges, nothing binned to compare
        return rows, edge_rows

    psi_edges = np.unique(np.quantile(bv, PSI_Q, method="inverted_cdf"))
    fine_edges = np.unique(np.quantile(bv, FINE_Q, method="inverted_cdf"))
    rows.append((col, "psi_edges_count", len(psi_edges), None))
    rows.append((col, "fine_edges_count", len(fine_edges), None))
    for kind, edges in (("psi", psi_edges), ("fine", fine_edges)):
        edge_rows += [(col, kind, i, e) for i, e in enumerate(edges)]

    b_share = numeric_bin_shares(b_vals, b_null_mask, psi_edges)
    c_share = numeric_bin_shares(c_vals, c_null_mask, psi_edges)
    rows.append((col, "psi", psi(b_share, c_share), None))
    rows.append((col, "js_distance", jensenshannon(b_share, c_share, base=2), None))

    if len(cv) == 0:  # KS / Wasserstein need values on both sides
        return rows, edge_rows

    ks = stats.ks_2samp(bv, cv)
    assert ks.pvalue == ks_2samp_pvalue(ks.statistic, len(bv), len(cv)), col
    rows.append((col, "ks", ks.statistic, ks.pvalue))

    # F(e^-) = share of values strictly below e, i.e. what cumulative bin counts give.
    n, m = len(bv), len(cv)
    fb = np.searchsorted(np.sort(bv), fine_edges, side="left") / n
    fc = np.searchsorted(np.sort(cv), fine_edges, side="left") / m
    d_grid = float(np.max(np.abs(fb - fc)))
    p_grid = ks_2samp_pvalue(d_grid, n, m)
    rows.append((col, "ks_grid", d_grid, p_grid))

    w = stats.wasserstein_distance(bv, cv)
    rows.append((col, "wasserstein", w, None))
    if len(bv) > 1:
        sd = np.std(bv, ddof=1)
        if sd > 0:
            rows.append((col, "wasserstein_norm", w / sd, None))
    return rows, edge_rows


def categorical_stats(col, b_col, c_col):
    rows = []
    b_counts = Counter(v for v in b_col if v is not None)
    top = sorted(b_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_K]
    kept = sorted(v for v, _ in top)
    bins = kept + [OTHER, NULL]
    kept_set = set(kept)

    def fold(v):
        if v is None:
            return NULL
        return v if v in kept_set else OTHER

    def counts(col_values):
        cnt = Counter(fold(v) for v in col_values)
        return np.array([cnt[k] for k in bins], dtype=np.float64)

    b_cnt, c_cnt = counts(b_col), counts(c_col)
    b_share, c_share = b_cnt / len(b_col), c_cnt / len(c_col)

    rows.append((col, "psi", psi(b_share, c_share), None))
    rows.append((col, "js_distance", jensenshannon(b_share, c_share, base=2), None))
    table = np.vstack([b_cnt, c_cnt])
    table = table[:, table.sum(axis=0) > 0]
    chi = stats.chi2_contingency(table, correction=False)
    rows.append((col, "chi_square", chi.statistic, chi.pvalue))
    diff = np.abs(b_share - c_share)
    rows.append((col, "linf", np.max(diff), None))
    rows.append((col, "total_variation", 0.5 * np.sum(diff), None))

    c_non_null = [v for v in c_col if v is not None]
    if c_non_null:
        unseen = sum(1 for v in c_non_null if v not in b_counts)
        rows.append((col, "unseen_share", unseen / len(c_non_null), None))

    b_null = sum(v is None for v in b_col) / len(b_col)
    c_null = sum(v is None for v in c_col) / len(c_col)
    rows.append((col, "null_rate_change", c_null - b_null, None))
    return rows


# ---------------------------------------------------------------- main

def ks_points():
    """(n, m, d, p) over every path ks_2samp and kstwo take, far tails included.

    Exact sizes: statistics of real samples (so d is a lattice value), each checked against
    ks_2samp on those samples. Asymptotic sizes: d spread over kstwo's regimes (Ruben-Gambino
    ends, Durbin matrix, Pomeranz, Pelz-Good, 2 x smirnov in the tail).
    """
    rng = np.random.default_rng(SEED + 1)
    out = []
    for n, m in [(20, 20), (50, 80), (165, 4000), (1000, 1000), (3000, 9000), (2000, 10000)]:
        for shift in [0.0, 0.1, 0.3, 0.8]:
            x, y = rng.normal(0, 1, n), rng.normal(shift, 1, m)
            r = stats.ks_2samp(x, y)
            p = ks_2samp_pvalue(r.statistic, n, m)
            assert p == r.pvalue, (n, m, shift)
            out.append((n, m, float(r.statistic), p))
    for n, m in [(20000, 10), (50000, 165), (12000, 12000), (200000, 100000), (10001, 300)]:
        en = round(n * m / (n + m))
        for t in [0.3, 0.7, 0.9, 1.2, 1.6, 2.0, 3.0, 5.0, 8.0]:
            d = min(t / math.sqrt(en), 0.99)
            out.append((n, m, d, ks_2samp_pvalue(d, n, m)))
        for d in [0.6 / en, 1.0 - 1.5 / en]:
            out.append((n, m, d, ks_2samp_pvalue(d, n, m)))
    return out


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    base, cur = make_data()
    write_table(os.path.join(outdir, "baseline.csv"), base, N_BASE)
    write_table(os.path.join(outdir, "current.csv"), cur, N_CUR)

    rows, edge_rows = [], []
    for col in NUMERIC:
        r, e = numeric_stats(col, base[col], cur[col])
        rows += r
        edge_rows += e
    for col in CATEGORICAL:
        rows += categorical_stats(col, base[col], cur[col])

    rows.sort(key=lambda r: (r[0], r[1]))
    with open(os.path.join(outdir, "expected.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["column", "statistic", "value", "p_value"])
        for col, stat, value, p in rows:
            w.writerow([col, stat, fmt_float(value), "" if p is None else fmt_float(p)])

    with open(os.path.join(outdir, "edges.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["column", "kind", "index", "edge"])
        for col, kind, i, e in edge_rows:
            w.writerow([col, kind, i, fmt_float(e)])

    with open(os.path.join(outdir, "ks_pvalues.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["n", "m", "d", "p"])
        for n, m, d, p in ks_points():
            w.writerow([n, m, fmt_float(d), fmt_float(p)])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
