"""The report's front page: headline numbers, ranked findings, what to fix first, what changed.

Unlike the chapter presentations it reads no client data: it lines up the results the chapters
saved (and the previous report's), so it can never disagree with them.
"""

from .changes import what_changed
from .findings import FINDING_COLUMNS, rank_findings
from .first import fix_first
from .glossary import GLOSSARY, glossary
from .kpis import HEADLINE_METRICS, headline_kpis
from .page import front_page

__all__ = [
    "FINDING_COLUMNS",
    "GLOSSARY",
    "HEADLINE_METRICS",
    "fix_first",
    "front_page",
    "glossary",
    "headline_kpis",
    "rank_findings",
    "what_changed",
]
