from django import forms

from .. import limits


class ReferralReplyForm(forms.Form):
    question = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "Say which question you reply to.",
            "invalid": "That question is not part of this referral.",
        },
    )
    text = limits.text_field(
        "Your reply",
        limits.LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"At most {limits.LONG_TEXT:,} characters. Replies are kept as they are; add another to correct one.",
    )

    def __init__(self, *args, reply_as=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Someone who is both coordinator and custodian says which hat they reply in.
        if len(reply_as) > 1:
            self.fields["reply_as"] = forms.ChoiceField(
                label="Reply as",
                choices=[
                    ("", "The project's coordinator") if org is None else (str(org.pk), org.name) for org in reply_as
                ],
                required=False,
            )
        self.speakers = list(reply_as)

    def organisation(self):
        if len(self.speakers) == 1:
            return self.speakers[0]
        chosen = self.cleaned_data.get("reply_as") or ""
        return next((org for org in self.speakers if org is not None and str(org.pk) == chosen), None)
