"""The funnel engines against the pure-Python reference (tests/funnel_reference.py) and by hand.

Property-based tests draw small logs where ties, the exact window boundary, repeats, duplicates
and out-of-order rows are common, and compare both engines with the reference row for row.
"""

from __future__ import annotations

import itertools
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from funnelkit.data.sources import connect
from funnelkit.funnel import sweep
from funnelkit.funnel.engine import funnel_paths
from funnelkit.funnel.spec import FunnelError, FunnelSpec

sys.path.insert(0, str(Path(__file__).parent))
from funnel_reference import reference_paths

T0 = datetime(2026, 3, 1, 12, 0)
WINDOW = timedelta(minutes=10)
NAMES = ["a", "b", "c", "d", "x", "y"]
PATTERNS = ["a", "b", "c", "d", "a", "b", "c", "[bc]", "?"]
ENGINE_NAMES = ("portable", "fast")
USERS = ["u0", "u1", "u2", "u3", "u4", "u5"]
# a coarse grid makes ties and gaps of exactly the window (10 minutes) common
MINUTES = st.one_of(
    st.sampled_from([0, 0, 5, 10, 10, 10, 20, 20]), st.sampled_from([0, 10, 20]), st.integers(0, 30)
)
PROPERTY = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_CON = connect()


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def log(*rows: tuple) -> pd.DataFrame:
    """Rows of (user_id, minute, event[, channel[, session_id]])."""
    records = []
    for row in rows:
        user, minute, event, *rest = row
        records.append(
            {
                "user_id": user,
                "timestamp": at(minute),
                "event": event,
                "channel": rest[0] if rest else "web",
                "session_id": rest[1] if len(rest) > 1 else "s1",
            }
        )
    return pd.DataFrame(records)


def _normal(frame: pd.DataFrame) -> list[tuple]:
    rows = []
    for rec in frame.sort_values("unit_id").to_dict("records"):
        rows.append(
            tuple(
                None
                if (v is None or (not isinstance(v, str) and pd.isna(v)))
                else (pd.Timestamp(v) if isinstance(v, (datetime, pd.Timestamp)) else v)
                for v in rec.values()
            )
        )
    return rows


# -- random logs -------------------------------------------------------------------------------
@st.composite
def cases(draw: st.DrawFn, **forced: object) -> tuple[pd.DataFrame, FunnelSpec, dict]:
    k = draw(st.integers(2, 4))
    steps = tuple(draw(st.sampled_from(PATTERNS)) for _ in range(k))
    n = draw(st.integers(0, 25))
    rows = []
    for _ in range(n):
        rows.append(
            {
                "user_id": draw(st.sampled_from(USERS[: draw(st.integers(1, 6))])),
                "timestamp": at(draw(MINUTES)),
                "event": draw(st.sampled_from(NAMES)),
                "channel": draw(st.sampled_from(["p", "q", None])),
                "session_id": draw(st.sampled_from(["s0", "s1", None])),
            }
        )
    if rows and draw(st.booleans()):  # exact duplicates
        rows += draw(st.lists(st.sampled_from(rows), max_size=4))
    rows = draw(st.permutations(rows))  # out-of-order input
    # one user that makes every step name exist, so no "unknown step" error
    for i, pattern in enumerate(steps):
        concrete = {"[bc]": "b", "?": "x"}.get(pattern, pattern)
        rows.append(
            {
                "user_id": "zz",
                "timestamp": at(100 + i),
                "event": concrete,
                "channel": "p",
                "session_id": "s9",
            }
        )
    order = forced.get("order") or draw(st.sampled_from(["ordered", "strict", "any"]))
    window_from = forced.get("window_from") or (
        "first_step" if order == "any" else draw(st.sampled_from(["first_step", "previous_step"]))
    )
    exclusions = ()
    if forced.get("exclusions") or draw(st.integers(0, 4)) == 0:
        i = draw(st.integers(1, k - 1))
        j = draw(st.integers(i + 1, k))
        exclusions = ((draw(st.sampled_from(["x", "y", "c"])), i, j),)
    spec = FunnelSpec(
        steps=steps,
        conversion_window=WINDOW,
        window_from=window_from,
        order=order,
        entry=forced.get("entry") or draw(st.sampled_from(["all", "all", "first"])),
        exclusions=exclusions,
        unit=forced.get("unit") or draw(st.sampled_from(["user", "user", "session"])),
    )
    extra: dict = {"by": ("channel",) if draw(st.booleans()) else ()}
    if forced.get("period"):
        extra["period"] = (at(5), at(20))
    frame = pd.DataFrame(
        rows, columns=["user_id", "timestamp", "event", "channel", "session_id"]
    ).astype({"timestamp": "datetime64[us]"})
    return frame, spec, extra


def check(case: tuple[pd.DataFrame, FunnelSpec, dict], engine: str, con: object = None) -> None:
    frame, spec, extra = case
    expected = reference_paths(frame, spec, **extra)
    try:
        got = funnel_paths(frame, spec=spec, engine=engine, con=con or _CON, **extra).df()
    except FunnelError as err:  # only a period without step-1 events may fail here
        assert "period" in extra and "No step-1 event" in str(err)
        assert expected.empty
        return
    assert list(got.columns) == list(expected.columns)
    assert _normal(got) == _normal(expected), (spec, extra)


MODES = {
    "ordered": {"order": "ordered"},
    "strict": {"order": "strict"},
    "any": {"order": "any"},
    "exclusions": {"exclusions": True},
    "entry_first": {"entry": "first"},
    "previous_step": {"order": "ordered", "window_from": "previous_step"},
    "session": {"unit": "session"},
    "period": {"period": True},
}


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@pytest.mark.parametrize("mode", list(MODES))
def test_engine_matches_reference(mode: str, engine: str) -> None:
    @PROPERTY
    @given(cases(**MODES[mode]))
    def run(case: tuple[pd.DataFrame, FunnelSpec, dict]) -> None:
        check(case, engine)

    run()


@pytest.mark.parametrize(
    "mode", ["ordered", "entry_first", "session", "period", "previous_step", "exclusions"]
)
def test_sweep_cut_into_threads_matches_reference(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The numpy passes cut into pieces between units (one thread each) still equal the reference.

    Real logs are cut only above ``MIN_ROWS_PER_PART`` rows; here every log is cut as finely as
    three threads allow, so a unit split across two pieces would show as a wrong count. The first
    four modes run :func:`sweep.choose` (window from step 1, no exclusions), the last two
    :func:`sweep.walk`.
    """
    monkeypatch.setattr(sweep, "MIN_ROWS_PER_PART", 1)
    con = connect()
    con.execute("SET threads = 3")
    forced = {**MODES[mode], "order": "ordered"}
    if mode not in ("previous_step", "exclusions"):
        forced |= {"window_from": "first_step", "exclusions": False}

    @PROPERTY
    @given(cases(**forced))
    def run(case: tuple[pd.DataFrame, FunnelSpec, dict]) -> None:
        frame, spec, extra = case
        if mode not in ("previous_step", "exclusions") and spec.exclusions:
            spec = FunnelSpec(**{**spec.__dict__, "exclusions": ()})
        check((frame, spec, extra), "fast", con)

    run()


def test_split_points_cut_only_between_units() -> None:
    # units of 1, 3000 (longer than the first look-ahead of 1,024 rows) and 2 rows, then 5 of 1
    sizes = [1, 3000, 2, 1, 1, 1, 1, 1]
    g1 = np.repeat(np.arange(len(sizes), dtype=np.uint64), sizes)
    g2 = np.zeros_like(g1)
    g2[-1] = 7  # same g1 as the row before, other g2: a different unit
    g1[-1] = g1[-2]
    for parts in (1, 2, 3, 5, 50):
        cuts = sweep.split_points(g1, g2, parts)
        assert cuts[0] == 0 and cuts[-1] == len(g1)
        assert all(a < b for a, b in itertools.pairwise(cuts))
        for cut in cuts[1:-1]:  # each cut starts a new unit
            assert (g1[cut], g2[cut]) != (g1[cut - 1], g2[cut - 1])
    # the 3000-row unit is never cut: 2 parts cut right after it (row 3001)
    assert sweep.split_points(g1, g2, 2) == [0, 3001, len(g1)]
    assert sweep.split_points(g1, g2, 1) == [0, len(g1)]


# -- hand-written logs, one per rule (window 10 minutes unless said) --------------------------
def paths(frame: pd.DataFrame, steps: list[str], **kwargs: object) -> dict[str, tuple]:
    """unit_id -> (depth, step_1_at minute, by values...) for every engine; all must agree."""
    kwargs.setdefault("conversion_window", WINDOW)
    results = []
    for engine in ENGINE_NAMES:
        got = funnel_paths(frame, steps=steps, engine=engine, con=_CON, **kwargs).df()
        spec = FunnelSpec(
            tuple(steps), **{k: v for k, v in kwargs.items() if k not in ("by", "period")}
        )
        expected = reference_paths(
            frame, spec, by=tuple(kwargs.get("by", ())), period=kwargs.get("period")
        )
        assert _normal(got) == _normal(expected), engine
        results.append(got)
    out = {}
    for rec in results[0].to_dict("records"):
        minute = (rec["step_1_at"] - T0) / timedelta(minutes=1)
        extras = tuple(rec[c] for c in kwargs.get("by", ()))
        out[rec["unit_id"]] = (rec["depth"], minute, *extras)
    return out


def test_window_boundary_is_inclusive_at_exactly_seven_days() -> None:
    week = 7 * 24 * 60
    frame = log(
        ("on_time", 0, "a"),
        ("on_time", week, "b"),  # b exactly 7 days later: counts -> depth 2
        ("late", 0, "a"),
        ("late", week + 1, "b"),  # one minute later: depth 1
    )
    got = paths(frame, ["a", "b"], conversion_window=timedelta(days=7))
    assert got == {"on_time": (2, 0.0), "late": (1, 0.0)}


def test_ties_advance_in_step_order() -> None:
    # b is listed first but at the same minute as a: a, then b -> depth 2
    frame = log(("u", 5, "b"), ("u", 5, "a"), ("v", 5, "b"), ("v", 6, "a"))
    # v: b happens before a, nothing after a -> depth 1
    assert paths(frame, ["a", "b"]) == {"u": (2, 5.0), "v": (1, 6.0)}


def test_one_event_cannot_fill_two_steps_and_duplicates_count_once() -> None:
    frame = log(
        ("one", 0, "a"),  # a single `a` fills step 1 only -> depth 1
        ("two", 0, "a"),
        ("two", 1, "a"),  # two `a` rows -> depth 2
        ("dup", 0, "a"),
        ("dup", 0, "a"),  # an exact duplicate is one event -> depth 1
    )
    assert paths(frame, ["a", "a"]) == {"one": (1, 0.0), "two": (2, 0.0), "dup": (1, 0.0)}


def test_strict_is_broken_by_an_intermediate_event() -> None:
    frame = log(("u", 0, "a"), ("u", 1, "x"), ("u", 2, "b"), ("v", 0, "a"), ("v", 2, "b"))
    assert paths(frame, ["a", "b"], order="strict") == {"u": (1, 0.0), "v": (2, 0.0)}
    assert paths(frame, ["a", "b"], order="ordered") == {"u": (2, 0.0), "v": (2, 0.0)}


def test_any_order_counts_steps_in_the_window_whatever_their_order() -> None:
    frame = log(("u", 0, "a"), ("u", 1, "c"), ("u", 2, "b"), ("v", 0, "a"), ("v", 11, "b"))
    # u: b and c both within 10 minutes of a -> depth 3 (ordered would stop at 2)
    # v: b 11 minutes after a -> depth 1
    assert paths(frame, ["a", "b", "c"], order="any") == {"u": (3, 0.0), "v": (1, 0.0)}
    assert paths(frame, ["a", "b", "c"])["u"] == (2, 0.0)


def test_reentry_picks_the_deepest_attempt_and_its_breakdown() -> None:
    frame = log(
        # attempt at 0 (channel p) cannot reach b within 10 minutes; the attempt at 20
        # (channel q) reaches c -> depth 3, started at 20, channel q
        ("u", 0, "a", "p"),
        ("u", 20, "a", "q"),
        ("u", 25, "b", "p"),
        ("u", 26, "c", "p"),
        # both attempts reach b at minute 5: the tie goes to the earliest start (0, channel p)
        ("v", 0, "a", "p"),
        ("v", 2, "a", "q"),
        ("v", 5, "b", "q"),
    )
    got = paths(frame, ["a", "b", "c"], by=["channel"])
    assert got == {"u": (3, 20.0, "q"), "v": (2, 0.0, "p")}


def test_a_later_start_sharing_step_two_can_reach_deeper() -> None:
    # starts at 0 and 5 share b@6; c@12 is 12 minutes after the first start but 7 after the
    # second: the attempt started at 5 reaches c -> depth 3, started at 5 (the fast engine's
    # sweep keeps, per step event, the latest chain start: the widest window)
    frame = log(("u", 0, "a"), ("u", 5, "a"), ("u", 6, "b"), ("u", 12, "c"))
    assert paths(frame, ["a", "b", "c"]) == {"u": (3, 5.0)}
    # both starts reach c at minute 9: the earliest start wins
    frame = log(("v", 0, "a"), ("v", 5, "a"), ("v", 6, "b"), ("v", 9, "c"))
    assert paths(frame, ["a", "b", "c"]) == {"v": (3, 0.0)}


def test_exclusion_voids_the_attempt() -> None:
    frame = log(
        ("voided", 0, "a"),
        ("voided", 1, "x"),
        ("voided", 2, "b"),  # x between 1 and 2: gone
        ("after", 0, "a"),
        ("after", 2, "b"),
        ("after", 3, "x"),  # x after step 2 -> depth 2
        ("retry", 0, "a"),
        ("retry", 1, "x"),
        ("retry", 3, "a"),
        ("retry", 4, "b"),
        ("stuck", 0, "a"),
        ("stuck", 5, "x"),  # no b: x within the window still voids
    )
    got = paths(frame, ["a", "b"], exclusions=[("x", 1, 2)])
    # retry: the first attempt is voided, the second (started at 3) reaches b -> depth 2
    assert got == {"after": (2, 0.0), "retry": (2, 3.0)}


def test_entry_first_uses_only_the_first_step_one_event() -> None:
    frame = log(("u", 0, "a"), ("u", 20, "a"), ("u", 25, "b"))
    assert paths(frame, ["a", "b"]) == {"u": (2, 20.0)}  # re-entry at 20 reaches b
    assert paths(frame, ["a", "b"], entry="first") == {"u": (1, 0.0)}


def test_previous_step_window_measures_from_the_step_before() -> None:
    frame = log(("u", 0, "a"), ("u", 8, "b"), ("u", 16, "c"))
    # c is 16 minutes after a (> 10) but 8 after b (<= 10)
    assert paths(frame, ["a", "b", "c"]) == {"u": (2, 0.0)}
    assert paths(frame, ["a", "b", "c"], window_from="previous_step") == {"u": (3, 0.0)}


def test_sessions_are_counted_separately() -> None:
    frame = log(("u", 0, "a", "web", "s1"), ("u", 1, "b", "web", "s2"), ("u", 2, "b", "web", "s1"))
    assert paths(frame, ["a", "b"], unit="session") == {"u|s1": (2, 0.0)}


def test_period_restricts_starts_but_not_later_steps() -> None:
    frame = log(("u", 0, "a"), ("v", 8, "a"), ("v", 12, "b"))
    # u starts before the period: not counted; v starts inside and converts after it ends
    assert paths(frame, ["a", "b"], period=(at(5), at(10))) == {"v": (2, 8.0)}


def test_a_step_whose_events_all_precede_the_period_is_counted_reached_by_nobody() -> None:
    """Found on a random client: the fast engine reads from the period start only, and said the
    step 'matches no event in the data' (then listed it among the data's names); the standard
    engine, which scans every row, counted the funnel. Both count it now."""
    frame = log(("u", 0, "c"), ("v", 8, "a"), ("v", 9, "b"), ("w", 7, "a"))
    assert paths(frame, ["a", "b", "c"], period=(at(5), at(10))) == {
        "v": (2, 8.0),
        "w": (1, 7.0),
    }


def test_glob_patterns_and_input_types(tmp_path: Path) -> None:
    frame = log(("u", 0, "view_item"), ("u", 1, "view_cart"), ("u", 2, "buy"))
    assert paths(frame, ["view_*", "view_cart", "buy"]) == {"u": (3, 0.0)}
    frame.to_parquet(tmp_path / "e.parquet")
    frame.to_csv(tmp_path / "e.csv", index=False)
    for source in (
        tmp_path / "e.parquet",
        str(tmp_path / "e.csv"),
        _CON.sql("SELECT * FROM frame"),
    ):
        got = funnel_paths(source, steps=["view_*", "buy"], con=_CON).df()
        assert got["depth"].tolist() == [2]


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": ("a",)}, r"at least two steps"),
        ({"steps": ("a", "b"), "conversion_window": timedelta(0)}, r"must be a positive duration"),
        ({"steps": ("a", "b"), "order": "sorted"}, r"`order` must be one of \['ordered', 'strict'"),
        ({"steps": ("a", "b"), "entry": "last"}, r"`entry` must be one of \['all', 'first'\]"),
        ({"steps": ("a", "b"), "window_from": "x"}, r"`window_from` must be one of"),
        ({"steps": ("a", "b"), "unit": "device"}, r"`unit` must be one of"),
        ({"steps": ("a", "b"), "exclusions": (("x", 1, 3),)}, r"1 <= i < j <= 2"),
        ({"steps": ("a", "b"), "exclusions": (("x", 2, 1),)}, r"between steps 2 and 1"),
        ({"steps": ("a", "b"), "order": "any", "window_from": "previous_step"}, r"no previous"),
    ],
)
def test_spec_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(FunnelError, match=message):
        FunnelSpec(**kwargs)


def test_spec_from_config() -> None:
    from funnelkit.data.config import FunnelConfig

    config = FunnelConfig(
        steps=["a", "b", "c"],
        conversion_window_days=1.5,
        order="strict",
        exclusions=[{"event": "x", "between": [1, 3]}],
    )
    spec = FunnelSpec.from_config(config)
    assert spec.conversion_window == timedelta(hours=36)
    assert spec.exclusions == (("x", 1, 3),)
    assert spec.order == "strict"


@pytest.mark.parametrize("order", ["ordered", "any"])
@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_input_errors(engine: str, order: str) -> None:
    frame = log(("u", 0, "a"), ("u", 1, "b"))
    kw = {"engine": engine, "order": order}
    with pytest.raises(FunnelError, match=r"\['nope'\] match no event.*\['a', 'b'\]"):
        funnel_paths(frame, steps=["a", "nope"], **kw)
    with pytest.raises(FunnelError, match=r"lack the column\(s\) \['event'\].*'user_id'"):
        funnel_paths(frame.drop(columns="event"), steps=["a", "b"], **kw)
    with pytest.raises(FunnelError, match=r"\['device'\] passed in `by`.*'channel'"):
        funnel_paths(frame, steps=["a", "b"], by=["device"], **kw)
    with pytest.raises(FunnelError, match=r"unit='session' needs a 'session_id' column"):
        funnel_paths(frame.drop(columns="session_id"), steps=["a", "b"], unit="session", **kw)
    with pytest.raises(
        FunnelError, match=r"No step-1 event \('a'\) falls in the period .*run from 2026-03-01"
    ):
        funnel_paths(
            frame, steps=["a", "b"], period=(datetime(2020, 1, 1), datetime(2020, 2, 1)), **kw
        )
    with pytest.raises(FunnelError, match=r"`period` must end after it starts"):
        funnel_paths(frame, steps=["a", "b"], period=(at(5), at(1)), **kw)


def test_call_errors() -> None:
    frame = log(("u", 0, "a"), ("u", 1, "b"))
    with pytest.raises(FunnelError, match=r"`engine` must be one of \['auto', 'portable'"):
        funnel_paths(frame, steps=["a", "b"], engine="spark")
    with pytest.raises(FunnelError, match=r"`events` must be a funnelkit Client"):
        funnel_paths([1, 2], steps=["a", "b"])
    with pytest.raises(FunnelError, match=r"Pass the funnel's `steps`"):
        funnel_paths(frame)
    with pytest.raises(FunnelError, match=r"does not exist"):
        funnel_paths("/nonexistent/events.parquet", steps=["a", "b"])


def test_unsorted_and_duplicated_events_are_handled() -> None:
    frame = log(("u", 2, "b"), ("u", 0, "a"), ("u", 2, "b"), ("u", 0, "a"))
    assert paths(frame, ["a", "b"]) == {"u": (2, 0.0)}


@pytest.mark.filterwarnings("ignore::funnelkit.core.errors.DataWarning")
def test_demo_client_default_funnel_is_monotone() -> None:
    import funnelkit

    client = funnelkit.load_client()
    spec = FunnelSpec.from_config(client.config.funnel)
    period = client.config.period
    start = datetime.combine(period.start, datetime.min.time())
    for engine in ENGINE_NAMES:
        rel = funnel_paths(
            client,
            spec=spec,
            by=client.config.funnel.segments,
            period=(start, start + timedelta(days=period.days)),
            engine=engine,
        )
        depth = rel.df()["depth"]
        reached = [(depth >= k).sum() for k in range(1, spec.k + 1)]
        assert reached[0] > 1000
        assert all(a >= b for a, b in itertools.pairwise(reached))
        assert reached[-1] > 0
