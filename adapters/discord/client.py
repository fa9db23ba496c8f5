"""The discord.py client: slash commands, persistent buttons, modals, mentions and DMs.

No privileged intents: slash commands, buttons and modals arrive as interactions, and
Discord delivers a message's text to a bot without the message_content intent when the
bot is mentioned in it or the message is a DM. Those are the only messages we read.
"""
from __future__ import annotations

import logging
import os

import discord
from discord import app_commands

from bot import workers
from bot.messages import error, user_ref

from . import commands as slash
from . import render
from .buttons import Binding, ButtonStore
from .respond import mention_text, reply_to_message, request_from_interaction, request_from_message, respond

log = logging.getLogger(__name__)

# discord.py sleeps through short rate limits itself; a longer one surfaces as
# discord.RateLimited so the scheduler, not the library, decides when to retry.
# 30 s is the smallest value discord.py accepts.
MAX_RATELIMIT_WAIT = 30.0
# Actions that only ever belong on a private reply, so their buttons are always bound to a user
# now; an unbound one is a public Delete button posted before buttons were bound, and must not
# delete whoever clicks it.
BOUND_ONLY = ("privacy:",)


class CoachMixin:
    """What our client adds to discord.Client / AutoShardedClient."""

    def _setup_coach(self, coach, senders: dict | None, guild_id: int | None, sync: bool) -> None:
        self.coach = coach
        self.senders = senders if senders is not None else {}
        self.buttons = ButtonStore(coach.db)
        self.sync_guild_id = guild_id
        self.sync_commands = sync
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error
        slash.register(self.tree)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(render.CoachButton)
        if not self.sync_commands:
            return
        try:
            if self.sync_guild_id:  # a test server: guild commands update at once
                guild = discord.Object(id=self.sync_guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
            else:  # global commands can take a while to appear everywhere
                synced = await self.tree.sync()
            log.info("synced %d slash commands%s", len(synced),
                     f" to guild {self.sync_guild_id}" if self.sync_guild_id else " globally")
        except discord.HTTPException as exc:  # the bot still answers buttons, mentions and DMs
            log.error("could not sync slash commands: %s", exc)

    # ------------------------------------------------------------- handling
    @property
    def admins(self) -> frozenset:
        return self.coach.config.admins

    async def run_command(self, interaction: discord.Interaction, text: str, slow: bool = False) -> None:
        if slow:  # answer within Discord's 3 s even if the work takes longer
            await interaction.response.defer(ephemeral=True, thinking=True)
        req = request_from_interaction(interaction, text=text, admins=self.admins)
        await respond(interaction, await workers.handle(self.coach, req), self.buttons, req)

    async def on_coach_button(self, interaction: discord.Interaction, token: str, label: str,
                              binding: Binding = Binding()) -> None:
        if binding.user and binding.user != str(interaction.user.id):
            await respond(interaction, [error(f"This button is for {user_ref(binding.user)}. Type the command "
                                              "yourself to get your own.")], self.buttons)
            return
        found = self.buttons.resolve(token)
        if found is None:
            await respond(interaction, [error("That button is no longer active. Type `help` to see what I can do.")],
                          self.buttons)
            return
        action, input_label = found
        if not binding.user and action.startswith(BOUND_ONLY):
            await respond(interaction, [error("That button has expired. Type the command again to get your own.")],
                          self.buttons)
            return
        if input_label:
            await interaction.response.send_modal(
                render.AnswerModal(self.buttons.modal_id(action, binding), title=label, input_label=input_label))
            return
        req = request_from_interaction(interaction, action=action, admins=self.admins, workspace=binding.workspace)
        await respond(interaction, await workers.handle(self.coach, req), self.buttons, req)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Modal submits are routed here by custom_id rather than by the in-memory Modal,
        # so an answer typed across a restart still arrives.
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        found = self.buttons.resolve_modal((interaction.data or {}).get("custom_id", ""))
        if found is None:
            return
        action, binding = found
        if binding.user and binding.user != str(interaction.user.id):  # only its clicker can submit a modal
            return
        req = request_from_interaction(interaction, text=render.modal_text(interaction.data), action=action,
                                       admins=self.admins, workspace=binding.workspace)
        await respond(interaction, await workers.handle(self.coach, req), self.buttons, req)

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None or message.author.id == self.user.id:
            return
        text = mention_text(message, self.user.id)
        if text is None:
            return
        req = request_from_message(message, text, admins=self.admins)
        await reply_to_message(message, await workers.handle(self.coach, req), self.buttons, req, self._slash_name(text))

    def _slash_name(self, text: str) -> str:
        """The slash command that does what ``text`` asked, if there is one."""
        name, _ = self.coach.parse(text)
        return name if name and self.tree.get_command(name) else ""

    async def _on_tree_error(self, interaction: discord.Interaction, exc: app_commands.AppCommandError) -> None:
        name = (interaction.data or {}).get("name", "")
        if isinstance(exc, (app_commands.CommandNotFound, app_commands.CommandSignatureMismatch)):
            # Discord still shows a command list from before an update (a global sync takes a while)
            log.warning("slash command /%s is not one this version has (%s)", name, type(exc).__name__)
            reply = error(f"`/{name}` changed in an update and Discord is still showing the old version — "
                          "type `/help` to see the current commands (reopening Discord refreshes the list).")
        elif isinstance(exc, app_commands.TransformerError):  # an option value this version can't read
            log.warning("slash command /%s: option value %r refused: %s", name, str(exc.value)[:80], exc)
            reply = error(f"I can't use '{str(exc.value)[:40]}' there; pick one of the options Discord offers "
                          "(if it offers none, reopening Discord refreshes the command).")
        else:
            log.error("slash command %s failed", interaction.command and interaction.command.name, exc_info=exc)
            reply = error("Sorry — something went wrong on my side handling that. Please try again in a moment.")
        try:
            await respond(interaction, [reply], self.buttons)
        except discord.HTTPException:
            pass


class CoachClient(CoachMixin, discord.Client):
    pass


class ShardedCoachClient(CoachMixin, discord.AutoShardedClient):
    pass


def _env_int(env, name: str) -> int | None:
    value = (env.get(name) or "").strip()
    return int(value) if value.isdigit() else None


class ShardSettingsError(ValueError):
    """DISCORD_SHARD_IDS / DISCORD_SHARD_COUNT can't be used; the message is one sentence for an operator."""


def shard_settings(env) -> tuple[bool, list[int] | None, int | None]:
    """(sharded, shard ids, shard count) from DISCORD_SHARDED, DISCORD_SHARD_COUNT and DISCORD_SHARD_IDS.

    ``DISCORD_SHARD_IDS=0,1`` with ``DISCORD_SHARD_COUNT=4`` runs shards 0 and 1 of 4 in this process
    (another process runs 2,3): discord.py's AutoShardedClient(shard_ids=…, shard_count=…), which needs
    the count to place the ids. Each shard carries its own servers' gateway events; posting is REST and
    needs no shard, so any process's scheduler may post to any server."""
    count_text = (env.get("DISCORD_SHARD_COUNT") or "").strip()
    ids_text = (env.get("DISCORD_SHARD_IDS") or "").strip()
    count = None
    if count_text:
        if not count_text.isdigit() or int(count_text) < 1:
            raise ShardSettingsError(f"DISCORD_SHARD_COUNT must be a whole number of shards, 1 or more, "
                                     f"not '{count_text}'.")
        count = int(count_text)
    ids = None
    if ids_text:
        parts = [p.strip() for p in ids_text.split(",")]
        bad = [p for p in parts if not p.isdigit()]
        if bad:
            raise ShardSettingsError(f"DISCORD_SHARD_IDS must be shard numbers separated by commas (like 0,1), "
                                     f"and '{bad[0]}' is not one.")
        if count is None:
            raise ShardSettingsError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT too: the total number of shards "
                                     "across all processes (each process runs the ids it is given).")
        ids = sorted({int(p) for p in parts})
        if ids[-1] >= count:
            raise ShardSettingsError(f"DISCORD_SHARD_IDS has shard {ids[-1]}, but with DISCORD_SHARD_COUNT={count} "
                                     f"the shards are numbered 0 to {count - 1}.")
    sharded = env.get("DISCORD_SHARDED", "").strip() in ("1", "true", "yes") or bool(count)
    return sharded, ids, count


def build_client(coach, senders: dict | None = None, *, env=None, guild_id: int | None = None,
                 sharded: bool | None = None, shard_count: int | None = None, sync: bool | None = None,
                 **options) -> discord.Client:
    """A ready-to-start client. Settings not passed come from the environment:
    DISCORD_GUILD_ID (sync commands to one server), DISCORD_SHARDED=1 / DISCORD_SHARD_COUNT
    (AutoShardedClient), DISCORD_SHARD_IDS (this process's shards of the count), DISCORD_SYNC=0
    (skip command sync at start). Raises ShardSettingsError on shard settings it can't use."""
    env = os.environ if env is None else env
    guild_id = guild_id if guild_id is not None else _env_int(env, "DISCORD_GUILD_ID")
    env_sharded, shard_ids, env_count = shard_settings(env)
    shard_count = shard_count if shard_count is not None else env_count
    if sharded is None:
        sharded = env_sharded or bool(shard_count)
    if sync is None:
        sync = env.get("DISCORD_SYNC", "1").strip() not in ("0", "false", "no")
    options.setdefault("intents", discord.Intents.default())
    # Text from users is echoed back (questions, answers): never let it ping anyone.
    options.setdefault("allowed_mentions", discord.AllowedMentions.none())
    options.setdefault("max_ratelimit_timeout", MAX_RATELIMIT_WAIT)
    if sharded:
        if shard_count:
            options.setdefault("shard_count", shard_count)
        if shard_ids is not None:
            options.setdefault("shard_ids", shard_ids)
        client = ShardedCoachClient(**options)
    else:
        client = CoachClient(**options)
    client._setup_coach(coach, senders, guild_id, sync)
    return client
