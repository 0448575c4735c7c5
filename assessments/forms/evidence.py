"""The evidence upload form: one file and what it is attached to."""

from django import forms

from .. import limits


class EvidenceUploadForm(forms.Form):
    file = forms.FileField(allow_empty_file=True)  # the service names an empty file itself
    description = forms.CharField(required=False, max_length=limits.NAME)
    question = forms.CharField(required=False, max_length=limits.IDENTIFIER)
    assessment = forms.IntegerField(required=False, min_value=1)
    obligation = forms.IntegerField(required=False, min_value=1)
    next = forms.CharField(required=False, max_length=2000)
