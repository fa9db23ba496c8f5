"""The Discord client end to end: real discord.py objects built from gateway payloads, the real
CommandTree and Coach, and discord.py's HTTP pointed at a recording stand-in on 127.0.0.1."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import discord
import pytest

from adapters import discord as discord_adapter
from bot import practice
from adapters.discord.client import build_client
from adapters.discord.respond import request_from_interaction
from adapters.discord.sender import DiscordSender
from discord_standin import (APP_ID, BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, PERM_ADMINISTRATOR,
                             PERM_MANAGE_CHANNELS, PERM_VIEW_SEND, TOKEN, click_payload, command_payload,
                             discord_client, guild_create_payload, interaction_payload, message_create_payload,
                             modal_payload, standin, user_payload)

__all__ = ["discord_client", "standin"]  # fixtures

CALLBACK = r"/interactions/\d+/[^/]+/callback"
FOLLOWUP = rf"/webhooks/{APP_ID}/[^/]+"
EPHEMERAL = 64
ROOT = Path(__file__).resolve().parents[1]


async def call(client, payload: dict) -> None:
    """A slash command or autocomplete through the real CommandTree."""
    await client.tree._call(discord.Interaction(data=payload, state=client._connection))


def drill_of(coach, kind: str):
    return next(d for d in sorted(coach.library.drills.values(), key=lambda d: d.id) if d.type == kind)


def buttons_of(message_body: dict) -> dict[str, str]:
    """label -> custom_id of every button in a sent message."""
    return {c["label"]: c["custom_id"] for row in message_body.get("components", []) for c in row["components"]}


async def dm(client, standin, text: str, count: int) -> dict:
    """Write the bot a DM; the bot's reply as the stand-in stored it."""
    client._connection.parse_message_create(message_create_payload(text, guild=False))
    posts = await standin.wait_for("POST", rf"/channels/{DM_CHANNEL_ID}/messages", count)
    return standin.message(str(DM_CHANNEL_ID), posts[-1].body)


# ------------------------------------------------------------------ start-up
async def test_login_syncs_every_slash_command_globally(discord_client, standin):
    (sync,) = standin.find("PUT", r"/applications/\d+/commands")
    assert {c["name"] for c in sync.body} == {
        "ask", "drill", "review", "stats", "leaderboard", "subscribe", "unsubscribe", "subscriptions", "topics",
        "timezone", "help", "export-me", "forget-me"}
    subscribe = next(c for c in sync.body if c["name"] == "subscribe")
    options = {o["name"]: o for o in subscribe["options"]}
    assert [c["value"] for c in options["track"]["choices"]] == ["ai-pm", "ds-pm", "traditional-pm", "career"]
    assert options["tz"]["autocomplete"] and options["days"]["autocomplete"]
    assert [c["value"] for c in options["target"]["choices"]] == ["here", "me"]
    assert subscribe["default_member_permissions"] is None  # DMs use it too; the core checks Manage Channels


async def test_guild_id_syncs_commands_to_that_server(coach, standin):
    client = build_client(coach, {}, env={"DISCORD_GUILD_ID": str(GUILD_ID)})
    try:
        await client.login(TOKEN)
    finally:
        await client.close()
    assert len(standin.find("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")[0].body) == 13
    assert not standin.find("PUT", rf"/applications/{APP_ID}/commands")


def test_client_options_from_the_environment(coach):
    plain = build_client(coach, env={})
    assert type(plain).__mro__[2] is discord.Client and not plain.intents.message_content
    sharded = build_client(coach, env={"DISCORD_SHARDED": "1"})
    assert isinstance(sharded, discord.AutoShardedClient) and sharded.shard_count is None
    counted = build_client(coach, env={"DISCORD_SHARD_COUNT": "4"})
    assert isinstance(counted, discord.AutoShardedClient) and counted.shard_count == 4


def test_shard_ids_of_a_count_start_those_shards_in_this_process(coach):
    client = build_client(coach, env={"DISCORD_SHARD_IDS": "1, 0", "DISCORD_SHARD_COUNT": "4"})
    assert isinstance(client, discord.AutoShardedClient)
    assert (client.shard_ids, client.shard_count) == ([0, 1], 4)
    other = build_client(coach, env={"DISCORD_SHARD_IDS": "2,3", "DISCORD_SHARD_COUNT": "4"})
    assert (other.shard_ids, other.shard_count) == ([2, 3], 4)
    assert build_client(coach, env={"DISCORD_SHARD_COUNT": "4"}).shard_ids is None  # all four here


@pytest.mark.parametrize("env, says", [
    ({"DISCORD_SHARD_IDS": "0,x", "DISCORD_SHARD_COUNT": "4"}, "'x' is not one"),
    ({"DISCORD_SHARD_IDS": "0,-1", "DISCORD_SHARD_COUNT": "4"}, "'-1' is not one"),
    ({"DISCORD_SHARD_IDS": "0,,1", "DISCORD_SHARD_COUNT": "4"}, "'' is not one"),
    ({"DISCORD_SHARD_IDS": "2,4", "DISCORD_SHARD_COUNT": "4"}, "numbered 0 to 3"),
    ({"DISCORD_SHARD_IDS": "0,1"}, "needs DISCORD_SHARD_COUNT"),
    ({"DISCORD_SHARD_COUNT": "four"}, "not 'four'"),
    ({"DISCORD_SHARD_COUNT": "0"}, "1 or more"),
])
def test_shard_settings_that_cant_work_are_named_in_one_sentence(coach, env, says):
    problem = discord_adapter.settings_error(env)
    assert problem and says in problem and "\n" not in problem
    with pytest.raises(ValueError):
        build_client(coach, env=env)


@pytest.mark.parametrize("env, says", [
    ({"DISCORD_SHARD_IDS": "0,1"}, "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT"),
    ({"DISCORD_SHARD_IDS": "0,4", "DISCORD_SHARD_COUNT": "4"}, "numbered 0 to 3"),
])
def test_coach_run_with_bad_shard_settings_says_so_in_one_line_and_exits_2(tmp_path, env, says):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))},
           "COACH_DB": str(tmp_path / "c.db"), "DISCORD_TOKEN": TOKEN, **env}
    proc = subprocess.run([sys.executable, "-m", "bot", "run"], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and says in proc.stderr
    assert proc.stderr.startswith("coach run: ") and "Traceback" not in proc.stderr


async def test_serve_with_shard_ids_identifies_as_exactly_those_shards(coach, standin):
    senders: dict = {}
    task = asyncio.create_task(discord_adapter.serve(coach, senders, env={
        "DISCORD_TOKEN": TOKEN, "DISCORD_SHARD_IDS": "2", "DISCORD_SHARD_COUNT": "4"}))
    identify = await standin.wait_for_op(2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert identify["d"]["shard"] == [2, 4]
    assert [op["d"]["shard"] for op in standin.gateway_ops if op["op"] == 2] == [[2, 4]]


async def test_serve_registers_the_sender_prints_the_invite_and_closes_on_cancel(coach, standin, capsys):
    senders: dict = {}
    task = asyncio.create_task(discord_adapter.serve(coach, senders, env={"DISCORD_TOKEN": TOKEN}))
    identify = await standin.wait_for_op(2)  # logged in over HTTP, then IDENTIFY on the gateway
    assert identify["d"]["intents"] == discord.Intents.default().value  # no privileged intents
    assert isinstance(senders["discord"], DiscordSender)
    assert discord_adapter.invite_url(APP_ID) in capsys.readouterr().out
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert senders["discord"].client.is_closed()


async def test_sharded_serve_asks_discord_for_the_shard_count_and_identifies_as_shard_0(coach, standin):
    senders: dict = {}
    task = asyncio.create_task(discord_adapter.serve(coach, senders,
                                                     env={"DISCORD_TOKEN": TOKEN, "DISCORD_SHARDED": "1"}))
    identify = await standin.wait_for_op(2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert standin.find("GET", r"/gateway/bot")
    assert identify["d"]["shard"] == [0, 1]
    assert isinstance(senders["discord"].client, discord.AutoShardedClient)


# ------------------------------------------------------------------ slash commands
async def test_help_answers_with_an_embed(discord_client, standin):
    await call(discord_client, command_payload("help"))
    (cb,) = standin.find("POST", CALLBACK)
    assert cb.body["type"] == 4
    embed = cb.data["embeds"][0]
    assert embed["title"] == "PM Coach" and "`drill [track]`" in embed["description"]
    assert not cb.data.get("flags", 0) & EPHEMERAL


async def test_timezone_command_saves_the_zone_for_this_server_and_user(discord_client, standin, coach):
    await call(discord_client, command_payload("timezone", {"tz": "europe/berlin"}))
    assert "Europe/Berlin" in standin.find("POST", CALLBACK)[0].data["embeds"][0]["description"]
    row = coach.db.execute("SELECT name, tz FROM users WHERE platform = 'discord' AND workspace = ? AND user = '111'",
                           [str(GUILD_ID)]).fetchone()
    assert row == ("Alice", "Europe/Berlin")


async def test_time_zone_autocomplete(discord_client, standin):
    await call(discord_client, command_payload("subscribe", {"time": "9am", "tz": "Europe/Ber"}, focused="tz"))
    (cb,) = standin.find("POST", CALLBACK)
    assert cb.body["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    assert cb.body["data"]["choices"][0] == {"name": "Europe/Berlin", "value": "Europe/Berlin"}


def test_requests_say_where_and_what_the_member_may_do(discord_client):
    state = discord_client._connection

    def request(**kw):
        return request_from_interaction(discord.Interaction(data=command_payload("help", **kw), state=state), "help")

    manager = request(permissions=PERM_VIEW_SEND | PERM_MANAGE_CHANNELS)
    assert (manager.platform, manager.workspace, manager.channel, manager.user) == (
        "discord", str(GUILD_ID), str(CHANNEL_ID), "111")
    assert manager.can_manage_channel and not manager.is_admin and not manager.is_dm
    member = request(permissions=PERM_VIEW_SEND)
    assert not member.can_manage_channel and not member.is_admin
    admin = request(permissions=PERM_ADMINISTRATOR)  # Administrator implies every permission…
    assert admin.can_manage_channel and not admin.is_admin  # …but is_admin means one of COACH_ADMINS
    direct = request(guild=False)
    assert (direct.workspace, direct.channel, direct.is_dm, direct.can_manage_channel) == (
        "dm", str(DM_CHANNEL_ID), True, True)
    assert direct.user_name == "Alice" and direct.dm_workspace == manager.dm_workspace == "dm"


SUBSCRIBE = {"time": "9am", "tz": "Europe/Berlin", "track": "ai-pm", "days": "weekdays"}


def subscriptions(coach):
    return coach.db.execute("SELECT workspace, channel, is_dm, hour, minute, tz, days, track FROM subscriptions "
                            "WHERE platform = 'discord' AND active = 1").fetchall()


async def test_channel_subscription_needs_manage_channels(discord_client, standin, coach):
    await call(discord_client, command_payload("subscribe", SUBSCRIBE, permissions=PERM_VIEW_SEND))
    refused = standin.find("POST", CALLBACK)[0].data
    assert refused["flags"] & EPHEMERAL and "manage this channel" in refused["embeds"][0]["description"]
    assert subscriptions(coach) == []

    await call(discord_client, command_payload("subscribe", SUBSCRIBE, permissions=PERM_VIEW_SEND | PERM_MANAGE_CHANNELS))
    assert subscriptions(coach) == [
        (str(GUILD_ID), str(CHANNEL_ID), 0, 9, 0, "Europe/Berlin", "mon,tue,wed,thu,fri", "ai-pm")]


async def test_subscribe_in_a_dm_is_a_dm_subscription(discord_client, standin, coach):
    await call(discord_client, command_payload("subscribe", {"time": "7:30"}, guild=False))
    assert subscriptions(coach)[0][:5] == ("dm", "111", 1, 7, 30)
    await call(discord_client, command_payload("unsubscribe", guild=False))
    assert subscriptions(coach) == []


async def test_drill_in_a_server_is_private_and_follows_the_track(discord_client, standin, coach):
    await call(discord_client, command_payload("drill", {"track": "ds-pm"}))
    (cb,) = standin.find("POST", CALLBACK)
    assert cb.data["flags"] & EPHEMERAL
    ids = list(buttons_of(cb.data).values())
    assert "Reveal" in buttons_of(cb.data)
    assert ids[0].startswith("coach@111")  # a private reply's buttons are bound to its user
    action = discord_client.buttons.resolve(ids[0][len("coach@111"):])[0]
    assert coach.library.drills[action.split(":")[2]].track == "ds-pm"


async def test_export_me_defers_privately_then_follows_up(discord_client, standin):
    await call(discord_client, command_payload("export-me"))
    (cb,) = standin.find("POST", CALLBACK)
    assert cb.body == {"type": 5, "data": {"flags": EPHEMERAL}}  # "thinking…", only the user sees it
    (followup,) = standin.find("POST", FOLLOWUP)
    assert followup.query.get("wait") in ("1", "true")
    assert followup.body["embeds"][0]["title"] == "Your data"


# ------------------------------------------------------------------ buttons and modals
async def test_choice_button_click_grades_even_after_a_restart(coach, standin):
    drill = drill_of(coach, "mcq")
    first = build_client(coach, {}, env={}, sync=False)
    await first.login(TOKEN)
    message = await dm(first, standin, f"drill {drill.id}", 1)
    await first.close()

    restarted = build_client(coach, {}, env={}, sync=False)  # no memory of the message it never sent
    await restarted.login(TOKEN)
    try:
        # choices are shuffled per post: the post says which letter it shows the right one under
        post_id = int(buttons_of(message)["A"].rsplit(":", 1)[1])
        right = practice.get_post(coach, post_id).shown_letter(drill, drill.answer_letter)
        restarted._connection.parse_interaction_create(
            click_payload(message, buttons_of(message)[right], guild=False))
        (cb,) = await standin.wait_for("POST", CALLBACK)
    finally:
        await restarted.close()
    assert cb.body["type"] == 4 and cb.data["embeds"][0]["title"] == "✅ Correct"
    assert coach.db.execute("SELECT choice, correct FROM practice_attempts WHERE user = '111'").fetchall() == [
        (drill.answer_letter, 1)]


async def test_answer_button_opens_a_modal_whose_text_is_graded(discord_client, standin, coach):
    drill = drill_of(coach, "open")
    message = await dm(discord_client, standin, f"drill {drill.id}", 1)
    discord_client._connection.parse_interaction_create(
        click_payload(message, buttons_of(message)["Answer"], guild=False))
    (opened,) = await standin.wait_for("POST", CALLBACK)
    assert opened.body["type"] == 9  # MODAL
    modal = opened.body["data"]
    assert modal["title"] == "Answer" and modal["components"][0]["components"][0]["label"] == "Your answer"

    typed = drill.model_answer
    discord_client._connection.parse_interaction_create(modal_payload(modal["custom_id"], typed, guild=False))
    submitted = (await standin.wait_for("POST", CALLBACK, 2))[1]
    assert submitted.body["type"] == 4 and "/100" in submitted.data["embeds"][0]["title"]
    assert coach.db.execute("SELECT answer FROM practice_attempts WHERE user = '111'").fetchall() == [(typed,)]
    await asyncio.sleep(0.05)
    assert len(standin.find("POST", CALLBACK)) == 2  # the submit was answered once


async def test_a_modal_opened_before_a_restart_still_submits(coach, standin):
    drill = drill_of(coach, "open")
    first = build_client(coach, {}, env={}, sync=False)
    await first.login(TOKEN)
    message = await dm(first, standin, f"drill {drill.id}", 1)
    first._connection.parse_interaction_create(click_payload(message, buttons_of(message)["Answer"], guild=False))
    modal_id = (await standin.wait_for("POST", CALLBACK))[0].body["data"]["custom_id"]
    await first.close()

    restarted = build_client(coach, {}, env={}, sync=False)
    await restarted.login(TOKEN)
    try:
        restarted._connection.parse_interaction_create(modal_payload(modal_id, "I would ask about precision",
                                                                     guild=False))
        submitted = (await standin.wait_for("POST", CALLBACK, 2))[1]
    finally:
        await restarted.close()
    assert submitted.body["type"] == 4 and "/100" in submitted.data["embeds"][0]["title"]


async def test_unknown_button_key_says_the_button_is_no_longer_active(discord_client, standin):
    custom_id = "coach#" + "0" * 24
    message = standin.message(str(CHANNEL_ID), {"components": [{"type": 1, "components": [
        {"type": 2, "style": 2, "label": "Old", "custom_id": custom_id}]}]})
    discord_client._connection.parse_interaction_create(click_payload(message, custom_id))
    (cb,) = await standin.wait_for("POST", CALLBACK)
    assert cb.data["flags"] & EPHEMERAL and "no longer active" in cb.data["embeds"][0]["description"]


# ------------------------------------------------------------------ mentions and DMs
async def test_mention_in_a_channel_is_answered_and_other_messages_are_ignored(discord_client, standin):
    state = discord_client._connection
    state.parse_guild_create(guild_create_payload())
    me = user_payload(BOT_ID, "coach", bot=True)
    state.parse_message_create(message_create_payload("help me with the roadmap"))  # not for the bot
    state.parse_message_create(message_create_payload(f"<@{BOT_ID}> help", user_id=222, bot=True, mentions=[me]))
    state.parse_message_create(message_create_payload(f"<@{BOT_ID}> help", mentions=[me]))
    (post,) = await standin.wait_for("POST", rf"/channels/{CHANNEL_ID}/messages")
    await asyncio.sleep(0.05)
    assert len(standin.find("POST", rf"/channels/{CHANNEL_ID}/messages")) == 1
    assert post.body["embeds"][0]["title"] == "PM Coach"  # "help" after the mention is the help command
    assert post.body["message_reference"]["channel_id"] == CHANNEL_ID
    assert post.body["allowed_mentions"] == {"parse": [], "replied_user": False}


async def test_plain_dm_text_is_a_question(discord_client, standin, coach):
    message = await dm(discord_client, standin, "what is an F1 score", 1)
    assert message["embeds"][0]["color"] in (0x5865F2, 0x99AAB5)  # an answer or a decline, not an error
    row = coach.db.execute("SELECT workspace, name FROM users WHERE platform = 'discord' AND user = '111'").fetchone()
    assert row == ("dm", "Alice")
