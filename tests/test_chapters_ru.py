"""Chapters 00 (data health) and 02 (stages) for a Russian-language client: no English left.

The demo client with ``language: ru``; every sentence, note, header and vocabulary cell the
client reads is checked for Latin-letter words other than names (events, files, columns),
abbreviations and the patterns of the stage mapping.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
import yaml
from IPython.display import Markdown

from funnelkit import health, load_client
from funnelkit.core import paths
from funnelkit.core.i18n import use_language
from funnelkit.demo import ensure_demo_data
from funnelkit.presentation import display as display_module, health_text
from funnelkit.presentation.display import Table, show
from funnelkit.presentation.stages import map_stages

matplotlib.use("Agg")

#: Latin words a Russian report may hold: abbreviations, time zone, the letters of A/B.
ALLOWED = {"nps", "crm", "utc", "a", "b", "p", "id", "europe", "berlin", "excel", "ga4", "csv"}
#: Columns holding data rather than words (names of events, files, columns, patterns).
DATA_COLUMNS = {"событие", "файл", "ключ", "столбец", "события и шаблоны", "найденные события",
                "ключевая метрика", "нет необязательных столбцов"}  # fmt: skip


@pytest.fixture(scope="module")
def ru_client(tmp_path_factory):
    data = ensure_demo_data(paths.demo_client_dir() / "data")
    config = yaml.safe_load((paths.demo_client_dir() / "client.yaml").read_text(encoding="utf-8"))
    config["language"] = "ru"
    for table in config["data"].values():
        table["path"] = str(data / Path(table["path"]).name)
    folder = tmp_path_factory.mktemp("ru-client")
    (folder / "client.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    return load_client(folder, emit_warnings=False)


@pytest.fixture
def shown(monkeypatch):
    found: list = []
    monkeypatch.setattr(display_module, "display", found.append)
    monkeypatch.setattr("funnelkit.presentation.stages.chapter.display", found.append)
    use_language("ru")
    yield found
    use_language("en")


def _texts(shown: list) -> list[str]:
    texts = []
    for obj in shown:
        if isinstance(obj, Markdown):
            texts.append(obj.data)
        elif isinstance(obj, Table):
            frame = obj.text
            texts += [str(c) for c in frame.columns]
            for column in frame.columns:
                if column not in DATA_COLUMNS:
                    texts += [str(v) for v in frame[column]]
    return texts


def _english(texts: list[str], names: set[str]) -> list[str]:
    found = []
    for text in texts:
        text = re.sub(r"`[^`]*`", " ", text)  # names set as code
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_'’*./-]*", text):
            bare = word.strip(".*/'’-").lower()
            parts = set(bare.split("/"))
            if "_" in word or "." in bare or parts <= ALLOWED or bare in names:
                continue
            found.append(word)
    return found


def _names(client) -> set[str]:
    events = client.sql("SELECT DISTINCT event FROM events")["event"]
    return {str(e).lower() for e in events} | {"share", "refer", "write_review"}


def test_data_health_reads_in_russian(ru_client, shown):
    summary = health_text.summary_text(ru_client)
    assert "client.yaml" not in summary
    shown.append(Markdown(summary))
    show(health.table_overview(ru_client), hide=["id_column"])
    show(health.duplicate_rows(ru_client))
    show(health.event_counts(ru_client, top=20))
    show(health_text.warnings_table(ru_client))
    texts = _texts(shown)
    assert _english(texts, _names(ru_client)) == []
    assert any("сент." in t for t in texts)  # dates in Russian


def test_stages_chapter_reads_in_russian(ru_client, shown):
    chapter = map_stages(ru_client)
    chapter.show_coverage_text()
    chapter.show_mapping()
    chapter.show_unmapped()
    show(chapter.volume_table())
    show(chapter.conversion_table(), percent=["rate"])
    chapter.show_compass()
    texts = _texts(shown)
    assert _english(texts, _names(ru_client)) == []
    assert not [t for t in texts if "client.yaml" in t]
    sentence = chapter.to_results()["fix_first"]
    assert sentence.startswith("Начните с этапа") and "по правилу" in sentence


def test_stage_volumes_say_what_they_count(ru_client):
    chapter = map_stages(ru_client)
    purchase = chapter.volume_table().iloc[2]
    assert purchase["who_is_counted"].startswith("люди, у которых за период есть событие этапа")
    assert "add_to_cart" in purchase["who_is_counted"] and "заказ" in purchase["who_is_counted"]
    rates = chapter.conversion_table()["stage_to_stage"].tolist()
    assert rates[0] == (
        "осведомлённость → рассмотрение (люди на обоих этапах / люди на этапе «осведомлённость»)"
    )


def test_english_chapter_names_rates_and_rules():
    from funnelkit.stages import compass_sentence

    client = load_client(emit_warnings=False)
    chapter = map_stages(client)
    table = chapter.conversion_table()
    assert table["stage_to_stage"].iloc[0] == (
        "awareness → consideration (people at both / people at awareness)"
    )
    purchase = chapter.stage_definitions()["purchase"]
    assert purchase == (
        "people with an event of the purchase stage (add_to_cart, begin_checkout, "
        "add_payment_info, purchase) or an order"
    )
    assert "ranks first by rule" in compass_sentence(chapter.compass)
    assert isinstance(chapter.compass_table(), pd.DataFrame)
