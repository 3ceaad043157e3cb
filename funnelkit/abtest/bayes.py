"""Bayesian view of conversion: probability to beat control and expected loss (beta-binomial).

Separate from the frequentist verdict: it answers "how likely is the variant better, and how much
would choosing it cost if it is not", not "is the difference significant".

Model: each arm's rate has a Beta(prior_alpha, prior_beta) prior, updated to
Beta(prior_alpha + conversions, prior_beta + users - conversions); the arms are independent.

- ``prob_beat_control`` = P(p_variant > p_control), exact: Evan Miller's closed-form sum
  Σ_i B(a_c + i, b_c + b_v) / ((b_v + i) B(1 + i, b_v) B(a_c, b_c)), i = 0 … a_v - 1, evaluated
  term by term in log space with ``scipy.special.betaln`` (stable at millions of users). Of the
  four equivalent sums (over a_v, a_c, b_v or b_c) the shortest with a whole-number parameter is
  used. If no parameter is a whole number (fractional priors) it falls back to numerical
  integration (``scipy.integrate.quad``).
- ``expected_loss_choosing_variant`` = E[max(p_control - p_variant, 0)], exact:
  E[p_c·1(p_c > p_v)] - E[p_v·1(p_c > p_v)] = m_c·P(B(a_c + 1, b_c) > p_v) - m_v·P(p_c >
  B(a_v + 1, b_v)), the same closed form with shifted parameters (Chris Stucchio's formula).
  ``expected_loss_choosing_control`` = E[max(p_variant - p_control, 0)] likewise. Both in rate
  units (0.001 = 0.1 percentage points of conversion).

Accuracy: agrees with numerical integration to ~1e-12 for thousands of users and ~1e-9 at a
million per arm (``betaln`` of arguments near 1e6 carries ~1e-10 relative error).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import integrate, special, stats

from ..core.stats.arguments import arm_table, check_positive

__all__ = ["bayes_proportions", "prob_greater"]


def _miller_sum(a1: float, b1: float, a2: int, b2: float) -> float:
    """P(X2 > X1) for X1 ~ Beta(a1, b1), X2 ~ Beta(a2, b2), a2 a whole number (Evan Miller)."""
    i = np.arange(int(a2), dtype=float)
    log_terms = (
        special.betaln(a1 + i, b1 + b2)
        - np.log(b2 + i)
        - special.betaln(1 + i, b2)
        - special.betaln(a1, b1)
    )
    return float(np.exp(special.logsumexp(log_terms)))


def _quad(a1: float, b1: float, a2: float, b2: float) -> float:
    """P(X2 > X1) by integrating f1(x)·P(X2 > x) around X1's posterior mass."""
    x1 = stats.beta(a1, b1)
    low, high = x1.ppf(1e-15), x1.isf(1e-15)
    value, _ = integrate.quad(
        lambda x: x1.pdf(x) * stats.beta.sf(x, a2, b2), low, high, epsabs=1e-13, epsrel=1e-12,
        limit=200, points=[x1.mean()],
    )  # fmt: skip
    return float(value)


def prob_greater(a1: float, b1: float, a2: float, b2: float) -> float:
    """P(X2 > X1) for independent X1 ~ Beta(a1, b1), X2 ~ Beta(a2, b2).

    Exact closed form (see the module docstring) summed over the smallest whole-number
    parameter; numerical integration only when no parameter is a whole number.

    Examples
    --------
    >>> round(prob_greater(1, 1, 1, 1), 12)  # two uniform rates: a fair coin
    0.5
    >>> round(prob_greater(2, 1, 1, 2), 12)  # P(U2 > U1) with densities 2x and 2(1 - x)
    0.166666666667
    """
    sums = [  # (parameter summed over, P(X2 > X1) from that sum)
        (a2, lambda: _miller_sum(a1, b1, a2, b2)),
        (a1, lambda: 1.0 - _miller_sum(a2, b2, a1, b1)),
        (b1, lambda: _miller_sum(b2, a2, b1, a1)),  # 1 - X is Beta(b, a)
        (b2, lambda: 1.0 - _miller_sum(b1, a1, b2, a2)),
    ]
    whole = [(k, f) for k, f in sums if float(k).is_integer()]
    if not whole:
        return _quad(a1, b1, a2, b2)
    _, shortest = min(whole, key=lambda pair: pair[0])
    return min(max(shortest(), 0.0), 1.0)


def bayes_proportions(
    data: pd.DataFrame,
    *,
    control: str,
    prior_alpha: float = 1.0,
    prior_beta: float = 1.0,
    variant_col: str = "variant",
    users_col: str = "users",
    conversions_col: str = "conversions",
) -> pd.DataFrame:
    """Probability that each variant's conversion rate beats control's, and the expected loss.

    Turns aggregated counts, one row per variant (``variant, users, conversions``), into one row
    per non-control variant (in input order).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per variant with whole counts of users and converted users.
    control : str
        The control's value in ``variant_col``.
    prior_alpha, prior_beta : float, default 1.0
        The Beta prior of every arm (1, 1 = uniform). Whole numbers keep the exact formula.
    variant_col, users_col, conversions_col : str
        Column names in ``data``.

    Returns
    -------
    pandas.DataFrame
        ``variant, control``; ``prob_beat_control`` = P(p_variant > p_control);
        ``expected_loss_choosing_variant`` = E[max(p_control - p_variant, 0)];
        ``expected_loss_choosing_control`` = E[max(p_variant - p_control, 0)];
        ``posterior_mean``, ``control_posterior_mean`` (a / (a + b)); ``prior`` (e.g.
        "beta(1, 1)"); ``method`` ("beta_binomial_exact" or "beta_binomial_quad").

    Raises
    ------
    AnalysisError
        Missing column, unknown control, non-count values, conversions > users, an arm with 0
        users, or a prior parameter <= 0.

    Examples
    --------
    >>> counts = pd.DataFrame(
    ...     {"variant": ["A", "B"], "users": [1000, 1000], "conversions": [45, 60]}
    ... )
    >>> bayes_proportions(counts, control="A")[["variant", "prob_beat_control"]].round(4)
      variant  prob_beat_control
    0       B              0.933
    """
    a0 = check_positive("prior_alpha", prior_alpha)
    b0 = check_positive("prior_beta", prior_beta)
    arms = arm_table(
        data, variant_col=variant_col, count_cols=[users_col, conversions_col], control=control
    )
    post = pd.DataFrame(
        {"a": a0 + arms[conversions_col], "b": b0 + arms[users_col] - arms[conversions_col]}
    ).astype(float)
    ac, bc = post.loc[control]
    exact = any(float(v).is_integer() for v in (a0, b0))
    rows = []
    for variant, (av, bv) in post.drop(index=control).iterrows():
        mean_c, mean_v = ac / (ac + bc), av / (av + bv)
        # E[max(pc - pv, 0)] = mean_c * P(Beta(ac+1, bc) > pv) - mean_v * P(pc > Beta(av+1, bv))
        loss_variant = mean_c * prob_greater(av, bv, ac + 1, bc) - mean_v * prob_greater(
            av + 1, bv, ac, bc
        )
        loss_control = mean_v * prob_greater(ac, bc, av + 1, bv) - mean_c * prob_greater(
            ac + 1, bc, av, bv
        )
        rows.append(
            {
                "variant": variant,
                "control": control,
                "prob_beat_control": prob_greater(ac, bc, av, bv),
                "expected_loss_choosing_variant": max(loss_variant, 0.0),
                "expected_loss_choosing_control": max(loss_control, 0.0),
                "posterior_mean": mean_v,
                "control_posterior_mean": mean_c,
                "prior": f"beta({a0:g}, {b0:g})",
                "method": "beta_binomial_exact" if exact else "beta_binomial_quad",
            }
        )
    return pd.DataFrame(rows)
