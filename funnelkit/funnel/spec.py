"""What a funnel is: its steps and counting rules, validated once (see docs/funnel.md).

A :class:`FunnelSpec` is a frozen value: the engine, the reference implementation in the tests
and the report all read the same object, so the rules printed on a report are the rules counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from ..core.errors import FunnelkitError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..data.config import FunnelConfig

__all__ = ["ENTRIES", "ORDERS", "UNITS", "WINDOW_FROM", "FunnelError", "FunnelSpec"]

ORDERS = ("ordered", "strict", "any")
ENTRIES = ("all", "first")
WINDOW_FROM = ("first_step", "previous_step")
UNITS = ("user", "session")


class FunnelError(FunnelkitError, ValueError):
    """A funnel definition or its input data cannot be counted (message says why and the fix)."""


def _one_of(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise FunnelError(
            f"The value for `{name}` must be one of {list(allowed)}, but {value!r} was passed."
        )


@dataclass(frozen=True)
class FunnelSpec:
    """A funnel: ordered step patterns plus the counting rules of docs/funnel.md.

    Parameters
    ----------
    steps
        Two or more event names or patterns: :mod:`funnelkit.core.patterns` (``fnmatch``
        globs such as ``view_*`` or ``re:`` regexes; case-sensitive, whole name).
    conversion_window
        Step k counts only within this time of step 1 (or of step k-1), inclusive.
    window_from
        ``"first_step"`` or ``"previous_step"``.
    order
        ``"ordered"``, ``"strict"`` or ``"any"``.
    entry
        ``"all"`` (every step-1 event starts an attempt) or ``"first"``.
    exclusions
        ``(event pattern, i, j)`` triples, 1-based step numbers with ``1 <= i < j <= len(steps)``.
    unit
        ``"user"`` or ``"session"``.

    Raises
    ------
    FunnelError
        Fewer than two steps, a window that is not positive, an unknown option, an exclusion
        whose step numbers are out of range.

    Examples
    --------
    >>> FunnelSpec(("view_item", "purchase")).conversion_window
    datetime.timedelta(days=7)
    """

    steps: tuple[str, ...]
    conversion_window: timedelta = timedelta(days=7)
    window_from: str = "first_step"
    order: str = "ordered"
    entry: str = "all"
    exclusions: tuple[tuple[str, int, int], ...] = field(default_factory=tuple)
    unit: str = "user"

    def __post_init__(self) -> None:
        steps = (self.steps,) if isinstance(self.steps, str) else tuple(self.steps)
        object.__setattr__(self, "steps", steps)
        if len(steps) < 2 or not all(isinstance(s, str) and s for s in steps):
            raise FunnelError(
                f"A funnel needs at least two steps (non-empty event names or patterns), but "
                f"{list(steps)} was passed; e.g. steps=['view_item', 'purchase']."
            )
        window = self.conversion_window
        if isinstance(window, (int, float)) and not isinstance(window, bool):
            window = timedelta(days=window)
            object.__setattr__(self, "conversion_window", window)
        if not isinstance(window, timedelta) or window <= timedelta(0):
            raise FunnelError(
                f"The conversion window must be a positive duration, but {window!r} was passed; "
                "e.g. conversion_window=timedelta(days=7)."
            )
        _one_of("order", self.order, ORDERS)
        _one_of("entry", self.entry, ENTRIES)
        _one_of("window_from", self.window_from, WINDOW_FROM)
        _one_of("unit", self.unit, UNITS)
        if self.order == "any" and self.window_from == "previous_step":
            raise FunnelError(
                "order='any' has no previous step to measure from, but "
                "window_from='previous_step' was passed; use window_from='first_step' with "
                "order='any', or an ordered funnel."
            )
        exclusions = []
        for item in self.exclusions:
            try:
                pattern, first, second = item
            except (TypeError, ValueError):
                raise FunnelError(
                    f"An exclusion must be (event pattern, i, j), but {item!r} was passed."
                ) from None
            if not (isinstance(pattern, str) and pattern):
                raise FunnelError(f"An exclusion needs an event name or pattern, got {pattern!r}.")
            if not (
                isinstance(first, int) and isinstance(second, int) and 1 <= first < second
            ) or second > len(steps):
                raise FunnelError(
                    f"The exclusion of {pattern!r} is between steps {first} and {second}, but "
                    f"step numbers must satisfy 1 <= i < j <= {len(steps)} (the funnel has "
                    f"{len(steps)} steps)."
                )
            exclusions.append((pattern, int(first), int(second)))
        object.__setattr__(self, "exclusions", tuple(exclusions))

    @property
    def k(self) -> int:
        """Number of steps."""
        return len(self.steps)

    @classmethod
    def from_config(
        cls, funnel_config: FunnelConfig, steps: Sequence[str] | None = None
    ) -> FunnelSpec:
        """The spec of a ``client.yaml`` ``funnel:`` section (``steps`` replace its steps).

        A client.yaml without a ``funnel:`` section gives the defaults, so steps passed here
        are enough.

        Examples
        --------
        >>> from funnelkit.data.config import FunnelConfig
        >>> FunnelSpec.from_config(FunnelConfig(steps=["a", "b"])).steps
        ('a', 'b')
        >>> FunnelSpec.from_config(FunnelConfig(), steps=["view", "buy"]).steps
        ('view', 'buy')
        """
        return cls(
            steps=tuple(funnel_config.steps if steps is None else steps),
            conversion_window=timedelta(days=funnel_config.conversion_window_days),
            window_from=funnel_config.window_from,
            order=funnel_config.order,
            entry=funnel_config.entry,
            exclusions=tuple(
                (e.event, int(e.between[0]), int(e.between[1])) for e in funnel_config.exclusions
            ),
            unit=funnel_config.unit,
        )
