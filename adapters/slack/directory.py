"""What the adapter asks Slack about people and conversations, cached briefly per workspace:
channel membership (only to change a channel's subscription), display names, and which DM
is the bot's own with a person."""
from __future__ import annotations

import logging

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from .sender import api_error

log = logging.getLogger(__name__)

# conversations.members answers this for a private channel the bot is not in (and for a DM
# between other people): we cannot see who is there.
_NOT_VISIBLE = frozenset({"channel_not_found", "not_in_channel", "method_not_supported_for_channel_type"})


def looks_like_dm(channel: str, channel_name: str = "") -> bool:
    """A 1:1 DM of some kind: the bot's own, or one between two people (which the bot is not in)."""
    return channel.startswith("D") or channel_name == "directmessage"


class Directory:
    def __init__(self, members_ttl: float = 60.0, names_ttl: float = 3600.0, dm_ttl: float = 86400.0):
        self.members: TTLCache = TTLCache(maxsize=500, ttl=members_ttl)
        self.names: TTLCache = TTLCache(maxsize=5000, ttl=names_ttl)
        self.dms: TTLCache = TTLCache(maxsize=5000, ttl=dm_ttl)  # a person's DM with the bot never changes id

    async def is_member(self, client: AsyncWebClient, team: str, channel: str, user: str) -> bool | None:
        """Whether ``user`` is in ``channel``; None when the bot cannot see the channel's members
        (a private channel it has not been invited to)."""
        cached = self.members.get((team, channel))
        if cached is not None and user in cached:
            return True
        # Not in the cached set: the user may have just joined, so look again.
        found: set[str] = set()
        cursor = None
        try:
            while True:
                response = await client.conversations_members(channel=channel, limit=1000, cursor=cursor)
                found.update(response.get("members") or [])
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as exc:
            error = api_error(exc)
            log.info("conversations.members %s/%s failed: %s", team, channel, error)
            return None if error in _NOT_VISIBLE else False
        self.members[(team, channel)] = frozenset(found)
        return user in found

    async def name(self, client: AsyncWebClient, team: str, user: str) -> str:
        cached = self.names.get((team, user))
        if cached is not None:
            return cached
        try:
            response = await client.users_info(user=user)
        except SlackApiError as exc:
            log.info("users.info %s/%s failed: %s", team, user, api_error(exc))
            return ""
        info = response.get("user") or {}
        profile = info.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or info.get("real_name") or info.get("name") or ""
        self.names[(team, user)] = name
        return name

    async def bot_dm(self, client: AsyncWebClient, team: str, user: str) -> str:
        """The id of the bot's own DM with ``user`` ("" when Slack won't open one)."""
        cached = self.dms.get((team, user))
        if cached:
            return cached
        try:
            opened = await client.conversations_open(users=user)
        except SlackApiError as exc:
            log.info("conversations.open %s/%s failed: %s", team, user, api_error(exc))
            return ""
        channel = (opened.get("channel") or {}).get("id") or ""
        if channel:
            self.dms[(team, user)] = channel
        return channel

    async def is_bot_dm(self, client: AsyncWebClient, team: str, channel: str, user: str,
                        channel_name: str = "") -> bool:
        """True only for the bot's own DM with ``user``. Slack calls every 1:1 DM "directmessage"
        with a D… id, including one between two people, so ask which DM is ours."""
        if not looks_like_dm(channel, channel_name):
            return False
        return channel == await self.bot_dm(client, team, user)
