"""What an adversary and a demanding user tried: privacy across people, bad input, nothing double counted."""
from __future__ import annotations

import io
import json

from adapters.console import ConsoleChat

from conftest import make_request
from test_slack import BOT_USER, slack, standin  # noqa: F401  (the real Bolt app against the loopback stand-in)


def _records(coach, user):
    return coach.db.execute("SELECT COUNT(*) FROM users WHERE user = ?", [user]).fetchone()[0]


def test_console_someone_else_cannot_click_a_private_forget_me_button(coach):
    # Alice asks to forget her in #team; Bob, playing next, types 1. The button was shown
    # only to Alice: it must not delete Bob's data with one click and no confirmation of his own.
    out = io.StringIO()
    chat = ConsoleChat(coach, user="bob", channel="team", out=out, color=False)
    chat.feed("stats")  # Bob now has a record
    assert _records(coach, "bob") == 1
    chat.feed(":user alice")
    chat.feed("forget-me")
    chat.feed(":user bob")
    chat.feed("1")
    assert _records(coach, "bob") == 1
    assert "shown only to alice" in out.getvalue().lower()


def test_console_buttons_of_a_dm_are_not_clickable_from_another_conversation(coach):
    # Alice's DM drill buttons, then `:channel team`: the numbers belong to the DM, not to #team.
    out = io.StringIO()
    chat = ConsoleChat(coach, user="alice", out=out, color=False)
    chat.feed("drill ai-pm")
    chat.feed(":user bob")
    chat.feed("1")
    assert coach.db.execute("SELECT COUNT(*) FROM practice_attempts").fetchone()[0] == 0
    assert "shown only to alice" in out.getvalue().lower()


# ---------------------------------------------------------------- Slack OAuth installations name the installer

async def _install(store, user: str = "U1"):
    from slack_sdk.oauth.installation_store import Installation

    await store.async_save(Installation(app_id="A1", team_id="T1", bot_token="xoxb-T1", bot_id="BT1",
                                        bot_user_id="UBT1", user_id=user, user_token="xoxp-secret",
                                        user_scopes=["search:read"], bot_scopes=["chat:write"]))


def _slack(text: str, user: str = "U1"):
    return make_request(text, user=user, platform="slack")


async def test_export_and_forget_cover_the_slack_installation_that_names_the_installer(coach, tmp_path):
    # The installation lives in the coach's own file (the default): export-me shows the row that names
    # the installer, without tokens; forget-me removes the name and the user token, and the workspace's
    # bot keeps working.
    from adapters.slack.app import SlackSettings, build_app

    app = build_app(coach, settings=SlackSettings(client_id="cid", client_secret="cs", signing_secret="s"))
    store = app.installation_store
    await _install(store)
    export = coach.handle(_slack("export-me"))[0].text
    data = json.loads(export.split("```json\n", 1)[1].rsplit("```", 1)[0])
    [row] = data["tables"]["slack_installations"]
    assert row["user_id"] == "U1" and row["team_id"] == "T1"
    assert "xoxb-T1" not in export and "xoxp-secret" not in export and row["bot_token"] == "(withheld)"
    assert "slack_installations" not in json.dumps(privacy_export(coach, "U2"))  # someone else: nothing

    coach.handle(_slack("forget-me confirm"))
    assert coach.db.execute("SELECT COUNT(*) FROM slack_installations WHERE user_id = 'U1'").fetchone()[0] == 0
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxb-T1"
    installation = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert installation.bot_token == "xoxb-T1" and installation.user_token is None
    assert "slack_installations" not in coach.handle(_slack("export-me"))[0].text


async def test_a_separate_install_database_is_covered_too(coach, tmp_path):
    from adapters.slack.app import SlackSettings, build_app

    settings = SlackSettings(client_id="cid", client_secret="cs", signing_secret="s",
                             install_db=str(tmp_path / "install.db"))
    store = build_app(coach, settings=settings).installation_store
    build_app(coach, settings=settings)  # built twice: still covered once
    await _install(store)
    assert privacy_export(coach, "U1")["tables"]["slack_installations"][0]["user_id"] == "U1"
    coach.handle(_slack("forget-me confirm"))
    assert (await store.async_find_bot(enterprise_id=None, team_id="T1")).bot_token == "xoxb-T1"
    assert "slack_installations" not in privacy_export(coach, "U1")["tables"]


def privacy_export(coach, user):
    from bot import privacy

    return privacy.export_user(coach.db, "slack", "T1", user, coach.clock(), coach.foreign_tables)


def test_forget_me_then_export_me_holds_nothing(say, coach):
    # Checking that you were forgotten must not make a new record of you.
    say("timezone Europe/Berlin", user="carol")
    say("forget-me confirm", user="carol")
    export = say("export-me", user="carol")[0].text
    assert "(0 records)" in export and '"tables": {}' in export
    say("forget-me", user="carol")  # asking (not yet confirming) records nothing either
    assert _records(coach, "carol") == 0


def test_a_display_name_cannot_smuggle_a_mention_into_a_public_reveal(coach):
    # The coach marks its own mentions with private-use characters; a display name that holds them
    # (or control characters) must not become a real <@U…> ping when the reveal names who answered.
    from bot.messages import platform_mentions
    from bot.practice import team

    post_id, _ = team.daily_drill(coach, "slack", "T1", "C1", post_key="k")
    evil = "Eve \ue000@U0BOSS\ue001\x07"
    coach.handle(make_request("answer B", user="U0EVE", channel="C1", platform="slack", user_name=evil))
    shown = " ".join(platform_mentions(" ".join([r.text, *(value for _, value in r.fields)]))
                     for r in team.reveal_post(coach, post_id))
    assert "Eve" in shown and "<@U0BOSS>" not in shown and "\x07" not in shown


# ---------------------------------------------------------------- Slack: every personal command stays personal

PERSONAL = ("stats", "drill", "hint", "skip", "answer B", "reveal", "rate good", "undo", "suspend", "unsuspend",
            "goal 2", "limits new 5", "remind on", "subscriptions", "timezone Europe/Berlin", "review",
            "report the answer looks wrong", "subscribe me at 25:00", "drill nonsense", "export-me", "forget-me")


async def test_every_personal_command_in_a_dm_between_two_people_reaches_only_the_asker(slack, coach):
    # Alice types /coach … in her DM with Bob (a D… channel that is not the bot's): everything about
    # her — the habit commands too, and the answers to her nonsense — is ephemeral, never in_channel.
    from test_slack import PEOPLE_DM

    for n, text in enumerate(PERSONAL, start=1):
        await slack.command(text, user="U1", channel=PEOPLE_DM, channel_name="directmessage")
        await slack.standin.wait_for("response_url", count=n)
    shown = slack.standin.called("response_url")
    public = [(text, p.get("text", "")[:60]) for text, p in zip(PERSONAL, shown) if p["response_type"] != "ephemeral"]
    assert public == []
    assert slack.standin.called("chat.postMessage") == []
    assert all("went wrong" not in p.get("text", "") for p in shown)



# ---------------------------------------------------------------- forged or stale button values

FORGED_IDS = ("99999999999999999999", "²", "١٢")  # past SQLite's 64-bit integers; digits int() can't read or reads oddly


async def test_a_button_with_an_id_out_of_range_gets_one_sentence_not_a_traceback(slack, coach, caplog):
    # Button values come back from the platform as we sent them, but a stale, replayed or forged payload
    # (Discord clients can send any custom_id) may carry any number: a post, answer or subscription id that
    # SQLite can't hold (OverflowError) or a digit int() can't read must be "that button is broken", not ERROR.
    import logging

    caplog.set_level(logging.WARNING)
    mcq = next(d.id for d in sorted(coach.library.drills.values(), key=lambda d: d.id) if d.type == "mcq")
    values = [v for n in FORGED_IDS for v in (f"drill:choose:{mcq}:A:{n}", f"drill:reveal:{mcq}:{n}",
                                              f"fb:up:{n}", f"sub:stop:{n}", f"sub:resume:{n}")]
    for value in values:
        await slack.click({"action_id": "coach:0", "value": value, "text": {"type": "plain_text", "text": "A"}},
                          user="U9", channel="C1")
    shown = await slack.standin.wait_for("chat.postEphemeral", count=len(values))
    assert [p["text"] for p in shown if "went wrong" in p["text"]] == []
    assert all(p["text"].count(".") <= 2 for p in shown)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert coach.db.execute("SELECT COUNT(*) FROM practice_attempts").fetchone()[0] == 0


def test_est_is_answered_with_new_york_not_panama(say):
    # tzdata links the fixed-offset EST to America/Panama, so `timezone EST` suggested Panama; someone typing
    # EST means the US East Coast (as EDT/ET already do).
    reply = say("timezone EST")[0]
    assert reply.kind == "error" and "Did you mean `America/New_York`?" in reply.text and "Panama" not in reply.text


def test_a_command_word_on_a_line_of_its_own_is_still_the_command(say, coach):
    # "@coach answer⏎<a paragraph>" (Shift+Enter after the command, as people write long answers) was read as a
    # question: the answer was never graded and an article section was posted in the channel instead.
    drill = next(d for d in sorted(coach.library.drills.values(), key=lambda d: d.id) if d.type == "open")
    say(f"drill {drill.id}", user="u", channel="C1")
    [graded] = say(f"answer\n{drill.model_answer}", user="u", channel="C1")
    assert graded.kind == "result" and graded.ephemeral
    assert coach.db.execute("SELECT COUNT(*) FROM practice_attempts WHERE user = 'u'").fetchone()[0] == 1
    assert say("drill\tai-pm", user="u", channel="C1")[0].kind == "drill"
    # and in a DM with a drill open, "ask⏎…" is a question, not the answer
    say(f"drill {drill.id}", user="v")
    assert say("ask\nwhat is an F1 score", user="v")[0].kind != "result"


async def test_a_message_with_a_file_attached_is_still_answered(slack, coach):
    # Slack gives a message that carries a file (a screenshot with "what is this?", an answer pasted as a
    # snippet) the subtype file_share; it was dropped with edits and joins, so the person got silence.
    files = [{"id": "F1", "name": "shot.png", "mimetype": "image/png"}]
    await slack.event({"type": "message", "subtype": "file_share", "channel_type": "im", "user": "U3",
                       "text": "help", "files": files, "upload": False, "ts": "4.1", "channel": "D3"}, event_id="EvF1")
    await slack.event({"type": "app_mention", "subtype": "file_share", "user": "U3", "channel": "C1", "ts": "4.2",
                       "text": f"<@{BOT_USER}> topics", "files": files}, event_id="EvF2")
    posted = await slack.standin.wait_for("chat.postMessage", count=2)
    assert sorted(p["channel"] for p in posted) == ["C1", "D3"]


def test_a_display_name_cannot_become_a_disguised_link_in_a_public_reveal(coach):
    # A display name is the person's own text, shown to the whole channel in the reveal and the leaderboard.
    # "[free nitro](https://evil.example)" became a link labelled "free nitro" (Slack: <url|label>; Discord renders
    # the Markdown itself in embeds): a phishing link posted by the bot. The name must show as the text it is.
    import re

    from adapters.slack import render as slack_render
    from bot.practice import team

    post_id, _ = team.daily_drill(coach, "slack", "T1", "C1", post_key="k")
    evil = "[free nitro](https://evil.example)"
    coach.handle(make_request("answer B", user="U0EVE", channel="C1", platform="slack", user_name=evil))
    coach.clock.advance(hours=9)
    replies = team.reveal_post(coach, post_id)
    shown = " ".join([r.text for r in replies] + [value for r in replies for _, value in r.fields])
    assert "free nitro" in shown and "https://evil.example" in shown
    assert not re.search(r"\[[^\]\n]+\]\(", shown)  # Discord shows embeds' Markdown as it is: no [label](url)
    slack = json.dumps([slack_render.messages(r) for r in replies])
    assert "<https://evil.example|" not in slack


async def test_a_slack_reveal_names_everyone_who_answered_however_many(coach, standin):
    # The reveal's "Answered" list went into one section field, clipped at Slack's 2,000 characters: with ~70
    # people or more the rest were cut off with "…". Every name must arrive, each message within Slack's limits.
    from adapters.slack import render as slack_render
    from adapters.slack.sender import SlackSender, make_client
    from bot.delivery import Target
    from bot.practice import team

    post_id, _ = team.daily_drill(coach, "slack", "T1", "C1", post_key="k")
    for i in range(300):
        coach.handle(make_request("answer B", user=f"U{i:04d}", channel="C1", platform="slack",
                                  user_name=f"Person {i:04d} Lastname"))
    coach.clock.advance(hours=9)
    replies = team.reveal_post(coach, post_id)
    sender = SlackSender(make_client("xoxb-test", base_url=standin.url + "/api/"))
    await sender.send(Target("slack", "T1", "C1"), replies[:1], key="reveal")
    posted = standin.called("chat.postMessage")
    assert posted and all(p.get("ts", True) for p in posted)
    shown = json.dumps([p["blocks"] for p in posted])
    assert [i for i in range(300) if f"Person {i:04d} Lastname" not in shown] == []
    assert all(not standin.blocks_problem(p["blocks"]) for p in posted)
    assert all(len(f["text"]) <= slack_render.MAX_FIELD for p in posted for b in p["blocks"] for f in b.get("fields", []))
