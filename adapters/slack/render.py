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
from dataclasses import replace

from bot.messages import Button, Reply, plain_mentions, platform_mentions

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

MAX_MESSAGE_TEXT = 10_000  # Slack rejects a message whose blocks hold ~12,000 characters (msg_blocks_too_long)

_CODE = re.compile(r"(`[^`\n]+`)")
_FENCE = re.compile(r"```[^\n`]*\n?(.*?)(?:\n?```|\Z)", re.S)
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BULLET = re.compile(r"^(\s*)- ", re.M)
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_STYLES = {"primary", "danger"}
FENCE = "```"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mrkdwn(text: str) -> str:
    """The neutral light Markdown in Slack's dialect, with &, <, > escaped.

    Fenced code blocks stay verbatim (escaped only) on lines of their own; Markdown tables,
    which Slack cannot show, become one labelled line per row.
    """
    text, out, last = text or "", [], 0
    for m in _FENCE.finditer(text):
        out.append(_inline(tables(text[last:m.start()])))
        before = "".join(out)
        lead = "" if not before or before.endswith("\n") else "\n"
        trail = "" if text[m.end():m.end() + 1] in ("", "\n") else "\n"
        out.append(f"{lead}{FENCE}\n{escape(m.group(1))}\n{FENCE}{trail}")
        last = m.end()
    out.append(_inline(tables(text[last:])))
    return "".join(out)


def _inline(text: str) -> str:
    out = []
    for i, part in enumerate(_CODE.split(text)):
        if i % 2:  # inside `code`: only escaping applies
            out.append(escape(part))
            continue
        out.append(_links(part))
    return "".join(out)


def _links(part: str) -> str:
    pieces, last = [], 0
    for m in _LINK.finditer(part):
        pieces.append(_prose(part[last:m.start()]))
        label = escape(m.group(1)).replace("|", "¦")
        pieces.append(f"<{escape(m.group(2))}|{label}>")
        last = m.end()
    pieces.append(_prose(part[last:]))
    return "".join(pieces)


def _prose(text: str) -> str:
    text = _BOLD.sub(lambda m: f"*{m.group(1)}*", platform_mentions(escape(text)))
    return _BULLET.sub(lambda m: f"{m.group(1)}• ", text)


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [cell.strip() for cell in line.split("|")]


def tables(text: str) -> str:
    """Markdown tables (a header row, a |---| rule, rows) as "- **row** — **Header:** value · …" lines."""
    lines = text.split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if (line.strip().startswith("|") and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1].strip())):
            headers = _cells(line)
            i += 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = _cells(lines[i])
                first, rest = (cells[0] if cells else ""), cells[1:]
                pairs = [f"**{h}:** {v}" if h else v for h, v in zip(headers[1:], rest) if v]
                label = f"**{first}**" if first else ""
                out.append("- " + " — ".join(p for p in (label, " · ".join(pairs)) if p))
                i += 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def plain_text(text: str, limit: int) -> dict:
    # Slack rejects empty plain text; an ellipsis is the least surprising stand-in.
    text = plain_mentions(text)
    return {"type": "plain_text", "text": clip(text if text.strip() else "…", limit), "emoji": True}


def _chunks(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Split on line boundaries so no section exceeds ``limit``; a code block cut in two is
    closed at the end of one section and reopened at the start of the next."""
    close = "\n" + FENCE
    room = limit - len(close)  # always leave room to close a fence
    chunks: list[str] = []
    lines: list[str] = []
    length, fenced = 0, False

    def emit() -> None:
        nonlocal lines, length
        reopen = fenced
        if fenced and lines and lines[-1] == FENCE:  # a fence that only just opened moves on whole
            lines.pop()
        elif fenced:
            lines.append(FENCE)
        body = "\n".join(lines)
        if body.strip():
            chunks.append(body)
        lines = [FENCE] if reopen else []
        length = len(FENCE) if reopen else 0

    for line in text.split("\n"):
        step = room - len(FENCE) - 1  # a piece must fit after a reopened fence
        pieces = [line[i:i + step] for i in range(0, len(line), step)] or [""]
        for piece in pieces:
            if lines and length + 1 + len(piece) > room:
                emit()
            length += len(piece) + (1 if lines else 0)
            lines.append(piece)
        if line == FENCE:
            fenced = not fenced
    if fenced:
        emit()
        lines = []
    body = "\n".join(lines)
    if body.strip():
        chunks.append(body)
    return [c for c in chunks if c.strip() and c.strip() != FENCE]


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


def _content(reply: Reply) -> list[dict]:
    content: list[dict] = []
    if reply.title.strip():
        content.append({"type": "header", "text": plain_text(reply.title, MAX_HEADER)})
    for chunk in _chunks(mrkdwn(reply.text)):
        content.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    fields: list[dict] = []

    def flush() -> None:
        for start in range(0, len(fields), MAX_FIELDS):
            content.append({"type": "section", "fields": fields[start:start + MAX_FIELDS]})
        fields.clear()

    for name, value in reply.fields:
        text = f"*{mrkdwn(name)}*\n{mrkdwn(value)}"
        if len(text) <= MAX_FIELD:
            fields.append({"type": "mrkdwn", "text": text})
            continue
        # too long for a field (a reveal naming hundreds): sections of its own, cut between items, never clipped
        flush()
        for chunk in _chunks(_wrap_items(text, MAX_SECTION - 100)):
            content.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    flush()
    if reply.citation:
        content.append({"type": "context",
                        "elements": [{"type": "mrkdwn", "text": clip(escape(reply.citation.line()), MAX_SECTION)}]})
    return content


def _wrap_items(text: str, width: int) -> str:
    """Long lines broken after ", " (a list of names) so _chunks cuts between items, not inside one."""
    out = []
    for line in text.split("\n"):
        while len(line) > width and (cut := line.rfind(", ", 0, width)) > 0:
            out.append(line[:cut + 1])
            line = line[cut + 2:]
        out.append(line)
    return "\n".join(out)


def _actions(reply: Reply) -> list[dict]:
    elements = [e for i, b in enumerate(reply.buttons) if (e := button_element(i, b))]
    actions = [{"type": "actions", "elements": elements[s:s + MAX_ACTIONS]}
               for s in range(0, len(elements), MAX_ACTIONS)]
    return actions[: MAX_BLOCKS // 2]


def blocks(reply: Reply) -> list[dict]:
    """Every block of the reply in order, before it is split into messages (see ``messages``)."""
    return _content(reply) + _actions(reply)


def _texts(block: dict) -> list[str]:
    if block["type"] in ("section", "header"):
        return ([block["text"]["text"]] if "text" in block else []) + [f["text"] for f in block.get("fields", [])]
    if block["type"] == "context":
        return [e.get("text", "") for e in block["elements"]]
    if block["type"] == "actions":
        return [e["text"]["text"] for e in block["elements"]]
    return []


def block_text_length(blocks_: list[dict]) -> int:
    """The characters Slack counts against a message's block limit (msg_blocks_too_long)."""
    return sum(len(t) for b in blocks_ for t in _texts(b))


def messages(reply: Reply) -> list[dict]:
    """The reply as one Slack message, or as several when it cannot fit one, never cut short:
    the header opens the first, the buttons close the last."""
    groups: list[list[dict]] = [[]]
    for block in blocks(reply):
        group = groups[-1]
        if group and (len(group) + 1 > MAX_BLOCKS
                      or block_text_length(group) + block_text_length([block]) > MAX_MESSAGE_TEXT):
            groups.append([block])
        else:
            group.append(block)
    out = []
    for n, group in enumerate(groups):
        text = fallback(reply) if n == 0 else _fallback_of(group)
        out.append({"text": text, "blocks": group})
    return out


def _fallback_of(group: list[dict]) -> str:
    text = "\n".join(t for b in group if b["type"] != "actions" for t in _texts(b)).strip()
    text = text or " · ".join(t for b in group for t in _texts(b)).strip()
    return clip(text, MAX_FALLBACK) if text else "…"


def fallback(reply: Reply) -> str:
    """The notification / screen-reader text Slack shows when blocks cannot be."""
    text = reply.plain().strip() or " · ".join(b.label for b in reply.buttons if b.label.strip())
    return clip(mrkdwn(text), MAX_FALLBACK) if text.strip() else "…"


MAX_INLINE_CODE = MAX_SECTION - 100  # a code block longer than one section goes as a file


def attachment(reply: Reply) -> tuple[Reply, str, str] | None:
    """(the reply without it, a file name, the text) for a reply's code block too long to read in
    a message, e.g. export-me's JSON; None when it has none."""
    longest = max(_FENCE.finditer(reply.text or ""), key=lambda m: len(m.group(1)), default=None)
    if longest is None or len(longest.group(1)) <= MAX_INLINE_CODE:
        return None
    language = re.match(r"```([A-Za-z0-9]*)", longest.group(0)).group(1).lower()
    stem = re.sub(r"[^a-z0-9]+", "-", (reply.title or "pm-coach").lower()).strip("-") or "pm-coach"
    text = (reply.text[:longest.start()] + reply.text[longest.end():]).strip()
    return replace(reply, text=text), f"{stem}.{language or 'txt'}", longest.group(1)


def is_empty(reply: Reply) -> bool:
    return not reply.plain().strip() and not reply.buttons


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
