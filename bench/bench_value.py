"""Benchmark: fitting the customer-value models (BG/NBD, Gamma-Gamma) against hand-written fits.

Run: ``.venv/bin/python bench/bench_value.py [--repeat 5] [--customers 1_000_000] [--no-slow]
[--only {all,fits,clv}] [--draws 500] [--baseline-draws 10] [--discount-rate 0 0.1]``

Issue 14's targets: both models fitted on the CDNOW master (23,570 customers, 69,659
transactions; ``../shared/data/cdnow/CDNOW_master.txt``, calibration to 1997-09-30) in ≤ 5 s on
2 cores, and on 1,000,000 simulated customers in ≤ 60 s. In the same run, median of
``--repeat`` rounds (the 1M case once per ``--big-repeat``), it times:

- ``funnelkit``: :func:`funnelkit.value.fit_bgnbd` / :func:`fit_gammagamma` (vectorised log-
  likelihood with an analytic gradient, identical customers merged, per-``x`` terms cached,
  L-BFGS-B over log parameters, Hessian from the gradient);
- ``vectorised_numgrad``: what one writes by hand with numpy — the same vectorised log-likelihood,
  no caching, no gradient, ``scipy.optimize.minimize(method="Nelder-Mead")`` over log
  parameters (no standard errors);
- ``python_loop``: the likelihood as a per-customer Python loop (``math.lgamma``), Nelder-Mead,
  on the CDNOW *sample* only (2,357 customers) — the plainest possible fit.

``--only clv`` (also part of the default ``all``) times the whole predicted CLV at 1M customers:

- :func:`funnelkit.value.clv.value_from_summary` (fits, per-customer predictions, the
  ``--draws`` parametric-bootstrap interval of the mean CLV) on customers with T uniform 1–78
  weeks and T, t_x on whole days (as :func:`rfm_summary` gives them), once per
  ``--discount-rate``; its parts timed by wrapping ``fit_bgnbd``, ``fit_gammagamma`` and
  ``bootstrap_mean_clv`` in :mod:`funnelkit.value.clv` (the rest: predictions and tables);
- ``per_row_numpy``: the plain vectorised computation over all 1M rows, no merging of identical
  histories — FHL eq. 10 (direct form, ``scipy.special.hyp2f1``) times eq. 3, the discount by
  weekly increments — for the predictions and, per draw, for the bootstrap on the same draws
  (the first ``--baseline-draws`` draws, time extrapolated linearly to ``--draws``);
- :func:`rfm_summary` on 1M customers / ~3M orders (1 + Poisson(2) orders each, times of day
  over 78 weeks, string ids) against a plain pandas groupby (difference: max absolute).

Every fit's estimates are checked against funnelkit's (relative difference reported). The
import of :mod:`funnelkit.value` (pandas, scipy) is timed once, in a fresh interpreter.
Nothing is written to disk; the simulated customers are drawn in memory (seeded).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import betaln, gammaln, hyp2f1

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from timing import median_time  # noqa: E402

from funnelkit.core.errors import DataWarning  # noqa: E402
from funnelkit.value import (  # noqa: E402
    fit_bgnbd,
    fit_gammagamma,
    rfm_summary,
    simulate_bgnbd,
    simulate_gammagamma,
)

CDNOW = Path(os.environ.get("FUNNELKIT_SHARED_DATA", ROOT.parent / "shared" / "data")) / "cdnow"
TRUTH = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
SPEND = {"p": 6.25, "q": 3.74, "gamma": 15.44}


# ------------------------------------------------------------------ hand-written baselines


def _bgnbd_nll_vectorised(log_theta, x, t_x, T):
    r, alpha, a, b = np.exp(log_theta)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    stay = -(r + x) * np.log(alpha + T)
    gone = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x)
    gone = np.where(x > 0, gone, -np.inf)
    return -np.sum(head + np.logaddexp(stay, gone))


def _gg_nll_vectorised(log_theta, x, z):
    p, q, g = np.exp(log_theta)
    px = p * x
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1) * np.log(x * z)
        + np.log(x)
        - (px + q) * np.log(g + x * z)
    )
    return -np.sum(ll)


def _bgnbd_nll_loop(log_theta, rows):
    r, alpha, a, b = (math.exp(v) for v in log_theta)
    base = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    total = 0.0
    for x, t_x, T in rows:
        head = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
        head += math.lgamma(a) + math.lgamma(b + x) - math.lgamma(a + b + x) - base
        stay = -(r + x) * math.log(alpha + T)
        if x > 0:
            gone = math.log(a) - math.log(b + x - 1) - (r + x) * math.log(alpha + t_x)
            top = max(stay, gone)
            mix = top + math.log(math.exp(stay - top) + math.exp(gone - top))
        else:
            mix = stay
        total += head + mix
    return -total


def _nelder_mead(fun, start, args):
    found = optimize.minimize(
        fun, np.log(start), args=args, method="Nelder-Mead",
        options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-9},
    )  # fmt: skip
    return np.exp(found.x)


# ------------------------------------------------------------------ data


def cdnow_master() -> pd.DataFrame:
    path = CDNOW / "CDNOW_master.txt"
    if not path.exists():
        sys.exit(f"CDNOW master not found at {path}; set FUNNELKIT_SHARED_DATA.")
    raw = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
    raw["timestamp"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw


def cdnow_sample_summary() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")


def simulated(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(2026)
    data = simulate_bgnbd(n, **TRUTH, T=rng.uniform(26.0, 39.0, n), seed=1)
    spend = np.zeros(n)
    repeat = data["x"].to_numpy() > 0
    spend[repeat] = simulate_gammagamma(data["x"].to_numpy()[repeat], **SPEND, seed=2)
    return data.assign(monetary=spend)


# ------------------------------------------------------------------ timing


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def bench_case(name, summary, repeat, *, slow: bool, loop: bool, rows):
    x, t_x, T = (summary[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
    rep = x > 0
    xz, z = x[rep], summary["monetary"].to_numpy(dtype=float)[rep]
    keep = z > 0
    xz, z = xz[keep], z[keep]
    t_bg, fit = median_time(lambda: fit_bgnbd(summary), repeat)
    with warnings.catch_warnings():  # the master has repeat buyers who spent 0: left out
        warnings.simplefilter("ignore", DataWarning)
        t_gg, gg = median_time(lambda: fit_gammagamma(summary), repeat)
    rows.append((name, "funnelkit", "BG/NBD", len(x), t_bg, 1.0, fit.converged, 0.0))
    rows.append((name, "funnelkit", "Gamma-Gamma", len(xz), t_gg, 1.0, gg.converged, 0.0))
    print(f"{name}: funnelkit BG/NBD {t_bg:.3f} s, Gamma-Gamma {t_gg:.3f} s, "
          f"both {t_bg + t_gg:.3f} s", flush=True)  # fmt: skip
    if slow:
        reps = 1 if len(x) > 100_000 else repeat
        t, est = median_time(
            lambda: _nelder_mead(_bgnbd_nll_vectorised, [1, 1, 1, 1], (x, t_x, T)), reps
        )
        rows.append((name, "vectorised_numgrad", "BG/NBD", len(x), t, t / t_bg, None,
                     _rel(est, fit.params.to_numpy())))  # fmt: skip
        t, est = median_time(lambda: _nelder_mead(_gg_nll_vectorised, [1, 1, 1], (xz, z)), reps)
        rows.append((name, "vectorised_numgrad", "Gamma-Gamma", len(xz), t, t / t_gg, None,
                     _rel(est, gg.params.to_numpy())))  # fmt: skip
    if loop:
        data = list(zip(x.tolist(), t_x.tolist(), T.tolist(), strict=True))
        t, est = median_time(lambda: _nelder_mead(_bgnbd_nll_loop, [1, 1, 1, 1], (data,)), 1)
        rows.append((name, "python_loop", "BG/NBD", len(x), t, t / t_bg, None,
                     _rel(est, fit.params.to_numpy())))  # fmt: skip
    return fit, gg


# ------------------------------------------------------------------ the whole CLV, 1M customers


def simulated_days(n: int) -> pd.DataFrame:
    """BG/NBD + Gamma-Gamma customers with T uniform 1–78 weeks, T and t_x on whole days."""
    rng = np.random.default_rng(2026)
    T = np.round(rng.uniform(1.0, 78.0, n) * 7.0) / 7.0
    data = simulate_bgnbd(n, **TRUTH, T=T, seed=1)
    data["t_x"] = np.minimum(np.round(data["t_x"].to_numpy() * 7.0) / 7.0, T)
    spend = np.zeros(n)
    repeat = data["x"].to_numpy() > 0
    spend[repeat] = simulate_gammagamma(data["x"].to_numpy()[repeat], **SPEND, seed=2)
    return data.assign(monetary=spend)


def _purchases_by_hand(bg, t, x, t_x, T):
    """FHL 2005 eq. 10, direct form, every row: E[purchases in (T, T+t] | x, t_x, T]."""
    r, alpha, a, b = bg
    with np.errstate(all="ignore"):
        tail = ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
            r + x, b + x, a + b + x - 1, t / (alpha + T + t)
        )
        odds = np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
        return (a + b + x - 1) / (a - 1) * (1 - tail) / (1 + odds)


def _discount_by_hand(bg, horizon, x, t_x, T, rate):
    """Discounted over undiscounted expected purchases, weekly increments discounted weekly."""
    if rate == 0:
        return 1.0
    weekly = (1.0 + rate) ** (7.0 / 365.25) - 1.0
    weeks = np.arange(1, int(np.ceil(horizon)) + 1, dtype=float)
    weeks[-1] = horizon
    done, discounted = np.zeros_like(x), np.zeros_like(x)
    for week in weeks:
        now = _purchases_by_hand(bg, week, x, t_x, T)
        discounted += (now - done) * (1.0 + weekly) ** -week
        done = now
    return np.where(done > 0, discounted / done, 1.0)


def _spend_by_hand(gg, x, zbar):
    p, q, g = gg
    return (p * g + p * x * zbar) / (p * x + q - 1)  # FHL 2005 eq. 3


def _draws_by_hand(fit, n, rng):
    theta = fit.params.to_numpy(dtype=float)
    cov = fit.cov.loc[fit.params.index, fit.params.index].to_numpy(dtype=float)
    return np.exp(rng.multivariate_normal(np.log(theta), cov / np.outer(theta, theta), size=n,
                                          method="eigh"))  # fmt: skip


def bench_clv(
    n: int, draws: int, baseline_draws: int, rows: list, *, rate: float = 0.0, horizon: float = 52.0
):
    """``value_from_summary`` on ``n`` customers, its parts, and the plain per-row baseline."""
    from funnelkit.value import clv as clv_module

    start = time.perf_counter()
    data = simulated_days(n)
    keys = data[["x", "t_x", "T"]]
    print(f"simulated {n:,} customers (T 1–78 weeks on days) in "
          f"{time.perf_counter() - start:.1f} s: {int((data['x'] > 0).sum()):,} repeat buyers, "
          f"{len(data.drop_duplicates()):,} distinct rows, {len(keys.drop_duplicates()):,} "
          f"distinct (x, t_x, T), {len(keys[['x', 'T']].drop_duplicates()):,} distinct (x, T)",
          flush=True)  # fmt: skip
    parts: dict[str, float] = {}
    captured: dict[str, np.ndarray] = {}

    def clock(name, fn):
        def run(*args, **kwargs):
            begin = time.perf_counter()
            out = fn(*args, **kwargs)
            parts[name] = parts.get(name, 0.0) + time.perf_counter() - begin
            captured[name] = out
            return out

        return run

    originals = {k: getattr(clv_module, k) for k in ("fit_bgnbd", "fit_gammagamma",
                                                      "bootstrap_mean_clv")}  # fmt: skip
    for name, fn in originals.items():
        setattr(clv_module, name, clock(name, fn))
    try:
        start = time.perf_counter()
        value = clv_module.value_from_summary(
            data, horizon_weeks=horizon, draws=draws, discount_rate_annual=rate
        )
        total = time.perf_counter() - start
    finally:
        for name, fn in originals.items():
            setattr(clv_module, name, fn)
    fits = parts["fit_bgnbd"] + parts["fit_gammagamma"]
    boot = parts["bootstrap_mean_clv"]
    rest = total - fits - boot
    print(f"value_from_summary, {n:,} customers, {draws} draws, discount {rate:g}: "
          f"{total:.1f} s (fits {fits:.2f}, predictions and tables {rest:.2f}, "
          f"bootstrap {boot:.1f}); load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip

    # baseline: every row, no dedup of identical histories, direct FHL eq. 10 / eq. 3
    bg = value.purchases.params.to_numpy(dtype=float)
    gg = value.spend.params.to_numpy(dtype=float)
    x, t_x, T, zbar = (data[c].to_numpy(dtype=float) for c in ("x", "t_x", "T", "monetary"))
    start = time.perf_counter()
    factor = _discount_by_hand(bg, horizon, x, t_x, T, rate)
    hand = _purchases_by_hand(bg, horizon, x, t_x, T) * factor * _spend_by_hand(gg, x, zbar)
    t_pred = time.perf_counter() - start
    diff_pred = _rel(hand, value.customers["clv"].to_numpy())
    rng = np.random.default_rng(0)  # value_from_summary's default seed, same draws
    bg_draws = _draws_by_hand(value.purchases, draws, rng)  # the kit draws BG/NBD first
    gg_draws = _draws_by_hand(value.spend, draws, rng)
    k = min(baseline_draws, draws)
    start = time.perf_counter()
    means = np.array([
        np.mean(_purchases_by_hand(bg_draws[i], horizon, x, t_x, T) * factor
                * _spend_by_hand(gg_draws[i], x, zbar))
        for i in range(k)
    ])  # fmt: skip
    t_loop = (time.perf_counter() - start) / k * draws
    diff_boot = _rel(means, captured["bootstrap_mean_clv"][:k])
    case = f"value_from_summary ({n:,}, {draws} draws, discount {rate:g})"
    rows.append((case, "funnelkit", "whole", n, total, 1.0, None, 0.0))
    rows.append((case, "funnelkit", "fits", n, fits, 1.0, None, 0.0))
    rows.append((case, "funnelkit", "predictions+tables", n, rest, 1.0, None, 0.0))
    rows.append((case, "funnelkit", "bootstrap", n, boot, 1.0, None, 0.0))
    rows.append((case, "per_row_numpy", "predictions", n, t_pred, t_pred / rest, None,
                 diff_pred))  # fmt: skip
    rows.append((case, f"per_row_numpy ({k} draws ×{draws / k:g})", "bootstrap", n, t_loop,
                 t_loop / boot, None, diff_boot))  # fmt: skip
    print(f"baseline: predictions every row {t_pred:.2f} s; bootstrap {k} draws every row, "
          f"extrapolated to {draws}: {t_loop:.1f} s; max rel diff {diff_pred:.1e} / "
          f"{diff_boot:.1e}", flush=True)  # fmt: skip
    print(value.totals[["quantity", "value", "ci_low", "ci_high"]].to_string(index=False))


def simulated_orders(n: int) -> pd.DataFrame:
    """``n`` customers, ~3 orders each (1 + Poisson(2)), times over 78 weeks, string ids."""
    rng = np.random.default_rng(7)
    per = 1 + rng.poisson(2.0, n)
    first = rng.uniform(0.0, 546.0, n)
    who = np.repeat(np.arange(n), per)
    lead = np.r_[True, who[1:] != who[:-1]]  # each customer's first order is at `first`
    offset = np.where(lead, 0.0, rng.uniform(0.0, 1.0, who.size) * (546.0 - first[who]))
    stamp = pd.Timestamp("2025-01-01") + pd.to_timedelta((first[who] + offset) * 86400, unit="s")
    return pd.DataFrame({
        "customer_id": np.char.add("c", np.char.zfill(who.astype(str), 7)).astype(object),
        "timestamp": stamp,
        "revenue": np.round(rng.gamma(2.0, 25.0, who.size), 2),
    })  # fmt: skip


def _rfm_by_hand(orders: pd.DataFrame) -> pd.DataFrame:
    days = (orders.assign(day=orders["timestamp"].dt.normalize())
            .groupby(["customer_id", "day"])["revenue"].sum().reset_index())  # fmt: skip
    first = days.groupby("customer_id")["day"].transform("min")
    end = days["day"].max()
    out = days.groupby("customer_id")["day"].agg(["size", "min", "max"])
    spend = days[days["day"] > first].groupby("customer_id")["revenue"].mean()
    week = pd.Timedelta(days=7)
    return pd.DataFrame({"x": out["size"] - 1, "t_x": (out["max"] - out["min"]) / week,
                         "T": (end - out["min"]) / week,
                         "monetary": spend.reindex(out.index).fillna(0.0)})  # fmt: skip


def bench_rfm(n: int, repeat: int, rows: list) -> None:
    start = time.perf_counter()
    orders = simulated_orders(n)
    print(f"simulated {len(orders):,} orders of {n:,} customers in "
          f"{time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip
    t_kit, kit = median_time(lambda: rfm_summary(orders), repeat)
    t_hand, hand = median_time(lambda: _rfm_by_hand(orders), repeat)
    cols = ["x", "t_x", "T", "monetary"]
    gap = kit[cols].to_numpy(float) - hand.loc[kit.index, cols].to_numpy(float)
    diff = float(np.max(np.abs(gap)))
    case = f"rfm_summary ({n:,} customers, {len(orders):,} orders)"
    rows.append((case, "funnelkit", "rfm_summary", n, t_kit, 1.0, None, 0.0))
    rows.append((case, "pandas_groupby", "rfm_summary", n, t_hand, t_hand / t_kit, None, diff))
    print(f"{case}: funnelkit {t_kit:.2f} s, pandas groupby {t_hand:.2f} s, max abs diff "
          f"{diff:.1e}", flush=True)  # fmt: skip


def import_time() -> float:
    code = (
        "import time; s = time.perf_counter(); import funnelkit.value; "
        "print(time.perf_counter() - s)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    return float(done.stdout.strip() or "nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--big-repeat", type=int, default=1)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--no-slow", action="store_true", help="skip the vectorised baselines")
    parser.add_argument(
        "--only",
        choices=("all", "fits", "clv"),
        default="all",
        help="fits: the model fits; clv: value_from_summary and rfm_summary at 1M",
    )
    parser.add_argument("--draws", type=int, default=500, help="bootstrap draws of the CLV")
    parser.add_argument(
        "--baseline-draws",
        type=int,
        default=10,
        help="draws the per-row baseline runs (extrapolated to --draws)",
    )
    parser.add_argument(
        "--discount-rate",
        type=float,
        nargs="+",
        default=[0.0],
        help="annual discount rate(s) of the CLV cases (the kit's default: 0)",
    )
    args = parser.parse_args()
    print(f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
          f"numpy {np.__version__}, pandas {pd.__version__}", flush=True)  # fmt: skip
    print(f"import funnelkit.value (fresh interpreter): {import_time():.2f} s", flush=True)
    rows: list[tuple] = []
    if args.only != "clv":
        fits_cases(args, rows)
    if args.only != "fits":
        for rate in args.discount_rate:
            bench_clv(args.customers, args.draws, args.baseline_draws, rows, rate=rate)
        bench_rfm(args.customers, args.big_repeat, rows)
    frame = pd.DataFrame(
        rows,
        columns=["case", "method", "model", "n", "median_s", "ratio_to_funnelkit", "converged",
                 "max_rel_diff_to_funnelkit"],
    )  # fmt: skip
    print()
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.3g}"))


def fits_cases(args, rows: list) -> None:
    sample = cdnow_sample_summary().rename(columns={"zbar": "monetary"})
    bench_case("CDNOW sample (2,357)", sample, args.repeat, slow=not args.no_slow, loop=True,
               rows=rows)  # fmt: skip

    orders = cdnow_master()
    t_sum, master = median_time(
        lambda: rfm_summary(orders, revenue="dollar_value", calibration_end="1997-09-30"),
        args.repeat,
    )
    print(f"CDNOW master: {len(orders):,} orders → {len(master):,} customers; rfm_summary "
          f"{t_sum:.3f} s", flush=True)  # fmt: skip
    rows.append(("CDNOW master", "funnelkit", "rfm_summary", len(master), t_sum, 1.0, None, 0.0))
    fit, gg = bench_case("CDNOW master (23,570)", master, args.repeat, slow=not args.no_slow,
                         loop=False, rows=rows)  # fmt: skip
    print(fit.table().round(4).to_string(index=False))
    print(gg.table().round(4).to_string(index=False))

    start = time.perf_counter()
    big = simulated(args.customers)
    print(f"simulated {len(big):,} customers in {time.perf_counter() - start:.1f} s", flush=True)
    fit, gg = bench_case(f"simulated ({len(big):,})", big, args.big_repeat,
                         slow=not args.no_slow, loop=False, rows=rows)  # fmt: skip
    table = fit.table()
    table["truth"] = list(TRUTH.values())
    spend = gg.table()
    spend["truth"] = list(SPEND.values())
    print(pd.concat([table, spend])[["parameter", "truth", "estimate", "se"]].round(4)
          .to_string(index=False))  # fmt: skip


if __name__ == "__main__":
    main()
