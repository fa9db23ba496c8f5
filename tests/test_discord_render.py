"""Discord rendering, custom_ids, grammar text and invite link: no network."""
from __future__ import annotations

import discord
import pytest

from adapters import discord as discord_adapter
from adapters.discord import commands, render
from adapters.discord.buttons import Binding, ButtonStore
from bot import storage
from bot.messages import Button, Citation, Reply


@pytest.fixture
def db(tmp_path):
    db = storage.open_db(tmp_path / "buttons.db")  # rendering needs only the buttons table, not a Coach
    yield db
    db.conn.close()


@pytest.fixture
def store(db):
    return ButtonStore(db)


def test_embed_carries_title_text_fields_and_citation_footer(store):
    reply = Reply(title="F1 score", text="The **harmonic mean** of precision and recall.",
                  fields=(("Track", "ds-pm"),), citation=Citation("metrics", "Metrics for PMs", "F1"),
                  kind="answer")
    (kwargs,) = render.messages(reply, store)
    (e,) = [e.to_dict() for e in kwargs["embeds"]]
    assert e["title"] == "F1 score"
    assert e["description"] == "The **harmonic mean** of precision and recall."
    assert e["fields"] == [{"name": "Track", "value": "ds-pm", "inline": True}]
    assert e["footer"]["text"] == "From: Metrics for PMs › F1"
    assert e["color"] == render.COLOURS["answer"]
    assert "view" not in kwargs and "file" not in kwargs


def test_oversized_reply_is_split_within_discord_limits_and_a_file_only_when_allowed(store):
    reply = Reply(title="T" * 300, text="x" * 5000,
                  fields=tuple((f"name {i}" + "n" * 300, "v" * 2000) for i in range(30)),
                  citation=Citation("a", "A" * 1500, "S" * 1500))
    sent = render.messages(reply, store)
    assert len(sent) > 1 and not any("file" in kw for kw in sent)
    embeds = [e for kw in sent for e in kw["embeds"]]
    assert embeds[0].title.startswith("T") and len(embeds[0].title) <= 256 and embeds[0].title.endswith("…")
    for kw in sent:
        assert len(kw["embeds"]) <= 10
        assert sum(len(e) for e in kw["embeds"]) <= 6000  # discord.Embed.__len__: Discord's count
    for e in embeds:
        assert len(e.description or "") <= 4096 and len(e.fields) <= 25
        assert all(len(f.name) <= 256 and len(f.value) <= 1024 for f in e.fields)
    assert len(embeds[-1].footer.text) <= 2048
    assert "".join(e.description or "" for e in embeds) == "x" * 5000
    assert sum(f.value.count("v") for e in embeds for f in e.fields) == 30 * 2000

    (with_file,) = render.messages(reply, store, attach=True)  # a DM, say: one message and the whole as a file
    whole = with_file["file"].fp.read().decode()
    assert "x" * 5000 in whole and "v" * 2000 in whole and with_file["file"].filename.endswith(".md")


def test_text_split_closes_and_reopens_code_blocks():
    text = "Intro:\n```json\n" + "\n".join(f'  "line {i}": "{"y" * 60}",' for i in range(200)) + "\n```\nafter"
    pieces = render.split_text(text, 2990)
    assert len(pieces) > 1 and all(len(p) <= 2990 for p in pieces)
    assert all(p.count("```") % 2 == 0 for p in pieces)
    assert pieces[1].startswith("```json\n") and pieces[0].endswith("\n```")
    body = "".join(p.removeprefix("```json\n").removesuffix("\n```") + "\n" for p in pieces)
    assert all(f'"line {i}"' in body for i in range(200)) and body.rstrip().endswith("after")


def test_buttons_fill_at_most_five_rows_of_five_with_clipped_labels(store):
    buttons = tuple(Button("label " * 30 + str(i), f"drill:choose:d{i}:A") for i in range(40))
    buttons += (Button("again", "drill:choose:d0:A"),)  # same action: one button only
    v = render.view(Reply(text="pick", buttons=buttons), store)
    rows = v.to_components()
    assert len(rows) == 5
    assert all(len(row["components"]) == 5 for row in rows)
    ids = [c["custom_id"] for row in rows for c in row["components"]]
    assert len(set(ids)) == 25 and ids[0] == "coach:drill:choose:d0:A"
    assert all(len(c["label"]) <= 80 for row in rows for c in row["components"])


def test_button_styles_and_modal_buttons(store):
    v = render.view(Reply(text="x", buttons=(Button("Go", "drill:next", style="primary"),
                                             Button("Delete", "privacy:forget:confirm", style="danger"),
                                             Button("Answer", "drill:answer:d1:7", input_label="Your answer"))),
                    store)
    go, delete, answer = v.to_components()[0]["components"]
    assert (go["style"], delete["style"], answer["style"]) == (1, 4, 2)
    # A modal button needs its input label after a restart: it is kept under a key.
    assert answer["custom_id"].startswith("coach#")
    assert store.resolve(answer["custom_id"][len("coach"):]) == ("drill:answer:d1:7", "Your answer")


def test_long_actions_get_short_custom_ids_that_survive_a_restart(db, tmp_path):
    action = "ask:u:" + "a-very-long-unit-key/" * 10
    custom_id = ButtonStore(db).button_id(action)
    assert len(custom_id) <= 100 and custom_id.startswith("coach#")
    assert ButtonStore(db).button_id(action) == custom_id  # same button, same key, one row
    assert db.execute("SELECT count(*) FROM discord_buttons").fetchone() == (1,)
    reopened = storage.open_db(tmp_path / "buttons.db")
    try:
        assert ButtonStore(reopened).resolve(custom_id[len("coach"):]) == (action, "")
    finally:
        reopened.conn.close()
    assert render.CoachButton.__discord_ui_compiled_template__.fullmatch(custom_id)
    assert ButtonStore(db).resolve("#" + "0" * 24) is None


def test_modal_id_round_trips_and_modal_text_reads_both_payload_shapes(store):
    modal_id = store.modal_id("drill:answer:d1:7")
    assert store.resolve_modal(modal_id) == ("drill:answer:d1:7", Binding())
    bound = Binding("111", "800000000000000001")
    assert store.resolve_modal(store.modal_id("drill:answer:d1:7", bound)) == ("drill:answer:d1:7", bound)
    assert store.resolve_modal("coach:drill:next") is None  # a button id is not a modal id
    rows = {"components": [{"type": 1, "components": [{"type": 4, "custom_id": "answer", "value": "tie it to AUC"}]}]}
    labelled = {"components": [{"type": 18, "component": {"type": 4, "custom_id": "answer", "value": "precision"}}]}
    assert render.modal_text(rows) == "tie it to AUC"
    assert render.modal_text(labelled) == "precision"


def test_answer_modal_clips_title_and_label():
    modal = render.AnswerModal("coachm:drill:answer:d1:7", title="T" * 60, input_label="L" * 60)
    payload = modal.to_dict()
    assert len(payload["title"]) <= 45 and payload["custom_id"] == "coachm:drill:answer:d1:7"
    text_input = payload["components"][0]["components"][0]
    assert text_input["style"] == discord.TextStyle.paragraph.value and len(text_input["label"]) <= 45


def test_subscribe_options_become_the_shared_grammar():
    track = commands.TRACKS[0]
    assert commands.subscribe_text("9am", "Europe/Berlin", track) == "subscribe here at 9am tz Europe/Berlin track ai-pm"
    assert commands.subscribe_text(days="mon, wed", target=commands.TARGETS[1]) == "subscribe me mon, wed"
    assert commands.subscribe_text(" 17:30 ", days="weekdays") == "subscribe here at 17:30 weekdays"
    assert commands.subscribe_text("7am", is_dm=True) == "subscribe me at 7am"  # in a DM, "here" is no channel
    assert commands.unsubscribe_text() == "unsubscribe here"
    assert commands.unsubscribe_text(is_dm=True) == "unsubscribe me"
    assert commands.unsubscribe_text(commands.TARGETS[1]) == "unsubscribe me"


def test_time_zone_autocomplete_matches_the_typed_prefix():
    assert commands.timezones("europe/ber")[0] == "Europe/Berlin"
    assert "Europe/Berlin" in commands.timezones("berl")
    assert commands.timezones("america/new")[0] == "America/New_York"
    assert commands.timezones("new york")[0] == "America/New_York"
    assert all(z.lower().startswith("a") for z in commands.timezones("a"))
    assert len(commands.timezones("")) == 25 and commands.timezones("")[0] == "UTC"
    assert commands.timezones("nowhere/at-all") == []


def test_invite_url_scopes_and_permissions():
    url = discord_adapter.invite_url(123)
    assert "client_id=123" in url and "scope=bot+applications.commands" in url
    perms = discord.Permissions(int(url.rsplit("permissions=", 1)[1]))
    granted = {name for name, on in perms if on}
    assert granted == {"read_messages", "send_messages", "send_messages_in_threads", "create_public_threads",
                       "embed_links", "read_message_history"}


def test_configured_and_missing_help():
    assert discord_adapter.configured({"DISCORD_TOKEN": "abc"})
    assert not discord_adapter.configured({"DISCORD_TOKEN": "  "})
    assert not discord_adapter.configured({})
    assert "DISCORD_TOKEN" in discord_adapter.missing_help()


def test_the_coachs_own_mentions_render_as_mentions_and_titles_stay_plain(store):
    from bot.messages import channel_ref, user_ref
    reply = Reply(title=f"Paused in {channel_ref('11')}", text=f"Stopped the daily drill ({channel_ref('11')}).",
                  fields=(("Set up by", user_ref("22")),))
    (kwargs,) = render.messages(reply, store)
    (e,) = [e.to_dict() for e in kwargs["embeds"]]
    assert e["title"] == "Paused in #11"
    assert e["description"] == "Stopped the daily drill (<#11>)."
    assert e["fields"][0]["value"] == "<@22>"


def test_typed_text_cannot_smuggle_the_coachs_mention_marks():
    from bot.coach import clean_text
    from bot.messages import MENTION_MARKS
    assert not set(clean_text(f"hi {MENTION_MARKS[0]}@1{MENTION_MARKS[1]}")) & set(MENTION_MARKS)
