"""Answers from the articles: index, quality on our own question set, answer shape, declines,
`more`, feedback, gaps, topics."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot import answers, content, retrieval
from bot.answers import AnswerIndex, ask_json, gaps_report
from bot.coach import open_coach
from bot.config import Config
from bot.text import tokens

DATA = Path(__file__).parent / "data"


def norm(text: str) -> str:
    # the shared scorer's comparison: NFKC, lowercase, one kind of dash and quote, no whitespace
    import re
    import unicodedata
    dashes = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
    quotes = {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"'}
    text = unicodedata.normalize("NFKC", text or "").translate(dashes).translate(quotes)
    return re.sub(r"\s+", "", text.lower())


# ----------------------------------------------------------------- text

def test_tokens_are_stemmed_lowercase_and_stopword_free():
    assert tokens("Interviewing PMs") == tokens("interview pm") == ["interview", "pm"]
    assert tokens("What is the") == []
    assert tokens("A/B testing at $500,000") == ["abtest", "test", "500000"]


def test_people_spell_roles_and_shorthands_many_ways():
    from bot.synonyms import terms
    assert terms("ml pm vs analytics pm", query=True) == terms("AI PM vs Data Scientist PM", query=True)
    assert terms("stakeholder mgmt trad pm", query=True) == terms("stakeholder management traditional pm")
    assert terms("xfn partners", query=True) == terms("cross-functional partners")
    assert terms("rules engine", query=True) == terms("rule-based") == ["rule"]
    assert "compens" in terms("how much more do AI PMs make", query=True)
    assert "compens" not in terms("what makes a strong DS PM", query=True)
    # everyday filler is not a word the library has never heard of
    assert terms("ML stuff, like a bunch of it", query=True) == ["ml"]


def test_speller_fixes_slips_but_not_other_real_words(coach):
    speller = coach.index.speller
    assert speller.correct("salery") == "salary"  # a vowel for a vowel
    assert speller.correct("intervew") == "interview"  # a letter left out
    assert speller.correct("reccomendation") == "recommendation"
    # a consonant for a consonant is usually another word, and short words are too ambiguous
    for word in ("letter", "hiking", "pilot", "rice", "kubernetes", "x" * 500):
        assert speller.correct(word) == word
    a = coach.index.ask("ai pm base salery range")
    assert a.found and "$" in a.answer


def test_one_unknown_word_does_not_sink_an_on_topic_question(coach):
    # every other word points at one place: the odd word is phrasing, not the subject
    a = coach.index.ask("biggest zorblax when moving from classic pm into ai pm")
    assert a.found and a.citation.section == "When should I consider moving from Traditional PM to AI PM?"
    # with only a word or two we know, the unknown word is what the question is about
    assert not coach.index.ask("what is the salary of a zorblaxer").found
    assert not coach.index.ask("how do I become a zorblaxer").found


def test_a_role_the_articles_never_name_is_not_the_activity_they_discuss(coach):
    # "designer" stems to "design", which the articles use ("ML system design")
    assert coach.index.foreign_roles(["product", "designers", "interviewers", "managers"]) == {"design": "designer"}
    assert not coach.index.ask("how do I get a job as a product designer").found
    assert coach.index.ask("what do interviewers look for in an ai pm candidate").found


def test_words_scattered_over_a_section_are_a_neighbouring_topic(coach):
    # "roadmap" and "product" both occur in the day-to-day section, but no sentence or heading
    # there says "product roadmap": the articles do not explain roadmaps
    assert not coach.index.ask("what is a product roadmap").found
    assert not coach.index.ask("best project management software").found
    assert coach.index.ask("what is precision in machine learning").found


def test_a_recap_gives_way_to_the_body_on_a_near_tie_only():
    from bot.ranking import Candidate, Unit
    from bot.ranking import primary_first as _primary_first

    def cand(section, score, coverage=1.0, ctx=""):
        unit = Unit(1, "k", "k", "a", "t", section, "section", -1, frozenset(), frozenset(), frozenset(ctx.split()),
                    (), (), ())
        return Candidate(score, coverage, 0.0, unit)
    recap, body = cand("Key Takeaways", 2.0), cand("Balancing Accuracy vs Cost", 1.95)
    assert _primary_first([recap, body])[0] is body
    assert _primary_first([recap, cand("Balancing Accuracy vs Cost", 1.6)])[0] is recap
    faq = cand("How does decision-making differ?", 2.0, ctx="ai product manag faq")
    assert _primary_first([faq, cand("Binary vs Probabilistic Outcomes", 1.86)])[0] is not faq
    # a body section saying less of the question does not take the recap's place
    assert _primary_first([recap, cand("Balancing Accuracy vs Cost", 1.99, coverage=0.7)])[0] is recap
    assert _primary_first([body, recap])[0] is body


def test_short_lead_sentence_brings_the_rest_of_the_answer(coach):
    a = coach.index.ask("is ai pm harder technically than data science pm")
    assert a.found and a.answer.startswith("Not necessarily.") and "highly technical" in a.answer


# ---------------------------------------------------------------- index

def test_units_cover_sections_faq_items_list_items_and_table_rows(coach):
    kinds = dict(coach.db.execute("SELECT kind, COUNT(*) FROM answer_units GROUP BY kind").fetchall())
    assert kinds["section"] >= 40 and kinds["item"] >= 20 and kinds["row"] >= 15
    faq = coach.db.execute("SELECT COUNT(*) FROM answer_units WHERE kind = 'section' AND section LIKE 'Do I need a PhD%'")
    assert faq.fetchone()[0] == 1
    # a heading that only groups FAQ items answers nothing itself
    assert coach.db.execute("SELECT COUNT(*) FROM answer_units WHERE section = 'FAQ'").fetchone()[0] == 0


def test_index_rebuilds_only_when_content_changes(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(content.DEFAULT_ROOT / "articles", root / "articles")
    db_path = tmp_path / "c.db"
    first = open_coach(db_path, root, config=Config(db=str(db_path)))
    assert first.index.rebuilt
    keys = {r[0] for r in first.db.execute("SELECT key FROM answer_units")}
    first.db.conn.close()

    again = open_coach(db_path, root, config=Config(db=str(db_path)))
    assert not again.index.rebuilt
    assert {r[0] for r in again.db.execute("SELECT key FROM answer_units")} == keys
    assert not again.index.ask("what is a zorblaxian matrix").found
    again.db.conn.close()

    article = root / "articles" / "ai-pm-vs-ds-pm.md"
    article.write_text(article.read_text() + "\n### What is a zorblaxian matrix?\n\nA zorblaxian matrix "
                       "ranks quokka launches by wobble.\n")
    changed = open_coach(db_path, root, config=Config(db=str(db_path)))
    assert changed.index.rebuilt
    answer = changed.index.ask("what is a zorblaxian matrix")
    assert answer.found and "ranks quokka launches" in answer.answer
    # unchanged sections keep their keys, so old buttons still work
    assert keys <= {r[0] for r in changed.db.execute("SELECT key FROM answer_units")}
    changed.db.conn.close()


def test_user_text_never_reaches_match_syntax():
    assert retrieval.fts_query(["pm", "ai", "pm"]) == '"pm" OR "ai"'
    assert retrieval.fts_query(['x" OR 1', "near*", "ok"]) == '"ok"'


# -------------------------------------------------------------- quality

# questions.yaml is the held-out-style set at the bar; questions_blind.yaml was written
# without looking at the answers (first-sight top-1 per round: 52%, 60%, 47%, 40%, 67%) and is kept at a lower floor;
# tune_questions.yaml is a third blind-written set (54% / 92% at first sight), a floor against losing robustness;
# users_tune6_questions.yaml is users' long, advice-seeking phrasing (42% / 65% at first sight, 74% / 96% tuned, 79% now);
# users_tune7_questions.yaml is chattier still, with lists and near-misses (55% / 87% at first sight, 87% / 100% tuned)
# users_tune8_questions.yaml: long messages whose asking clause carries little, advice, lists, near-misses with
# numbers and tools (65% / 87% at first sight, 79% / 97% tuned)
@pytest.mark.parametrize("name, answered_bar, declined_bar", [("questions.yaml", 0.9, 0.9),
                                                                ("questions_blind.yaml", 0.85, 0.9),
                                                                ("tune_questions.yaml", 0.75, 0.9),
                                                                ("users_questions.yaml", 0.9, 0.9),
                                                                ("users_tune6_questions.yaml", 0.75, 0.9),
                                                                ("users_tune7_questions.yaml", 0.8, 0.9),
                                                                ("users_tune8_questions.yaml", 0.75, 0.9)])
def test_question_sets_meet_their_bar(coach, name, answered_bar, declined_bar):
    spec = yaml.safe_load((DATA / name).read_text())
    misses = []
    for item in spec["in_scope"]:
        a = coach.index.ask(item["q"])
        if not (a.found and any(norm(p) in norm(a.answer) for p in item["expect"])):
            misses.append(item["q"])
    wrongly = [q for q in spec["out_of_scope"] if coach.index.ask(q).found]
    assert 1 - len(misses) / len(spec["in_scope"]) >= answered_bar, misses
    assert 1 - len(wrongly) / len(spec["out_of_scope"]) >= declined_bar, wrongly


def test_answer_is_the_matching_sentences_not_the_whole_section(coach):
    a = coach.index.ask("what is a confusion matrix")
    assert a.found and "true/false positives and negatives" in a.answer
    assert len(a.answer) < 500
    assert a.citation.section == "Evaluating Model Performance: Precision, Recall, AUC"
    assert a.sources[0]["article"] == "ai-pm-vs-traditional-pm-differences"


def test_table_row_answers_with_its_columns(coach):
    a = coach.index.ask("what tools do traditional PMs use")
    assert a.found and "Jira, Figma, Amplitude" in a.answer and "Tools Used" in a.answer


@pytest.mark.parametrize("question", [
    "how do I become a doctor", "what is the salary of a nurse", "best laptop for data science",
    "what is the meaning of life", "", "   ", "?!", "the and of",
])
def test_out_of_scope_is_declined(coach, question):
    result = ask_json(coach, question)
    assert result["found"] is False and result["answer"] is None


# ------------------------------------------------------------- replies

def test_answer_reply_shape(say):
    [reply] = say("how much more do AI PMs earn than traditional PMs?")
    assert reply.kind == "answer"
    assert reply.citation and reply.citation.line().startswith("From: ")
    actions = [b.action for b in reply.buttons]
    related = [a for a in actions if a.startswith("ask:u:")]
    assert 1 <= len(related) <= 3
    assert any(a.startswith("more:") for a in actions)
    assert any(a.startswith("fb:up:") for a in actions) and any(a.startswith("fb:down:") for a in actions)
    assert all(len(a) < 90 for a in actions)
    assert all(len(b.label) <= 75 for b in reply.buttons)


def test_plain_text_question_is_routed_to_ask(say):
    [reply] = say("what does the F1 score measure")
    assert reply.kind == "answer" and "precision and recall" in reply.text


def test_decline_offers_nearest_topics(say):
    [reply] = say("ask what is the salary of a nurse")
    assert reply.kind == "decline"
    assert "don't have an answer" in reply.text
    assert 1 <= len(reply.buttons) <= 3 and all(b.action.startswith("ask:u:") for b in reply.buttons)
    # a nearest-topic button answers that topic
    [answer] = say(action=reply.buttons[0].action)
    assert answer.kind == "answer" and answer.citation


def test_empty_ask_prompts(say):
    [reply] = say("ask")
    assert reply.kind == "info" and "ask" in reply.text.lower()


def test_related_button_answers_that_unit(say):
    [reply] = say("do I need a PhD to be an AI PM")
    related = next(b for b in reply.buttons if b.action.startswith("ask:u:"))
    [answer] = say(action=related.action)
    assert answer.kind == "answer" and answer.citation.section == related.label.rstrip("…") or \
        answer.citation.section.startswith(related.label.rstrip("…"))


def test_more_expands_the_users_last_answer_only(say):
    [first] = say("more")
    assert "Ask me something first" in first.text
    [answer] = say("what is the typical interview timeline for an AI PM role")
    [more] = say("more")
    assert more.citation == answer.citation
    assert len(more.text) >= len(answer.text) and "4‑6 week process" in more.text
    [other] = say("more", user="bob")
    assert "Ask me something first" in other.text
    [elsewhere] = say("more", workspace="T2")
    assert "Ask me something first" in elsewhere.text
    more_button = next(b for b in answer.buttons if b.action.startswith("more:"))
    [clicked] = say(action=more_button.action, user="bob")
    assert clicked.text == more.text


def test_an_answers_buttons_clicked_in_a_channel_answer_only_the_one_who_clicked(say):
    """Anyone can click More or a related question under an answer in a channel, and twice: the section
    goes to whoever clicked, not into the channel again for each click."""
    [answer] = say("what is the typical interview timeline for an AI PM role", channel="team")
    assert not answer.ephemeral  # the question was asked in the channel: its answer is the channel's
    more = next(b.action for b in answer.buttons if b.action.startswith("more:"))
    related = next(b.action for b in answer.buttons if b.action.startswith("ask:u:"))
    for user in ("bob", "bob", "carol"):
        [shown] = say(action=more, user=user, channel="team")
        assert shown.ephemeral and "4‑6 week process" in shown.text
        [other] = say(action=related, user=user, channel="team")
        assert other.ephemeral and other.kind == "answer"


def test_stale_buttons_get_a_sentence(say):
    for action in ("ask:u:nope", "more:nope", "fb:up:999999", "fb:sideways:1", "ask:x"):
        [reply] = say(action=action)
        assert reply.kind == "error" and reply.text


def _feedback_rows(coach):
    return coach.db.execute("SELECT log_id, user, vote FROM answer_feedback").fetchall()


def test_feedback_second_click_updates_instead_of_double_counting(coach, say):
    [reply] = say("what does Amplitude do")
    up = next(b.action for b in reply.buttons if b.action.startswith("fb:up:"))
    down = next(b.action for b in reply.buttons if b.action.startswith("fb:down:"))
    say(action=up)
    say(action=up)
    assert [r[2] for r in _feedback_rows(coach)] == [1]
    say(action=down)
    assert [r[2] for r in _feedback_rows(coach)] == [-1]
    say(action=up, user="bob")  # another person's vote is their own
    assert sorted(r[2] for r in _feedback_rows(coach)) == [-1, 1]
    [foreign] = say(action=down, workspace="T2")  # a log id from another workspace is not theirs to vote on
    assert foreign.kind == "error" and len(_feedback_rows(coach)) == 2


def test_gaps_group_similar_questions_per_workspace(coach, say, clock):
    say("how do I become a doctor")
    clock.advance(hours=1)
    say("how can I become a doctor?", user="bob")
    say("what is the salary of a nurse")
    say("how do I become a doctor", workspace="T2")
    [reply] = say("what does Amplitude do")
    say(action=next(b.action for b in reply.buttons if b.action.startswith("fb:down:")))
    groups = answers.gaps(coach.db)
    t1 = [g for g in groups if g["workspace"] == "T1"]
    doctor = next(g for g in t1 if "doctor" in " ".join(g["questions"]))
    assert doctor["count"] == 2 and len(doctor["questions"]) == 2
    assert doctor["last_seen"] == "2026-11-23T10:00:00+00:00"
    assert any("down-voted" in g["why"] for g in t1)
    assert [g["count"] for g in groups if g["workspace"] == "T2"] == [1]
    report = gaps_report(coach)
    assert "console / T1" in report and "console / T2" in report and "2×" in report


def test_gaps_report_when_nothing_is_missing(coach):
    assert "No unanswered" in gaps_report(coach)


def test_topics_lists_articles_sections_and_example_questions(coach, say):
    [reply] = say("topics")
    for article in coach.library.articles.values():
        assert article.title in reply.text
    assert "Head-to-head comparison" in reply.text
    assert reply.buttons and all(b.action.startswith("ask:u:") for b in reply.buttons)
    [answer] = say(action=reply.buttons[0].action)
    assert answer.kind == "answer"


def test_render_plain_cites_or_declines(coach):
    text = answers.render_plain(coach, "is a PhD required for AI product management")
    assert "not a strict requirement" in text and "From: " in text
    assert "don't have an answer" in answers.render_plain(coach, "how many moons does jupiter have")


def test_index_ask_without_coach(coach):
    index = AnswerIndex(coach.db, coach.library)
    assert not index.rebuilt
    assert index.ask("do AI PMs need to understand MLOps").found


def test_chat_spellings_read_as_words():
    from bot.synonyms import terms

    assert terms("do i need to kno how to code", query=True) == terms("do i need to know how to code", query=True)
    assert terms("exp needed for ai pm", query=True) == terms("experience needed for ai pm", query=True)


def test_drill_prompts_are_phrasings_of_the_section_they_cite(coach):
    units = retrieval.build_units(coach.library)
    drill = next(d for d in coach.library.drills.values() if d.type == "open")
    section = next(u for u in units if u["kind"] == "section" and u["article"] == drill.article
                   and u["section"] == coach.library.section_for(drill).heading)
    from bot.synonyms import terms

    assert " ".join(terms(drill.prompt, query=True)) in section["phr"]


def test_gaps_grouping_matches_comparing_every_group(coach, say):
    # grouping through shared terms must give what comparing each question with every group gave
    from bot import gaps as gaps_mod
    import random
    rng = random.Random(7)
    vocab = ["zorb", "quax", "flim", "blit", "snor", "wug", "dax", "ploo"]
    for i in range(120):
        q = " ".join(rng.sample(vocab, rng.randint(1, 4)))
        coach.db.execute("INSERT INTO answer_log (platform, workspace, channel, user, question, terms, found, "
                         "unit_key, score, created_at) VALUES ('console', ?, 'c', 'u', ?, ?, 0, NULL, 0, ?)",
                         [f"T{i % 2}", q, q, f"2026-11-01T00:{i // 60:02d}:{i % 60:02d}"])
    rows = coach.db.execute("SELECT platform, workspace, question, terms FROM answer_log WHERE found = 0 "
                            "ORDER BY created_at").fetchall()
    expected: list[dict] = []
    for platform, workspace, question, qterms in rows:
        tset = set(qterms.split())
        g = next((g for g in expected if (g["p"], g["w"]) == (platform, workspace)
                  and gaps_mod.similar(g["terms"], tset)), None)
        if g is None:
            g = {"p": platform, "w": workspace, "terms": tset, "qs": []}
            expected.append(g)
        g["qs"].append(question)
    got = answers.gaps(coach.db)
    assert sorted(sorted(g["questions"]) for g in got) == sorted(sorted(set(g["qs"])) for g in expected)
