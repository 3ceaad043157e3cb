"""One colour-blind-safe palette for every chart, and one fixed colour per thing shown.

The colours are Okabe & Ito's eight (2008), which stay distinct under the common kinds of
colour blindness. Colour is never the only carrier of meaning: "better" and "worse" also differ
by marker or hatch and carry a word (:data:`VERDICT_MARKERS`, :data:`VERDICT_HATCHES`).

:func:`colour_for` gives each named thing the same colour in every chart of a report:

- ``kind="variant"``: the control is always :data:`CONTROL` (dark grey); the other variants
  take :data:`SEQUENCE` in their declared order (pass ``order``), so ``lifestyle`` is blue
  wherever it appears and the control never changes colour between experiments;
- ``kind="stage"``: one colour per journey stage (awareness … advocacy), grey for no stage;
- ``kind="verdict"``: better (blue), worse (vermillion), anything else (grey);
- any other kind (``"segment"``, ``"step"``, ``"metric"`` …): the position in ``order`` when
  given, else the first free colour of :data:`SEQUENCE` the first time a name is seen in the
  session, remembered for every later chart.

Examples
--------
>>> colour_for("control", "variant") == colour_for("control", "variant", order=["x", "y"])
True
>>> colour_for("lifestyle", "variant", order=["control", "lifestyle", "discount"])
'#0072B2'
>>> colour_for("better", "verdict"), colour_for("worse", "verdict")
('#0072B2', '#D55E00')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "BETTER",
    "CONTROL",
    "NEUTRAL",
    "OKABE_ITO",
    "SEQUENCE",
    "STAGE_ORDER",
    "UNMAPPED",
    "VERDICT_HATCHES",
    "VERDICT_MARKERS",
    "WORSE",
    "colour_for",
    "colours_for",
    "marker_for",
]

#: Okabe & Ito's colour-blind-safe colours.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Colours given in turn to variants, segments, steps … (yellow last: weak on white).
SEQUENCE = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["yellow"],
)
#: Markers given in the same turn, so lines differ by shape as well as by colour.
MARKERS = ("o", "s", "^", "D", "v", "P", "X")

#: The control group, in every experiment.
CONTROL = "#555555"
#: Better, worse, neither (not significant or not tested).
BETTER, WORSE, NEUTRAL = OKABE_ITO["blue"], OKABE_ITO["vermillion"], "#A0A0A0"
#: Events no journey stage claims.
UNMAPPED = "#BBBBBB"
#: The second carrier of a verdict besides colour: marker shape …
VERDICT_MARKERS = {"better": "^", "worse": "v", "neutral": "o"}
#: … and bar hatch (better plain, worse cross-hatched, untested diagonal).
VERDICT_HATCHES = {"better": "", "worse": "xx", "neutral": "", "untested": "//"}

#: Journey stages in order (as :data:`funnelkit.stages.presets.STAGES`) and their colours.
STAGE_ORDER = ("awareness", "consideration", "purchase", "retention", "advocacy")
_STAGE_COLOURS = dict(
    zip(
        STAGE_ORDER,
        (
            OKABE_ITO["sky_blue"],
            OKABE_ITO["blue"],
            OKABE_ITO["bluish_green"],
            OKABE_ITO["orange"],
            OKABE_ITO["reddish_purple"],
        ),
        strict=True,
    )
)

_seen: dict[str, dict[str, str]] = {}


def colour_for(
    name: object,
    kind: str = "segment",
    *,
    control: str | None = None,
    order: Sequence[object] | None = None,
) -> str:
    """The colour of ``name`` (a variant, stage, verdict, segment …) in every chart.

    Parameters
    ----------
    name
        What is drawn: a variant, a stage, a verdict, a segment value, a step …
    kind
        ``"variant"``, ``"stage"``, ``"verdict"`` or any other word naming the family.
    control
        For variants: the control's name (default: a variant called ``control``).
    order
        The declared order of the family (variants as in ``planned_split``, steps …); the
        control is skipped when counting, so the first non-control variant is always blue.
    """
    text = str(name)
    if kind == "verdict":
        return {"better": BETTER, "worse": WORSE}.get(text, NEUTRAL)
    if kind == "stage":
        return _STAGE_COLOURS.get(text, UNMAPPED)
    if kind == "variant":
        if text == (control if control is not None else "control"):
            return CONTROL
        if order is not None:
            others = [str(v) for v in order if str(v) != (control or "control")]
            if text in others:
                return SEQUENCE[others.index(text) % len(SEQUENCE)]
    elif order is not None:
        names = [str(v) for v in order]
        if text in names:
            return SEQUENCE[names.index(text) % len(SEQUENCE)]
    family = _seen.setdefault(kind, {})
    if text not in family:
        used = list(family.values())
        free = [c for c in SEQUENCE if c not in used]
        family[text] = free[0] if free else SEQUENCE[len(family) % len(SEQUENCE)]
    return family[text]


def colours_for(
    names: Iterable[object],
    kind: str = "segment",
    *,
    control: str | None = None,
    order: Sequence[object] | None = None,
) -> dict[str, str]:
    """``{name: colour}`` for several names of one family (see :func:`colour_for`)."""
    return {str(n): colour_for(n, kind, control=control, order=order) for n in names}


def marker_for(name: object, kind: str = "segment", **options) -> str:
    """A marker shape paired with :func:`colour_for`, so that shape tells things apart too."""
    colour = colour_for(name, kind, **options)
    if colour in SEQUENCE:
        return MARKERS[SEQUENCE.index(colour)]
    return "o"
