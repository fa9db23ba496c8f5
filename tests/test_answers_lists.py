"""List questions: the lead-in and every item of a short list, whatever words frame the request."""
from __future__ import annotations


def test_the_three_roles_question_gets_the_roles_not_the_three_conditions(coach):
    answer = coach.index.ask("what are the three roles on an ai product team")
    assert answer.found and answer.answer.startswith("The foundation rests on three key roles:")
    for item in ("Data Engineers:", "Data Scientists:", "ML Engineers:"):
        assert item in answer.answer


def test_asking_for_a_list_or_the_full_one_is_format_not_topic(coach):
    answer = coach.index.ask("list the model evaluation metrics a pm should know")
    assert answer.found and answer.citation.section.startswith("Evaluating Model Performance")
    assert "depends on knowing these model evaluation metrics:" in answer.answer
    for item in ("Precision:", "Recall:", "F1 Score:", "Confusion Matrix:"):
        assert item in answer.answer
    assert coach.index.ask("give me the full ds pm prep checklist").citation.section == "Preparation Checklist"


def test_a_long_table_answer_keeps_the_rows_that_match_and_has_no_lead_row(coach):
    answer = coach.index.ask("which is the safer bet long term, ai pm or regular pm")
    assert answer.found and answer.answer.startswith("- Career Stability:")
    assert "Median Salary" not in answer.answer and "more (More shows the whole list)" in answer.answer


def test_asking_for_the_full_list_shows_all_of_a_long_one(coach):
    answer = coach.index.ask("give me the full ds pm prep checklist")
    assert answer.answer.count("\n- ") == 6 and "more (More shows" not in answer.answer  # all 7 items
    short = coach.index.ask("ds pm prep checklist")
    assert "more (More shows the whole list)" in short.answer
