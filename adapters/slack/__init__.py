"""The Slack adapter: what `coach run` needs (configured, missing_help, serve).

slack_bolt is imported only when serving, so `coach run` without Slack variables
and `coach chat` never pay for it.
"""
from __future__ import annotations

import asyncio
import logging
import os

log = logging.getLogger(__name__)


def _has(env, *names: str) -> bool:
    return all((env.get(name) or "").strip() for name in names)


def configured(env=os.environ) -> bool:
    """True when there is enough to connect: a bot token with an app token (Socket Mode)
    or a signing secret (HTTP), or OAuth client credentials with a signing secret."""
    if _has(env, "SLACK_BOT_TOKEN") and (_has(env, "SLACK_APP_TOKEN") or _has(env, "SLACK_SIGNING_SECRET")):
        return True
    return _has(env, "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET") and (
        _has(env, "SLACK_SIGNING_SECRET") or _has(env, "SLACK_APP_TOKEN"))


def missing_help() -> str:
    return ("create the app from manifest.yml at api.slack.com/apps, install it, then set SLACK_BOT_TOKEN "
            "(xoxb-…, OAuth & Permissions) and SLACK_APP_TOKEN (xapp-…, Basic Information > App-Level Tokens, "
            "scope connections:write) for Socket Mode; for HTTP (`coach run --http`) set SLACK_SIGNING_SECRET "
            "instead of the app token; to let other workspaces install it, set SLACK_CLIENT_ID, "
            "SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET (install page: /slack/install).")


async def start_http(app, port: int, host: str = "0.0.0.0", *, events: bool = True):
    """Serve the app over aiohttp: POST /slack/events (when ``events``), and the OAuth pages when
    configured; returns the AppRunner, whose cleanup() stops it. A port that can't be bound
    raises RuntimeError with a sentence an operator can act on."""
    from aiohttp import web

    from .http import web_app

    runner = web.AppRunner(web_app(app, events=events))
    await runner.setup()
    try:
        await web.TCPSite(runner, host=host, port=port).start()
    except (OSError, OverflowError) as exc:
        await runner.cleanup()
        reason = getattr(exc, "strerror", None) or str(exc)
        raise RuntimeError(f"Slack can't listen on {host} port {port}: {reason}. "
                           "Free the port or choose another with --port or PORT.") from None
    return runner


async def serve(coach, senders: dict, *, http: bool = False, port: int = 3000, env=None,
                host: str = "0.0.0.0") -> None:
    """Build the app, register senders['slack'], and run until cancelled.

    Socket Mode when SLACK_APP_TOKEN is set and not ``http`` (no public URL needed);
    otherwise the aiohttp server on ``port`` with signature verification. OAuth mode
    also serves /slack/install and /slack/oauth_redirect over HTTP; with Socket Mode and no
    signing secret it serves only those (events arrive over the socket).
    """
    from .app import SlackSettings, build_app
    from .sender import SlackSender

    settings = SlackSettings.from_env(env)
    socket_mode = bool(settings.app_token) and not http
    if not socket_mode and not settings.signing_secret:
        raise RuntimeError("Slack over HTTP needs SLACK_SIGNING_SECRET (Basic Information > App Credentials) "
                           "to verify that requests come from Slack.")
    if not settings.oauth and not settings.bot_token:
        raise RuntimeError("Slack needs SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth.")
    app = build_app(coach, settings=settings)
    senders["slack"] = SlackSender(app.client, installation_store=app.installation_store)

    runner = handler = None
    try:
        if not socket_mode or settings.oauth:  # OAuth needs the install pages over HTTP
            events = bool(settings.signing_secret)  # without it no request could be verified
            runner = await start_http(app, port, host, events=events)
            log.info("slack: HTTP on port %s (%s)", port,
                     ", ".join(p for p, on in (("/slack/events", events), ("/slack/install", settings.oauth)) if on))
        if socket_mode:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            handler = AsyncSocketModeHandler(app, settings.app_token)
            await handler.connect_async()
            log.info("slack: connected over Socket Mode")
        await asyncio.Event().wait()  # until cancelled
    finally:
        if handler is not None:
            await handler.close_async()
        if runner is not None:
            await runner.cleanup()
