"""Customer value: who buys again, for how much, and what a customer is worth.

Maximum-likelihood fits on scipy (chosen over PyMC-Marketing for weight and speed):

- ``summary``: :func:`rfm_summary`, one row per customer from an orders table (Fader-Hardie's
  frequency, recency, age and mean repeat spend, with an optional holdout);
- ``bgnbd``: the BG/NBD purchase model — :func:`fit_bgnbd`, :func:`expected_purchases`,
  :func:`conditional_expected_purchases`, :func:`probability_alive`;
- ``gammagamma``: the Gamma-Gamma spend model — :func:`fit_gammagamma`,
  :func:`conditional_expected_spend`, :func:`spend_frequency_check`;
- ``mle``: the shared optimiser and :class:`ModelFit` (estimates, standard errors, tidy table);
- ``simulate``: customers drawn from known parameters;
- ``clv`` + ``forecast``: :func:`customer_value`, each customer's expected purchases, spend and
  CLV over a horizon with a parameter-bootstrap interval, beside the articles' simple formula;
- ``newcomer``: :func:`new_customer_value`, a just-acquired customer's first order plus the
  repeat purchases expected over the horizon (the figure that compares with the simple formula);
- ``checks``: the assumptions checked and the :func:`caveats` that make a forecast indicative;
- ``holdout``: :func:`holdout_check`, predicted vs actual repeat purchases after a calibration
  split (Fader, Hardie & Lee's chart); ``channels``: :func:`value_by_channel`;
- ``cohorts``: retention and revenue by first-purchase month (:func:`order_cohorts`,
  :func:`cohort_churn`, :func:`heatmap_frame`) and return rate by first-visit week
  (:func:`visit_cohorts`);
- ``rfm``: RFM scores and named segments with what to do (:func:`rfm_scores`,
  :func:`rfm_segments`, :func:`write_segment_audiences`).
"""

from .bgnbd import (
    BGNBD_PARAMS,
    bgnbd_loglik,
    conditional_expected_purchases,
    expected_purchases,
    fit_bgnbd,
    probability_alive,
)
from .channels import FIRST_ORDER, value_by_channel
from .checks import CAVEATS, caveats
from .clv import MIN_CUSTOMERS, CustomerValue, customer_value, value_from_summary
from .cohorts import cohort_churn, heatmap_frame, order_cohorts, visit_cohorts
from .forecast import predicted_purchases
from .gammagamma import (
    GAMMAGAMMA_PARAMS,
    conditional_expected_spend,
    fit_gammagamma,
    gammagamma_loglik,
    spend_frequency_check,
)
from .holdout import HoldoutCheck, holdout_check
from .mle import ModelFit
from .newcomer import first_purchase_spend, new_customer_value
from .rfm import (
    SEGMENT_RULES,
    SegmentRule,
    rfm_scores,
    rfm_segments,
    segment_of,
    segment_rules,
    write_segment_audiences,
)
from .simulate import simulate_bgnbd, simulate_gammagamma
from .summary import UNITS, rfm_summary

__all__ = [
    "BGNBD_PARAMS",
    "CAVEATS",
    "FIRST_ORDER",
    "GAMMAGAMMA_PARAMS",
    "MIN_CUSTOMERS",
    "SEGMENT_RULES",
    "UNITS",
    "CustomerValue",
    "HoldoutCheck",
    "ModelFit",
    "SegmentRule",
    "bgnbd_loglik",
    "caveats",
    "cohort_churn",
    "conditional_expected_purchases",
    "conditional_expected_spend",
    "customer_value",
    "expected_purchases",
    "first_purchase_spend",
    "fit_bgnbd",
    "fit_gammagamma",
    "gammagamma_loglik",
    "heatmap_frame",
    "holdout_check",
    "new_customer_value",
    "order_cohorts",
    "predicted_purchases",
    "probability_alive",
    "rfm_scores",
    "rfm_segments",
    "rfm_summary",
    "segment_of",
    "segment_rules",
    "simulate_bgnbd",
    "simulate_gammagamma",
    "spend_frequency_check",
    "value_by_channel",
    "value_from_summary",
    "visit_cohorts",
    "write_segment_audiences",
]
