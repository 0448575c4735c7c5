"""How long free text may be, in one place: the models, forms, services and API all read these.

Unbounded text is not harmless: a 1 MB rationale once took 16 s to render into a decision record.
"""

from django import forms
from django.utils.text import capfirst

from .errors import TextTooLong

NAME = 200  # titles, names, organisations: one line
LONG_TEXT = 5_000  # summaries, purposes, public benefit, rationales, dissent, the panel's questions
NOTE = 2_000  # covering notes, conflict details, descriptions
CONDITION = 1_000  # one condition of a decision
LAY_SUMMARY = 1_500  # a project's plain-language summary on the public register
IDENTIFIER = 100  # ids carried in forms, such as the rule a condition came from
DOCUMENT = 100_000  # a custodian's criteria as YAML: a few hundred rules with their justifications


def too_long(label, limit, length=None):
    """The message for text over its limit; names the field and the limit."""
    has = f" (it has {length:,})" if isinstance(length, int) else (f" (it has {length})" if length else "")
    return f"{label} is too long: at most {limit:,} characters{has}."


def check_text(*, field, label, value, limit):
    """Refuse text over its limit (the services' own guard: not every caller is a form)."""
    if value is not None and len(value) > limit:
        raise TextTooLong(too_long(label, limit, len(value)), field=field, limit=limit)


def check_model_text(model, **values):
    """Check values against the max_length of the model fields they will be stored in."""
    for name, value in values.items():
        field = model._meta.get_field(name)
        if field.max_length is not None:
            check_text(field=name, label=capfirst(field.verbose_name), value=value, limit=field.max_length)


def text_field(label, limit, *, noun=None, **kwargs):
    """A form CharField with a limit whose error names the field (`noun`, else its label) and the limit."""
    return forms.CharField(
        label=label,
        max_length=limit,
        error_messages={"max_length": too_long(noun or label, limit, "%(show_value)d")},
        **kwargs,
    )


def model_form_messages(model, *names):
    """Meta.error_messages for a ModelForm: each field's limit error, naming the field."""
    messages = {}
    for name in names:
        field = model._meta.get_field(name)
        messages[name] = {"max_length": too_long(capfirst(field.verbose_name), field.max_length, "%(show_value)d")}
    return messages


def serializer_limits(model, *names):
    """ModelSerializer extra_kwargs: each field's max_length with a message naming the field."""
    kwargs = {}
    for name in names:
        field = model._meta.get_field(name)
        kwargs[name] = {
            "max_length": field.max_length,
            "error_messages": {"max_length": too_long(capfirst(field.verbose_name), field.max_length)},
        }
    return kwargs
