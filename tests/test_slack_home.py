"""The Slack Home tab end to end: signed app_home_opened events and Home-tab clicks into the real
Bolt app, views.publish to the loopback Web API stand-in, the real Coach on a real SQLite file."""
from __future__ import annotations

import json

from bot.messages import Request
from test_slack import TEAM, buttons_of, section_text, slack, standin  # noqa: F401  (fixtures)


def as_slack(coach, text, user="U1", channel="D1", is_dm=True):
    return coach.handle(Request("slack", TEAM, channel, user, text=text, is_dm=is_dm))


def home_text(view) -> str:
    blocks = view["blocks"]
    headers = [b["text"]["text"] for b in blocks if b["type"] == "header"]
    fields = [f["text"] for b in blocks if b["type"] == "section" for f in b.get("fields", [])]
    return "\n".join(headers + [section_text(blocks)] + fields)


async def open_home(slack, user="U1", event_id="EvH1", tab="home"):
    await slack.event({"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": tab,
                       "event_ts": "1.0"}, event_id=event_id)


async def test_opening_the_home_tab_publishes_the_persons_page(slack, coach):
    as_slack(coach, "subscribe me at 8am")
    as_slack(coach, "drill")
    as_slack(coach, "answer A")
    await open_home(slack)
    [published] = await slack.standin.wait_for("views.publish")
    assert published["user_id"] == "U1"
    view = published["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = home_text(view)
    for part in ("Your practice", "Today's goal", "Reviews", "Weak areas", "Last 4 weeks", "Daily drills",
                 "Your DM", "Evening reminder"):
        assert part in text, part
    values = [b["value"] for b in buttons_of(view["blocks"])]
    sub_id = coach.db.execute("SELECT id FROM subscriptions").fetchone()[0]
    assert values[0] == "drill:next" and f"sub:pause:{sub_id}" in values and f"sub:stop:{sub_id}" in values


async def test_the_messages_tab_publishes_nothing_and_others_see_only_their_own(slack, coach):
    as_slack(coach, "subscribe me at 8am")
    await open_home(slack, tab="messages")
    await slack.standin.settle()
    assert slack.standin.called("views.publish") == []
    await open_home(slack, user="U2", event_id="EvH2")
    [published] = await slack.standin.wait_for("views.publish")
    assert published["user_id"] == "U2" and "Your DM" not in home_text(published["view"])


async def test_pause_from_the_home_tab_pauses_and_republishes(slack, coach):
    as_slack(coach, "subscribe me at 8am")
    await open_home(slack)
    [first] = await slack.standin.wait_for("views.publish")
    pause = next(b for b in buttons_of(first["view"]["blocks"]) if b["value"].startswith("sub:pause:"))
    payload = {
        "type": "block_actions", "team": {"id": TEAM, "domain": "test"},
        "user": {"id": "U1", "username": "u1", "name": "u1", "team_id": TEAM},
        "api_app_id": "A1", "token": "x", "trigger_id": "trig-1",
        "container": {"type": "view", "view_id": "V1"}, "view": {"id": "V1", "type": "home"},
        "actions": [{"type": "button", "action_id": pause["action_id"], "block_id": "b1", "value": pause["value"],
                     "text": pause["text"], "action_ts": "1.2"}],
    }
    await slack.interaction(payload)
    published = await slack.standin.wait_for("views.publish", count=2)
    assert coach.db.execute("SELECT paused FROM subscriptions").fetchone()[0] == 1
    values = [b["value"] for b in buttons_of(published[1]["view"]["blocks"])]
    assert any(v.startswith("sub:resume:") for v in values)
    # the confirmation went to the person's DM with the bot, nowhere else
    posts = slack.standin.called("chat.postMessage")
    assert posts and {p["channel"] for p in posts} == {"D1"}
    assert "paused" in json.dumps(posts[-1]).lower()


async def test_typed_commands_that_change_practice_refresh_the_home_tab(slack, coach):
    """A subscribe or drill typed with /coach or in the DM shows on the Home tab without reopening it."""
    await slack.command("subscribe me at 8am", channel="D1", channel_name="directmessage")
    [published] = await slack.standin.wait_for("views.publish")
    assert published["user_id"] == "U1" and "Your DM" in home_text(published["view"])
    await slack.event({"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "drill",
                       "ts": "2.0", "event_ts": "2.0"}, event_id="EvDM1")
    await slack.standin.wait_for("views.publish", count=2)


async def test_commands_that_change_nothing_dont_publish(slack, coach):
    await slack.command("help", channel="D1", channel_name="directmessage")
    await slack.standin.settle()
    assert slack.standin.called("views.publish") == []
