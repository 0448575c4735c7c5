"""Questionnaire forms generated from a framework's questions: no hand-written form per question.

Field names are question ids. Values convert to and from the exchange format
(enum → str, bool → true/false, multi → list in option order, int → int,
"unknown" wherever the framework allows it).
"""

from django import forms
from django.utils.text import capfirst

UNKNOWN = "unknown"
BOOL_CHOICES = [("true", "Yes"), ("false", "No")]


def unknown_label(question):
    worst = question.unknown_as
    if question.type == "multi":
        labels = dict(question.options)
        worst = ", ".join(labels[v] for v in question.option_values if v in worst)
    elif question.type == "bool":
        worst = "yes" if worst else "no"
    else:
        worst = dict(question.options).get(worst, worst)
    return f"Unknown – assessed as the riskiest answer ({worst})"


class MultiAnswerField(forms.MultipleChoiceField):
    def __init__(self, *, question, **kwargs):
        self.question = question
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if UNKNOWN in value and len(value) > 1:
            raise forms.ValidationError(
                "“Unknown” stands for the whole answer: untick the other options or untick “Unknown”."
            )
        if "none" in value and len(value) > 1:
            raise forms.ValidationError("“None” cannot be combined with other options.")


def _field(question, sources_note):
    help_text = " ".join(part for part in (question.help, sources_note) if part)
    common = {"label": question.text, "help_text": help_text, "required": False}
    if question.type == "int":
        return forms.IntegerField(
            min_value=question.min,
            max_value=question.max,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            **common,
        )
    # Option labels are lower case so that rule sentences read well; as choices they start a line.
    choices = BOOL_CHOICES if question.type == "bool" else [(v, capfirst(label)) for v, label in question.options]
    choices = choices + [(UNKNOWN, unknown_label(question))]
    if question.type == "multi":
        return MultiAnswerField(
            question=question, choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)


def to_answer(question, value):
    """Form value → exchange-format answer (None = unanswered)."""
    if value in (None, "", []):
        return None
    if question.type == "bool":
        return {"true": True, "false": False}.get(value, UNKNOWN)
    if question.type == "multi":
        if UNKNOWN in value:
            return UNKNOWN
        return [v for v in question.option_values if v in value]
    return value


def to_initial(question, answer):
    """Exchange-format answer → form initial value."""
    if answer is None:
        return None
    if question.type == "bool":
        return UNKNOWN if answer == UNKNOWN else ("true" if answer else "false")
    if question.type == "multi" and answer == UNKNOWN:
        return [UNKNOWN]
    return answer


def question_sources(framework):
    """question id → "Sources: …" note built from the rules that read it."""
    notes = {}
    for rule in framework.rules:
        for _, qid in rule.question_deps:
            notes.setdefault(qid, set()).update(rule.sources)
    return {qid: "Sources: " + ", ".join(sorted(ids)) + "." for qid, ids in notes.items()}


class SectionForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, questions, framework, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        sources = question_sources(framework)
        for question in questions:
            self.fields[question.id] = _field(question, sources.get(question.id, ""))

    def answers(self):
        """The section's answers in exchange format; call after is_valid()."""
        return {q.id: to_answer(q, self.cleaned_data.get(q.id)) for q in self.questions}


def section_initial(questions, answers, version):
    initial = {q.id: to_initial(q, answers.get(q.id)) for q in questions}
    initial["base_version"] = version
    return initial


def display_answer(question, answer):
    """A person-readable rendering of a stored answer."""
    if answer is None:
        return "Not answered"
    if answer == UNKNOWN:
        return unknown_label(question)
    if question.type == "bool":
        return "Yes" if answer else "No"
    if question.type == "int":
        return str(answer)
    labels = dict(question.options)
    if question.type == "multi":
        return capfirst(", ".join(labels.get(v, v) for v in answer))
    return capfirst(labels.get(answer, answer))
