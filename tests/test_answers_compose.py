"""Answer shape: the fact first, whole short lists with their lead-in, long lists cut with 'and N more'."""
from __future__ import annotations

from bot import compose, retrieval
from bot.ranking import Unit


def _section(body: str, heading: str = "Tools") -> Unit:
    atoms = tuple(retrieval.section_atoms(body))
    return Unit(1, "k", "k", "a", "t", heading, "section", -1, frozenset(), frozenset(), frozenset(), atoms,
                ((),), (1.0,))


def test_a_when_a_when_b_question_gets_both_lists_whole(coach):
    text = coach.index.ask("when should I use plain rules instead of ML").answer
    for item in ("Teams know exact logic beforehand", "Business prefers human-created logic",
                 "Exact logic remains unknown", "Data can reveal the logic"):
        assert item in text
    assert "Rule-based systems work best when:\n- " in text  # a lead-in is never left without its items


def test_a_short_list_without_lead_in_is_shown_whole(coach):
    text = coach.index.ask("what should i prep for an ai pm loop").answer
    assert text.count("\n- ") + text.startswith("- ") == 5


def test_a_long_list_shows_the_matching_items_and_how_many_more():
    body = "Useful tools:\n\n" + "\n".join(f"- Tool{i}: does thing {i}" for i in range(8)) + "\n- Zorbtool: tracks quokkas\n"
    text = compose.compose(_section(body), {"quokka": 5.0, "track": 1.0})
    assert text.startswith("Useful tools:") and "Zorbtool: tracks quokkas" in text
    assert "and 8 more" in text or "more (More shows the whole list)" in text


def test_the_sentence_holding_the_fact_comes_first(coach):
    text = coach.index.ask("what is the career leverage matrix").answer
    assert text.startswith("The framework for evaluating alternatives is the “Career Leverage Matrix,”")


def test_an_item_asked_for_by_name_comes_alone(coach):
    text = coach.index.ask("whats recall").answer
    assert "Recall: Proportion of actual positives" in text and "F1" not in text


def test_when_the_articles_disagree_the_answer_gives_both_each_cited(coach):
    answer = coach.index.ask("how much more do ai pms earn than traditional pms")
    assert answer.found
    assert "12‑18 %" in answer.answer and "20-40%" in answer.answer
    assert "AI Product Manager vs Traditional Product Manager › Summary" in answer.answer
    assert {s["section"] for s in answer.sources} >= {"Summary",
                                                        "How does compensation compare between AI PM and Traditional PM roles?"}
    # a question on another part of the same section does not drag the disagreement in
    assert "disagree" not in coach.index.ask("can I negotiate equity for an ai pm role").answer


def test_disagreements_file_is_checked_with_file_and_line(tmp_path):
    import shutil

    from bot import content
    root = tmp_path / "content"
    shutil.copytree(content.DEFAULT_ROOT, root)
    (root / "disagreements.yaml").write_text(
        "- topic: pay\n  words: [pay]\n  claims:\n"
        "    - {article: ai-pm-vs-traditional-pm-comparison, section: Summary, says: 'AI PMs command 20-40%'}\n"
        "    - {article: ai-pm-vs-traditional-pm-comparison, section: Nowhere, says: 'x'}\n")
    library, problems = content.check(root)
    assert library is None and problems == [
        "content/disagreements.yaml:5: 'Nowhere' is not a section of 'ai-pm-vs-traditional-pm-comparison'"]


def test_a_should_i_question_gets_the_recommending_section_and_its_conditions_first(coach):
    answer = coach.index.ask("I love running experiments more than building models - ai pm or ds pm for me?")
    assert answer.found and answer.citation.section == "When should I target an AI PM role versus a Data Scientist PM role?"
    text = coach.index.ask("senior PM, 5 yrs, should I pivot to AI?").answer
    assert text.startswith("You should switch only after three conditions are met")


def test_context_before_the_question_does_not_sink_it(coach):
    answer = coach.index.ask("I've been a B2B SaaS PM for 6 years and keep hearing about AI, how do I actually "
                             "transition into AI product management?")
    assert answer.found and ("working knowledge of AI/ML concepts" in answer.answer or "three conditions" in answer.answer)
    assert answer.question.startswith("I've been a B2B SaaS PM")


def test_edited_articles_have_no_template_fragments(coach):
    from bot import content
    text = " ".join(s.body for a in content.load().articles.values() for s in a.sections)
    for fragment in ("counter‑intuitive truth", "not‑X‑but‑Y", "The judgment therefore", "The insight is that"):
        assert fragment not in text


def test_an_anecdote_never_comes_before_the_claim_it_illustrates():
    body = ("Quokkas sleep most of the day. In a Q3 debrief, the hiring manager said the quokka team slept "
            "through every standup and the sprint slipped. Teams plan around it.\n")
    text = compose.compose(_section(body, heading="Quokka habits"), {"quokka": 1.0, "team": 2.0, "sprint": 2.0,
                                                                     "sleep": 0.5})
    assert text.startswith("Quokkas sleep most of the day.") and "In a Q3 debrief" in text


def test_a_who_question_gets_the_list_item_labelled_with_the_role(coach):
    # "ML Engineers: Handle productization…" says who; "These roles need to work together… deployment" does not
    answer = coach.index.ask("who actually puts models into production on the team")
    assert answer.found and "ML Engineers: Handle productization" in answer.answer, answer.answer
    assert not answer.answer.startswith("These roles need to work together")


def test_a_question_naming_the_heading_gets_the_sections_gist_first(coach):
    # "accuracy vs cost tradeoff" is most of "Balancing Accuracy vs Cost…": its lead states the gist, before
    # the closing sentence that merely repeats "tradeoffs"
    answer = coach.index.ask("accuracy vs cost tradeoff in AI products")
    assert answer.found and answer.answer.startswith("A “perfect” AI model that combines speed, accuracy, and low cost"), \
        answer.answer


def test_the_sentence_naming_the_role_asked_about_answers_in_a_section_about_several(coach):
    text = coach.index.ask("how do AI PMs move up, what does the ladder look like for them").answer
    assert "For AI PMs, progression is often tied to" in text
    text = coach.index.ask("what does a DS PM deliver at the end if not a model").answer
    assert "Their output is often an informed recommendation" in text  # "Their" names the DS PM before it


def test_a_role_bonus_goes_only_to_a_sentence_naming_that_role_alone():
    body = ("Both AI PM and Data Scientist PM roles grow.\n\nThe ladder is long for everyone.\n\n"
            "For Data Scientist PMs, growth means bigger experiments.\n\nFor AI PMs, growth means bigger launches.")
    roles = (("ai", "pm"), ("ds", "pm"), ("tradit", "pm"))
    text = compose.compose(_section(body, "Growth"), {"ladder": 3.0, "grow": 0.5}, role=("ai", "pm"), other_roles=roles)
    assert "For AI PMs, growth means bigger launches" in text and "Data Scientist PMs, growth" not in text


def test_a_question_about_one_role_opens_with_that_roles_sentence_not_a_lead_about_both(coach):
    text = coach.index.ask("how does a data scientist pm get promoted").answer
    assert text.startswith("For Data Scientist PMs, advancement often involves"), text
