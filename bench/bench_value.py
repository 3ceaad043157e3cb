"""Benchmark: fitting the customer-value models (BG/NBD, Gamma-Gamma) against hand-written fits.

Run: ``.venv/bin/python bench/bench_value.py [--repeat 5] [--customers 1_000_000] [--no-slow]``

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

Every fit's estimates are checked against funnelkit's (relative difference reported). The
import of :mod:`funnelkit.value` (pandas, scipy) is timed once, in a fresh interpreter.
Nothing is written to disk; the simulated customers are drawn in memory (seeded).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import betaln, gammaln

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

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


def timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def bench_case(name, summary, repeat, *, slow: bool, loop: bool, rows):
    x, t_x, T = (summary[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))
    rep = x > 0
    xz, z = x[rep], summary["monetary"].to_numpy(dtype=float)[rep]
    keep = z > 0
    xz, z = xz[keep], z[keep]
    t_bg, fit = timed(lambda: fit_bgnbd(summary), repeat)
    with warnings.catch_warnings():  # the master has repeat buyers who spent 0: left out
        warnings.simplefilter("ignore", DataWarning)
        t_gg, gg = timed(lambda: fit_gammagamma(summary), repeat)
    rows.append((name, "funnelkit", "BG/NBD", len(x), t_bg, 1.0, fit.converged, 0.0))
    rows.append((name, "funnelkit", "Gamma-Gamma", len(xz), t_gg, 1.0, gg.converged, 0.0))
    print(f"{name}: funnelkit BG/NBD {t_bg:.3f} s, Gamma-Gamma {t_gg:.3f} s, "
          f"both {t_bg + t_gg:.3f} s", flush=True)  # fmt: skip
    if slow:
        reps = 1 if len(x) > 100_000 else repeat
        t, est = timed(lambda: _nelder_mead(_bgnbd_nll_vectorised, [1, 1, 1, 1], (x, t_x, T)), reps)
        rows.append((name, "vectorised_numgrad", "BG/NBD", len(x), t, t / t_bg, None,
                     _rel(est, fit.params.to_numpy())))  # fmt: skip
        t, est = timed(lambda: _nelder_mead(_gg_nll_vectorised, [1, 1, 1], (xz, z)), reps)
        rows.append((name, "vectorised_numgrad", "Gamma-Gamma", len(xz), t, t / t_gg, None,
                     _rel(est, gg.params.to_numpy())))  # fmt: skip
    if loop:
        data = list(zip(x.tolist(), t_x.tolist(), T.tolist(), strict=True))
        t, est = timed(lambda: _nelder_mead(_bgnbd_nll_loop, [1, 1, 1, 1], (data,)), 1)
        rows.append((name, "python_loop", "BG/NBD", len(x), t, t / t_bg, None,
                     _rel(est, fit.params.to_numpy())))  # fmt: skip
    return fit, gg


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
    args = parser.parse_args()
    print(f"{platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
          f"numpy {np.__version__}, pandas {pd.__version__}", flush=True)  # fmt: skip
    print(f"import funnelkit.value (fresh interpreter): {import_time():.2f} s", flush=True)
    rows: list[tuple] = []

    sample = cdnow_sample_summary().rename(columns={"zbar": "monetary"})
    bench_case("CDNOW sample (2,357)", sample, args.repeat, slow=not args.no_slow, loop=True,
               rows=rows)  # fmt: skip

    orders = cdnow_master()
    t_sum, master = timed(
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

    frame = pd.DataFrame(
        rows,
        columns=["case", "method", "model", "n", "median_s", "ratio_to_funnelkit", "converged",
                 "max_rel_diff_to_funnelkit"],
    )  # fmt: skip
    print()
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
