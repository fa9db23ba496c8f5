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
