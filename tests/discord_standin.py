"""A stand-in for Discord's HTTP API on 127.0.0.1, for the Discord adapter tests.

discord.py builds every URL from ``discord.http.Route.BASE`` (the library's own
constant); pointing it here sends logins, command syncs, interaction callbacks,
follow-ups and channel messages to this recorder. It answers with payloads shaped like
Discord's, remembers message nonces the way ``enforce_nonce`` does, and can be told to
fail the next matching request (``fail_next``) to exercise error handling.

Also builds the gateway's INTERACTION_CREATE payloads that tests feed to the client.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
from dataclasses import dataclass, field

from aiohttp import web

APP_ID = 700000000000000001
BOT_ID = 700000000000000002
GUILD_ID = 800000000000000001
CHANNEL_ID = 800000000000000002
DM_CHANNEL_ID = 800000000000000003
TOKEN = "test-token"

PERM_MANAGE_CHANNELS = 1 << 4
PERM_ADMINISTRATOR = 1 << 3
PERM_VIEW_SEND = (1 << 10) | (1 << 11)


def user_payload(user_id: int, name: str, bot: bool = False) -> dict:
    return {"id": str(user_id), "username": name, "global_name": name.title(), "discriminator": "0",
            "avatar": None, "bot": bot}


def _json(data, status: int = 200, headers: dict | None = None) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly application/json.
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={**(headers or {}), "Content-Type": "application/json"})


@dataclass
class Call:
    method: str
    path: str
    query: dict
    body: dict | None

    @property
    def data(self) -> dict:
        """An interaction callback's message data, or a message body."""
        body = self.body or {}
        return body.get("data", body) or {}


@dataclass
class StandIn:
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    failures: list[tuple[str, re.Pattern, int, dict, dict]] = field(default_factory=list)
    nonces: dict[tuple[str, str], dict] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(900000000000000001))
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    gateway_ops: list[dict] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    def fail_next(self, method: str, path_regex: str, status: int, body: dict | None = None,
                  headers: dict | None = None) -> None:
        self.failures.append((method, re.compile(path_regex), status, body or {}, headers or {}))

    def find(self, method: str, path_regex: str) -> list[Call]:
        pattern = re.compile(path_regex)
        return [c for c in self.calls if c.method == method and pattern.fullmatch(c.path)]

    async def wait_for(self, method: str, path_regex: str, count: int = 1, timeout: float = 3.0) -> list[Call]:
        async def until():
            while len(found := self.find(method, path_regex)) < count:
                self.changed.clear()
                await self.changed.wait()
            return found

        return await asyncio.wait_for(until(), timeout)

    # ------------------------------------------------------------ server
    def message(self, channel_id: str, body: dict, author: dict | None = None) -> dict:
        return {
            "id": str(next(self.ids)), "channel_id": str(channel_id), "type": 0,
            "author": author or user_payload(BOT_ID, "coach", bot=True),
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "nonce": body.get("nonce"),
            "flags": body.get("flags", 0) or 0, "timestamp": "2026-11-23T09:00:00+00:00",
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "attachments": [], "pinned": False,
        }

    async def handle(self, request: web.Request) -> web.Response:
        path = request.path[len("/api/v10"):]
        body = None
        if request.content_type.startswith("multipart/"):  # a message with files: payload_json + files[n]
            body, files = {}, []
            async for part in await request.multipart():
                if part.name == "payload_json":
                    body.update(json.loads(await part.text()))
                else:
                    files.append({"filename": part.filename, "content": (await part.read()).decode()})
            body["_files"] = files
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        self.calls.append(Call(request.method, path, dict(request.query), body))
        self.changed.set()
        for i, (method, pattern, status, fail_body, headers) in enumerate(self.failures):
            if method == request.method and pattern.fullmatch(path):
                del self.failures[i]
                return _json(fail_body, status=status, headers=headers)
        return self.answer(request.method, path, body or {})

    def answer(self, method: str, path: str, body: dict) -> web.Response:
        if (method, path) == ("GET", "/users/@me"):
            return _json(user_payload(BOT_ID, "coach", bot=True))
        if (method, path) == ("GET", "/oauth2/applications/@me"):
            return _json({"id": str(APP_ID), "name": "PM Coach", "description": "", "icon": None,
                                      "bot_public": True, "bot_require_code_grant": False, "verify_key": "0",
                                      "owner": user_payload(1, "owner"), "flags": 0})
        if method == "PUT" and re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", path):
            return _json([{**c, "id": str(next(self.ids)), "application_id": str(APP_ID),
                                       "version": "1", "default_member_permissions": None} for c in body])
        if (method, path) == ("GET", "/gateway/bot"):  # sharded clients ask how many shards to run
            return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})
        if (method, path) == ("POST", "/users/@me/channels"):
            return _json({"id": str(DM_CHANNEL_ID), "type": 1,
                                      "recipients": [user_payload(int(body["recipient_id"]), "someone")]})
        if m := re.fullmatch(r"/channels/(\d+)/messages", path):
            if method == "POST":
                key = (m[1], str(body.get("nonce")))
                if body.get("enforce_nonce") and key in self.nonces:  # what Discord does with enforce_nonce
                    return _json(self.nonces[key])
                sent = self.message(m[1], body)
                self.nonces[key] = sent
                return _json(sent)
        if m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", path):
            return _json({"id": m[2], "type": 11, "guild_id": str(GUILD_ID), "parent_id": m[1],
                                      "name": body.get("name", ""), "owner_id": str(BOT_ID),
                                      "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                                          "archive_timestamp": "2026-11-23T09:00:00+00:00",
                                                          "locked": False}})
        if m := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            kind = body.get("type")
            result = {"interaction": {"id": m[1], "type": 2, "response_message_loading": kind == 5,
                                      "response_message_ephemeral": bool((body.get("data") or {}).get("flags", 0) & 64)}}
            if kind == 4:
                sent = self.message(str(CHANNEL_ID), body.get("data") or {})
                result["interaction"]["response_message_id"] = sent["id"]
                result["resource"] = {"type": 4, "message": sent}
            else:
                result["resource"] = {"type": kind}
            return _json(result)
        if re.fullmatch(r"/webhooks/\d+/[^/]+", path) and method == "POST":
            return _json(self.message(str(CHANNEL_ID), body))
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        """Just enough of the gateway for a client to connect: HELLO, then READY on IDENTIFY."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None}))
        async for frame in ws:
            sent = json.loads(frame.data)
            self.gateway_ops.append(sent)
            self.changed.set()
            if sent["op"] == 2:  # IDENTIFY
                ready = {"v": 10, "user": user_payload(BOT_ID, "coach", bot=True), "guilds": [], "session_id": "s1",
                         "resume_gateway_url": self.gateway_url, "application": {"id": str(APP_ID), "flags": 0}}
                if "shard" in sent["d"]:
                    ready["shard"] = sent["d"]["shard"]
                await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": 1, "d": ready}))
        return ws

    async def wait_for_op(self, op: int, timeout: float = 3.0) -> dict:
        async def until():
            while not (found := [o for o in self.gateway_ops if o["op"] == op]):
                self.changed.clear()
                await self.changed.wait()
            return found[0]

        return await asyncio.wait_for(until(), timeout)

    async def start(self) -> "StandIn":
        app = web.Application()
        app.router.add_get("/gateway", self.gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()


# ------------------------------------------------------------ interaction payloads
_interaction_ids = itertools.count(600000000000000001)


def interaction_payload(kind: int, data: dict, *, user_id: int = 111, name: str = "alice",
                        guild: bool = True, permissions: int = PERM_VIEW_SEND, message: dict | None = None) -> dict:
    """An INTERACTION_CREATE as the gateway delivers it: type 2 command, 3 component,
    4 autocomplete, 5 modal submit; in a server text channel or in a DM."""
    iid = next(_interaction_ids)
    payload = {"id": str(iid), "application_id": str(APP_ID), "type": kind, "token": f"tok{iid}", "version": 1,
               "data": data, "locale": "en-US", "app_permissions": str(PERM_VIEW_SEND),
               "attachment_size_limit": 8 * 1024 * 1024, "entitlements": [], "authorizing_integration_owners": {}}
    user = user_payload(user_id, name)
    if guild:
        payload.update(
            guild_id=str(GUILD_ID), guild_locale="en-US", context=0,
            channel_id=str(CHANNEL_ID),
            channel={"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "team", "position": 0,
                     "permission_overwrites": [], "nsfw": False, "parent_id": None},
            member={"user": user, "roles": [], "joined_at": "2026-01-01T00:00:00+00:00", "deaf": False,
                    "mute": False, "flags": 0, "nick": None, "permissions": str(permissions)})
    else:
        payload.update(context=1, channel_id=str(DM_CHANNEL_ID), user=user,
                       channel={"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [user]})
    if message is not None:
        payload["message"] = message
    return payload


def command_payload(name: str, options: dict | None = None, focused: str | None = None, **kw) -> dict:
    opts = [{"name": k, "type": 3, "value": v, **({"focused": True} if k == focused else {})}
            for k, v in (options or {}).items()]
    data = {"id": "500000000000000001", "name": name, "type": 1, "options": opts}
    return interaction_payload(4 if focused else 2, data, **kw)


def click_payload(message: dict, custom_id: str, **kw) -> dict:
    return interaction_payload(3, {"custom_id": custom_id, "component_type": 2}, message=message, **kw)


def modal_payload(custom_id: str, text: str, **kw) -> dict:
    data = {"custom_id": custom_id,
            "components": [{"type": 1, "components": [{"type": 4, "custom_id": "answer", "value": text}]}]}
    return interaction_payload(5, data, **kw)


# ------------------------------------------------------------ fixtures (imported by the test modules)
import discord  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
async def standin(monkeypatch):
    import yarl

    server = await StandIn().start()
    # The library's own endpoints; nothing leaves 127.0.0.1.
    monkeypatch.setattr(discord.http.Route, "BASE", server.base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
    yield server
    await server.stop()


@pytest.fixture
async def discord_client(coach, standin):
    from adapters.discord.client import build_client

    client = build_client(coach, {}, env={})
    await client.login(TOKEN)  # runs setup_hook: dynamic items, command sync
    yield client
    await client.close()


def guild_create_payload(everyone_permissions: int = PERM_VIEW_SEND) -> dict:
    """GUILD_CREATE for one server with one text channel, as the gateway sends it."""
    return {"id": str(GUILD_ID), "name": "PM Guild", "owner_id": "1", "icon": None, "splash": None,
            "discovery_splash": None, "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0, "features": [],
            "emojis": [], "stickers": [], "member_count": 2, "members": [], "voice_states": [], "presences": [],
            "threads": [], "stage_instances": [], "guild_scheduled_events": [], "premium_tier": 0,
            "preferred_locale": "en-US", "nsfw_level": 0, "premium_progress_bar_enabled": False,
            "system_channel_id": None, "system_channel_flags": 0, "rules_channel_id": None,
            "public_updates_channel_id": None, "vanity_url_code": None, "description": None, "banner": None,
            "large": False, "unavailable": False, "application_id": None,
            "roles": [{"id": str(GUILD_ID), "name": "@everyone", "permissions": str(everyone_permissions),
                       "position": 0, "color": 0, "hoist": False, "managed": False, "mentionable": False}],
            "channels": [{"id": str(CHANNEL_ID), "type": 0, "name": "team", "position": 0,
                          "permission_overwrites": [], "nsfw": False, "parent_id": None}]}


def message_create_payload(content: str, *, guild: bool = True, user_id: int = 111, name: str = "alice",
                           bot: bool = False, mentions: list[dict] | None = None) -> dict:
    """MESSAGE_CREATE for a user's message in the server channel or in a DM."""
    author = user_payload(user_id, name, bot=bot)
    payload = {"id": str(next(_interaction_ids)), "channel_id": str(CHANNEL_ID if guild else DM_CHANNEL_ID),
               "author": author, "content": content, "type": 0, "timestamp": "2026-11-23T09:00:00+00:00",
               "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": mentions or [],
               "mention_roles": [], "attachments": [], "embeds": [], "pinned": False, "flags": 0}
    if guild:
        payload["guild_id"] = str(GUILD_ID)
        payload["member"] = {"roles": [], "joined_at": "2026-01-01T00:00:00+00:00", "deaf": False, "mute": False,
                             "flags": 0, "nick": None}
    return payload
