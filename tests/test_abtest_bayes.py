"""Beta-binomial probability to beat control and expected loss against numerical integration.

Reference: ``scipy.integrate.quad`` of the posterior densities, written here independently of the
closed-form sum in funnelkit (R's ``integrate`` gives the same, see the conventions file:
agreement to ~3e-11 including n = 1e6). Tolerance 1e-8 absolute as the brief requires; a few
results with exact rational values are checked exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from funnelkit.abtest.bayes import bayes_proportions, prob_greater
from funnelkit.core.stats.arguments import AnalysisError


def counts(*arms: tuple[str, int, int]) -> pd.DataFrame:
    return pd.DataFrame(arms, columns=["variant", "users", "conversions"])


def _window(a: float, b: float) -> tuple[float, float]:
    dist = stats.beta(a, b)
    return max(0.0, dist.mean() - 40 * dist.std()), min(1.0, dist.mean() + 40 * dist.std())


def p_beat_by_quad(ac, bc, av, bv) -> float:
    """P(p_v > p_c) = ∫ f_c(x) · P(p_v > x) dx, integrated over the control posterior's mass."""
    low, high = _window(ac, bc)
    value, _ = integrate.quad(
        lambda x: stats.beta.pdf(x, ac, bc) * stats.beta.sf(x, av, bv), low, high,
        epsabs=1e-14, epsrel=1e-12, limit=500, points=[ac / (ac + bc)],
    )  # fmt: skip
    return value


def loss_by_quad(ac, bc, av, bv) -> float:
    """E[max(p_c - p_v, 0)] = ∫ f_v(y) · E[(p_c - y)+] dy, with
    E[(p_c - y)+] = m_c·(1 - I_y(ac + 1, bc)) - y·(1 - I_y(ac, bc))."""
    mean_c = ac / (ac + bc)
    low, high = _window(av, bv)

    def inner(y):
        return mean_c * stats.beta.sf(y, ac + 1, bc) - y * stats.beta.sf(y, ac, bc)

    value, _ = integrate.quad(
        lambda y: stats.beta.pdf(y, av, bv) * inner(y), low, high,
        epsabs=1e-15, epsrel=1e-12, limit=500, points=[av / (av + bv)],
    )  # fmt: skip
    return value


@pytest.mark.parametrize(
    ("control", "variant"),
    [
        ((1000, 45), (1000, 60)),
        ((1000, 60), (1000, 45)),
        ((20, 0), (20, 3)),  # zero conversions in control
        ((50, 50), (50, 48)),  # 100% conversion in control
        ((9000, 470), (1000, 45)),  # unequal split
        ((1_000_000, 120_000), (1_000_000, 121_000)),  # a million users per arm
        ((1_000_000, 120_000), (1_000_000, 120_000)),  # identical arms: exactly 0.5
    ],
)
def test_prob_beat_control_and_losses_match_quadrature(control, variant):
    result = bayes_proportions(counts(("A", *control), ("B", *variant)), control="A").iloc[0]
    ac, bc = 1 + control[1], 1 + control[0] - control[1]
    av, bv = 1 + variant[1], 1 + variant[0] - variant[1]
    assert result["prob_beat_control"] == pytest.approx(p_beat_by_quad(ac, bc, av, bv), abs=1e-8)
    # The loss is a difference of two such probabilities scaled by the means; betaln of
    # arguments near 1e6 carries ~1e-10 relative error, so 1e-9 absolute is the honest bound.
    assert result["expected_loss_choosing_variant"] == pytest.approx(
        loss_by_quad(ac, bc, av, bv), abs=1e-9
    )
    assert result["expected_loss_choosing_control"] == pytest.approx(
        loss_by_quad(av, bv, ac, bc), abs=1e-9
    )
    # E[pv - pc] = E[(pv - pc)+] - E[(pc - pv)+]
    diff = result["posterior_mean"] - result["control_posterior_mean"]
    assert result["expected_loss_choosing_control"] - result["expected_loss_choosing_variant"] == (
        pytest.approx(diff, abs=1e-12)
    )
    assert result["method"] == "beta_binomial_exact" and result["prior"] == "beta(1, 1)"


def test_identical_large_arms_give_one_half():
    result = bayes_proportions(
        counts(("A", 1_000_000, 120_000), ("B", 1_000_000, 120_000)), control="A"
    ).iloc[0]
    assert result["prob_beat_control"] == pytest.approx(0.5, abs=1e-8)


def test_exact_rational_values():
    # Beta(1,1) vs Beta(1,1): 1/2. Beta(2,1) vs Beta(1,2): ∫ 2x(1-x)² dx = 1/6.
    assert prob_greater(1, 1, 1, 1) == pytest.approx(0.5, abs=1e-15)
    assert prob_greater(2, 1, 1, 2) == pytest.approx(1 / 6, abs=1e-15)
    assert prob_greater(1, 2, 2, 1) == pytest.approx(5 / 6, abs=1e-15)


@pytest.mark.parametrize(
    "params", [(46, 956, 61, 941), (3, 8, 120, 7), (120001, 880001, 119001, 881001)]
)
def test_all_four_sums_agree(params):
    # Summing over a_v, a_c, b_c or b_v are equivalent identities; each branch against quad.
    a1, b1, a2, b2 = params
    reference = p_beat_by_quad(a1, b1, a2, b2)
    assert prob_greater(a1, b1, a2, b2) == pytest.approx(reference, abs=1e-8)
    assert 1 - prob_greater(a2, b2, a1, b1) == pytest.approx(reference, abs=1e-8)
    assert prob_greater(b2, a2, b1, a1) == pytest.approx(reference, abs=1e-8)  # via 1 - p


def test_fractional_prior_falls_back_to_quadrature():
    data = counts(("A", 500, 20), ("B", 500, 31))
    result = bayes_proportions(data, control="A", prior_alpha=0.5, prior_beta=0.5).iloc[0]
    assert result["method"] == "beta_binomial_quad" and result["prior"] == "beta(0.5, 0.5)"
    assert result["prob_beat_control"] == pytest.approx(
        p_beat_by_quad(20.5, 480.5, 31.5, 469.5), abs=1e-8
    )
    half = bayes_proportions(data, control="A", prior_alpha=0.5, prior_beta=1.0).iloc[0]
    assert half["method"] == "beta_binomial_exact"  # b is a whole number: exact sum over b
    assert half["prob_beat_control"] == pytest.approx(
        p_beat_by_quad(20.5, 481, 31.5, 470), abs=1e-8
    )


def test_three_variants_in_input_order():
    data = counts(("C", 1000, 55), ("A", 1000, 50), ("B", 1000, 40))
    result = bayes_proportions(data, control="A")
    assert result["variant"].tolist() == ["C", "B"]
    assert result["prob_beat_control"].iloc[0] > 0.5 > result["prob_beat_control"].iloc[1]
    assert list(result.columns[:8]) == [
        "variant", "control", "prob_beat_control", "expected_loss_choosing_variant",
        "expected_loss_choosing_control", "posterior_mean", "control_posterior_mean", "prior",
    ]  # fmt: skip
    assert result["posterior_mean"].iloc[0] == pytest.approx(56 / 1002)


OK = counts(("A", 100, 5), ("B", 100, 6))


@pytest.mark.parametrize(
    ("frame", "kwargs", "match"),
    [
        (OK, {"prior_alpha": 0}, r"`prior_alpha` must be a finite number > 0"),
        (OK, {"prior_beta": -1}, r"`prior_beta` must be a finite number > 0"),
        (counts(("A", 100, 5), ("B", 0, 0)), {}, r"Variant\(s\) \['B'\] have 0 users"),
        (counts(("A", 100, 5), ("B", 10, 60)), {}, r"more 'conversions' than 'users'"),
        (OK, {"control": "X"}, r"`control` 'X' is not a value"),
    ],
)
def test_bayes_errors(frame, kwargs, match):
    with pytest.raises(AnalysisError, match=match):
        bayes_proportions(frame, **({"control": "A"} | kwargs))


def test_never_mutates_input():
    data = counts(("A", 100, 5), ("B", 100, 6))
    before = data.copy()
    bayes_proportions(data, control="A")
    pd.testing.assert_frame_equal(data, before)
    assert np.isfinite(bayes_proportions(data, control="A").select_dtypes("number")).all().all()
