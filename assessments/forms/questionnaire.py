"""Questionnaire forms generated from a framework's questions: no hand-written form per question.

Field names are question ids. Each question type has one class here for everything the
browser does with it (its form field, the conversion between form values and the exchange
format, and how an answer reads), next to its engine class in ``engine/qtypes.py`` (loading,
checking, conditions). The engine's ``check_answers`` has the last word on every value, for
the forms exactly as for the API.
"""

from django import forms
from django.utils.text import capfirst

from ..engine.answers import check_answers
from ..glossary_links import link_terms

UNKNOWN = "unknown"


class FormType:
    """Options answered by radio buttons (enum); subclasses override what differs."""

    def choices(self, question):
        # Option labels are lower case so that rule sentences read well; as choices they start a line.
        return [(v, capfirst(label)) for v, label in question.options]

    def field(self, question, common):
        choices = self.choices(question) + [(UNKNOWN, unknown_label(question))]
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)

    def to_answer(self, question, value):
        """A cleaned form value (not empty) → the exchange-format answer."""
        return value

    def to_initial(self, question, answer):
        """An exchange-format answer (not None) → the form's initial value."""
        return answer

    def read(self, question, answer):
        """An answer (not None, not "unknown") as a person reads it."""
        return capfirst(dict(question.options).get(answer, answer))

    def read_worst(self, question):
        """What "unknown" is assessed as, in words."""
        return dict(question.options).get(question.unknown_as, question.unknown_as)


class BoolFormType(FormType):
    def choices(self, question):
        return [("true", "Yes"), ("false", "No")]

    def to_answer(self, question, value):
        return {"true": True, "false": False}.get(value, UNKNOWN)

    def to_initial(self, question, answer):
        return UNKNOWN if answer == UNKNOWN else ("true" if answer else "false")

    def read(self, question, answer):
        return "Yes" if answer else "No"

    def read_worst(self, question):
        return "yes" if question.unknown_as else "no"


class MultiFormType(FormType):
    def field(self, question, common):
        choices = self.choices(question) + [(UNKNOWN, unknown_label(question))]
        return MultiAnswerField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)

    def to_answer(self, question, value):
        if UNKNOWN in value:
            return UNKNOWN
        return [v for v in question.option_values if v in value]

    def to_initial(self, question, answer):
        return [UNKNOWN] if answer == UNKNOWN else answer

    def read(self, question, answer):
        labels = dict(question.options)
        return capfirst(", ".join(labels.get(v, v) for v in answer))

    def read_worst(self, question):
        labels = dict(question.options)
        return ", ".join(labels[v] for v in question.option_values if v in question.unknown_as)


class IntFormType(FormType):
    def field(self, question, common):
        return forms.IntegerField(
            min_value=question.min,
            max_value=question.max,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            **common,
        )

    def read(self, question, answer):
        return str(answer)


FORM_TYPES = {"enum": FormType(), "bool": BoolFormType(), "multi": MultiFormType(), "int": IntFormType()}


def unknown_label(question):
    return f"Unknown – assessed as the riskiest answer ({FORM_TYPES[question.type].read_worst(question)})"


class MultiAnswerField(forms.MultipleChoiceField):
    def validate(self, value):
        super().validate(value)
        if UNKNOWN in value and len(value) > 1:
            raise forms.ValidationError(
                "“Unknown” stands for the whole answer: untick the other options or untick “Unknown”."
            )
        if "none" in value and len(value) > 1:
            raise forms.ValidationError("“None” cannot be combined with other options.")


def to_answer(question, value):
    """Form value → exchange-format answer (None = unanswered)."""
    if value in (None, "", []):
        return None
    return FORM_TYPES[question.type].to_answer(question, value)


def to_initial(question, answer):
    """Exchange-format answer → form initial value."""
    if answer is None:
        return None
    return FORM_TYPES[question.type].to_initial(question, answer)


def question_sources(framework):
    """question id → "Sources: …" note built from the rules that read it."""
    notes = {}
    for rule in framework.rules:
        for _, qid in rule.question_deps:
            notes.setdefault(qid, set()).update(rule.sources)
    return {qid: "Sources: " + ", ".join(sorted(ids)) + "." for qid, ids in notes.items()}


class SectionForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, questions, framework, guide=None, glossary_url="", **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.framework = framework
        sources = question_sources(framework)
        for question in questions:
            # Rendered as HTML by the form templates: escaped here, with glossary terms linked.
            help_text = link_terms(
                " ".join(part for part in (question.help, sources.get(question.id, "")) if part), guide, glossary_url
            )
            common = {"label": question.text, "help_text": help_text, "required": False}
            self.fields[question.id] = FORM_TYPES[question.type].field(question, common)

    def clean(self):
        cleaned = super().clean()
        if not self.questions:
            return cleaned
        scope = self.questions[0].scope
        valid = {q.id: to_answer(q, cleaned[q.id]) for q in self.questions if q.id in cleaned}
        for problem in check_answers(self.framework, valid, scope):
            self.add_error(problem.question, capfirst(problem.message))
        return cleaned

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
    return FORM_TYPES[question.type].read(question, answer)
