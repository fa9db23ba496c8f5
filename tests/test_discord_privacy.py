"""Private stays private on Discord, and nothing depends on a permission the invite doesn't ask for.

Real discord.py objects built from gateway payloads, the real CommandTree and Coach, the real
scheduler, and discord.py's HTTP pointed at the recording stand-in on 127.0.0.1.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import discord
import pytest

from adapters.discord import render
from adapters.discord.buttons import ButtonStore
from adapters.discord.sender import DiscordSender
from bot import privacy
from bot.delivery import ConsoleSender, PermanentError, Target, TransientError
from bot.messages import Button, Reply, channel_ref, platform_mentions, user_ref
from bot.scheduler import DailyScheduler
from conftest import make_request
from discord_standin import (APP_ID, BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, PERM_ADMINISTRATOR,
                             PERM_MANAGE_CHANNELS, PERM_VIEW_SEND, click_payload, command_payload, discord_client,
                             guild_create_payload, message_create_payload, modal_payload, standin, user_payload)

__all__ = ["discord_client", "standin"]  # fixtures

CALLBACK = r"/interactions/\d+/[^/]+/callback"
FOLLOWUP = rf"/webhooks/{APP_ID}/[^/]+"
CHANNEL_POSTS = rf"/channels/{CHANNEL_ID}/messages"
DM_POSTS = rf"/channels/{DM_CHANNEL_ID}/messages"
EPHEMERAL = 64
ERROR_COLOUR = render.COLOURS["error"]
MANAGER = PERM_VIEW_SEND | PERM_MANAGE_CHANNELS


async def call(client, payload: dict) -> None:
    await client.tree._call(discord.Interaction(data=payload, state=client._connection))


def buttons_of(body: dict) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in body.get("components", []) for c in row["components"]}


def text_of(body: dict) -> str:
    """Everything a message shows: content, embed titles, descriptions, fields, footers."""
    parts = [body.get("content") or ""]
    for e in body.get("embeds") or []:
        parts += [e.get("title", ""), e.get("description", "")]
        parts += [f"{f['name']}\n{f['value']}" for f in e.get("fields", [])]
        parts.append((e.get("footer") or {}).get("text", ""))
    return "\n".join(p for p in parts if p)


def mention(client, text: str, user_id: int = 111, name: str = "alice") -> None:
    state = client._connection
    if state._get_guild(GUILD_ID) is None:
        state.parse_guild_create(guild_create_payload())
    state.parse_message_create(message_create_payload(f"<@{BOT_ID}> {text}", user_id=user_id, name=name,
                                                      mentions=[user_payload(BOT_ID, "coach", bot=True)]))


async def settle(standin, seconds: float = 0.1) -> None:
    await asyncio.sleep(seconds)


def guild_rows(coach, user: str = "111", workspace: str = str(GUILD_ID)) -> int:
    return coach.db.execute("SELECT count(*) FROM users WHERE platform = 'discord' AND workspace = ? AND user = ?",
                            [workspace, user]).fetchone()[0]


# ------------------------------------------------------------------ 8. message commands answer privately by DM
@pytest.mark.parametrize("command, private_words", [("export-me", "Your data"), ("stats", "Your practice")])
async def test_private_results_of_a_mention_go_by_dm_and_the_channel_gets_a_short_note(
        discord_client, standin, command, private_words):
    mention(discord_client, command)
    (private,) = await standin.wait_for("POST", DM_POSTS)
    await settle(standin)
    assert private_words in text_of(private.body)
    assert standin.find("POST", r"/users/@me/channels")[0].body == {"recipient_id": 111}
    channel = [text_of(c.body) for c in standin.find("POST", CHANNEL_POSTS)]
    assert len(channel) == 1 and "DM" in channel[0]
    assert private_words not in channel[0] and "tables" not in channel[0]


async def test_with_dms_closed_the_channel_is_told_to_use_the_private_slash_command(discord_client, standin):
    standin.fail_next("POST", DM_POSTS, 403, {"code": 50007, "message": "Cannot send messages to this user"})
    mention(discord_client, "export-me")
    (note,) = await standin.wait_for("POST", CHANNEL_POSTS)
    await settle(standin)
    shown = text_of(note.body)
    assert "/export-me" in shown and "private" in shown
    assert "Your data" not in shown and len(standin.find("POST", CHANNEL_POSTS)) == 1


async def test_public_answers_and_errors_of_a_mention_stay_in_the_channel(discord_client, standin):
    mention(discord_client, "help")
    mention(discord_client, "subscribe here at 25:00")
    posts = await standin.wait_for("POST", CHANNEL_POSTS, 2)
    await settle(standin)
    assert not standin.find("POST", DM_POSTS)
    assert {p.body["embeds"][0].get("title") for p in posts} >= {"PM Coach"}
    assert any("25:00" in text_of(p.body) for p in posts)


# ------------------------------------------------------------------ 9. private buttons are bound to their user
async def test_forget_me_button_works_only_for_its_owner_and_forgets_the_server_data(discord_client, standin, coach):
    mention(discord_client, "stats", user_id=222, name="mod")  # the moderator exists here too
    coach.handle(make_request("timezone UTC", user="111", channel=str(CHANNEL_ID), workspace=str(GUILD_ID),
                              platform="discord"))  # and so does the asker (forget-me itself records nobody)
    mention(discord_client, "forget-me")
    dms = await standin.wait_for("POST", DM_POSTS, 2)
    await settle(standin)
    confirm = next(p for p in dms if "Delete everything" in buttons_of(p.body))
    custom_id = buttons_of(confirm.body)["Delete everything"]
    assert "111" in custom_id and not [p for p in standin.find("POST", CHANNEL_POSTS)
                                       if buttons_of(p.body)]  # no button in the channel
    message = standin.message(str(CHANNEL_ID), confirm.body)

    discord_client._connection.parse_interaction_create(click_payload(message, custom_id, user_id=222, name="mod"))
    (refused,) = await standin.wait_for("POST", CALLBACK)
    assert refused.data["flags"] & EPHEMERAL
    assert f"<@111>" in text_of(refused.data)
    assert guild_rows(coach, "222") == 1 and guild_rows(coach, "111") == 1  # nobody's data was touched

    discord_client._connection.parse_interaction_create(click_payload(message, custom_id, guild=False))
    done = (await standin.wait_for("POST", CALLBACK, 2))[1]
    assert "deleted everything" in text_of(done.data)
    assert guild_rows(coach, "111") == 0 and guild_rows(coach, "222") == 1  # the server's data, the owner's only


async def test_buttons_of_ephemeral_slash_replies_are_bound_to_the_asker(discord_client, standin):
    await call(discord_client, command_payload("forget-me"))
    (cb,) = standin.find("POST", CALLBACK)
    assert cb.data["flags"] & EPHEMERAL
    assert "@111" in buttons_of(cb.data)["Delete everything"]


async def test_public_buttons_stay_open_to_everyone(discord_client, standin):
    sender = DiscordSender(discord_client)
    await sender.send(Target("discord", str(GUILD_ID), str(CHANNEL_ID)),
                      [Reply(title="Team drill", text="Which?", buttons=(Button("A", "drill:choose:d1:A:7"),))], "k")
    (post,) = standin.find("POST", CHANNEL_POSTS)
    assert buttons_of(post.body)["A"] == "coach:drill:choose:d1:A:7"


# ------------------------------------------------------------------ 10. a DM subscription made in a server works in the DM
async def _subscribe_and_run_at_ten(discord_client, coach, clock, options: dict, **payload):
    """/subscribe at 10:00 UTC, then the scheduler's run at 10:00 with the real Discord sender."""
    await call(discord_client, command_payload("subscribe", {"time": "10:00", "tz": "UTC", **options}, **payload))
    scheduler = DailyScheduler(coach, {"discord": DiscordSender(discord_client)}, sleep=_no_sleep)
    clock.set(clock.now.replace(hour=10))
    return await scheduler.run_due(clock.now)


async def test_dm_subscription_made_in_a_server_is_answered_in_the_dm(discord_client, standin, coach, clock):
    summary = await _subscribe_and_run_at_ten(discord_client, coach, clock, {"target": "me"})
    assert summary.sent == 1
    (daily,) = standin.find("POST", DM_POSTS)
    assert "Your daily drill" in text_of(daily.body)
    message = standin.message(str(DM_CHANNEL_ID), daily.body)

    # the DM's own `subscriptions` and `unsubscribe` see it
    discord_client._connection.parse_message_create(message_create_payload("subscriptions", guild=False))
    listing = (await standin.wait_for("POST", DM_POSTS, 2))[1]
    assert "You get a drill by DM" in text_of(listing.body)

    reveal_id = buttons_of(daily.body)["Reveal"]
    discord_client._connection.parse_interaction_create(click_payload(message, reveal_id, guild=False))
    (cb,) = await standin.wait_for("POST", CALLBACK)
    assert "can't find" not in text_of(cb.data) and cb.data["embeds"][0]["color"] != ERROR_COLOUR

    discord_client._connection.parse_message_create(message_create_payload("answer B", guild=False))
    answered = (await standin.wait_for("POST", DM_POSTS, 3))[2]
    assert "no drill open" not in text_of(answered.body)


async def test_resume_button_of_a_paused_notice_works_from_the_dm(discord_client, standin, coach, clock):
    standin.fail_next("POST", CHANNEL_POSTS, 403, {"code": 50001, "message": "Missing Access"})
    summary = await _subscribe_and_run_at_ten(discord_client, coach, clock, {}, permissions=MANAGER)
    assert summary.paused == 1
    (notice,) = standin.find("POST", DM_POSTS)
    assert "Daily drill paused" in text_of(notice.body)
    assert f"<#{CHANNEL_ID}>" in text_of(notice.body)  # a channel mention, not a bare id
    message = standin.message(str(DM_CHANNEL_ID), notice.body)
    discord_client._connection.parse_interaction_create(
        click_payload(message, buttons_of(notice.body)["Resume"], guild=False))
    cb = (await standin.wait_for("POST", CALLBACK, 2))[1]
    assert text_of(cb.data).startswith("Resumed")
    assert coach.db.execute("SELECT paused FROM subscriptions").fetchone() == (0,)


# ------------------------------------------------------------------ 11. no attachments, split within limits, 403s
def limits_hold(body: dict) -> None:
    embeds = body["embeds"]
    assert 1 <= len(embeds) <= 10
    assert sum(len(discord.Embed.from_dict(e)) for e in embeds) <= 6000
    for e in embeds:
        assert len(e.get("title", "")) <= 256 and len(e.get("description", "")) <= 4096
        assert len(e.get("fields", [])) <= 25
        assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in e.get("fields", []))


def test_long_replies_are_split_over_embeds_and_messages_never_attached(tmp_path):
    from bot import storage

    db = storage.open_db(tmp_path / "b.db")
    try:
        store = ButtonStore(db)
        answered = ", ".join(f"Person {i:03d}" for i in range(400))  # ~4,800 characters
        reply = Reply(title="Answer · AI PM", text="x" * 9000 + "\n\nend of text",
                      fields=(("Answered", answered), *((f"f{i}", f"v{i}") for i in range(30))),
                      buttons=(Button("Next drill", "drill:next"),), kind="result")
        sent = render.messages(reply, store)
    finally:
        db.conn.close()
    assert len(sent) > 1 and not any("file" in kw or "files" in kw for kw in sent)
    bodies = [{"embeds": [e.to_dict() for e in kw["embeds"]]} for kw in sent]
    for body in bodies:
        limits_hold(body)
    shown = "\n".join(text_of(b) for b in bodies)
    assert shown.count("x") >= 9000 and "end of text" in shown
    pieces = [f["value"] for b in bodies for e in b["embeds"] for f in e.get("fields", [])
              if f["name"].startswith("Answered")]
    assert "".join(pieces) == answered and "v29" in shown  # cut at spaces, nothing lost
    assert [("view" in kw) for kw in sent] == [False] * (len(sent) - 1) + [True]  # buttons under the last part
    assert bodies[0]["embeds"][0]["title"] == "Answer · AI PM"


async def test_a_reveal_with_a_long_answered_field_is_posted_without_attachments(discord_client, standin):
    answered = ", ".join(f"Person {i:03d}" for i in range(300))
    await DiscordSender(discord_client).send(
        Target("discord", str(GUILD_ID), str(CHANNEL_ID)),
        [Reply(title="Answer · AI PM", text="B", fields=(("Answered", answered),))], "reveal:1:2026-11-23")
    posts = standin.find("POST", CHANNEL_POSTS)
    assert posts and not any(p.body.get("_files") or p.body.get("attachments") for p in posts)
    for p in posts:
        limits_hold(p.body)
    assert "Person 299" in "\n".join(text_of(p.body) for p in posts)


@pytest.mark.parametrize("status, code, permanent", [
    (403, 50013, False),  # Missing Permissions for one kind of message: not a reason to pause
    (403, 50001, True),  # Missing Access: the channel is closed to us
    (404, 10003, True),  # Unknown Channel
    (404, 10008, False),  # Unknown Message: nothing about the channel
])
async def test_only_a_gone_or_closed_channel_is_permanent(discord_client, standin, status, code, permanent):
    standin.fail_next("POST", CHANNEL_POSTS, status, {"code": code, "message": "no"})
    with pytest.raises(PermanentError if permanent else TransientError):
        await DiscordSender(discord_client).send(Target("discord", str(GUILD_ID), str(CHANNEL_ID)),
                                                 [Reply(text="hi")], "k")


async def test_a_missing_permission_403_does_not_pause_the_channel(discord_client, standin, coach, clock):
    await call(discord_client, command_payload("subscribe", {"time": "10:00", "tz": "UTC"}, permissions=MANAGER))
    for _ in range(3):
        standin.fail_next("POST", CHANNEL_POSTS, 403, {"code": 50013, "message": "Missing Permissions"})
    scheduler = DailyScheduler(coach, {"discord": DiscordSender(discord_client)}, sleep=_no_sleep)
    clock.set(clock.now.replace(hour=10))
    summary = await scheduler.run_due(clock.now)
    assert summary.paused == 0 and summary.failed >= 1
    assert coach.db.execute("SELECT paused FROM subscriptions").fetchone() == (0,)


# ------------------------------------------------------------------ 12. COACH_ADMINS binds server admins too
async def test_server_administrators_are_not_coach_admins(discord_client, standin, coach):
    coach.config = replace(coach.config, admins=frozenset({"999"}), admin_only_channels=True)
    await call(discord_client, command_payload("subscribe", {"time": "9am"}, permissions=PERM_ADMINISTRATOR))
    refused = standin.find("POST", CALLBACK)[0].data
    assert refused["flags"] & EPHEMERAL and "admins" in text_of(refused)
    assert coach.db.execute("SELECT count(*) FROM subscriptions WHERE active = 1").fetchone() == (0,)
    await call(discord_client, command_payload("subscribe", {"time": "9am"}, user_id=999,
                                               permissions=MANAGER))
    assert coach.db.execute("SELECT count(*) FROM subscriptions WHERE active = 1").fetchone() == (1,)


# ------------------------------------------------------------------ 13. ids as mentions
async def test_stopping_a_channel_drill_names_the_channel_as_a_mention(discord_client, standin):
    await call(discord_client, command_payload("subscribe", {"time": "9am"}, permissions=MANAGER))
    (cb,) = standin.find("POST", CALLBACK)
    message = standin.message(str(CHANNEL_ID), cb.data)
    discord_client._connection.parse_interaction_create(
        click_payload(message, buttons_of(cb.data)["Stop"], permissions=MANAGER))
    stopped = (await standin.wait_for("POST", CALLBACK, 2))[1]
    assert f"Stopped the daily drill (<#{CHANNEL_ID}>)" in text_of(stopped.data)


def test_mention_helpers_and_the_console_shows_them_plainly():
    assert platform_mentions(channel_ref("222200000000000011")) == "<#222200000000000011>"
    assert platform_mentions(user_ref("3333")) == "<@3333>"
    import io

    out = io.StringIO()
    asyncio.run(ConsoleSender(out).send(Target("console", "T", "team"),
                                        [Reply(text=f"Posted in {channel_ref('team')} for {user_ref('bob')}")], "k"))
    assert "Posted in #team for @bob" in out.getvalue()


# ------------------------------------------------------------------ 15. export-me is never truncated
def _fill(coach, workspace: str, n: int = 300) -> None:
    coach.db.conn.executemany(
        "INSERT INTO practice_posts (platform, workspace, channel, user, drill_id, post_key, created_at) "
        "VALUES ('discord', ?, ?, '111', ?, ?, '2026-11-01T00:00:00+00:00')",
        [(workspace, str(CHANNEL_ID), f"some-long-drill-identifier-{i:04d}", f"key-{i}") for i in range(n)])
    coach.db.conn.commit()


def _json_of(chunks: list[str]) -> dict:
    text = "\n".join(chunks)
    blocks = text.split("```json\n")[1:]
    return json.loads("".join(b.split("\n```")[0] + ("\n" if not b.split("\n```")[0].endswith("\n") else "")
                              for b in blocks))


async def test_export_me_in_a_server_arrives_whole_over_several_private_messages(discord_client, standin, coach):
    _fill(coach, str(GUILD_ID))
    await call(discord_client, command_payload("export-me"))
    posts = standin.find("POST", FOLLOWUP)
    assert len(posts) > 1 and all(p.body.get("flags", 0) & EPHEMERAL for p in posts)
    assert not any(p.body.get("_files") for p in posts)
    assert f"In {len(posts)} parts" in posts[0].body["content"] and "DM" in posts[0].body["content"]
    for p in posts:
        limits_hold(p.body)
    descriptions = [e.get("description", "") for p in posts for e in p.body["embeds"]]
    data = _json_of(descriptions)
    assert len(data["tables"]["practice_posts"]) == 300
    expected = privacy.export_user(coach.db, "discord", str(GUILD_ID), "111", coach.clock())
    assert data == json.loads(json.dumps(expected, default=str))


async def test_export_me_in_a_dm_comes_as_one_json_file(discord_client, standin, coach):
    _fill(coach, "dm")
    await call(discord_client, command_payload("export-me", guild=False))
    posts = standin.find("POST", FOLLOWUP)
    files = [f for p in posts for f in p.body.get("_files", [])]
    assert len(files) == 1 and files[0]["filename"].endswith(".json")
    assert len(json.loads(files[0]["content"])["tables"]["practice_posts"]) == 300
    assert "Your data" in text_of(posts[0].body)


async def _no_sleep(seconds):
    return None


def test_dm_subscriptions_stored_under_a_server_move_to_the_dm(tmp_path, clock, library):
    """Rows written by the old code: each user ends with one DM subscription, in 'dm'."""
    from bot import storage
    from bot.coach import Coach, migrations
    from bot.config import Config

    path = tmp_path / "old.db"
    db = storage.open_db(path, migrations())
    cols = ("platform, workspace, channel, is_dm, user, subscriber, hour, minute, tz, days, track, active, since, "
            "created_at, updated_at")
    rows = [("G1", "111", 1, "2026-11-01"), ("G2", "111", 1, "2026-11-02"),  # two servers, one DM
            ("G1", "222", 1, "2026-11-01"), ("dm", "222", 0, "2026-11-03"),  # a stopped one already in the DM
            ("G1", "333", 0, "2026-11-01")]
    for workspace, user, active, updated in rows:
        db.execute(f"INSERT INTO subscriptions ({cols}) VALUES ('discord', ?, ?, 1, ?, ?, 9, 0, 'UTC', "
                   "'mon,tue,wed,thu,fri,sat,sun', NULL, ?, ?, ?, ?)",
                   [workspace, user, user, user, active, updated, updated, updated])
    db.conn.commit()
    ButtonStore(db)  # the Discord adapter's migrations run when its client is built
    got = db.execute("SELECT workspace, channel, active FROM subscriptions ORDER BY channel, workspace").fetchall()
    db.conn.close()
    assert ("dm", "111", 1) in got and ("G1", "111", 0) in got  # the latest one moved, the other stopped
    assert ("dm", "222", 1) in got and ("G1", "222", 0) in got  # the active one took the DM's place
    assert ("dm", "333", 0) in got
    assert sum(1 for w, c, a in got if a) == 2


async def test_a_403_where_the_bot_may_not_post_at_all_is_permanent(discord_client, standin):
    """50013 is also what Discord says when Send Messages was taken away: the cached
    permissions tell that apart from a permission for one kind of message."""
    guild = guild_create_payload(everyone_permissions=1 << 10)  # View Channel, no Send Messages
    guild["members"] = [{"user": user_payload(BOT_ID, "coach", bot=True), "roles": [], "deaf": False, "mute": False,
                         "joined_at": "2026-01-01T00:00:00+00:00", "flags": 0, "nick": None}]
    discord_client._connection.parse_guild_create(guild)
    standin.fail_next("POST", CHANNEL_POSTS, 403, {"code": 50013, "message": "Missing Permissions"})
    with pytest.raises(PermanentError, match="not allowed to send"):
        await DiscordSender(discord_client).send(Target("discord", str(GUILD_ID), str(CHANNEL_ID)),
                                                 [Reply(text="hi")], "k")


async def test_an_old_unbound_delete_button_in_a_channel_deletes_nothing(discord_client, standin, coach):
    mention(discord_client, "stats", user_id=222, name="mod")
    await standin.wait_for("POST", DM_POSTS)
    custom_id = "coach:privacy:forget:confirm"  # as the old code posted it, publicly
    message = standin.message(str(CHANNEL_ID), {"components": [{"type": 1, "components": [
        {"type": 2, "style": 4, "label": "Delete everything", "custom_id": custom_id}]}]})
    discord_client._connection.parse_interaction_create(click_payload(message, custom_id, user_id=222, name="mod"))
    (cb,) = await standin.wait_for("POST", CALLBACK)
    assert cb.data["flags"] & EPHEMERAL and "expired" in text_of(cb.data)
    assert guild_rows(coach, "222") == 1
