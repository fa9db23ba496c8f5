"""Discord events -> Request, and [Reply] -> interaction responses or channel messages."""
from __future__ import annotations

import logging
import re

import discord

from bot.messages import Reply, Request

from . import render
from .buttons import ButtonStore

log = logging.getLogger(__name__)


def _guild_flags(guild_id, permissions: discord.Permissions) -> dict:
    if guild_id is None:  # a DM: the user owns it
        return {"workspace": "dm", "is_dm": True, "can_manage_channel": True, "is_admin": False}
    # Discord resolves Administrator into every bit; checking it too costs nothing.
    return {"workspace": str(guild_id), "is_dm": False,
            "can_manage_channel": permissions.manage_channels or permissions.administrator,
            "is_admin": permissions.administrator}


def request_from_interaction(interaction: discord.Interaction, text: str = "", action: str | None = None) -> Request:
    # interaction.permissions are the member's resolved permissions in this channel,
    # overwrites included, as Discord computed them for this interaction.
    return Request(platform="discord", channel=str(interaction.channel_id), user=str(interaction.user.id),
                   text=text, action=action, user_name=interaction.user.display_name,
                   **_guild_flags(interaction.guild_id, interaction.permissions))


def mention_text(message: discord.Message, bot_id: int) -> str | None:
    """What a message asks the bot: the whole text in a DM, the text around the mention
    in a server channel, None when the message isn't for the bot."""
    if message.guild is None:
        return message.content
    # message.mentions also holds the author of a message replied to with a ping, so
    # replying to the bot asks it too.
    if not any(user.id == bot_id for user in message.mentions):
        return None
    return re.sub(rf"<@!?{bot_id}>", " ", message.content).strip()


def request_from_message(message: discord.Message, text: str) -> Request:
    author = message.author
    if message.guild is not None and isinstance(author, discord.Member):
        permissions = message.channel.permissions_for(author)
    else:
        permissions = discord.Permissions.none()
    return Request(platform="discord", channel=str(message.channel.id), user=str(author.id), text=text,
                   user_name=author.display_name, **_guild_flags(message.guild and message.guild.id, permissions))


async def respond(interaction: discord.Interaction, replies: list[Reply], store: ButtonStore) -> None:
    """Answer an interaction: the first reply as the response (or the deferred response's
    follow-up), the rest as follow-ups, each ephemeral when the Reply says so."""
    if not replies:
        if not interaction.response.is_done():
            await interaction.response.defer()
        return
    for reply in replies:
        kwargs = render.message(reply, store)
        if not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=reply.ephemeral, **kwargs)
        else:
            await interaction.followup.send(ephemeral=reply.ephemeral, **kwargs)


async def reply_to_message(message: discord.Message, replies: list[Reply], store: ButtonStore) -> None:
    """Answer a mention or DM in place. A channel message cannot be ephemeral: whoever
    mentions the bot in a channel gets the answer in that channel, as they asked there."""
    for i, reply in enumerate(replies):
        kwargs = render.message(reply, store)
        if i == 0:
            kwargs.update(reference=message, mention_author=False)
        try:
            await message.channel.send(**kwargs)
        except discord.HTTPException as exc:  # e.g. no Send Messages here: nothing to tell the user through
            log.warning("could not answer message %s in channel %s: %s", message.id, message.channel.id, exc)
            return
