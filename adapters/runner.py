"""`coach run`: every adapter that has credentials, plus the scheduler, in one event loop.

APScheduler's AsyncIOScheduler, slack-bolt's AsyncApp and discord.py's client all share
this loop, so the scheduler's senders can use the adapters' live clients.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

log = logging.getLogger(__name__)


def _platforms():
    from adapters import discord as discord_adapter
    from adapters import slack as slack_adapter

    return (("slack", slack_adapter), ("discord", discord_adapter))


def main(coach, http: bool = False, port: int | None = None) -> int:
    logging.getLogger().setLevel(os.environ.get("COACH_LOG_LEVEL", "INFO").upper())
    platforms = _platforms()
    enabled = [(name, module) for name, module in platforms if module.configured()]
    if not enabled:
        print("PM Coach has no platform credentials, so there is nothing to connect to.\n", file=sys.stderr)
        for name, module in platforms:
            print(f"{name.capitalize()}: {module.missing_help()}\n", file=sys.stderr)
        print("To talk to the coach without any tokens, run: coach chat", file=sys.stderr)
        return 2
    for name, module in enabled:  # settings that can't work stop the start with one line, before connecting
        problem = getattr(module, "settings_error", lambda: None)()
        if problem:
            print(f"coach run: {problem}", file=sys.stderr)
            return 2
    if any(name == "slack" for name, _ in enabled):  # only Slack listens on a port
        port = _port(port if port is not None else os.environ.get("PORT") or 3000)
        if port is None:
            return 2
    host = os.environ.get("COACH_HOST") or "0.0.0.0"
    try:
        failed = asyncio.run(_serve(coach, enabled, http, port, host))
    except KeyboardInterrupt:
        return 0
    for name, reason in failed:  # a supervisor must not mistake this for a clean stop
        print(f"coach run: {name} stopped: {reason}", file=sys.stderr)
    return 1 if failed else 0


def _port(value) -> int | None:
    try:
        port = int(str(value).strip())
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        print(f"coach run: the port must be a whole number from 1 to 65535 (--port or PORT), not '{value}'.",
              file=sys.stderr)
        return None
    return port


async def _serve(coach, enabled, http: bool, port: int, host: str = "0.0.0.0") -> list[tuple[str, str]]:
    """Run until a signal or until an adapter stops; returns (adapter, reason) for those that failed."""
    from bot import workers
    from bot.delivery import ConsoleSender
    from bot.scheduler import DailyScheduler

    senders: dict = {"console": ConsoleSender()}
    scheduler = DailyScheduler(coach, senders, compose_in_process=coach.config.compose_in_process)
    tasks = []
    for name, module in enabled:
        kwargs = {"http": http, "port": port, "host": host} if name == "slack" else {}
        tasks.append(asyncio.create_task(module.serve(coach, senders, **kwargs), name=name))
        log.info("starting %s", name)
    await scheduler.start()  # needs the running loop; catches up missed posts within grace
    workers.keep_loop_responsive()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows / not the main thread
            pass
    stopper = asyncio.create_task(stop.wait(), name="stop")
    failed = []
    try:
        done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper:
                reason = task.exception() or "it returned unexpectedly"
                log.error("%s stopped: %s", task.get_name(), reason)
                failed.append((task.get_name(), str(reason)))
    finally:
        scheduler.shutdown()
        for task in [*tasks, stopper]:
            task.cancel()
        await asyncio.gather(*tasks, stopper, return_exceptions=True)
    return failed
