"""The Slack adapter end to end: signed requests into the real Bolt AsyncApp served over
aiohttp on 127.0.0.1, the real Coach on a real SQLite file, and a loopback stand-in
for the Slack Web API that records every call (and can answer 429 or an error)."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
from urllib.parse import parse_qs, urlencode

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from adapters import slack as slack_adapter
from adapters.slack import render
from adapters.slack.app import build_app
from adapters.slack.sender import SlackSender, make_client
from bot import practice
from bot.delivery import PermanentError, RateLimited, Target, TransientError
from bot.messages import Button, Reply

SECRET = "test-signing-secret"
TEAM, BOT_USER = "T1", "UBOT"


class SlackStandIn:
    """An aiohttp app on loopback answering the Web API methods the adapter uses."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.members: dict[str, list[str]] = {}
        self.failures: dict[str, list[tuple[int, dict, dict]]] = {}
        self._ts = itertools.count(1)
        self._changed = asyncio.Event()
        self.url = ""
        self.envelopes: list[dict] = []
        self.private: set[str] = set()  # private channels the bot is not in
        self.uploads: dict[str, dict] = {}  # file id -> what files.getUploadURLExternal was told, and the bytes
        self._file_ids = itertools.count(1)

    def fail(self, method: str, status: int = 200, error: str = "", headers: dict | None = None, times: int = 1):
        body = {"ok": False, "error": error or "ratelimited"}
        self.failures.setdefault(method, []).extend([(status, body, headers or {})] * times)

    def called(self, method: str) -> list[dict]:
        return [params for name, params in self.calls if name == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.called(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} called {len(self.called(method))}x, wanted {count}: {self.calls}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), 0.05)
            except asyncio.TimeoutError:
                pass
        return self.called(method)

    async def settle(self, seconds: float = 0.2) -> None:
        """Give background listeners time to make calls they should not make."""
        await asyncio.sleep(seconds)

    def _record(self, method: str, params: dict) -> None:
        self.calls.append((method, params))
        self._changed.set()

    async def _params(self, request: web.Request) -> dict:
        params = dict(request.query)  # some methods (users.info, conversations.members) are GETs
        raw = await request.read()
        if request.content_type == "application/json":
            params.update(json.loads(raw or b"{}"))
        else:
            params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        return params

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        for key in ("blocks", "view"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        params["_auth"] = request.headers.get("Authorization", "")
        self._record(method, params)
        pending = self.failures.get(method)
        if pending:
            status, body, headers = pending.pop(0)
            return web.json_response(body, status=status, headers=headers)
        return web.json_response(self.answer(method, params))

    @staticmethod
    def bot_dm(user: str) -> str:
        """The bot's own DM with a user (what conversations.open answers): U42 -> D42."""
        return "D" + user[1:]

    def reachable(self, channel: str) -> bool:
        """Slack answers channel_not_found for a conversation the bot is not part of: a DM between
        two other people, or a private channel nobody invited it to."""
        if channel.startswith("D"):
            return channel[1:].isdigit()
        return channel not in self.private

    @staticmethod
    def blocks_problem(blocks) -> str:
        """What real Slack refuses in a message's blocks (the limits render.py must keep)."""
        if not isinstance(blocks, list):
            return ""
        if len(blocks) > 50:
            return "invalid_blocks"
        total = 0
        for block in blocks:
            texts = []
            if "text" in block:
                texts.append(block["text"]["text"])
            texts += [f["text"] for f in block.get("fields", [])]
            texts += [e["text"]["text"] if isinstance(e.get("text"), dict) else e.get("text", "")
                      for e in block.get("elements", [])]
            if block["type"] == "section" and any(len(t) > 3000 for t in texts[:1]):
                return "invalid_blocks"
            total += sum(len(t) for t in texts)
        return "msg_blocks_too_long" if total > 12_000 else ""

    def answer(self, method: str, params: dict) -> dict:
        ts = f"1700000000.{next(self._ts):06d}"
        if method in ("chat.postMessage", "chat.postEphemeral", "conversations.members", "conversations.info"):
            if not self.reachable(params.get("channel", "")):
                return {"ok": False, "error": "channel_not_found"}
            if problem := self.blocks_problem(params.get("blocks")):
                return {"ok": False, "error": problem}
        if method == "files.getUploadURLExternal":
            if not params.get("filename") or not str(params.get("length", "")).isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{next(self._file_ids):04d}"
            self.uploads[file_id] = {"filename": params["filename"], "length": int(params["length"]), "data": None}
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = json.loads(params.get("files") or "[]")
            channel = params.get("channel_id", "")
            if channel and not self.reachable(channel):
                return {"ok": False, "error": "channel_not_found"}
            shared = []
            for item in files:
                upload = self.uploads.get(item.get("id"))
                if upload is None or upload["data"] is None or len(upload["data"]) != upload["length"]:
                    return {"ok": False, "error": "file_upload_failed"}
                upload.update(channel=channel, title=item.get("title"), thread_ts=params.get("thread_ts"),
                              initial_comment=params.get("initial_comment"), shared=True)
                shared.append({"id": item["id"], "name": upload["filename"], "title": item.get("title")})
            return {"ok": True, "files": shared}
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": TEAM, "team": "Test",
                    "url": "https://test.slack.com/"}
        if method == "chat.postMessage":
            return {"ok": True, "channel": params.get("channel"), "ts": ts}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "views.open":
            return {"ok": True, "view": {"id": "V1"}}
        if method == "views.publish":  # real Slack: a Home view of at most 100 blocks, for one user
            view = params.get("view") or {}
            if view.get("type") != "home" or len(view.get("blocks", [])) > 100 or not params.get("user_id"):
                return {"ok": False, "error": "invalid_arguments"}
            return {"ok": True, "view": {"id": "VH", "type": "home"}}
        if method == "conversations.members":
            return {"ok": True, "members": self.members.get(params.get("channel"), []),
                    "response_metadata": {"next_cursor": ""}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": self.bot_dm(params.get("users", ""))}}
        if method == "oauth.v2.access":
            return {"ok": True, "app_id": "A1", "authed_user": {"id": "U1"}, "scope": "chat:write,commands",
                    "token_type": "bot", "access_token": "xoxb-team-two", "bot_user_id": "UB2",
                    "team": {"id": "T2", "name": "Two"}, "enterprise": None, "is_enterprise_install": False}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url.replace("http://", "ws://") + "/link"}
        if method == "users.info":
            user = params.get("user", "")
            return {"ok": True, "user": {"id": user, "name": user.lower(),
                                         "profile": {"display_name": f"{user} Display"}}}
        return {"ok": False, "error": "unknown_method"}

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, push the queued envelopes, record the acks."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {}, "connection_info": {}})
        for envelope in self.envelopes:
            await ws.send_json(envelope)
        async for frame in ws:
            if frame.type == aiohttp.WSMsgType.TEXT:
                self._record("socket_ack", json.loads(frame.data))
        return ws

    async def respond(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        self._record("response_url", body)
        if problem := self.blocks_problem(body.get("blocks")):
            return web.Response(status=400, text=problem)
        return web.Response(text="ok")

    async def upload(self, request: web.Request) -> web.Response:
        """The upload_url: raw bytes, once, before files.completeUploadExternal."""
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404)
        upload["data"] = await request.read()
        self._record("upload", {"file_id": request.match_info["file_id"]})
        return web.Response(text="OK - " + str(len(upload["data"])))

    def shared_files(self) -> list[dict]:
        return [dict(u, id=i) for i, u in self.uploads.items() if u.get("shared")]


@pytest.fixture
async def standin():
    stub = SlackStandIn()
    web_app = web.Application()
    web_app.router.add_route("*", "/api/{method}", stub.api)
    web_app.router.add_post("/respond/{id}", stub.respond)
    web_app.router.add_get("/link", stub.socket)
    web_app.router.add_post("/upload/{file_id}", stub.upload)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    stub.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield stub
    await runner.cleanup()


@pytest.fixture
async def slack(coach, standin):
    """The real Bolt app for the real coach, listening on a loopback port."""
    client = make_client("xoxb-test", base_url=standin.url + "/api/")
    app = build_app(coach, client=client, signing_secret=SECRET)
    runner = await slack_adapter.start_http(app, port=0, host="127.0.0.1")
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    async with aiohttp.ClientSession() as session:
        yield SlackClient(session, url, standin)
    await runner.cleanup()


class SlackClient:
    """Plays Slack: signs and posts payloads to the app's /slack/events."""

    def __init__(self, session, url, standin):
        self.session, self.url, self.standin = session, url, standin

    async def post(self, body: str, content_type: str, *, timestamp: int | None = None,
                   signature: str | None = None) -> aiohttp.ClientResponse:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sig = signature or SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
        headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig, "Content-Type": content_type}
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            await response.read()
            return response

    async def command(self, text: str, *, user="U1", channel="C1", channel_name="general", **kw):
        form = {"token": "x", "team_id": TEAM, "team_domain": "test", "channel_id": channel,
                "channel_name": channel_name, "user_id": user, "user_name": kw.get("user_name", user.lower()),
                "command": "/coach", "text": text, "api_app_id": "A1", "trigger_id": "1.2.3",
                "response_url": f"{self.standin.url}/respond/cmd"}
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")

    async def interaction(self, payload: dict):
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    async def click(self, button: dict, *, user="U1", channel="C1", blocks=(), ephemeral=False):
        payload = {
            "type": "block_actions", "team": {"id": TEAM, "domain": "test"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
            "api_app_id": "A1", "token": "x", "trigger_id": "trig-1",
            "container": {"type": "message", "message_ts": "1.1", "channel_id": channel, "is_ephemeral": ephemeral},
            "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else "general"},
            "response_url": f"{self.standin.url}/respond/click",
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b1",
                         "value": button["value"], "text": button["text"], "action_ts": "1.2"}],
        }
        if not ephemeral:
            payload["message"] = {"type": "message", "ts": "1.1", "text": "x", "blocks": list(blocks)}
        return await self.interaction(payload)

    async def event(self, event: dict, *, event_id: str = "Ev1", team: str = TEAM):
        body = {"token": "x", "team_id": team, "api_app_id": "A1", "type": "event_callback",
                "event_id": event_id, "event_time": int(time.time()), "event": event,
                "authorizations": [{"team_id": team, "user_id": BOT_USER, "is_bot": True}]}
        return await self.post(json.dumps(body), "application/json")


def buttons_of(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def section_text(blocks: list[dict]) -> str:
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)


# ---------------------------------------------------------------- signatures

async def test_forged_or_stale_signatures_are_rejected(slack):
    response = await slack.post("command=/coach&text=help", "application/x-www-form-urlencoded",
                                signature="v0=" + "0" * 64)
    assert response.status == 401
    body = urlencode({"command": "/coach", "text": "help", "team_id": TEAM, "user_id": "U1"})
    old = int(time.time()) - 10 * 60  # correctly signed, but replayed ten minutes later
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{old}:{body}".encode(), hashlib.sha256).hexdigest()
    response = await slack.post(body, "application/x-www-form-urlencoded", timestamp=old, signature=signature)
    assert response.status == 401
    await slack.standin.settle(0.1)
    assert slack.standin.calls == []


# ---------------------------------------------------------------- slash command

async def test_slash_command_acks_then_answers_through_response_url(slack):
    response = await slack.command("help", channel="C1")
    assert response.status == 200
    [posted] = await slack.standin.wait_for("response_url")
    assert posted["response_type"] == "in_channel"
    assert posted["replace_original"] is False
    assert posted["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "PM Coach", "emoji": True}}
    assert "`timezone [Area/City]`" in section_text(posted["blocks"])
    assert "*PM Coach*" in posted["text"]  # the fallback text, in Slack's bold


async def test_slash_command_reaches_the_coach_as_that_user_in_that_workspace(slack, coach):
    await slack.command("timezone Europe/Berlin", user="U7", channel="C1", user_name="bob")
    [posted] = await slack.standin.wait_for("response_url")
    assert "*Europe/Berlin*" in posted["text"]
    row = coach.db.execute("SELECT name, tz FROM users WHERE platform='slack' AND workspace=? AND user='U7'",
                           [TEAM]).fetchone()
    assert row == ("U7 Display", "Europe/Berlin")  # the display name from users.info, not the handle


async def test_errors_are_private_in_channels_and_dms_need_no_membership_check(slack):
    await slack.command("timezone Mars/Olympus", user="U1", channel="C1")
    [posted] = await slack.standin.wait_for("response_url")
    assert posted["response_type"] == "ephemeral"
    await slack.command("timezone Mars/Olympus", user="U8", channel=SlackStandIn.bot_dm("U8"),
                        channel_name="directmessage")
    posted = (await slack.standin.wait_for("response_url", count=2))[1]
    assert posted["response_type"] == "in_channel"  # in the bot's DM there is nobody to hide it from
    assert slack.standin.called("conversations.members") == []


async def test_response_url_failure_falls_back_to_the_web_api(slack, coach):
    # An expired response_url: the answer still arrives through chat.postMessage.
    form = {"team_id": TEAM, "channel_id": "C5", "channel_name": "team", "user_id": "U1", "user_name": "u1",
            "command": "/coach", "text": "help", "response_url": slack.standin.url + "/gone"}
    await slack.post(urlencode(form), "application/x-www-form-urlencoded")
    [posted] = await slack.standin.wait_for("chat.postMessage")
    assert posted["channel"] == "C5" and posted["blocks"][0]["type"] == "header"


# ---------------------------------------------------------------- events

async def test_app_mention_is_a_question_answered_in_channel(slack):
    response = await slack.event({"type": "app_mention", "user": "U2", "text": f"<@{BOT_USER}> what is an F1 score?",
                                  "ts": "1.5", "channel": "C9", "team": TEAM})
    assert response.status == 200
    [posted] = await slack.standin.wait_for("chat.postMessage")
    assert posted["channel"] == "C9"
    blocks = posted["blocks"]
    context = [b for b in blocks if b["type"] == "context"]
    assert context and context[0]["elements"][0]["text"].startswith("From: ")
    labels = [b["text"]["text"] for b in buttons_of(blocks)]
    assert "👍" in labels and "👎" in labels
    # A mention proves channel membership, so no conversations.members call; the name is looked up once.
    assert slack.standin.called("conversations.members") == []
    assert [c["user"] for c in slack.standin.called("users.info")] == ["U2"]


async def test_mention_in_a_thread_is_answered_in_that_thread(slack):
    await slack.event({"type": "app_mention", "user": "U2", "text": f"<@{BOT_USER}> help", "ts": "1.6",
                       "thread_ts": "1.0", "channel": "C9"})
    [posted] = await slack.standin.wait_for("chat.postMessage")
    assert posted["thread_ts"] == "1.0"


async def test_a_reply_in_a_team_drills_thread_is_a_private_answer_counted_after_the_reveal(slack, coach, clock):
    from datetime import datetime, timezone

    from bot.scheduler import DailyScheduler
    from conftest import make_request

    async def no_sleep(seconds):
        return None

    utc = timezone.utc
    clock.set(datetime(2026, 11, 24, 8, tzinfo=utc))  # a Tuesday: no digest
    [sub] = coach.handle(make_request("subscribe here at 9am tz UTC", platform="slack", channel="C9", user="U1"))
    assert sub.kind == "subscription", sub.text
    scheduler = DailyScheduler(coach, {"slack": SlackSender(make_client("xoxb-test", base_url=slack.standin.url
                                                                        + "/api/"))}, sleep=no_sleep)
    assert (await scheduler.run_due(clock.set(datetime(2026, 11, 24, 9, tzinfo=utc)))).sent == 1
    [daily] = slack.standin.called("chat.postMessage")
    post_id, ts = coach.db.execute("SELECT post_id, message_ref FROM deliveries WHERE kind = 'daily'").fetchone()
    assert ts and daily["channel"] == "C9"
    # an open drill: outside its thread, plain text in a channel would be a question, not an answer
    drill = sorted((d for d in coach.library.drills.values() if d.type == "open"), key=lambda d: d.id)[0]
    coach.db.execute("UPDATE practice_posts SET drill_id = ? WHERE id = ?", [drill.id, post_id])

    await slack.event({"type": "app_mention", "user": "U2", "text": f"<@{BOT_USER}> {drill.model_answer}",
                       "ts": "1.7", "thread_ts": ts, "channel": "C9"})
    [result] = await slack.standin.wait_for("chat.postEphemeral")
    assert result["user"] == "U2" and result["thread_ts"] == ts and "/100" in result["text"]
    await slack.standin.settle(0.1)
    assert len(slack.standin.called("chat.postMessage")) == 1  # nothing public before the reveal
    [(user, attempt_post, score)] = coach.db.execute("SELECT user, post_id, score FROM practice_attempts").fetchall()
    assert (user, attempt_post) == ("U2", post_id) and score >= 60

    assert (await scheduler.run_due(clock.set(datetime(2026, 11, 24, 17, tzinfo=utc)))).sent == 1  # the reveal
    [board] = coach.handle(make_request("leaderboard", platform="slack", channel="C9", user="U1"))
    assert f"{(score + 5) // 10} pts" in dict(board.fields)["All time"]


async def test_direct_message_is_answered_in_the_dm(slack, coach):
    await slack.event({"type": "message", "channel_type": "im", "user": "U3", "text": "help",
                       "ts": "2.1", "channel": "D3"})
    [posted] = await slack.standin.wait_for("chat.postMessage")
    assert posted["channel"] == "D3"
    name = coach.db.execute("SELECT name FROM users WHERE user='U3'").fetchone()[0]
    assert name == "U3 Display"


IGNORED = [
    {"type": "message", "channel_type": "im", "subtype": "message_changed", "channel": "D3", "ts": "3.1",
     "message": {"user": "U3", "text": "help"}},
    {"type": "message", "channel_type": "im", "subtype": "channel_join", "user": "U3", "channel": "D3",
     "ts": "3.2", "text": "joined"},
    {"type": "message", "channel_type": "im", "bot_id": "BOTHER", "user": "U9", "channel": "D3", "ts": "3.3",
     "text": "help"},
    {"type": "message", "channel_type": "im", "bot_id": "BBOT", "user": BOT_USER, "channel": "D3", "ts": "3.4",
     "text": "help"},
    {"type": "message", "channel_type": "channel", "user": "U3", "channel": "C3", "ts": "3.5", "text": "help"},
]


async def test_edits_joins_bots_and_channel_chatter_are_ignored(slack):
    for n, event in enumerate(IGNORED):
        response = await slack.event(event, event_id=f"Ev{n}")
        assert response.status == 200
    # one answered DM afterwards proves the listener was alive all along
    await slack.event({"type": "message", "channel_type": "im", "user": "U3", "text": "help", "ts": "3.9",
                       "channel": "D3"}, event_id="EvLast")
    [posted] = await slack.standin.wait_for("chat.postMessage")
    await slack.standin.settle()
    assert len(slack.standin.called("chat.postMessage")) == 1 and posted["channel"] == "D3"
    assert slack.standin.called("chat.postEphemeral") == []


async def test_a_redelivered_event_is_answered_once(slack):
    event = {"type": "message", "channel_type": "im", "user": "U3", "text": "help", "ts": "2.5", "channel": "D3"}
    await slack.event(event, event_id="EvSame")
    await slack.event(event, event_id="EvSame")
    await slack.standin.wait_for("chat.postMessage")
    await slack.standin.settle()
    assert len(slack.standin.called("chat.postMessage")) == 1


async def test_a_429_from_slack_is_retried_and_the_answer_arrives(slack):
    slack.standin.fail("chat.postMessage", status=429, headers={"Retry-After": "0"})
    await slack.event({"type": "message", "channel_type": "im", "user": "U3", "text": "help",
                       "ts": "2.2", "channel": "D3"})
    attempts = await slack.standin.wait_for("chat.postMessage", count=2)
    assert attempts[0] == attempts[1]  # the same message, sent again after the 429


# ---------------------------------------------------------------- buttons and modals

async def test_button_click_sends_its_action_to_the_coach(slack):
    await slack.event({"type": "app_mention", "user": "U2", "text": f"<@{BOT_USER}> what is an F1 score?",
                       "ts": "1.5", "channel": "C9"})
    [answer] = await slack.standin.wait_for("chat.postMessage")
    related = [b for b in buttons_of(answer["blocks"]) if b["value"].startswith("ask:")][0]
    slack.standin.members["C9"] = ["U2", "U4"]
    response = await slack.click(related, user="U4", channel="C9", blocks=answer["blocks"])
    assert response.status == 200
    [follow_up] = await slack.standin.wait_for("chat.postEphemeral")
    assert follow_up["channel"] == "C9" and follow_up["user"] == "U4"  # to whoever clicked, not the channel
    assert any(b["type"] == "context" for b in follow_up["blocks"])  # answered, with a source
    assert len(slack.standin.called("chat.postMessage")) == 1


async def test_feedback_button_reply_is_private_in_a_channel(slack):
    await slack.event({"type": "app_mention", "user": "U2", "text": f"<@{BOT_USER}> what is an F1 score?",
                       "ts": "1.5", "channel": "C9"})
    [answer] = await slack.standin.wait_for("chat.postMessage")
    thumbs = next(b for b in buttons_of(answer["blocks"]) if b["text"]["text"] == "👍")
    slack.standin.members["C9"] = ["U2"]
    await slack.click(thumbs, user="U2", channel="C9", blocks=answer["blocks"])
    [private] = await slack.standin.wait_for("chat.postEphemeral")
    assert private["user"] == "U2" and private["channel"] == "C9"
    assert len(slack.standin.called("chat.postMessage")) == 1  # nothing public about the vote


OPEN_DRILL, MCQ_DRILL = "aids-ai-pm-role-open", "aids-core-difference-mcq"


async def test_drill_choice_button_grades_privately_in_a_channel(slack, coach):
    slack.standin.members["C2"] = ["U1"]
    await slack.command(f"drill {MCQ_DRILL}", user="U1", channel="C2")
    [drill] = await slack.standin.wait_for("response_url")
    assert drill["response_type"] == "ephemeral"  # a personal drill in a channel
    choices = [b for b in buttons_of(drill["blocks"]) if b["value"].startswith("drill:choose:")]
    assert [c["text"]["text"] for c in choices] == ["A", "B", "C", "D"]
    assert len({b["action_id"] for b in buttons_of(drill["blocks"])}) == len(buttons_of(drill["blocks"]))
    answer = coach.library.drills[MCQ_DRILL].answer_letter
    # choices are shuffled per post: the post says which letter it shows the right one under
    post = practice.get_post(coach, int(choices[0]["value"].rsplit(":", 1)[1]))
    shown = post.shown_letter(coach.library.drills[MCQ_DRILL], answer)
    await slack.click(next(c for c in choices if c["text"]["text"] == shown), user="U1", channel="C2",
                      ephemeral=True)
    [result] = await slack.standin.wait_for("chat.postEphemeral")
    assert result["user"] == "U1" and result["channel"] == "C2"
    assert "Correct" in result["blocks"][0]["text"]["text"]
    assert slack.standin.called("chat.postMessage") == []
    attempts = coach.db.execute("SELECT user, choice, correct FROM practice_attempts WHERE platform='slack'").fetchall()
    assert attempts == [("U1", answer, 1)]


async def test_open_drill_answer_button_opens_a_modal_and_the_typed_answer_is_graded(slack, coach):
    slack.standin.members["C2"] = ["U1"]
    await slack.command(f"drill {OPEN_DRILL}", user="U1", channel="C2")
    [drill] = await slack.standin.wait_for("response_url")
    [button] = [b for b in buttons_of(drill["blocks"]) if b["value"].startswith("drill:answer:")]
    await slack.click(button, user="U1", channel="C2", blocks=drill["blocks"])
    [opened] = await slack.standin.wait_for("views.open")
    assert opened["trigger_id"] == "trig-1"
    view = opened["view"]
    assert view["callback_id"] == render.MODAL_CALLBACK
    [input_block] = [b for b in view["blocks"] if b["type"] == "input"]
    assert input_block["label"]["text"] == "Your answer"
    assert input_block["element"]["type"] == "plain_text_input"
    assert coach.library.drills[OPEN_DRILL].prompt[:40] in view["blocks"][0]["text"]["text"]
    assert slack.standin.called("chat.postEphemeral") == []  # nothing answered yet

    # An expired trigger: the user hears about it instead of nothing happening.
    slack.standin.fail("views.open", error="expired_trigger_id")
    await slack.click(button, user="U1", channel="C2", blocks=drill["blocks"])
    [note] = await slack.standin.wait_for("chat.postEphemeral")
    assert "click the button again" in note["text"]

    typed = coach.library.drills[OPEN_DRILL].model_answer
    submission = {
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": "U1", "name": "u1", "team_id": TEAM},
        "api_app_id": "A1", "token": "x", "trigger_id": "t2",
        "view": {**view, "id": "V1", "team_id": TEAM, "state": {"values": {
            render.INPUT_BLOCK: {render.INPUT_ACTION: {"type": "plain_text_input", "value": typed}}}}},
    }
    response = await slack.interaction(submission)
    assert response.status == 200
    result = (await slack.standin.wait_for("chat.postEphemeral", count=2))[1]
    assert result["user"] == "U1" and result["channel"] == "C2"
    assert "/100" in result["blocks"][0]["text"]["text"]
    saved = coach.db.execute("SELECT user, answer FROM practice_attempts WHERE drill_id = ?", [OPEN_DRILL]).fetchall()
    assert saved == [("U1", typed)]


async def test_only_channel_members_change_a_channels_daily_drill(slack, coach):
    slack.standin.members["C1"] = ["UMEMBER"]
    await slack.command("subscribe here at 9am", user="UOUTSIDER", channel="C1")
    [refused] = await slack.standin.wait_for("response_url")
    assert refused["response_type"] == "ephemeral"
    assert coach.db.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 0
    await slack.command("subscribe here at 9am", user="UMEMBER", channel="C1")
    await slack.standin.wait_for("response_url", count=2)
    rows = coach.db.execute("SELECT platform, workspace, channel, is_dm, subscriber FROM subscriptions "
                            "WHERE active = 1").fetchall()
    assert rows == [("slack", TEAM, "C1", 0, "UMEMBER")]


async def test_non_members_cannot_manage_the_channel_and_admins_are_flagged(coach, standin):
    """The flags the core enforces, computed from Slack: membership (cached) and COACH_ADMINS."""
    from dataclasses import replace as dc_replace

    seen = []
    coach.config = dc_replace(coach.config, admins=frozenset({"UADMIN"}), admin_only_channels=True)
    original = coach.handle
    coach.handle = lambda req: seen.append(req) or original(req)  # observe, not replace, the real coach
    client = make_client("xoxb-test", base_url=standin.url + "/api/")
    app = build_app(coach, client=client, signing_secret=SECRET)
    runner = await slack_adapter.start_http(app, port=0, host="127.0.0.1")
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    standin.members["C1"] = ["UMEMBER", "UADMIN"]
    try:
        async with aiohttp.ClientSession() as session:
            play = SlackClient(session, url, standin)
            for n, user in enumerate(("UMEMBER", "UOUTSIDER", "UADMIN", "UMEMBER"), start=1):
                await play.command("subscribe here at 9am", user=user, channel="C1")
                await standin.wait_for("response_url", count=n)  # one at a time: the order is the test's
    finally:
        await runner.cleanup()
    flags = [(r.user, r.can_manage_channel, r.is_admin) for r in seen]
    # the four requests are concurrent: compare what arrived, not the order it arrived in
    assert sorted(flags) == sorted([("UMEMBER", True, False), ("UOUTSIDER", False, False), ("UADMIN", True, True),
                                    ("UMEMBER", True, False)])
    # Cached: the first lookup serves UMEMBER and UADMIN; only the outsider's miss looks again.
    assert len(standin.called("conversations.members")) == 2


async def test_channel_requests_list_members_only_to_change_the_channels_subscription(slack, coach):
    slack.standin.members["C1"] = ["U1"]
    for n, text in enumerate(("help", "what is an F1 score", "stats", "leaderboard", "subscriptions",
                              "subscribe me at 8am"), start=1):
        await slack.command(text, user="U1", channel="C1")
        await slack.standin.wait_for("response_url", count=n)
    assert slack.standin.called("conversations.members") == []
    await slack.command("subscribe here at 9am", user="U1", channel="C1")
    await slack.standin.wait_for("response_url", count=7)
    assert [c["channel"] for c in slack.standin.called("conversations.members")] == ["C1"]
    rows = coach.db.execute("SELECT channel, is_dm FROM subscriptions WHERE active = 1 ORDER BY is_dm").fetchall()
    assert rows == [("C1", 0), ("U1", 1)]


async def test_a_private_channel_the_bot_is_not_in_says_invite_me_first(slack, coach):
    slack.standin.private.add("GSECRET")
    await slack.command("subscribe here at 9am", user="U1", channel="GSECRET", channel_name="privategroup")
    [posted] = await slack.standin.wait_for("response_url")
    assert posted["response_type"] == "ephemeral"
    assert "/invite @PM Coach" in posted["text"] and "manage" not in posted["text"]
    assert coach.db.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 0
    # Your own drill by DM needs nothing from the channel.
    await slack.command("subscribe me at 8am", user="U1", channel="GSECRET", channel_name="privategroup")
    await slack.standin.wait_for("response_url", count=2)
    assert coach.db.execute("SELECT channel, is_dm FROM subscriptions").fetchall() == [("U1", 1)]


# ---------------------------------------------------------------- a DM between two people

PEOPLE_DM = "DALICEBOB"  # Alice (U1) and Bob talk; the bot is not part of it


async def test_private_replies_in_a_dm_between_two_people_reach_only_the_asker(slack, coach):
    await slack.command(f"drill {MCQ_DRILL}", user="U1", channel=PEOPLE_DM, channel_name="directmessage")
    [drill] = await slack.standin.wait_for("response_url")
    for n, text in enumerate(("stats", "forget-me", "timezone Europe/Berlin"), start=2):
        await slack.command(text, user="U1", channel=PEOPLE_DM, channel_name="directmessage")
        await slack.standin.wait_for("response_url", count=n)
    assert [p["response_type"] for p in slack.standin.called("response_url")] == ["ephemeral"] * 4
    # The grade of a click there is Alice's alone too.
    choices = [b for b in buttons_of(drill["blocks"]) if b["value"].startswith("drill:choose:")]
    await slack.click(choices[0], user="U1", channel=PEOPLE_DM, ephemeral=True)
    graded = (await slack.standin.wait_for("response_url", count=5))[4]
    assert graded["response_type"] == "ephemeral" and "/100" not in graded["text"]
    assert coach.db.execute("SELECT COUNT(*) FROM practice_attempts").fetchone()[0] == 1
    assert slack.standin.called("chat.postMessage") == []
    # The bot's own DM with Alice is private already: ordinary messages there.
    await slack.command("stats", user="U1", channel=SlackStandIn.bot_dm("U1"), channel_name="directmessage")
    assert (await slack.standin.wait_for("response_url", count=6))[5]["response_type"] == "in_channel"


async def test_a_team_drill_cannot_be_set_up_in_a_dm_between_two_people(slack, coach):
    await slack.command("subscribe", user="U1", channel=PEOPLE_DM, channel_name="directmessage")
    [posted] = await slack.standin.wait_for("response_url")
    assert posted["response_type"] == "ephemeral" and "subscribe me" in posted["text"]
    assert coach.db.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 0


async def test_your_own_drill_can_be_set_up_and_stopped_from_a_dm_between_two_people(slack, coach):
    await slack.command("subscribe me at 8am", user="U1", channel=PEOPLE_DM, channel_name="directmessage")
    [posted] = await slack.standin.wait_for("response_url")
    assert posted["response_type"] == "ephemeral"
    [stop] = [b for b in buttons_of(posted["blocks"]) if b["value"].startswith("sub:stop:")]
    await slack.click(stop, user="U1", channel=PEOPLE_DM, ephemeral=True)
    stopped = (await slack.standin.wait_for("response_url", count=2))[1]
    assert stopped["response_type"] == "ephemeral" and "Stopped" in stopped["text"]
    assert coach.db.execute("SELECT active FROM subscriptions").fetchall() == [(0,)]
    assert slack.standin.called("conversations.members") == []


# ---------------------------------------------------------------- export-me, complete

def _many_long_answers(coach, user="U1", n=44):
    from bot.messages import Request

    for i in range(n):
        coach.handle(Request(platform="slack", workspace=TEAM, channel="C1", user=user,
                             text=f"ask question {i}: " + "how do AI PMs and data scientist PMs differ " * 40))


def _exported(coach, user="U1"):
    from bot.privacy import export_user

    data = export_user(coach.db, "slack", TEAM, user, coach.clock())
    data.pop("exported_at")
    return data


async def test_export_in_a_channel_arrives_whole_as_a_file_in_the_askers_dm(slack, coach):
    _many_long_answers(coach)
    await slack.command("export-me", user="U1", channel="C1")
    [note] = await slack.standin.wait_for("response_url")
    assert note["response_type"] == "ephemeral" and "DM" in note["text"]
    [shared] = slack.standin.shared_files()
    assert shared["channel"] == SlackStandIn.bot_dm("U1")  # never the channel
    assert shared["filename"].endswith(".json")
    data = json.loads(shared["data"])
    data.pop("exported_at")
    assert data == _exported(coach) and len(data["tables"]["answer_log"]) == 44
    everything = json.dumps(slack.standin.calls)
    assert "shortened to fit" not in everything


async def test_export_in_the_bots_dm_is_a_file_there(slack, coach):
    _many_long_answers(coach, n=3)
    dm = SlackStandIn.bot_dm("U1")
    await slack.event({"type": "message", "channel_type": "im", "user": "U1", "text": "export-me", "ts": "7.1",
                       "channel": dm})
    await slack.standin.wait_for("upload")
    await slack.standin.settle()
    [shared] = slack.standin.shared_files()
    assert shared["channel"] == dm
    data = json.loads(shared["data"])
    data.pop("exported_at")
    assert data == _exported(coach)


async def test_without_file_access_the_export_comes_as_several_complete_messages(slack, coach):
    _many_long_answers(coach, n=12)
    slack.standin.fail("files.getUploadURLExternal", error="missing_scope")
    dm = SlackStandIn.bot_dm("U1")
    await slack.event({"type": "message", "channel_type": "im", "user": "U1", "text": "export-me", "ts": "7.2",
                       "channel": dm})
    await slack.standin.wait_for("chat.postMessage", count=2)
    await slack.standin.settle(0.5)
    posts = slack.standin.called("chat.postMessage")
    assert all(p["channel"] == dm for p in posts)
    code = []
    for post in posts:
        for block in post["blocks"]:
            text = block.get("text", {}).get("text", "") if block["type"] == "section" else ""
            if "```" in text:
                assert text.count("```") == 2
                code.append(text[text.index("```") + 3:text.rindex("```")].strip("\n"))
    body = "\n".join(code).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    data = json.loads(body)
    data.pop("exported_at")
    assert data == _exported(coach)


# ---------------------------------------------------------------- scheduler sender

async def test_sender_posts_to_a_channel_and_returns_the_ts(standin):
    sender = SlackSender(make_client("xoxb-test", base_url=standin.url + "/api/"))
    ts = await sender.send(Target("slack", TEAM, "C1"), [Reply(text="Daily drill", buttons=(Button("A", "x:1"),))], "k1")
    [posted] = standin.called("chat.postMessage")
    assert ts and posted["channel"] == "C1" and posted["text"] == "Daily drill"


async def test_sender_opens_the_dm_for_a_user_target_and_threads(standin):
    sender = SlackSender(make_client("xoxb-test", base_url=standin.url + "/api/"))
    await sender.send(Target("slack", TEAM, "U42", is_dm=True, thread="9.9"), [Reply(text="hi")], "k2")
    assert standin.called("conversations.open")[0]["users"] == "U42"
    [posted] = standin.called("chat.postMessage")
    assert posted["channel"] == "D42" and posted["thread_ts"] == "9.9"


async def test_sender_survives_a_single_429(standin):
    standin.fail("chat.postMessage", status=429, headers={"Retry-After": "0"})
    sender = SlackSender(make_client("xoxb-test", base_url=standin.url + "/api/"))
    assert await sender.send(Target("slack", TEAM, "C1"), [Reply(text="hi")], "k3")
    assert len(standin.called("chat.postMessage")) == 2


@pytest.mark.parametrize("status,error,kind", [
    (429, "ratelimited", RateLimited),
    (200, "channel_not_found", PermanentError),
    (200, "not_in_channel", PermanentError),
    (200, "is_archived", PermanentError),
    (200, "token_revoked", PermanentError),
    (500, "internal_error", TransientError),
    (200, "fatal_error", TransientError),
])
async def test_sender_maps_slack_errors(standin, status, error, kind):
    standin.fail("chat.postMessage", status=status, error=error, headers={"Retry-After": "7"}, times=5)
    sender = SlackSender(make_client("xoxb-test", base_url=standin.url + "/api/", retries=0))
    with pytest.raises(kind) as raised:
        await sender.send(Target("slack", TEAM, "C1"), [Reply(text="hi")], "k4")
    if kind is RateLimited:
        assert raised.value.retry_after == 7


async def test_sender_maps_a_dead_connection_to_transient():
    sender = SlackSender(make_client("xoxb-test", base_url="http://127.0.0.1:9/api/", retries=0))
    with pytest.raises(TransientError):
        await sender.send(Target("slack", TEAM, "C1"), [Reply(text="hi")], "k5")


async def test_sender_uses_each_workspaces_token_from_the_installation_store(standin, tmp_path):
    from slack_sdk.oauth.installation_store import Installation
    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

    store = SQLite3InstallationStore(database=str(tmp_path / "install.db"), client_id="cid")
    await store.async_save(Installation(app_id="A1", team_id="T2", bot_token="xoxb-team-two", bot_id="B2",
                                        bot_user_id="UB2", user_id="U1", bot_scopes=["chat:write"]))
    sender = SlackSender(make_client(None, base_url=standin.url + "/api/"), installation_store=store)
    await sender.send(Target("slack", "T2", "C1"), [Reply(text="hi")], "k6")
    [posted] = standin.called("chat.postMessage")
    assert posted["_auth"] == "Bearer xoxb-team-two"
    with pytest.raises(PermanentError):
        await sender.send(Target("slack", "T3", "C1"), [Reply(text="hi")], "k7")


# ---------------------------------------------------------------- coach run

async def test_serve_connects_over_socket_mode_and_registers_the_sender(coach, standin):
    """What `coach run` does with SLACK_BOT_TOKEN + SLACK_APP_TOKEN: Socket Mode, no public URL."""
    standin.envelopes.append({
        "envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
        "payload": {"team_id": TEAM, "channel_id": "D1", "channel_name": "directmessage", "user_id": "U1",
                    "user_name": "u1", "command": "/coach", "text": "help",
                    "response_url": standin.url + "/respond/socket"},
    })
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test", "SLACK_API_URL": standin.url + "/api/"}
    senders: dict = {}
    task = asyncio.create_task(slack_adapter.serve(coach, senders, env=env))
    try:
        [ack] = await standin.wait_for("socket_ack")
        assert ack["envelope_id"] == "env-1"
        [posted] = await standin.wait_for("response_url")
        assert posted["blocks"][0]["type"] == "header"
        assert standin.called("apps.connections.open")[0]["_auth"] == "Bearer xapp-test"
        assert isinstance(senders["slack"], SlackSender)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_serve_over_http_without_a_signing_secret_refuses_to_start():
    with pytest.raises(RuntimeError, match="SLACK_SIGNING_SECRET"):
        await slack_adapter.serve(None, {}, http=True, env={"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "x"})


async def oauth_install(session, base: str) -> tuple[str, str, str]:
    """A browser's trip through /slack/install and Slack's redirect back (code "abc"), which must succeed:
    (the install page, the OAuth state, the state cookie). The state cookie is Secure (https only), so it is
    handed back the way a browser would over TLS."""
    async with session.get(base + "/slack/install") as page:
        html = await page.text()
        assert page.status == 200
    state = re.search(r"state=([^&\"]+)", html).group(1)
    cookie = page.cookies["slack-app-oauth-state"].value
    assert await oauth_redirect(session, base, state, cookie) == 200
    return html, state, cookie


async def oauth_redirect(session, base: str, state: str, cookie: str) -> int:
    """Slack's redirect back to /slack/oauth_redirect with this state and cookie: its HTTP status."""
    async with session.get(f"{base}/slack/oauth_redirect?code=abc&state={state}",
                           headers={"Cookie": f"slack-app-oauth-state={cookie}"}) as done:
        return done.status


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # slack_sdk's use of aiohttp BasicAuth
async def test_oauth_install_stores_the_workspace_and_the_sender_uses_its_token(coach, standin, tmp_path):
    """SLACK_CLIENT_ID/SECRET: /slack/install -> Slack -> /slack/oauth_redirect saves the bot token in SQLite."""
    from adapters.slack.app import SlackSettings

    settings = SlackSettings(client_id="cid", client_secret="csecret", signing_secret=SECRET,
                             api_url=standin.url + "/api/", install_db=str(tmp_path / "install.db"))
    app = build_app(coach, settings=settings)
    runner = await slack_adapter.start_http(app, port=0, host="127.0.0.1")
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session:
            html, state, _ = await oauth_install(session, base)
            authorize = re.search(r'href="(https://slack.com/oauth/v2/authorize[^"]+)"', html).group(1)
            assert "client_id=cid" in authorize and "chat%3Awrite" in authorize.replace(":", "%3A")
            assert f"state={state}" in authorize
            assert standin.called("oauth.v2.access")[0]["code"] == "abc"
            # Events from the new workspace are answered with its own bot token.
            play = SlackClient(session, base + "/slack/events", standin)
            await play.event({"type": "message", "channel_type": "im", "user": "U1", "text": "help", "ts": "5.1",
                              "channel": "D5"}, team="T2")
            [answer] = await standin.wait_for("chat.postMessage")
            assert answer["channel"] == "D5" and answer["_auth"] == "Bearer xoxb-team-two"
        sender = SlackSender(app.client, installation_store=app.installation_store)
        await sender.send(Target("slack", "T2", "C1"), [Reply(text="hi")], "k8")
        assert standin.called("chat.postMessage")[-1]["_auth"] == "Bearer xoxb-team-two"
    finally:
        await runner.cleanup()


# ---------------------------------------------------------------- configuration

def test_configured_and_help():
    assert not slack_adapter.configured({})
    assert not slack_adapter.configured({"SLACK_BOT_TOKEN": "xoxb-1"})
    assert slack_adapter.configured({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert slack_adapter.configured({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})
    assert slack_adapter.configured({"SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2", "SLACK_SIGNING_SECRET": "s"})
    assert not slack_adapter.configured({"SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2"})
    text = slack_adapter.missing_help()
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "manifest.yml"):
        assert name in text


def test_manifest_creates_the_app_this_adapter_expects():
    from pathlib import Path

    import yaml

    from adapters.slack.app import BOT_SCOPES

    manifest = yaml.safe_load((Path(__file__).resolve().parent.parent / "manifest.yml").read_text())
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/coach"]
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im", "app_uninstalled",
                                                                 "tokens_revoked", "app_home_opened"}
    assert manifest["features"]["app_home"]["home_tab_enabled"]
    assert settings["interactivity"]["is_enabled"] and settings["socket_mode_enabled"]
    assert manifest["features"]["app_home"]["messages_tab_enabled"]  # people can DM the bot


# ---------------------------------------------------------------- bad requests, uninstalls, configuration

async def test_a_non_numeric_timestamp_is_refused_and_rejections_are_logged_briefly(slack, caplog):
    import logging

    caplog.set_level(logging.INFO)
    response = await slack.post("command=/coach&text=help", "application/x-www-form-urlencoded", timestamp="abc")
    assert response.status == 401
    huge = "command=/coach&text=" + "x" * 900_000
    response = await slack.post(huge, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert response.status == 401
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert all(len(r.getMessage()) < 300 for r in caplog.records)
    assert any("rejected" in r.getMessage() for r in caplog.records)  # still one short line each
    assert slack.standin.calls == []


async def test_slack_api_url_without_a_trailing_slash_keeps_its_path(coach, standin):
    from adapters.slack.app import SlackSettings

    settings = SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, api_url=standin.url + "/api")
    app = build_app(coach, settings=settings)
    await SlackSender(app.client).send(Target("slack", TEAM, "C1"), [Reply(text="hi")], "k9")
    assert standin.called("chat.postMessage")[0]["channel"] == "C1"


async def _installed(store, team: str):
    from slack_sdk.oauth.installation_store import Installation

    await store.async_save(Installation(app_id="A1", team_id=team, bot_token=f"xoxb-{team}", bot_id="B" + team,
                                        bot_user_id="UB" + team, user_id="U1", user_token=f"xoxp-{team}",
                                        bot_scopes=["chat:write"]))


async def test_uninstalling_or_revoking_forgets_that_workspaces_tokens(coach, standin, tmp_path):
    from adapters.slack.app import SlackSettings

    settings = SlackSettings(client_id="cid", client_secret="csecret", signing_secret=SECRET,
                             api_url=standin.url + "/api/", install_db=str(tmp_path / "install.db"))
    app = build_app(coach, settings=settings)
    store = app.installation_store
    for team in ("T2", "T3", "T4"):
        await _installed(store, team)
    runner = await slack_adapter.start_http(app, port=0, host="127.0.0.1")
    try:
        async with aiohttp.ClientSession() as session:
            play = SlackClient(session, f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events", standin)
            response = await play.event({"type": "app_uninstalled"}, team="T2", event_id="EvGone")
            assert response.status == 200
            await play.event({"type": "tokens_revoked", "tokens": {"oauth": ["U1"], "bot": ["UBT3"]}}, team="T3",
                             event_id="EvRevoked")
            for _ in range(100):
                if await store.async_find_bot(enterprise_id=None, team_id="T3") is None:
                    break
                await asyncio.sleep(0.02)
    finally:
        await runner.cleanup()
    assert await store.async_find_installation(enterprise_id=None, team_id="T2") is None
    assert await store.async_find_bot(enterprise_id=None, team_id="T2") is None
    assert await store.async_find_bot(enterprise_id=None, team_id="T3") is None
    assert (await store.async_find_bot(enterprise_id=None, team_id="T4")).bot_token == "xoxb-T4"
    sender = SlackSender(app.client, installation_store=store)
    with pytest.raises(PermanentError):
        await sender.send(Target("slack", "T2", "C1"), [Reply(text="hi")], "k10")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_oauth_over_socket_mode_without_a_signing_secret_serves_install_pages_only(coach, standin, tmp_path):
    port = _free_port()
    env = {"SLACK_CLIENT_ID": "cid", "SLACK_CLIENT_SECRET": "csecret", "SLACK_APP_TOKEN": "xapp-test",
           "SLACK_API_URL": standin.url + "/api/", "SLACK_INSTALL_DB": str(tmp_path / "install.db")}
    task = asyncio.create_task(slack_adapter.serve(coach, {}, port=port, env=env, host="127.0.0.1"))
    try:
        await standin.wait_for("apps.connections.open")
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/slack/install") as page:
                        assert page.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            play = SlackClient(session, f"http://127.0.0.1:{port}/slack/events", standin)
            response = await play.command("help")
            assert response.status == 404  # not a 500: events come over the socket
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_busy_port_is_a_clear_error(coach):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": "http://127.0.0.1:9/"}
        with pytest.raises(RuntimeError, match=f"port {port}"):
            await slack_adapter.serve(coach, {}, http=True, port=port, env=env, host="127.0.0.1")


@pytest.fixture
def run_env(monkeypatch, tmp_path):
    for name in ("DISCORD_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    monkeypatch.setenv("COACH_HOST", "127.0.0.1")
    return monkeypatch


def test_coach_run_exits_non_zero_when_slack_cannot_listen(coach, run_env, capsys):
    import socket

    from adapters import runner

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert runner.main(coach, http=True, port=port) == 1
    err = capsys.readouterr().err
    assert f"port {port}" in err and "Traceback" not in err


@pytest.mark.parametrize("port_env,port_arg", [("abc", None), ("99999", None), ("", 99999), ("0", None)])
def test_coach_run_refuses_a_port_it_cannot_use_in_one_line(coach, run_env, capsys, port_env, port_arg):
    from adapters import runner

    if port_env:
        run_env.setenv("PORT", port_env)
    assert runner.main(coach, http=True, port=port_arg) == 2
    err = capsys.readouterr().err.strip()
    assert "1 to 65535" in err and "Traceback" not in err and len(err.splitlines()) == 1
