"""The neutral sender: how the scheduler posts a Reply without knowing the platform.

Each adapter implements ``Sender`` for its platform and maps its errors onto the
three failure kinds below, so retry policy lives in one place (the scheduler).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .messages import Reply, plain_mentions


@dataclass(frozen=True)
class Target:
    platform: str
    workspace: str
    channel: str  # channel id; for a DM subscription the user's id with is_dm=True
    is_dm: bool = False
    thread: str = ""  # post into this thread (Slack ts / Discord message id) when set


class DeliveryError(Exception):
    pass


class RateLimited(DeliveryError):
    """429: wait ``retry_after`` seconds, then try again (does not count as a failure)."""

    def __init__(self, retry_after: float, message: str = "rate limited"):
        super().__init__(message)
        self.retry_after = float(retry_after)


class TransientError(DeliveryError):
    """Network trouble or a 5xx: retry with backoff, then record the delivery as failed."""


class PermanentError(DeliveryError):
    """The target is gone or closed to us (channel deleted, bot removed, access denied):
    never retry; pause the subscription and tell the subscriber."""


class Sender(Protocol):
    async def send(self, target: Target, replies: list[Reply], key: str) -> str:
        """Post the replies; return a reference to the first message (for threading).

        ``key`` is the delivery's idempotency key; platforms that support one (Discord's
        nonce) pass it on so the platform itself drops a duplicate. A sender may set
        ``max_in_flight`` to take fewer sends at once than the scheduler's concurrency.
        """
        ...


class ConsoleSender:
    """Posts to the terminal: console subscriptions under ``coach run`` and ``coach schedule run-due``.

    The message reference it returns is the delivery key, so a reveal shows which post it
    answers, across processes too.
    """

    # One post at a time, as a terminal shows them; the scheduler then writes each result the moment
    # it is printed, so a kill can leave at most one console post printed but unrecorded.
    max_in_flight = 1

    def __init__(self, out=None):
        self.out = out  # None: sys.stdout at send time (pytest's capsys swaps it)

    async def send(self, target: Target, replies: list[Reply], key: str) -> str:
        import sys

        out = self.out or sys.stdout
        where = f"DM @{target.channel}" if target.is_dm else f"#{target.channel}"
        thread = f" (thread of {target.thread})" if target.thread else ""
        lines = [f"── {target.platform}/{target.workspace} {where}{thread} · {key}"]
        for reply in replies:
            lines.append(plain_mentions(reply.plain()))
            lines += [f"  [{button.label}]" for button in reply.buttons]
        # one write, then flush: a post is whole or absent, as on a platform (a kill can't split it)
        out.write("\n".join(lines) + "\n\n")
        out.flush()
        return key
