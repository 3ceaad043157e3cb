"""E-mail campaign reports (Mailchimp, Unisender) read as the email table, one row a campaign.

Each test writes a report shaped like the vendor's export (Mailchimp's header line as public
parsers' fixtures of real exports have it, see docs/adapters/email.md), loads the client and
compares the email table with plain pandas on the same generated rows.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import funnelkit.data.adapters.email_reports  # registers mailchimp, unisender
import funnelkit.data.adapters.social  # noqa: F401  (registers meta_posts, vk_stats)
from funnelkit.core.errors import DataError, DataWarning
from funnelkit.data.discover import discover
from funnelkit.data.prepare import load_client

COUNTS = ["recipients", "delivered", "opens", "unique_opens", "clicks", "unique_clicks",
          "unsubscribes", "bounces"]  # fmt: skip
MAILCHIMP_HEAD = (
    'Title,Subject,List,"Send Date","Send Weekday","Total Recipients","Successful Deliveries",'
    '"Soft Bounces","Hard Bounces","Total Bounces","Times Forwarded","Forwarded Opens",'
    '"Unique Opens","Open Rate","Total Opens","Unique Clicks","Click Rate","Total Clicks",'
    'Unsubscribes,"Abuse Complaints"'
)


def _campaigns(seed: int = 1) -> pd.DataFrame:
    """Six campaigns in October 2026; recipients in the thousands; bounces soft + hard."""
    rows = []
    for c in range(6):
        recipients = 1200 + 1777 * c * seed
        soft, hard = 3 + c, 1 + c % 2
        unique_opens = recipients // 4 + c
        unique_clicks = unique_opens // 6
        rows.append({
            "campaign": f"Newsletter #{c + 1}, {'autumn' if c % 2 else 'sale'}",
            "sent_at": pd.Timestamp(2026, 10, 2 + 4 * c, 9 + c, 15 * (c % 4)),
            "recipients": recipients, "delivered": recipients - soft - hard, "soft": soft,
            "hard": hard, "bounces": soft + hard, "unique_opens": unique_opens,
            "opens": unique_opens * 2 - c, "unique_clicks": unique_clicks,
            "clicks": unique_clicks + 7 * c, "unsubscribes": c % 3,
        })  # fmt: skip
    return pd.DataFrame(rows)


def _mailchimp(rows: pd.DataFrame) -> str:
    lines = [MAILCHIMP_HEAD]
    for r in rows.itertuples():
        sent = r.sent_at.strftime("%b %d, %Y %I:%M %p").replace("AM", "am").replace("PM", "pm")
        rate = f"{100 * r.unique_opens / r.delivered:.2f}%"
        lines.append(
            f'"{r.campaign}","Subject {r.Index}","Main List","{sent}",{r.sent_at:%A},'
            f"{r.recipients},{r.delivered},{r.soft},{r.hard},{r.bounces},0,0,{r.unique_opens},"
            f"{rate},{r.opens},{r.unique_clicks},1.50%,{r.clicks},{r.unsubscribes},0"
        )
    return "\n".join(lines) + "\n"


def _load(folder):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        client = load_client(folder)
    return client, [str(w.message) for w in caught]


def _check(email: pd.DataFrame, expected: pd.DataFrame, columns: list[str]) -> None:
    """Counts per campaign, and each campaign's send time, equal the generated rows."""
    got = email.set_index("campaign")[columns].astype("int64").sort_index()
    want = expected.set_index("campaign")[columns].astype("int64").sort_index()
    pd.testing.assert_frame_equal(got, want)
    sent = pd.to_datetime(email.set_index("campaign").sent_at)
    if sent.dt.tz is not None:  # stored in UTC: back to the client's wall clock
        sent = sent.dt.tz_convert("Europe/Berlin").dt.tz_localize(None)
    want_sent = expected.set_index("campaign").sent_at
    assert (sent.sort_index() == want_sent.sort_index()).all()


def _client(make_client, files, path, fmt):
    return make_client(files, data={"email": {"path": path, "format": fmt}})


def test_mailchimp_campaign_report(make_client):
    rows = _campaigns()
    client, _ = _load(_client(make_client, {"m.csv": _mailchimp(rows)}, "data/m.csv",
                              "mailchimp"))  # fmt: skip
    _check(client.frame("email"), rows, COUNTS)


def test_mailchimp_without_total_bounces_adds_soft_and_hard(make_client):
    rows = _campaigns(2)
    frame = pd.read_csv(pd.io.common.StringIO(_mailchimp(rows)), dtype=str)
    frame = frame.drop(columns=["Total Bounces", "Total Clicks"])
    files = {"m.csv": frame.to_csv(index=False)}
    client, _ = _load(_client(make_client, files, "data/m.csv", "mailchimp"))
    email = client.frame("email")
    _check(email, rows, ["bounces", "delivered", "unique_clicks"])  # bounces = soft + hard
    assert "clicks" not in email or email.clicks.isna().all()


def test_mailchimp_totals_line_is_skipped_with_a_warning(make_client):
    rows = _campaigns(3)
    text = _mailchimp(rows) + f",,,,,{rows.recipients.sum()},{rows.delivered.sum()}\n"
    client, messages = _load(_client(make_client, {"m.csv": text}, "data/m.csv", "mailchimp"))
    _check(client.frame("email"), rows, COUNTS)
    assert any("skipped 1 totals" in m and "line 8" in m for m in messages)


def test_a_vk_export_read_as_unisender_says_which_format_it_is(make_client):
    text = "Дата;Охват;Охват подписчиков;Подписались;Отписались\n01.10.2026;10;5;1;0\n"
    folder = _client(make_client, {"vk.csv": text}, "data/vk.csv", "unisender")
    with pytest.raises(
        DataError,
        match=r"vk.csv: the Unisender .* no campaign column.*VK "
        r"community statistics export: set `data.social.format: vk_stats`",
    ):
        load_client(folder)


# -- Unisender -----------------------------------------------------------------------------------
def _ru(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


def _unisender(rows: pd.DataFrame) -> str:
    lines = [
        "Отчёт по рассылкам за октябрь 2026",
        "Название рассылки;Дата отправки;Отправлено;Доставлено;% доставки;Не доставлено;"
        "Прочитано;Всего открытий;% открытий;Переходы;Всего переходов;Отписались",
    ]
    for r in rows.itertuples():
        rate = f"{100 * r.delivered / r.recipients:.1f}%".replace(".", ",")  # never read
        lines.append(
            f"{r.campaign};{r.sent_at:%d.%m.%Y %H:%M};{_ru(r.recipients)};{_ru(r.delivered)};"
            f"{rate};{r.bounces};{_ru(r.unique_opens)};{_ru(r.opens)};12,5%;{r.unique_clicks};"
            f"{r.clicks};{r.unsubscribes}"
        )
    lines.append(f"Итого;;{_ru(int(rows.recipients.sum()))};{_ru(int(rows.delivered.sum()))};"
                 ";;;;;;;")  # fmt: skip
    return "\n".join(lines) + "\n"


def test_unisender_russian_report_with_title_and_totals(make_client):
    rows = _campaigns(4)
    client, messages = _load(_client(make_client, {"u.csv": _unisender(rows)}, "data/u.csv",
                                     "unisender"))  # fmt: skip
    _check(client.frame("email"), rows, COUNTS)
    assert any("above the header" in m for m in messages)
    assert any("skipped 1 totals" in m and "Итого" in m for m in messages)


@pytest.mark.parametrize("fmt", ["mailchimp", "unisender"])
def test_discover_recognises_each_email_export(tmp_path, fmt):
    rows = _campaigns()
    text = _mailchimp(rows) if fmt == "mailchimp" else _unisender(rows).split("\n", 1)[1]
    (tmp_path / "report.csv").write_text(text, encoding="utf-8")
    row = discover(tmp_path).iloc[0]
    assert (row["kind"], row["format"], row["table"]) == ("adapter", fmt, "email")


def test_unisender_table_made_from_the_api_field_names(make_client):
    """getCampaignCommonStats' fields: sent, delivered, read_unique, read_all, clicked_* …"""
    rows = _campaigns(5)
    lines = ["campaign_id,start_time,total,sent,delivered,read_unique,read_all,clicked_unique,"
             "clicked_all,unsubscribed,spam"]  # fmt: skip
    lines += [f'"{r.campaign}",{r.sent_at:%Y-%m-%d %H:%M:%S},{r.recipients + 5},{r.recipients},'
              f"{r.delivered},{r.unique_opens},{r.opens},{r.unique_clicks},{r.clicks},"
              f"{r.unsubscribes},0" for r in rows.itertuples()]  # fmt: skip
    text = "\n".join(lines) + "\n"  # recipients: `sent` (`total` counts the unsent too)
    client, _ = _load(_client(make_client, {"u.csv": text}, "data/u.csv", "unisender"))
    _check(client.frame("email"), rows, [c for c in COUNTS if c != "bounces"])
