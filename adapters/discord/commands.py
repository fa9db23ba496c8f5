"""The slash commands. Each one builds the shared grammar's text and hands it to the coach;
typed options only spare users from remembering the grammar."""
from __future__ import annotations

from typing import Optional

import discord
from discord import app_commands

TRACKS = [
    app_commands.Choice(name="AI PM", value="ai-pm"),
    app_commands.Choice(name="Data Scientist PM", value="ds-pm"),
    app_commands.Choice(name="Traditional PM", value="traditional-pm"),
    app_commands.Choice(name="Career", value="career"),
]
TARGETS = [
    app_commands.Choice(name="this channel (or this DM)", value="here"),
    app_commands.Choice(name="me, in a DM", value="me"),
]
DAYS = ["daily", "weekdays", "weekends", "mon,wed,fri", "tue,thu"]
AUTOCOMPLETE_MAX = 25

_zones: list[str] = []


def timezones(current: str) -> list[str]:
    """IANA zones for what the user has typed: prefix matches first, then zones whose
    city part starts with it ('berl' -> Europe/Berlin)."""
    if not _zones:  # only names the bot accepts: not US/Eastern, GB or EST5EDT, which it refuses
        from bot.users import place_names

        _zones.extend(place_names())
    typed = current.strip().lower().replace(" ", "_")
    if not typed:
        return _zones[:AUTOCOMPLETE_MAX]
    first = [z for z in _zones if z.lower().startswith(typed)]
    later = [z for z in _zones if z not in first and any(p.lower().startswith(typed) for p in z.split("/")[1:])]
    return (first + later)[:AUTOCOMPLETE_MAX]


def _value(option) -> str:
    return option.value if isinstance(option, app_commands.Choice) else (option or "")


def _default_target(is_dm: bool) -> str:
    return "me" if is_dm else "here"  # the core's default too: in a DM "here" is not a channel


def subscribe_text(time: str = "", tz: str = "", track=None, days: str = "", target=None, is_dm: bool = False) -> str:
    """'/subscribe time:9am tz:Europe/Berlin track:ai-pm' -> 'subscribe here at 9am tz Europe/Berlin track ai-pm'.
    Days need no keyword in the grammar ('weekdays', 'mon,wed,fri')."""
    parts = ["subscribe", _value(target) or _default_target(is_dm)]
    for word, value in (("at", time), ("tz", tz), ("track", _value(track)), ("", days)):
        value = " ".join((value or "").split())
        if value:
            parts += [word, value] if word else [value]
    return " ".join(parts)


def unsubscribe_text(target=None, is_dm: bool = False) -> str:
    return f"unsubscribe {_value(target) or _default_target(is_dm)}"


def _simple(name: str, description: str, text: str, slow: bool = False) -> app_commands.Command:
    async def callback(interaction: discord.Interaction) -> None:
        await interaction.client.run_command(interaction, text, slow=slow)

    return app_commands.Command(name=name, description=description, callback=callback)


def build() -> list[app_commands.Command]:
    """Fresh command objects for one tree."""

    @app_commands.command(name="ask", description="Ask a question about AI PM, Data Scientist PM or PM careers")
    @app_commands.describe(question="Your question, in your own words")
    async def ask(interaction: discord.Interaction, question: app_commands.Range[str, 1, 1000]) -> None:
        await interaction.client.run_command(interaction, f"ask {question}")

    @app_commands.command(name="drill", description="Your next practice drill (due reviews first)")
    @app_commands.describe(track="Practice one track only")
    @app_commands.choices(track=TRACKS)
    async def drill(interaction: discord.Interaction, track: Optional[app_commands.Choice[str]] = None) -> None:
        await interaction.client.run_command(interaction, f"drill {_value(track)}".strip())

    @app_commands.command(name="subscribe", description="A daily drill here or in your DMs, at your local time")
    @app_commands.describe(time="Local time, e.g. 9am or 17:30", tz="Time zone, e.g. Europe/Berlin",
                           track="Drills from one track only", days="e.g. weekdays, daily, mon,wed,fri",
                           target="This channel (needs Manage Channels) or a DM to you")
    @app_commands.choices(track=TRACKS, target=TARGETS)
    async def subscribe(interaction: discord.Interaction, time: Optional[app_commands.Range[str, 1, 20]] = None,
                        tz: Optional[app_commands.Range[str, 1, 64]] = None,
                        track: Optional[app_commands.Choice[str]] = None,
                        days: Optional[app_commands.Range[str, 1, 40]] = None,
                        target: Optional[app_commands.Choice[str]] = None) -> None:
        # No default_permissions here: the same command serves DMs. The coach refuses a
        # channel subscription unless the request says the member can manage the channel.
        await interaction.client.run_command(
            interaction, subscribe_text(time, tz, track, days, target, is_dm=interaction.guild_id is None))

    @subscribe.autocomplete("tz")
    async def subscribe_tz(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezones(current)]

    @subscribe.autocomplete("days")
    async def subscribe_days(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        options = [d for d in DAYS if d.startswith(typed)] or ([current.strip()] if typed else DAYS)
        return [app_commands.Choice(name=d[:100], value=d[:100]) for d in options]

    @app_commands.command(name="unsubscribe", description="Stop the daily drill here or in your DMs")
    @app_commands.describe(target="This channel (needs Manage Channels) or your DMs")
    @app_commands.choices(target=TARGETS)
    async def unsubscribe(interaction: discord.Interaction, target: Optional[app_commands.Choice[str]] = None) -> None:
        await interaction.client.run_command(interaction, unsubscribe_text(target, is_dm=interaction.guild_id is None))

    @app_commands.command(name="timezone", description="Show or set your time zone")
    @app_commands.describe(tz="e.g. Europe/Berlin; leave empty to see yours")
    async def timezone(interaction: discord.Interaction, tz: Optional[app_commands.Range[str, 1, 64]] = None) -> None:
        await interaction.client.run_command(interaction, f"timezone {tz or ''}".strip())

    @timezone.autocomplete("tz")
    async def timezone_tz(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezones(current)]

    return [
        ask, drill,
        _simple("review", "Review the drills that are due today", "review"),
        _simple("stats", "Your streak, accuracy and reviews due", "stats"),
        _simple("leaderboard", "This channel's leaderboard", "leaderboard"),
        subscribe, unsubscribe,
        _simple("subscriptions", "The daily drills set up here and for you", "subscriptions"),
        _simple("topics", "What the library covers", "topics"),
        timezone,
        _simple("help", "What I can do", "help"),
        _simple("export-me", "Everything I store about you, as JSON (only you see it)", "export-me", slow=True),
        _simple("forget-me", "Delete everything I store about you", "forget-me"),
    ]


def register(tree: app_commands.CommandTree) -> None:
    for command in build():
        tree.add_command(command)
