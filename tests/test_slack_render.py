"""Reply -> Block Kit: Slack's dialect, escaping, and every Block Kit limit, for any Reply."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack import render
from bot.messages import Button, Citation, Reply


def test_light_markdown_becomes_slack_mrkdwn():
    assert render.mrkdwn("**bold** and _italic_") == "*bold* and _italic_"
    assert render.mrkdwn("see [the guide](https://x.io/a?b=1&c=2)") == "see <https://x.io/a?b=1&amp;c=2|the guide>"
    assert render.mrkdwn("- one\n- two") == "• one\n• two"
    assert render.mrkdwn("`**not bold** <x>`") == "`**not bold** &lt;x&gt;`"


def test_user_text_cannot_inject_mentions_broadcasts_or_links():
    assert render.mrkdwn("<!channel> & <!here> <https://evil|ok> <@U1|x> <#C1|y> <@U1> <#C1>") == \
        "&lt;!channel&gt; &amp; &lt;!here&gt; &lt;https://evil|ok&gt; &lt;@U1|x&gt; &lt;#C1|y&gt; &lt;@U1&gt; &lt;#C1&gt;"
    assert render.mrkdwn("[a|b>](https://x)") == "<https://x|a¦b&gt;>"


def test_the_cores_channel_and_person_mentions_are_slack_mentions():
    from bot.messages import channel_ref, user_ref

    text = f"Stopped the daily drill ({channel_ref('C0GONE0001')}) set up by {user_ref('U042')} & **you**"
    assert render.mrkdwn(text) == "Stopped the daily drill (<#C0GONE0001>) set up by <@U042> &amp; *you*"
    assert render.mrkdwn("`<#C1>`") == "`&lt;#C1&gt;`"  # code stays literal


def test_an_answer_renders_text_citation_and_buttons():
    reply = Reply(text="An **F1** score balances precision & recall.",
                  citation=Citation("a", "AI PM vs DS PM", "Metrics"),
                  buttons=(Button("What is recall?", "ask:u:1"), Button("👍", "fb:up:1"), Button("👎", "fb:down:1")),
                  kind="answer")
    blocks = render.blocks(reply)
    assert blocks[0] == {"type": "section",
                         "text": {"type": "mrkdwn", "text": "An *F1* score balances precision &amp; recall."}}
    assert blocks[1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "From: AI PM vs DS PM › Metrics"}]}
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == \
        [("coach:0", "ask:u:1"), ("coach:1", "fb:up:1"), ("coach:2", "fb:down:1")]
    [message] = render.messages(reply)
    assert message["text"].startswith("An *F1* score") and "From: AI PM vs DS PM › Metrics" in message["text"]


def test_fields_become_section_fields_and_styles_survive():
    reply = Reply(title="Leaderboard", text="This week", fields=(("1. ana", "5 correct"), ("2. bo", "3 correct")),
                  buttons=(Button("Go", "drill:next", style="primary"), Button("Stop", "x", style="danger"),
                           Button("Odd", "y", style="weird")))
    blocks = render.blocks(reply)
    assert blocks[0]["type"] == "header"
    [fields] = [b for b in blocks if "fields" in b]
    assert fields["fields"][0] == {"type": "mrkdwn", "text": "*1. ana*\n5 correct"}
    styles = [e.get("style") for e in blocks[-1]["elements"]]
    assert styles == ["primary", "danger", None]


def test_input_buttons_carry_their_label_in_the_action_id():
    button = Button("Answer", "drill:answer:d1:7", input_label="Your answer")
    element = render.button_element(3, button)
    assert element["value"] == "drill:answer:d1:7"
    assert render.parse_action_id(element["action_id"]) == (3, "Your answer")
    assert render.parse_action_id("coach:4") == (4, "")
    long_label = render.button_element(0, Button("A", "a", input_label="L" * 400))["action_id"]
    assert len(long_label) <= render.MAX_ACTION_ID


def test_modal_metadata_round_trips_and_stays_within_limits():
    view = render.modal("Your answer", {"action": "drill:answer:d:1", "channel": "C1", "response_url": "u" * 4000},
                        context="Prompt")
    assert len(view["private_metadata"]) <= render.MAX_METADATA
    assert render.decode_metadata(view["private_metadata"]) == {"action": "drill:answer:d:1", "channel": "C1"}
    assert render.decode_metadata("not json") == {}
    assert len(view["title"]["text"]) <= render.MAX_MODAL_TITLE


def test_a_button_whose_action_cannot_fit_is_left_out_rather_than_corrupted():
    reply = Reply(text="x", buttons=(Button("ok", "a:1"), Button("too long", "b:" + "x" * 3000)))
    values = [e["value"] for b in render.blocks(reply) if b["type"] == "actions" for e in b["elements"]]
    assert values == ["a:1"]


def _block_text(blocks: list[dict]) -> str:
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b)


def test_a_huge_reply_becomes_several_messages_with_nothing_left_out():
    lines = [f"line {i} " + "w" * 2500 for i in range(80)]
    reply = Reply(title="Long", text="\n".join(lines), buttons=tuple(Button(f"b{i}", f"act:{i}") for i in range(30)))
    messages = render.messages(reply)
    assert len(messages) > 1
    for message in messages:
        assert len(message["blocks"]) <= render.MAX_BLOCKS
        assert render.block_text_length(message["blocks"]) <= render.MAX_MESSAGE_TEXT
        assert not any("shortened" in json.dumps(b) for b in message["blocks"])
    sent = "\n".join(_block_text(m["blocks"]) for m in messages)
    assert [line for line in sent.split("\n") if line] == lines  # every line, in order, whole
    assert messages[0]["blocks"][0]["type"] == "header"
    elements = [e for m in messages for b in m["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert len(elements) == 30 and messages[-1]["blocks"][-1]["type"] == "actions"


def test_a_long_code_block_is_split_into_closed_fences_and_keeps_every_character():
    body = "\n".join(f'  "row {i}": "{"x" * 90}",' for i in range(400))
    reply = Reply(title="Your data", text=f"Here:\n```json\n{body}\n```")
    messages = render.messages(reply)
    code = []
    for message in messages:
        for block in message["blocks"]:
            if block["type"] == "section" and "```" in block["text"]["text"]:
                text = block["text"]["text"]
                assert text.count("```") == 2, "every section opens and closes its own fence"
                code.append(text[text.index("```") + 3:text.rindex("```")].strip("\n"))
    assert "\n".join(code) == body.replace("&", "&amp;")
    assert "json" not in code[0].split("\n")[0]  # Slack shows a language tag as text


def test_markdown_inside_a_code_block_is_left_alone():
    out = render.mrkdwn("```\n- **not bold** <x>\n```")
    assert out == "```\n- **not bold** &lt;x&gt;\n```"


def test_markdown_tables_read_as_labelled_lines():
    text = ("Compared:\n\n| Category | AI PM | Traditional PM |\n|---|:---:|---|\n"
            "| Median Salary (US) | $185K–$250K | $145K–$195K |\n| Tools | Jupyter, LangSmith | Jira, Figma |\n\nAfter.")
    out = render.mrkdwn(text)
    assert "|" not in out
    assert "• *Median Salary (US)* — *AI PM:* $185K–$250K · *Traditional PM:* $145K–$195K" in out
    assert "• *Tools* — *AI PM:* Jupyter, LangSmith · *Traditional PM:* Jira, Figma" in out
    assert out.startswith("Compared:") and out.endswith("After.")
    # A lone pipe in prose is not a table.
    assert render.mrkdwn("a | b") == "a | b"


@given(st.text())
def test_text_without_links_never_yields_slack_control_sequences(text):
    out = render.mrkdwn(text.replace("](", "] (").replace("\ue000", ""))  # the core's mention mark: never typed
    assert "<" not in out and ">" not in out


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=4000)
_button = st.builds(Button, label=st.text(max_size=120), action=st.text(min_size=1, max_size=2100),
                    style=st.sampled_from(["", "primary", "danger"]), input_label=st.text(max_size=300))
_reply = st.builds(Reply, text=_text, title=st.text(max_size=300),
                   fields=st.lists(st.tuples(st.text(max_size=200), st.text(max_size=2500)), max_size=24).map(tuple),
                   buttons=st.lists(_button, max_size=60).map(tuple),
                   citation=st.none() | st.builds(Citation, st.text(max_size=20), st.text(max_size=200),
                                                  st.text(max_size=200)))


@settings(max_examples=60, deadline=None)
@given(_reply)
def test_every_reply_fits_block_kit_limits(reply):
    for message in render.messages(reply):
        _fits(message, reply)


def _fits(message, reply):
    assert message["text"].strip() and len(message["text"]) <= render.MAX_FALLBACK
    blocks = message["blocks"]
    assert len(blocks) <= render.MAX_BLOCKS
    action_ids = []
    for block in blocks:
        if block["type"] == "section":
            if "text" in block:
                assert 0 < len(block["text"]["text"]) <= render.MAX_SECTION
            for field in block.get("fields", []):
                assert len(field["text"]) <= render.MAX_FIELD
            assert len(block.get("fields", [])) <= render.MAX_FIELDS
        elif block["type"] == "header":
            assert 0 < len(block["text"]["text"]) <= render.MAX_HEADER
        elif block["type"] == "actions":
            assert 0 < len(block["elements"]) <= render.MAX_ACTIONS
            for element in block["elements"]:
                assert 0 < len(element["text"]["text"]) <= render.MAX_BUTTON_TEXT
                assert len(element["action_id"]) <= render.MAX_ACTION_ID
                assert element["value"] in {b.action for b in reply.buttons}
                action_ids.append(element["action_id"])
    assert len(action_ids) == len(set(action_ids))
    assert render.block_text_length(blocks) <= render.MAX_MESSAGE_TEXT
    json.dumps(message)  # serialisable as sent


def test_the_coachs_own_mentions_render_as_mentions_and_typed_ones_stay_text():
    from bot.messages import channel_ref, user_ref
    reply = Reply(title=f"Paused in {channel_ref('C1')}", text=f"Stopped the daily drill ({channel_ref('C1')}) for "
                  f"{user_ref('U2')}; you typed <@U3>.")
    out = json.dumps(render.messages(reply))
    assert "<#C1>" in out and "<@U2>" in out and "&lt;@U3&gt;" in out
    assert "Paused in #C1" in out  # a header is plain text: no markup there
    assert "\\ue000" not in out and "\\ue001" not in out
