"""Social exports (Meta Business Suite posts, VK community statistics) read as the social table.

Each test writes a file shaped like the vendor's export (headers as public parsers of real
exports have them, see docs/adapters/social.md), loads the client with ``load_client`` and
compares the social table with plain pandas on the same generated rows.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
import yaml

import funnelkit.data.adapters.email_reports  # registers mailchimp, unisender
import funnelkit.data.adapters.social  # noqa: F401  (registers meta_posts, vk_stats)
from funnelkit.core.errors import ConfigError, DataError, DataWarning
from funnelkit.data.discover import discover
from funnelkit.data.prepare import load_client

DAYS = pd.date_range("2026-10-01", periods=5, freq="D")
COUNTS = ["reach", "impressions", "likes", "comments", "shares", "clicks", "follows"]

FB_HEAD = [
    "Post ID",
    "Page ID",
    "Page name",
    "Title",
    "Description",
    "Duration (sec)",
    "Publish time",
    "Permalink",
    "Post type",
    "Views",
    "Reach",
    "Reactions, Comments and Shares",
    "Reactions",
    "Comments",
    "Shares",
    "Total clicks",
]
IG_HEAD = ["Post ID", "Account ID", "Account username", "Account name", "Description",
           "Duration (sec)", "Publish time", "Permalink", "Post type", "Data comment", "Date",
           "Views", "Likes", "Shares", "Comments", "Saves", "Reach", "Follows"]  # fmt: skip


def _posts(seed: int = 1) -> pd.DataFrame:
    """Two posts a day for five days; reach in the thousands (thousands commas in the file)."""
    rows = []
    for d, day in enumerate(DAYS):
        for p in range(2):
            rows.append({
                "post_id": f"1220{seed}{d}{p}", "time": day + pd.Timedelta(hours=9 + 8 * p),
                "reach": 900 + 431 * d + 1200 * p * seed, "impressions": 1500 + 977 * d + 13 * p,
                "likes": 20 + d + 5 * p, "comments": d + p, "shares": 2 * d + p,
                "clicks": 7 * d + 3 * p, "follows": d % 3 + p,
            })  # fmt: skip
    frame = pd.DataFrame(rows)
    frame["date"] = frame.time.dt.date
    return frame


def _q(value) -> str:
    text = str(value)
    return f'"{text}"' if "," in text else text


def _facebook(rows: pd.DataFrame) -> str:
    lines = [",".join(_q(h) for h in FB_HEAD)]
    for r in rows.itertuples():
        cells = [r.post_id, "6157", "Tiny Shop", "Autumn, sale", "", "", f"{r.time:%m/%d/%Y %H:%M}",
                 f"https://www.facebook.com/{r.post_id}", "Photos", f"{r.impressions:,}",
                 f"{r.reach:,}", r.likes + r.comments + r.shares, r.likes, r.comments, r.shares,
                 r.clicks]  # fmt: skip
        lines.append(",".join(_q(c) for c in cells))
    return "\n".join(lines) + "\n"


def _instagram(rows: pd.DataFrame, head: list[str] = IG_HEAD) -> str:
    values = {"Account ID": "1784", "Account username": "tinyshop", "Account name": "Tiny Shop",
              "Description": "Caption", "Duration (sec)": "0", "Post type": "IG image",
              "Data comment": "", "Date": "Lifetime", "Saves": "4"}  # fmt: skip
    lines = [",".join(head)]
    for r in rows.itertuples():
        cell = values | {
            "Post ID": r.post_id, "Publish time": f"{r.time:%m/%d/%Y %H:%M}",
            "Permalink": f"https://www.instagram.com/p/{r.post_id}/", "Views": f"{r.impressions:,}",
            "Impressions": f"{r.impressions:,}", "Likes": r.likes, "Shares": r.shares,
            "Comments": r.comments, "Reach": f"{r.reach:,}", "Follows": r.follows,
        }  # fmt: skip
        lines.append(",".join(_q(cell[h]) for h in head))
    return "\n".join(lines) + "\n"


def _load(folder):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        client = load_client(folder)
    return client, [str(w.message) for w in caught]


def _check(social: pd.DataFrame, expected: pd.DataFrame, columns: list[str]) -> None:
    """Sums per network and day equal pandas on the generated rows."""
    got = social.assign(date=pd.to_datetime(social.date).dt.date)
    got = got.groupby(["network", "date"])[columns].sum().astype("int64").sort_index()
    want = expected.groupby(["network", "date"])[columns].sum().astype("int64").sort_index()
    pd.testing.assert_frame_equal(got, want)


def test_meta_facebook_and_instagram_exports_as_two_sources(make_client):
    fb, ig = _posts(1), _posts(2)
    folder = make_client(
        {"fb.csv": _facebook(fb), "ig.csv": _instagram(ig)},
        data={"social": [{"path": "data/fb.csv", "format": "meta_posts"},
                         {"path": "data/ig.csv", "format": "meta_posts"}]},
    )  # fmt: skip
    client, _ = _load(folder)
    social = client.frame("social")
    expected = pd.concat([fb.assign(network="facebook"), ig.assign(network="instagram")])
    fb_counts = ["reach", "impressions", "likes", "comments", "shares", "clicks"]
    _check(social[social.network == "facebook"], expected[expected.network == "facebook"],
           fb_counts)  # fmt: skip
    ig_counts = ["reach", "impressions", "likes", "comments", "shares", "follows"]
    _check(social[social.network == "instagram"], expected[expected.network == "instagram"],
           ig_counts)  # fmt: skip
    assert sorted(social.post_id) == sorted(expected.post_id)
    # the combined "Reactions, Comments and Shares" is not read as likes: 20 + d + 5p summed
    assert social[social.network == "facebook"].likes.sum() == fb.likes.sum()


def test_instagram_before_2025_with_impressions_and_without_follows(make_client):
    rows = _posts(3)
    head = [h for h in IG_HEAD if h not in ("Views", "Follows", "Shares")] + ["Impressions"]
    folder = make_client(
        {"ig.csv": _instagram(rows, head)},
        data={"social": {"path": "data/ig.csv", "format": "meta_posts"}},
    )
    client, _ = _load(folder)
    social = client.frame("social")
    _check(social, rows.assign(network="instagram"), ["reach", "impressions", "likes"])
    for absent in ("follows", "shares"):
        assert absent not in social or social[absent].isna().all()


def test_meta_summary_line_is_skipped_with_a_warning(make_client):
    rows = _posts(4)
    text = _facebook(rows) + f'Total,,,,,,,,,"{rows.impressions.sum():,}",,,,,,\n'
    folder = make_client(
        {"fb.csv": text}, data={"social": {"path": "data/fb.csv", "format": "meta_posts"}}
    )
    client, messages = _load(folder)
    _check(client.frame("social"), rows.assign(network="facebook"), ["impressions", "reach"])
    assert any("skipped 1 totals" in m and "line 12" in m for m in messages)


def test_a_mailchimp_report_read_as_meta_posts_says_which_format_it_is(make_client):
    head = ('Title,Subject,List,"Send Date","Send Weekday","Total Recipients",'
            '"Successful Deliveries","Unique Opens","Total Opens"\n')  # fmt: skip
    text = head + '"A","S","L","Oct 05, 2026 09:30 am",Monday,100,98,30,41\n'
    folder = make_client(
        {"m.csv": text}, data={"social": {"path": "data/m.csv", "format": "meta_posts"}}
    )
    with pytest.raises(
        DataError,
        match=r"m.csv: no Meta Business Suite .*Mailchimp campaign "
        r"report: set `data.email.format: mailchimp` \(it gives the email",
    ):
        load_client(folder)


# -- VK ------------------------------------------------------------------------------------------
def _days(seed: int = 1) -> pd.DataFrame:
    rows = [{"date": day.date(), "reach": 12_000 + 1731 * d * seed, "subscribers": 9000 + d,
             "impressions": 25_000 + 3333 * d, "likes": 300 + 11 * d, "comments": 40 + d,
             "shares": 12 + d, "follows": 30 + 2 * d, "unfollows": 8 + d, "page_views": 777}
            for d, day in enumerate(DAYS)]  # fmt: skip
    return pd.DataFrame(rows).assign(network="vk")


def _ru(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


VK_COUNTS = ["reach", "impressions", "likes", "comments", "shares", "follows", "unfollows"]


def test_vk_statistics_workbook_with_title_and_totals(make_client):
    rows = _days()
    head = ["Дата", "Полный охват", "Охват подписчиков", "Просмотры", "Просмотры записей",
            "Мне нравится", "Комментарии", "Рассказать друзьям", "Новые участники",
            "Вышедшие участники"]  # fmt: skip
    body = [[f"{r.date:%d.%m.%Y}", _ru(r.reach), _ru(r.subscribers), r.page_views,
             _ru(r.impressions), r.likes, r.comments, r.shares, r.follows, r.unfollows]
            for r in rows.itertuples()]  # fmt: skip
    body.append(["Итого", _ru(int(rows.reach.sum()))] + [""] * 8)
    frame = pd.DataFrame([["Статистика сообщества Tiny Shop"] + [""] * 9, head, *body])
    folder = make_client(data={"social": {"path": "data/vk.xlsx", "format": "vk_stats"}})
    frame.to_excel(folder / "data" / "vk.xlsx", index=False, header=False)
    client, messages = _load(folder)
    social = client.frame("social")
    _check(social, rows, VK_COUNTS)
    assert set(social.network) == {"vk"}
    assert "post_id" not in social or social.post_id.isna().all()
    assert any("above the header" in m for m in messages)
    assert any("skipped 1 totals" in m and "Итого" in m for m in messages)


def test_vk_statistics_csv_with_the_short_names_and_no_comments(make_client):
    rows = _days(2)
    lines = ["Дата;Охват;Охват подписчиков;Лайки;Репосты;Подписались;Отписались"]
    lines += [f"{r.date:%Y-%m-%d};{_ru(r.reach)};{r.subscribers};{r.likes};{r.shares};"
              f"{r.follows};{r.unfollows}" for r in rows.itertuples()]  # fmt: skip
    folder = make_client(
        {"vk.csv": "\n".join(lines) + "\n"},
        data={"social": {"path": "data/vk.csv", "format": "vk_stats"}},
    )
    client, _ = _load(folder)
    social = client.frame("social")
    _check(social, rows, ["reach", "likes", "shares", "follows", "unfollows"])
    assert "comments" not in social or social.comments.isna().all()


@pytest.mark.parametrize("kind", ["facebook", "instagram", "vk"])
def test_discover_recognises_each_social_export(tmp_path, kind):
    """One export per folder (the folder of all three: the next test)."""
    text = {
        "facebook": lambda: _facebook(_posts()),
        "instagram": lambda: _instagram(_posts()),
        "vk": lambda: "Дата;Охват;Охват подписчиков;Подписались;Отписались\n01.10.2026;10;5;1;0\n",
    }[kind]()
    (tmp_path / f"{kind}.csv").write_text(text, encoding="utf-8")
    row = discover(tmp_path).iloc[0]
    assert row["kind"] == "adapter" and row["table"] == "social"
    assert row["format"] == ("vk_stats" if kind == "vk" else "meta_posts")


def test_vk_folder_of_two_exports_is_one_table(make_client):
    rows = _days(3)
    folder = make_client(data={"social": {"path": "data/vk", "format": "vk_stats"}})
    (folder / "data" / "vk").mkdir()
    for name, part in (("1.csv", rows.iloc[:2]), ("2.csv", rows.iloc[2:])):
        lines = ["Дата,Полный охват,Лайки,Отписались"]
        lines += [f'{r.date:%d.%m.%Y},"{r.reach:,}",{r.likes},{r.unfollows}'
                  for r in part.itertuples()]  # fmt: skip
        (folder / "data" / "vk" / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    client, _ = _load(folder)
    _check(client.frame("social"), rows, ["reach", "likes", "unfollows"])


def test_meta_folder_of_a_facebook_and_an_instagram_file_keeps_each_files_network(make_client):
    fb, ig = _posts(5), _posts(6)
    folder = make_client(data={"social": {"path": "data/meta", "format": "meta_posts"}})
    (folder / "data" / "meta").mkdir()
    (folder / "data" / "meta" / "fb.csv").write_text(_facebook(fb), encoding="utf-8")
    (folder / "data" / "meta" / "ig.csv").write_text(_instagram(ig), encoding="utf-8")
    client, _ = _load(folder)
    expected = pd.concat([fb.assign(network="facebook"), ig.assign(network="instagram")])
    _check(client.frame("social"), expected, ["reach", "impressions", "likes", "comments"])


def test_columns_not_of_the_social_table_are_refused(make_client):
    folder = make_client(
        {"fb.csv": _facebook(_posts())},
        data={"social": {"path": "data/fb.csv", "format": "meta_posts",
                         "columns": {"cost": "Reach"}}},
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r"columns: \['cost'\] are not read from a Meta"):
        load_client(folder)


def test_discover_lists_facebook_instagram_and_vk_under_one_social(tmp_path):
    """``social`` is combined: each network's export is an entry of ``data.social``."""
    from funnelkit.run.new_from import data_section

    vk = "Дата;Охват;Охват подписчиков;Подписались;Отписались\n01.10.2026;10;5;1;0\n"
    (tmp_path / "facebook.csv").write_text(_facebook(_posts()), encoding="utf-8")
    (tmp_path / "instagram.csv").write_text(_instagram(_posts(2)), encoding="utf-8")
    (tmp_path / "vk.csv").write_text(vk, encoding="utf-8")
    found = discover(tmp_path)
    assert list(found["table"]) == ["social"] * 3
    text = data_section(found, client_dir=tmp_path / "client", source=tmp_path)
    entries = yaml.safe_load(text)["data"]["social"]
    assert sorted(e["format"] for e in entries) == ["meta_posts", "meta_posts", "vk_stats"]
