"""Discord adapter (discord.py): what `coach run` needs to start it.

discord.py is imported inside ``serve`` so that checking ``configured()`` stays cheap.
"""
from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

# View Channels, Send Messages, Send Messages in Threads, Create Public Threads,
# Embed Links, Read Message History.
PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 38) | (1 << 35) | (1 << 14) | (1 << 16)
SCOPES = "bot+applications.commands"


def configured(env=os.environ) -> bool:
    return bool((env.get("DISCORD_TOKEN") or "").strip())


def missing_help() -> str:
    return ("set DISCORD_TOKEN to your bot's token (Discord Developer Portal → your application → Bot → "
            "Reset Token). Optional: DISCORD_GUILD_ID to sync slash commands to one server at once, "
            "DISCORD_SHARDED=1 or DISCORD_SHARD_COUNT for large bots (DISCORD_SHARD_IDS=0,1 for this "
            "process's share of them).")


def settings_error(env=os.environ) -> str | None:
    """One sentence when the Discord settings can't be used (shard ids and count), else None."""
    from .client import ShardSettingsError, shard_settings

    try:
        shard_settings(env)
    except ShardSettingsError as exc:
        return str(exc)
    return None


def invite_url(application_id) -> str:
    return (f"https://discord.com/oauth2/authorize?client_id={application_id}"
            f"&scope={SCOPES}&permissions={PERMISSIONS}")


async def serve(coach, senders: dict, env=os.environ) -> None:
    """Connect to Discord until cancelled; register the scheduler's Discord sender.

    ``client.start`` split in two (login, then connect) so the invite link, which needs
    the application id that login fetches, is printed before the gateway connects.
    """
    from .client import build_client
    from .sender import DiscordSender

    client = build_client(coach, senders, env=env)
    senders["discord"] = DiscordSender(client)
    async with client:  # closes the HTTP session and gateway on cancel or error
        await client.login(env["DISCORD_TOKEN"].strip())
        print(f"Discord: invite the bot with {invite_url(client.application_id)}", flush=True)
        await client.connect()
