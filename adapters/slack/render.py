"""Reply -> Slack Block Kit, with fallback text, clipped to Slack's limits.

Generic over Reply and Button: nothing here knows which command produced a reply.
Each button's ``value`` is the neutral action string; its ``action_id`` is
``coach:<n>`` (unique within the message) so one listener catches every click.
A button that asks for typed input gets ``coach:<n>:<input label>``: the click
opens a modal with that label, and the label survives a restart with the message.
"""
from __future__ import annotations

import json
import re

from bot.messages import Button, Reply

ACTION_PREFIX = "coach:"
MODAL_CALLBACK = "coach:modal"
INPUT_BLOCK, INPUT_ACTION = "coach_input", "text"

# Block Kit limits (https://docs.slack.dev/reference/block-kit)
MAX_BLOCKS = 50
MAX_ACTIONS = 25
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_VALUE = 2000
MAX_HEADER = 150
MAX_FALLBACK = 3000
MAX_METADATA = 3000
MAX_MODAL_TITLE = 24
MAX_INPUT_LABEL = 2000

_CODE = re.compile(r"(`[^`\n]+`)")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BULLET = re.compile(r"^(\s*)- ", re.M)
_STYLES = {"primary", "danger"}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mrkdwn(text: str) -> str:
    """The neutral light Markdown in Slack's dialect, with &, <, > escaped."""
    out = []
    for i, part in enumerate(_CODE.split(text or "")):
        if i % 2:  # inside `code`: only escaping applies
            out.append(escape(part))
            continue
        pieces, last = [], 0
        for m in _LINK.finditer(part):
            pieces.append(_prose(part[last:m.start()]))
            label = escape(m.group(1)).replace("|", "¦")
            pieces.append(f"<{escape(m.group(2))}|{label}>")
            last = m.end()
        pieces.append(_prose(part[last:]))
        out.append("".join(pieces))
    return "".join(out)


def _prose(text: str) -> str:
    text = _BOLD.sub(lambda m: f"*{m.group(1)}*", escape(text))
    return _BULLET.sub(lambda m: f"{m.group(1)}• ", text)


def plain_text(text: str, limit: int) -> dict:
    # Slack rejects empty plain text; an ellipsis is the least surprising stand-in.
    return {"type": "plain_text", "text": clip(text if (text or "").strip() else "…", limit), "emoji": True}


def _chunks(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Split on line boundaries so no section exceeds Slack's limit."""
    chunks, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single giant line: cut it hard
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return [c for c in chunks if c.strip()]


def action_id(index: int, button: Button) -> str:
    base = f"{ACTION_PREFIX}{index}"
    if not button.input_label:
        return base
    return clip(f"{base}:{button.input_label}", MAX_ACTION_ID)


def parse_action_id(value: str) -> tuple[int, str]:
    """(button index, input label or "") from an action_id made by ``action_id``."""
    _, index, label = (value.split(":", 2) + ["", ""])[:3]
    return (int(index) if index.isdigit() else -1), label


def button_element(index: int, button: Button) -> dict | None:
    if len(button.action) > MAX_VALUE:  # clipping would corrupt the action; better no button
        return None
    element = {
        "type": "button",
        "text": plain_text(button.label, MAX_BUTTON_TEXT),
        "action_id": action_id(index, button),
        "value": button.action,
    }
    if button.style in _STYLES:
        element["style"] = button.style
    return element


def blocks(reply: Reply) -> list[dict]:
    content: list[dict] = []
    if reply.title.strip():
        content.append({"type": "header", "text": plain_text(reply.title, MAX_HEADER)})
    for chunk in _chunks(mrkdwn(reply.text)):
        content.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    fields = [{"type": "mrkdwn", "text": clip(f"*{mrkdwn(name)}*\n{mrkdwn(value)}", MAX_FIELD)}
              for name, value in reply.fields]
    for start in range(0, len(fields), MAX_FIELDS):
        content.append({"type": "section", "fields": fields[start:start + MAX_FIELDS]})
    if reply.citation:
        content.append({"type": "context",
                        "elements": [{"type": "mrkdwn", "text": clip(escape(reply.citation.line()), MAX_SECTION)}]})

    elements = [e for i, b in enumerate(reply.buttons) if (e := button_element(i, b))]
    actions = [{"type": "actions", "elements": elements[s:s + MAX_ACTIONS]}
               for s in range(0, len(elements), MAX_ACTIONS)]
    actions = actions[: MAX_BLOCKS // 2]
    room = MAX_BLOCKS - len(actions)
    if len(content) > room:  # keep the buttons; say that the text was cut
        content = content[: room - 1] + [{"type": "context",
                                           "elements": [{"type": "mrkdwn", "text": "_(shortened to fit Slack)_"}]}]
    return content + actions


def fallback(reply: Reply) -> str:
    """The notification / screen-reader text Slack shows when blocks cannot be."""
    text = reply.plain().strip() or " · ".join(b.label for b in reply.buttons if b.label.strip())
    return clip(mrkdwn(text), MAX_FALLBACK) if text.strip() else "…"


def is_empty(reply: Reply) -> bool:
    return not reply.plain().strip() and not reply.buttons


def message(reply: Reply) -> dict:
    return {"text": fallback(reply), "blocks": blocks(reply)}


def modal(input_label: str, metadata: dict, context: str = "") -> dict:
    """The view for a button that asks for typed input; metadata rides along to the submit."""
    view_blocks = []
    if context.strip():
        view_blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(context, MAX_SECTION)}})
    view_blocks.append({
        "type": "input",
        "block_id": INPUT_BLOCK,
        "label": plain_text(input_label or "Your answer", MAX_INPUT_LABEL),
        "element": {"type": "plain_text_input", "action_id": INPUT_ACTION, "multiline": True,
                    "max_length": 3000},
    })
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "title": plain_text("PM Coach", MAX_MODAL_TITLE),
        "submit": plain_text("Submit", MAX_MODAL_TITLE),
        "close": plain_text("Cancel", MAX_MODAL_TITLE),
        "private_metadata": encode_metadata(metadata),
        "blocks": view_blocks,
    }


def encode_metadata(metadata: dict) -> str:
    data = dict(metadata)
    text = json.dumps(data, separators=(",", ":"))
    # The response_url is only a fallback; drop it before anything that matters.
    if len(text) > MAX_METADATA:
        data.pop("response_url", None)
        text = json.dumps(data, separators=(",", ":"))
    return text


def decode_metadata(text: str) -> dict:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
