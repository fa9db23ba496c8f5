"""Terminal chat with the coach: no tokens, the embedded SQLite default.

Buttons are numbered; type the number to click. ``:user NAME`` / ``:channel NAME|dm``
switch who you are playing, ``:quit`` leaves. ``--json`` prints one reply a line.
"""
from __future__ import annotations

import json
import os
import re
import sys
from typing import TextIO

from bot.messages import Button, Reply, Request, plain_mentions

WORKSPACE = "local"
_BOLD = re.compile(r"\*\*(.+?)\*\*")


class ConsoleChat:
    def __init__(self, coach, user: str = "you", channel: str | None = None, json_mode: bool = False,
                 out: TextIO = sys.stdout, color: bool | None = None):
        self.coach = coach
        self.user = user
        self.channel = channel  # None: a DM with the bot
        self.json_mode = json_mode
        self.out = out
        self.color = out.isatty() if color is None else color
        self.buttons: list[Button] = []
        # Who may click the shown buttons ("" = anyone) and the conversation they were shown in:
        # a private reply's buttons are its owner's, as on Slack and Discord.
        self.buttons_owner = ""
        self.buttons_channel: str | None = None

    # ------------------------------------------------------------ input
    def request(self, text: str = "", action: str | None = None, channel: str | None = "") -> Request:
        """A request from the current user, in the current conversation unless ``channel`` says
        where (None: the user's DM with the bot)."""
        channel = self.channel if channel == "" else channel
        return Request(platform="console", workspace=WORKSPACE, channel=channel or f"dm-{self.user}",
                       user=self.user, text=text, action=action, is_dm=channel is None, user_name=self.user)

    def feed(self, line: str, ask_input=None) -> bool:
        """Handle one typed line; False when the user asked to quit."""
        line = line.strip()
        if line in (":quit", ":q", "quit", "exit"):
            return False
        if line.startswith(":user "):
            self.user = line[6:].strip() or self.user
            self._note(f"(you are now {self.user})")
            return True
        if line.startswith(":channel "):
            name = line[9:].strip()
            self.channel = None if name in ("", "dm") else name.lstrip("#")
            self._note(f"(now in {'a DM' if self.channel is None else '#' + self.channel})")
            return True
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            button = self.buttons[int(line) - 1]
            if self.buttons_owner and self.buttons_owner != self.user:
                self._note(f"(those buttons were shown only to {self.buttons_owner})")
                return True
            typed = ""
            if button.input_label:
                typed = ask_input(f"{button.input_label}> ") if ask_input else ""
                if typed is None:
                    return True
            self.show(self.coach.handle(self.request(text=typed, action=button.action,
                                                     channel=self.buttons_channel)))
            return True
        if line.isdigit() and len(line) <= 2:  # a click on a button that is gone, not a question
            n = len(self.buttons)
            shown = f"the last reply has buttons 1–{n}" if n > 1 else ("only button 1" if n else "no buttons to click")
            self._note(f"(there is no button {line}: {shown})")
            return True
        if line:
            self.show(self.coach.handle(self.request(text=line)))
        return True

    # ----------------------------------------------------------- output
    def _note(self, text: str) -> None:
        if not self.json_mode:
            print(text, file=self.out)

    def _bold(self, text: str) -> str:
        text = plain_mentions(text)  # no client renders <#id> here
        return _BOLD.sub((lambda m: f"\033[1m{m.group(1)}\033[0m") if self.color else (lambda m: m.group(1)), text)

    def show(self, replies: list[Reply]) -> None:
        self.buttons = []
        private = self.channel is None or any(r.ephemeral and r.buttons for r in replies)
        self.buttons_owner = self.user if private else ""
        self.buttons_channel = self.channel
        for reply in replies:
            if self.json_mode:
                print(plain_mentions(json.dumps(reply.to_dict(), ensure_ascii=False)), file=self.out)
                self.buttons.extend(reply.buttons)
                continue
            print(self.render(reply, start=len(self.buttons) + 1), file=self.out)
            self.buttons.extend(reply.buttons)
        self.out.flush()

    def render(self, reply: Reply, start: int = 1) -> str:
        lines = []
        if reply.title:
            lines.append(self._bold(f"**{reply.title}**"))
        if reply.text:
            lines.append(self._bold(reply.text))
        for name, value in reply.fields:
            lines.append(self._bold(f"  **{name}:** {value}"))
        if reply.citation:
            lines.append(f"  {reply.citation.line()}")
        if reply.buttons:
            lines.append("  " + "   ".join(f"[{start + i}] {b.label}" for i, b in enumerate(reply.buttons)))
        if reply.ephemeral and self.channel:
            lines.insert(0, "(only you can see this)")
        return "\n".join(lines) + "\n"


def _history():
    try:
        import readline
    except ImportError:  # Windows without pyreadline
        return
    path = os.path.expanduser("~/.coach_history")
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    import atexit

    atexit.register(lambda: _safe_write(readline, path))


def _safe_write(readline, path):
    try:
        readline.write_history_file(path)
    except OSError:
        pass


def run_chat(coach, user: str = "you", channel: str | None = None, json_mode: bool = False,
             stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    chat = ConsoleChat(coach, user, channel, json_mode, out)
    interactive = stdin.isatty() and not json_mode
    if interactive:
        _history()
        print("PM Coach — ask a question, or type `help`. Numbers click buttons; :quit leaves.\n", file=out)

    def ask_input(prompt: str):
        if interactive:
            try:
                return input(prompt)
            except EOFError:
                return None
        line = stdin.readline()
        return line.rstrip("\n") if line else None

    while True:
        try:
            line = input(f"{chat.user}> ") if interactive else stdin.readline()
        except (EOFError, KeyboardInterrupt):
            print(file=out)
            return 0
        if not interactive and line == "":
            return 0
        if not chat.feed(line, ask_input):
            return 0
