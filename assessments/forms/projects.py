from crispy_forms.helper import FormHelper
from django import forms

from .. import limits
from ..models import Organisation, Project
from ..services.projects import DETAIL_FIELDS


class DateInput(forms.DateInput):
    """A date input takes only ISO dates: the locale's 01/03/2027 would show as empty."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs=attrs, format=format)


class ProjectDetailsForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = list(DETAIL_FIELDS)
        widgets = {
            "start_date": DateInput,
            "end_date": DateInput,
            "summary": forms.Textarea(attrs={"rows": 3}),
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "public_benefit": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = limits.model_form_messages(
            Project, "title", "summary", "lead_researcher", "lead_organisation", "purpose", "public_benefit"
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The planned end must be on or after the planned start.")
        return cleaned


class ProjectCreateForm(ProjectDetailsForm):
    coordinating_organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label="Coordinating organisation"
    )
    custodians = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        label="Custodian organisations whose data the project needs",
        help_text="Each gets its own custodian assessment.",
    )

    def __init__(self, *args, coordinator_organisations, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["coordinating_organisation"]
        field.queryset = Organisation.objects.filter(pk__in=[o.pk for o in coordinator_organisations])
        if len(coordinator_organisations) == 1:
            field.initial = coordinator_organisations[0].pk


class ProjectEditForm(ProjectDetailsForm):
    add_custodians = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Add custodian organisations",
        help_text="Each gets its own assessment. An assessed project becomes a new revision to assess.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["add_custodians"].queryset = Organisation.objects.exclude(
            pk__in=self.instance.assessments.values("organisation_id")
        )


class AmendmentForm(forms.Form):
    reason = limits.text_field(
        "What will the amendment change, and why?",
        limits.NOTE,
        noun="The reason",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"The custodians and the panel read this. At most {limits.NOTE:,} characters.",
    )


class ProjectFilterForm(forms.Form):
    """The projects page's search and filters (laid out by hand, so the widgets carry Bootstrap's classes)."""

    q = forms.CharField(label="Title or lead researcher", required=False, max_length=limits.NAME)
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *Project.Status.choices])
    mine = forms.BooleanField(label="Only projects I coordinate", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["class"] = "form-control"
        self.fields["status"].widget.attrs["class"] = "form-select"
        self.fields["mine"].widget.attrs["class"] = "form-check-input"
