"""The adversary on Discord: real discord.py objects against the loopback stand-in."""
from __future__ import annotations

import asyncio

from discord_standin import discord_client, standin  # noqa: F401  (fixtures)
from test_adversary import PERSONAL

__all__ = ["discord_client", "standin"]


# ---------------------------------------------------------------- Discord: @mentions keep personal results out of the channel

async def test_every_personal_command_by_mention_keeps_the_result_out_of_the_channel(discord_client, standin):
    # Alice @mentions the bot in a server channel with each personal command: the channel sees at most
    # a short note (or an error about what was typed); what is hers (stats, drills, grades, settings) goes by DM.
    from test_discord_privacy import CHANNEL_POSTS, DM_POSTS, mention, text_of

    for text in PERSONAL:
        if text == "forget-me":
            continue  # its confirmation is covered with its bound button in test_discord_privacy
        mention(discord_client, text)
        await asyncio.sleep(0.15)
    channel = [text_of(p.body) for p in standin.find("POST", CHANNEL_POSTS)]
    dms = [text_of(p.body) for p in standin.find("POST", DM_POSTS)]
    # errors about the request itself (a time it can't read) stay where it was typed, by design
    assert len(dms) >= len(PERSONAL) - 4
    leaked = [t for t in channel if len(t) > 200 or any(w in t for w in (
        "Your practice", "Your data", "daily goal", "Reminder", "time zone is", "Drill ·", "Hint", "Saved", "Suspended"))]
    assert leaked == []
    assert all("went wrong" not in t for t in channel + dms)


# ---------------------------------------------------------------- Discord: stale slash commands

async def test_a_stale_or_unknown_slash_command_gets_one_private_sentence_not_an_error(discord_client, standin, caplog):
    # After an update Discord keeps showing the old command list for a while (global sync takes up to an hour),
    # and a client may send a choice the command no longer has: discord.py raises CommandNotFound or
    # TransformerError before our code runs. That is no fault of ours to log at ERROR with a traceback,
    # and "something went wrong" tells the user nothing: say what to do instead.
    import logging

    import discord

    from discord_standin import command_payload

    caplog.set_level(logging.WARNING)
    for payload in (command_payload("goal", {"drills": "3"}), command_payload("drill", {"track": "astronaut"})):
        discord_client.tree._from_interaction(discord.Interaction(data=payload, state=discord_client._connection))
    callbacks = await standin.wait_for("POST", r"/interactions/\d+/[^/]+/callback", 2)
    replies = [c.data for c in callbacks]
    assert all(r.get("flags") == 64 for r in replies)  # private
    texts = [r["embeds"][0]["description"] for r in replies]
    assert all("went wrong" not in t for t in texts), texts
    assert "/help" in texts[0] and "astronaut" in texts[1]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_every_time_zone_the_autocomplete_offers_is_one_the_bot_accepts(discord_client, standin, coach):
    # The autocomplete listed every name in the host's zone database — US/Eastern, GB, EST5EDT, Japan — which
    # `/timezone` then refused ("I don't know the time zone 'US/Eastern'"): a choice we offered, refused.
    from discord_standin import command_payload
    from test_discord import CALLBACK, call

    from bot import users

    typed = ["US", "GB", "EST", "Jap", "", "Europe/Ber", "berl", "new_y"]
    for n, text in enumerate(typed, start=1):
        await call(discord_client, command_payload("timezone", {"tz": text}, focused="tz"))
        await standin.wait_for("POST", CALLBACK, n)
    offered = [c["value"] for cb in standin.find("POST", CALLBACK) for c in cb.body["data"]["choices"]]
    assert "Europe/Berlin" in offered and "America/New_York" in offered
    assert [z for z in offered if users.resolve_tz(z) != z] == []


def test_a_long_list_of_names_is_cut_between_names_not_inside_one(coach):
    # The reveal's "Answered" list over several fields was cut at any space: "✅ Person 0123" in one field
    # and "Lastname" in the next. Cut after ", " so each name stays whole.
    import json

    from adapters.discord import render
    from bot.messages import Reply

    names = ", ".join(f"✅ Person {i:04d} Lastname" for i in range(400))
    pages = render.embed_pages(Reply(text="Reveal", fields=(("Answered", names),)))
    shown = json.dumps([[e.to_dict() for e in page] for page in pages], ensure_ascii=False)
    assert [i for i in range(400) if f"Person {i:04d} Lastname" not in shown] == []
