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
    port = port or int(os.environ.get("PORT") or 3000)
    try:
        asyncio.run(_serve(coach, enabled, http, port))
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(coach, enabled, http: bool, port: int) -> None:
    from bot import workers
    from bot.delivery import ConsoleSender
    from bot.scheduler import DailyScheduler

    senders: dict = {"console": ConsoleSender()}
    scheduler = DailyScheduler(coach, senders)
    tasks = []
    for name, module in enabled:
        kwargs = {"http": http, "port": port} if name == "slack" else {}
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
    try:
        done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper and task.exception():
                log.error("%s stopped: %s", task.get_name(), task.exception())
    finally:
        scheduler.shutdown()
        for task in [*tasks, stopper]:
            task.cancel()
        await asyncio.gather(*tasks, stopper, return_exceptions=True)
