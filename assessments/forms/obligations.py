from django import forms

from .. import limits
from ..models import Obligation
from .projects import DateInput


class ObligationActionForm(forms.Form):
    """What a custodian says when it signs off, waives or returns an obligation."""

    text = limits.text_field("Note", limits.NOTE, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DueDateForm(forms.Form):
    due_on = forms.DateField(label="New due date", widget=DateInput)


class RenewalForm(forms.Form):
    end_date = forms.DateField(
        label="New planned end",
        widget=DateInput,
        help_text="The renewed approval lasts until this date, or the framework's limit for the tier if sooner.",
    )
    reason = limits.text_field(
        "Why the project needs longer",
        limits.NOTE,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The custodians and the approval panel read this.",
    )


class ObligationFilterForm(forms.Form):
    """Bootstrap classes on the widgets: the list page lays the filters out by hand."""

    STATUSES = [("", "Any status"), ("open", "Not yet met")] + list(Obligation.Status.choices)
    ROLES = [("", "To meet or to check"), ("meet", "Mine to meet"), ("check", "Mine to check")]

    q = forms.CharField(label="Search", required=False, max_length=limits.NAME)
    status = forms.ChoiceField(label="Status", choices=STATUSES, required=False)
    role = forms.ChoiceField(label="Role", choices=ROLES, required=False)
    due_before = forms.DateField(label="Due by", required=False, widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
