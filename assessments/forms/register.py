from django import forms

from .. import limits


class PublicationForm(forms.Form):
    """The lay summary, then one public wording per condition of each approving record."""

    lay_summary = limits.text_field(
        "Lay summary",
        limits.LAY_SUMMARY,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "In plain language, for anyone: what the project does with the data and why it helps. "
            f"At most {limits.LAY_SUMMARY:,} characters. Appears on the public register."
        ),
    )

    def __init__(self, *args, approvals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.condition_fields = []
        self._keys = []
        for approval in approvals:
            group = []
            for obligation in approval.obligations.all():
                name = f"wording_{approval.record.number}_{obligation.number}"
                self.fields[name] = limits.text_field(
                    f"Public wording of condition {obligation.number} of {approval.record.number}",
                    limits.CONDITION,
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                    help_text=f"The condition reads: “{obligation.text}”. Leave empty to publish only that a condition exists.",
                )
                group.append((name, approval.record.number, str(obligation.number)))
            self.condition_fields.append((approval.record.number, [self[name] for name, _, _ in group]))
            self._keys += group

    def condition_wording(self):
        wordings: dict[str, dict[str, str]] = {}
        for name, number, condition in self._keys:
            wordings.setdefault(number, {})[condition] = self.cleaned_data.get(name, "")
        return wordings


class WithdrawForm(forms.Form):
    reason = limits.text_field(
        "Why the approval is withdrawn",
        limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The coordinator and auditors read this; the public register shows only that it was withdrawn.",
    )
