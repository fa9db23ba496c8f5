"""Discord events -> Request, and [Reply] -> interaction responses, channel messages or DMs.

Private stays private: a Reply marked ephemeral is shown only to its user — as an ephemeral
interaction response, or, for a message command in a server (a channel message can't be
ephemeral), by DM with a short note in the channel. Its buttons are bound to that user.
"""
from __future__ import annotations

import logging
import re

import discord

from bot.messages import Reply, Request, info

from . import render
from .buttons import Binding, ButtonStore

log = logging.getLogger(__name__)

DM_WORKSPACE = "dm"  # a user's DM is one conversation across every server: Discord user ids are global
CANNOT_DM = 50007


def _guild_flags(guild_id, permissions: discord.Permissions) -> dict:
    if guild_id is None:  # a DM: the user owns it
        return {"workspace": DM_WORKSPACE, "is_dm": True, "can_manage_channel": True}
    # Discord resolves Administrator into every bit; checking it too costs nothing.
    return {"workspace": str(guild_id), "is_dm": False,
            "can_manage_channel": permissions.manage_channels or permissions.administrator}


def _request(channel_id, user, guild_id, permissions, admins, workspace: str = "", **kw) -> Request:
    flags = _guild_flags(guild_id, permissions)
    if workspace:  # a bound button's own workspace (see buttons.Binding)
        flags["workspace"] = workspace
    # is_admin means one of COACH_ADMINS, as on every platform: a server's Administrators are
    # only people who may manage channels, so when COACH_ADMINS is set they are not enough.
    return Request(platform="discord", channel=str(channel_id), user=str(user.id), user_name=user.display_name,
                   is_admin=str(user.id) in admins, dm_workspace=DM_WORKSPACE, **flags, **kw)


def request_from_interaction(interaction: discord.Interaction, text: str = "", action: str | None = None, *,
                             admins=frozenset(), workspace: str = "") -> Request:
    # interaction.permissions are the member's resolved permissions in this channel,
    # overwrites included, as Discord computed them for this interaction.
    return _request(interaction.channel_id, interaction.user, interaction.guild_id, interaction.permissions,
                    admins, workspace, text=text, action=action)


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


def request_from_message(message: discord.Message, text: str, *, admins=frozenset()) -> Request:
    author = message.author
    if message.guild is not None and isinstance(author, discord.Member):
        permissions = message.channel.permissions_for(author)
    else:
        permissions = discord.Permissions.none()
    return _request(message.channel.id, author, message.guild and message.guild.id, permissions, admins, text=text,
                    thread=_thread_of(message))


def _thread_of(message: discord.Message) -> str:
    """The message this one's thread hangs off: a thread started from a message has that message's
    id (so a team drill's thread is found by the drill's message); outside a thread, the message
    a reply refers to."""
    if isinstance(message.channel, discord.Thread):
        return str(message.channel.id)
    reference = message.reference
    return str(reference.message_id) if reference and reference.message_id and message.guild else ""


def binding(req: Request, shown_in: str, private: bool) -> Binding:
    """Private replies' buttons are for their user only; and when the message is shown in
    another workspace than the request's (a server's result in a DM), the click must act in
    the request's."""
    if not private:
        return Binding()
    return Binding(req.user, req.workspace if req.workspace != shown_in else "")


def _shown_in(guild_id) -> str:
    return DM_WORKSPACE if guild_id is None else str(guild_id)


async def respond(interaction: discord.Interaction, replies: list[Reply], store: ButtonStore,
                  req: Request | None = None) -> None:
    """Answer an interaction: the first message as the response (or the deferred response's
    follow-up), the rest as follow-ups, each ephemeral when its Reply says so."""
    if not replies:
        if not interaction.response.is_done():
            await interaction.response.defer()
        return
    in_dm = interaction.guild_id is None
    # Files only where certainly allowed: a DM has no permission overwrites; in a server the
    # bot's own resolved permissions in this channel say (the invite doesn't ask for them).
    attach = in_dm or interaction.app_permissions.attach_files
    for reply in replies:
        bound = binding(req, _shown_in(interaction.guild_id), reply.ephemeral or in_dm) if req else Binding()
        for kwargs in render.messages(reply, store, binding=bound, attach=attach):
            if not interaction.response.is_done():
                await interaction.response.send_message(ephemeral=reply.ephemeral, **kwargs)
            else:
                await interaction.followup.send(ephemeral=reply.ephemeral, **kwargs)


def _is_private(reply: Reply) -> bool:
    # An error answers what was typed in public and carries no result: it stays in the channel.
    return reply.ephemeral and reply.kind != "error"


async def reply_to_message(message: discord.Message, replies: list[Reply], store: ButtonStore, req: Request,
                           command: str = "") -> None:
    """Answer a mention or DM. In a DM everything goes there. In a server channel, public
    replies go to the channel and private ones by DM, with a short note in the channel —
    or, when the DM is closed, a pointer to the slash command, whose reply is private."""
    in_dm = message.guild is None
    public = [r for r in replies if in_dm or not _is_private(r)]
    private = [r for r in replies if not in_dm and _is_private(r)]
    if private:
        note = await _send_by_dm(message, private, store, req, command)
        public.append(note)
    first = True
    for reply in public:
        bound = binding(req, _shown_in(message.guild and message.guild.id), in_dm)
        for kwargs in render.messages(reply, store, binding=bound, attach=in_dm):
            if first:
                kwargs.update(reference=message, mention_author=False)
                first = False
            try:
                await message.channel.send(**kwargs)
            except discord.HTTPException as exc:  # e.g. no Send Messages here: nothing to tell the user through
                log.warning("could not answer message %s in channel %s: %s", message.id, message.channel.id, exc)
                return


async def _send_by_dm(message: discord.Message, replies: list[Reply], store: ButtonStore, req: Request,
                      command: str) -> Reply:
    """Send a server's private replies to the author's DM; the note for the channel."""
    bound = binding(req, DM_WORKSPACE, True)
    try:
        dm = await message.author.create_dm()
        first = True
        for reply in replies:
            for kwargs in render.messages(reply, store, binding=bound, attach=True):
                if first:  # where it came from: a DM holds results from every server
                    kwargs["content"] = f"From {message.channel.mention}:"
                    first = False
                await dm.send(**kwargs)
    except discord.HTTPException as exc:
        if not isinstance(exc, discord.Forbidden):
            log.warning("could not DM %s: %s", message.author.id, exc)
        slash = f"`/{command}`" if command else "the slash command"
        return info(f"{message.author.mention}, I couldn't DM you (your DMs are closed to me). Use {slash} "
                    "instead — its reply is private, only you see it.")
    return info(f"{message.author.mention}, I sent you the answer by DM — it's private.")
