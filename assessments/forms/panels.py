from django import forms

from .. import limits
from ..models import Panel, Vote


class SendToPanelForm(forms.Form):
    panel = forms.ModelChoiceField(queryset=Panel.objects.all(), label="Approval panel")
    note = limits.text_field(
        "Covering note to the panel", limits.NOTE, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class DeclarationForm(forms.Form):
    conflicted = forms.TypedChoiceField(
        label="Do you have a conflict of interest with this project?",
        choices=[("no", "No, I have no conflict of interest"), ("yes", "Yes, I have a conflict of interest")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    details = limits.text_field(
        "Details of the conflict",
        limits.NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required if you have a conflict. A conflicted member does not vote.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("conflicted") and not cleaned.get("details", "").strip():
            self.add_error("details", "Describe the conflict of interest.")
        return cleaned


class VoteForm(forms.Form):
    choice = forms.ChoiceField(label="Your vote", choices=Vote.Choice.choices, widget=forms.RadioSelect)
    rationale = limits.text_field("Rationale", limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    # The chair's page shows the vote form too, which also has a rationale: own ids keep each label on its box.
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "decision_%s")
        super().__init__(*args, **kwargs)

    outcome = forms.ChoiceField(label="Decision", choices=Vote.Choice.choices, widget=forms.RadioSelect)
    rationale = limits.text_field("The panel's rationale", limits.LONG_TEXT, widget=forms.Textarea(attrs={"rows": 4}))
    dissent = limits.text_field(
        "Dissent (if any)", limits.LONG_TEXT, noun="Dissent", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    questions = limits.text_field(
        "Questions for the custodians (when referring back)",
        limits.LONG_TEXT,
        noun="Questions for the custodians",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == Vote.Choice.REFER_BACK and not cleaned.get("questions", "").strip():
            self.add_error("questions", "A referral needs the panel's questions for the custodians.")
        return cleaned


class ConditionForm(forms.Form):
    text = limits.text_field("Condition", limits.CONDITION, required=False, widget=forms.TextInput)
    rule = forms.CharField(label="From rule", required=False, max_length=limits.IDENTIFIER, widget=forms.HiddenInput)
    blocking = forms.BooleanField(label="Blocking (must be met before access)", required=False)


ConditionFormSet = forms.formset_factory(ConditionForm, extra=2, can_delete=True)


def conditions_from(formset):
    """The kept, non-empty conditions in order."""
    kept = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", {})
        if not data or data.get("DELETE") or not data.get("text", "").strip():
            continue
        kept.append(
            {"text": data["text"].strip(), "rule": data.get("rule") or None, "blocking": bool(data.get("blocking"))}
        )
    return kept
