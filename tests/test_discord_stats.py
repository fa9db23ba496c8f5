"""Discord's /stats: the same content as `stats` and the Slack Home tab, as a private embed
(the real CommandTree and Coach, discord.py's HTTP against the loopback stand-in)."""
from __future__ import annotations

from bot.messages import Request
from discord_standin import GUILD_ID, command_payload, discord_client, standin  # noqa: F401  (fixtures)
from test_discord import CALLBACK, EPHEMERAL, call


async def test_stats_is_a_private_embed_with_goal_freezes_weak_areas_and_calendar(discord_client, standin, coach):
    workspace = str(GUILD_ID)
    coach.handle(Request("discord", workspace, "c1", "111", text="goal 2"))
    coach.handle(Request("discord", workspace, "c1", "111", text="drill"))
    coach.handle(Request("discord", workspace, "c1", "111", text="answer A"))
    await call(discord_client, command_payload("stats"))
    (cb,) = standin.find("POST", CALLBACK)
    assert cb.data["flags"] & EPHEMERAL
    embed = cb.data["embeds"][0]
    assert embed["title"] == "Your practice" and "Freezes banked" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Today's goal"].startswith("🎯 1/2")
    for name in ("Drills done", "Reviews", "Accuracy", "Weak areas", "Last 4 weeks"):
        assert name in fields, name
