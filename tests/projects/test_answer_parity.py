"""The questionnaire forms and the API accept exactly the same answers: both ask the engine."""

import pytest

from assessments import engine
from assessments.engine.answers import check_answers
from assessments.forms.questionnaire import SectionForm, to_initial

FRAMEWORK = engine.load_framework_dir("fixtures/frameworks/five-safes/v1")


def _candidates(question):
    """Answers of every shape, valid and not, in the exchange format."""
    values = [None, "unknown", "nonsense", 3, -1, 10**12, True, [], ["none"]]
    values += [v for v, _ in question.options]
    values += [[v] for v, _ in question.options]
    if len(question.options) > 1:
        values.append([question.options[0][0], question.options[-1][0]])
    return values


def _form_data(question, answer):
    """What a browser would post for this answer (if it can be posted at all)."""
    initial = to_initial(question, answer)
    if isinstance(initial, list):
        return {question.id: [str(v) for v in initial]}
    return {question.id: "" if initial is None else str(initial)}


def _postable(question, answer):
    """Whether a browser can post this answer at all (an empty list posts nothing: unanswered)."""
    if answer == []:
        return False
    if question.type == "bool":
        return isinstance(answer, bool) or answer in ("unknown", None)
    if question.type == "multi":
        return isinstance(answer, list) or answer in ("unknown", None)
    return not isinstance(answer, (list, bool))


@pytest.mark.parametrize("question", FRAMEWORK.questions, ids=lambda q: q.id)
def test_form_and_engine_agree_on_every_postable_answer(question):
    for answer in _candidates(question):
        if not _postable(question, answer):
            continue
        data = {"base_version": "0", **_form_data(question, answer)}
        form = SectionForm(data, questions=[question], framework=FRAMEWORK)
        engine_ok = not check_answers(FRAMEWORK, {question.id: answer}, question.scope)
        assert form.is_valid() == engine_ok, (question.id, answer, form.errors)
        if engine_ok:
            assert form.answers()[question.id] == answer
