"""The customer-value chapter (notebook 06) on the demo and on a tiny orders-only client, en/ru.

Checks that every sentence and table reads without Python reprs, that the Russian chapter holds
no English words but abbreviations and names, that the audience files are written next to the
report (and the ids stay out of it), that ``to_results`` is plain JSON, and that a client without
orders gets one note.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from chapter_output import capture_display, reset_language, shown_texts

from funnelkit import load_client
from funnelkit.core import paths
from funnelkit.core.i18n import use_language
from funnelkit.demo import ensure_demo_data
from funnelkit.presentation.results import load_results, save_results
from funnelkit.presentation.value import (
    plot_cohort_heatmap,
    plot_holdout,
    plot_segments,
    review_value,
)
from funnelkit.value import heatmap_frame

matplotlib.use("Agg")

#: Latin words a Russian chapter may hold: abbreviations and the models' names.
ALLOWED = {"clv", "cac", "ltv", "bg", "nbd", "gamma", "r", "f", "p", "csv", "id", "rfm", "e-mail"}
REPRS = re.compile(r"\bnan\b|\bNone\b|NaT|[{}]|dtype|Timestamp\(|array\(")


def _demo_folder(root: Path, language: str) -> Path:
    data = ensure_demo_data(paths.demo_client_dir() / "data")
    config = yaml.safe_load((paths.demo_client_dir() / "client.yaml").read_text(encoding="utf-8"))
    config["language"] = language
    for table in config["data"].values():
        table["path"] = str(data / Path(table["path"]).name)
    folder = root / f"demo-{language}"
    folder.mkdir()
    (folder / "client.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    return folder


def _tiny_folder(root: Path, language: str, *, orders: bool = True) -> Path:
    """80 customers over four months, drawn as the value models assume; events only without orders.

    Each customer buys λ ~ Gamma(1, rate 4) times a week and, after each repeat purchase, drops
    out with probability p ~ Beta(1, 3) (BG/NBD); each order is worth Gamma(6, rate ν) with
    ν ~ Gamma(4, rate 30) (Gamma-Gamma: a mean of €60, differing between customers). On these
    customers (57 of 80 buying again) both fits have an interior optimum — r, α, a, b = 1.44,
    6.16, 0.89, 2.30 and p, q, γ = 6.58, 5.63, 38.6 — with a clearly positive definite
    covariance (smallest eigenvalue on the log scale 9.0e-3 and 1.5e-3; the same to six digits
    from perturbed starts), so the predicted CLV has its interval on every machine. Spend that
    does not differ between customers would drive q and γ off to infinity, and whether such a
    fit gets an interval would depend on rounding.
    """
    folder = root / f"tiny-{language}-{orders}"
    folder.mkdir()
    rng = np.random.default_rng(2)
    rows, events = [], []
    end = pd.Timestamp("2026-10-31")
    rate = rng.gamma(1.0, 1 / 4.0, 80)  # purchases a week
    dropout = rng.beta(1.0, 3.0, 80)
    nu = rng.gamma(4.0, 1 / 30.0, 80)  # each customer's spend rate
    for i in range(80):
        first = pd.Timestamp("2026-07-01") + pd.Timedelta(days=int(rng.integers(0, 101)))
        day, k = first, 0
        while day <= end:
            revenue = round(float(rng.gamma(6.0, 1 / nu[i])), 2)
            rows.append({"order_id": f"o{i}_{k}", "customer_id": f"cust{i:03d}",
                         "timestamp": day, "revenue": revenue})  # fmt: skip
            if k > 0 and rng.random() < dropout[i]:
                break
            k += 1
            day += pd.Timedelta(days=1 + int(rng.exponential(7 / rate[i])))
        events.append({"user_id": f"cust{i:03d}", "event": "page_view", "timestamp": first,
                       "channel": "seo"})  # fmt: skip
    pd.DataFrame(events).to_csv(folder / "events.csv", index=False)
    data = {"events": {"path": "events.csv"}}
    if orders:
        pd.DataFrame(rows).to_csv(folder / "orders.csv", index=False)
        data = {"orders": {"path": "orders.csv"}}
    config = {"client": "Tiny Shop", "language": language, "currency": "EUR",
              "period": {"start": "2026-10-01", "end": "2026-10-31"}, "data": data}  # fmt: skip
    (folder / "client.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def chapters(tmp_path_factory):
    root = tmp_path_factory.mktemp("value")
    folders = {
        "demo-en": _demo_folder(root, "en"),
        "demo-ru": _demo_folder(root, "ru"),
        "tiny-en": _tiny_folder(root, "en"),
        "tiny-ru": _tiny_folder(root, "ru"),
        "none": _tiny_folder(root, "en", orders=False),
    }
    return {key: review_value(load_client(f, emit_warnings=False)) for key, f in folders.items()}


@pytest.fixture
def shown(monkeypatch):
    yield capture_display(monkeypatch, "funnelkit.presentation.value.chapter")
    reset_language()


def _show_all(chapter, results_path) -> None:
    use_language(chapter.language)
    chapter.show_intro()
    chapter.show_clv()
    chapter.show_holdout()
    chapter.show_cohorts()
    chapter.show_segments(results_path)
    chapter.show_channels()


def _names(client) -> set[str]:
    """The client's channel names: data, not words."""
    names: set[str] = set()
    for table in ("orders", "events", "spend"):
        if client.has(table, "channel"):
            rows = client.sql(f"SELECT DISTINCT channel FROM {table}")["channel"]
            names |= {str(c).lower() for c in rows}
    return names


def _english(texts: list[str], names: set[str] = frozenset()) -> list[str]:
    found = []
    for text in texts:
        text = re.sub(r"`[^`]*`", " ", text)  # names set as code
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_'’*./:-]*", text):
            bare = word.strip(".*/'’-:,").lower()
            parts = set(re.split(r"[/:-]", bare)) - {""}
            if "_" in word or "." in bare or bare in ALLOWED | names or parts <= ALLOWED:
                continue
            found.append(word)
    return found


@pytest.mark.parametrize("key", ["demo-en", "tiny-en"])
def test_english_chapter_says_it_in_words(chapters, shown, tmp_path, key):
    chapter = chapters[key]
    results_path = tmp_path / "results" / "06_customer_value.json"
    _show_all(chapter, str(results_path))
    text = "\n".join(shown_texts(shown))
    assert "**Customer lifetime value (CLV)**" in text and "**simple formula**" in text
    assert "Share of customers (segment / all customers)" in text
    assert "customers without an order that month / customers of the cohort" in text
    assert not REPRS.search(text), REPRS.search(text)
    files = sorted((results_path.parent).glob("audience_rfm_*.csv"))
    assert files and f"**{len(files)}** lists of customers" in text
    ids = pd.concat([pd.read_csv(f) for f in files])["customer_id"]
    assert len(ids) == len(chapter.scores) and not any(i in text for i in ids)


def test_demo_states_the_predicted_value_and_the_simple_formula(chapters, shown):
    chapter = chapters["demo-en"]
    _show_all(chapter, "")
    text = "\n".join(shown_texts(shown))
    if chapter.value is None:  # the model is not there: one note says so
        assert "predicted customer value" in text
        return
    assert "**A new customer is worth" in text and "95% interval" in text
    assert "**The current customers** (2,450)" in text
    # the demo's orders cover 12.7 weeks against a 52-week horizon: indicative, and why
    assert "**Read the model's figures as indicative**" in text
    assert "goes back 12.7 weeks" in text
    assert "Like the model's €34.75 for a new customer" in text  # beside the simple formula
    assert "BG/NBD" in text and "Gamma-Gamma" in text and "correlation" in text
    assert "when the report is built" in text  # nothing written without a results path
    if chapter.holdout is not None:  # the calibration/holdout check (Fader, Hardie & Lee)
        assert re.search(r"Fitted on the orders up to .+ repeat purchases", text)
    if chapter.channels is not None:
        assert "**first touch**" in text and "CAC (spend / new customers)" in text
        assert "paid_search" in text


@pytest.mark.parametrize("key", ["demo-ru", "tiny-ru"])
def test_russian_chapter_has_no_english_left(chapters, shown, tmp_path, key):
    _show_all(chapters[key], str(tmp_path / "r.json"))
    texts = shown_texts(shown)
    found = _english(texts, _names(chapters[key].client))
    assert not found, found
    joined = "\n".join(texts)
    assert "Пожизненная ценность клиента" in joined and "Доля выручки" in joined
    assert not REPRS.search(joined), REPRS.search(joined)


def test_without_orders_one_note_and_nothing_else(chapters, shown, tmp_path):
    chapter = chapters["none"]
    assert not chapter.available
    _show_all(chapter, str(tmp_path / "r.json"))
    assert len(shown) == 1 and "**orders** table" in shown[0].data
    assert not list(tmp_path.glob("audience_rfm_*.csv"))
    assert json.loads(json.dumps(chapter.to_results()))["available"] is False


@pytest.mark.parametrize("key", ["demo-en", "tiny-ru"])
def test_to_results_is_plain_json(chapters, tmp_path, key):
    chapter = chapters[key]
    plain = json.loads(json.dumps(chapter.to_results()))
    assert plain["customers"] == len(chapter.scores)
    assert sum(s["customers"] for s in plain["segments"]) == len(chapter.scores)
    assert plain["cohorts"]["count"] == chapter.cohorts["cohort"].nunique()
    clv = plain["clv"]
    if clv["available"]:
        assert clv["model"] == "BG/NBD + Gamma-Gamma"
        # both clients' fits have a usable covariance (the tiny one by construction, see
        # _tiny_folder), so the interval is there and brackets the mean
        low, high = clv["mean_clv_low"], clv["mean_clv_high"]
        assert low is not None and high is not None, clv["caveats"]
        assert low < clv["mean_clv"] < high
    path = tmp_path / "06_customer_value.json"
    save_results({"value": plain}, path)
    assert load_results(path)["value"]["customers"] == plain["customers"]


def test_horizon_is_the_one_asked_for(chapters, shown):
    chapter = review_value(chapters["tiny-en"].client, horizon_weeks=26)
    _show_all(chapter, "")
    text = "\n".join(shown_texts(shown))
    assert "in the next 26 weeks" in text and "52 weeks" not in text
    assert chapter.to_results()["horizon_weeks"] == 26
    assert "acquisition channel is known" in text  # an orders-only client has no channel


def test_cohort_sizes_match_plain_pandas(chapters):
    chapter = chapters["tiny-en"]
    orders = chapter.client.sql("SELECT customer_id, timestamp FROM orders")
    first = orders.groupby("customer_id")["timestamp"].min().dt.to_period("M").value_counts()
    sizes = chapter.cohorts.groupby("cohort")["cohort_size"].first()
    assert sizes.tolist() == first.sort_index().tolist()


def test_charts_return_axes_with_alt_text(chapters):
    chapter = chapters["demo-en"]
    use_language("ru")
    try:
        ax = plot_cohort_heatmap(heatmap_frame(chapter.cohorts), unit="share")
        assert ax.figure.funnelkit_alt.startswith("Тепловая карта")
        ax = plot_segments(chapter.segments, {"new": "Новые"})
        assert "Новые" in ax.figure.funnelkit_alt
        check = pd.DataFrame({"frequency": [0, 1], "actual": [0.1, 0.5], "predicted": [0.2, 0.4]})
        assert plot_holdout(check).figure.funnelkit_alt.startswith("Линейный график")
    finally:
        use_language("en")
        plt.close("all")


def test_a_fit_without_a_finite_value_is_a_note_not_a_crash(monkeypatch, shown, tmp_path):
    """Ten days of orders can drive BG/NBD to its bounds (seen on a generated Metrica client:
    r ≈ 1e6, α ≈ 2e6, expected purchases 0, Gamma-Gamma not converged, mean CLV NaN)."""
    from funnelkit.presentation.value import chapter as module

    real = module.customer_value

    def degenerate(client, **options):
        value = real(client, **options)
        value.totals.loc[value.totals["quantity"].isin(["clv_mean", "clv_total"]), "value"] = float(
            "nan"
        )
        return value

    monkeypatch.setattr(module, "customer_value", degenerate)
    chapter = review_value(load_client(_tiny_folder(tmp_path, "en"), emit_warnings=False))
    assert chapter.value is None and chapter.problems["clv"]
    use_language("en")
    chapter.show_clv()
    chapter.show_holdout()
    assert len(shown) == 1 and "could not be fitted" in shown[0].data
    assert json.loads(json.dumps(chapter.to_results()))["clv"]["available"] is False
