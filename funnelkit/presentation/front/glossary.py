"""The words of the report explained once, in plain language (the report's last section)."""

from __future__ import annotations

from ...core.i18n import gettext

__all__ = ["GLOSSARY", "glossary"]

#: Term -> its plain-words meaning, in English (translated through ``glossary.po``).
GLOSSARY: dict[str, str] = {
    "Conversion": "A share of people who did something, always named by what it divides: "
    '"visitor → buyer" is buyers divided by visitors.',
    "Percentage points (pp)": "The difference between two percentages: from 4% to 5% is +1 pp "
    "(and +25% relative).",
    "95% interval": "The range that contains the true value with 95% confidence: a wider range "
    "means fewer observations.",
    "p-value": "How surprising the observed difference would be if the change had no effect at "
    "all; below 0.05 we call the difference significant.",
    "Significant": "Unlikely to be chance (p-value below 0.05 after correcting for the number of "
    "comparisons).",
    "Holm correction": "A stricter threshold used when many comparisons are made at once, so "
    "that chance alone does not produce false findings.",
    "Wilson interval": "The standard way to compute the 95% interval of a share; reliable even "
    "for small groups.",
    "Sample ratio mismatch (SRM)": "The groups of a test did not get the share of visitors they "
    "were meant to get: a sign that the split is broken and the result cannot be trusted.",
    "CUPED": "A way to make a test more precise by taking into account what each visitor did "
    "before the test started.",
    "Funnel": "The ordered steps from viewing a product to paying, counting the same people "
    "through every step.",
    "Leak": "A funnel step where many people leave; its worth is the revenue a stated, realistic "
    "improvement would add.",
    "Segment": "A group of visitors sharing a trait: a channel, a device, a country.",
    "Gross margin": "Revenue minus the cost of goods: the money left to pay for marketing and "
    "everything else.",
    "CAC": "Customer acquisition cost: advertising spend divided by the new customers it brought.",
    "CLV": "Customer lifetime value: what a customer is expected to bring (gross margin, or "
    "revenue when no margin is set). The report gives it two ways. The simple formula (orders "
    "per customer × average order value × expected lifetime of 1 / churn) is one average for "
    "everyone; the key metrics and the channels (CLV, LTV:CAC and payback) use it. The model "
    "(BG/NBD + Gamma-Gamma) predicts each customer's purchases from their own orders; the "
    "customer-value chapter and the summary's value of a new customer use it.",
    "LTV:CAC": "Customer lifetime value divided by acquisition cost: below 1 a customer costs "
    "more than they bring.",
    "ROMI": "Return on marketing investment: (gross margin from the channel − spend) / spend.",
    "Payback": "Months of a customer's margin needed to recover what acquiring them cost.",
    "NPS": "Net promoter score: the share of promoters (9–10) minus the share of detractors "
    "(0–6), from −100 to +100.",
    "MQL / SQL": "Marketing-qualified lead (fits the target profile) / sales-qualified lead "
    "(sales agreed to pursue it).",
    "Bounce rate": "Share of visits that see one page and do nothing else.",
}


def glossary(language: str = "en") -> list[tuple[str, str]]:
    """The glossary's (term, meaning) pairs in ``language``.

    Examples
    --------
    >>> glossary()[0][0]
    'Conversion'
    """
    return [(gettext(term, language), gettext(text, language)) for term, text in GLOSSARY.items()]
