"""The aiohttp web app in front of Bolt: /slack/events and the OAuth install pages.

Bolt's own server would answer a non-numeric X-Slack-Request-Timestamp with a 500 and a
traceback (slack_sdk's verifier calls int() on it), and logs every rejected request whole at
INFO. Here such a request is a 401, and a rejection is one short line.
"""
from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

log = logging.getLogger(__name__)
# Bolt logs the whole body of a request whose signature fails; ours says it in one line.
logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)

EVENTS_PATH = "/slack/events"


def web_app(app, *, events: bool = True) -> web.Application:
    routes = []
    if events:
        routes.append(web.post(EVENTS_PATH, _events_handler(app)))
    flow = app.oauth_flow
    if flow is not None:
        routes += [web.get(flow.install_path, _oauth_handler(flow.handle_installation)),
                   web.get(flow.redirect_uri_path, _oauth_handler(flow.handle_callback))]
    web_application = web.Application()
    web_application.add_routes(routes)
    return web_application


def _rejected(request: web.Request, why: str, size: int) -> web.Response:
    log.warning("slack: rejected a request from %s: %s (%d bytes)", request.remote, why, size)
    return web.json_response({"error": "invalid request"}, status=401)


def _events_handler(app):
    async def handle(request: web.Request) -> web.Response:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        if not timestamp.strip().isdigit():
            return _rejected(request, "missing or non-numeric X-Slack-Request-Timestamp",
                             request.content_length or 0)
        bolt_request = await to_bolt_request(request)
        response = await app.async_dispatch(bolt_request)
        if response.status == 401:
            return _rejected(request, "bad or stale signature", len(bolt_request.raw_body or ""))
        return await to_aiohttp_response(response)

    return handle


def _oauth_handler(step):
    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await step(await to_bolt_request(request)))

    return handle
