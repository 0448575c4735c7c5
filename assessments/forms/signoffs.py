"""A custodian approver's sign-off."""

from django import forms

from .. import limits

OUTCOMES = [
    ("approve", "Approve"),
    ("approve_with_conditions", "Approve with conditions"),
    ("decline", "Decline"),
]


class SignOffForm(forms.Form):
    outcome = forms.ChoiceField(label="Your decision for your organisation", choices=OUTCOMES, widget=forms.RadioSelect)
    reason = limits.text_field(
        "Reason",
        limits.LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The coordinator, the other custodians and the decision record show it.",
    )
    conditions = forms.CharField(
        label="Conditions (one per line)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only with “Approve with conditions”: each line becomes a tracked condition.",
    )

    def condition_list(self):
        return [line.strip() for line in self.cleaned_data.get("conditions", "").splitlines() if line.strip()]

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("outcome")
        has_conditions = bool(self.condition_list()) if "conditions" in cleaned else False
        if outcome == "approve_with_conditions" and not has_conditions:
            self.add_error("conditions", "An approval with conditions needs at least one condition.")
        if outcome and outcome != "approve_with_conditions" and has_conditions:
            self.add_error("conditions", "Conditions go with “Approve with conditions”: choose it, or clear them.")
        for line in self.condition_list():
            if len(line) > limits.CONDITION:
                self.add_error("conditions", limits.too_long("A condition", limits.CONDITION, len(line)))
        return cleaned
