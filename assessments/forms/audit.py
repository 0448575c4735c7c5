"""The auditor's filter form (a GET form shared by the list page and the exports)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms

from ..models import AuditAction, Organisation


def _action_choices():
    prefixes = sorted({value.split(".", 1)[0] for value in AuditAction.values})
    return [
        ("", "Any action"),
        ("Every action of a kind", [(f"{prefix}.", f"{prefix}.* (any)") for prefix in prefixes]),
        ("One action", list(AuditAction.choices)),
    ]


class AuditFilterForm(forms.Form):
    project = forms.IntegerField(
        label="Project id",
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        error_messages={"invalid": "Project id: enter a whole number."},
    )
    organisation = forms.ModelChoiceField(
        label="Organisation",
        queryset=Organisation.objects.order_by("name"),
        required=False,
        empty_label="Any organisation",
    )
    user = forms.CharField(
        label="User",
        required=False,
        max_length=150,
        help_text="Username or user id, as recorded.",
    )
    action = forms.ChoiceField(label="Action", required=False, choices=_action_choices)
    date_from = forms.DateField(
        label="From date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "From date: enter a valid date (YYYY-MM-DD)."},
    )
    date_to = forms.DateField(
        label="To date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "To date: enter a valid date (YYYY-MM-DD)."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.form_id = "audit-filter"
        self.helper.attrs = {"aria-label": "Filter audit events"}
        self.helper.layout = Layout(
            Row(
                Column("project", css_class="col-md-2"),
                Column("organisation", css_class="col-md-4"),
                Column("user", css_class="col-md-3"),
                Column("action", css_class="col-md-3"),
            ),
            Row(
                Column("date_from", css_class="col-md-3"),
                Column("date_to", css_class="col-md-3"),
            ),
        )
        self.helper.add_input(Submit("filter", "Filter", css_class="btn-primary"))

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "To date: must be on or after the From date.")
        return cleaned
