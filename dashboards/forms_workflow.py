"""Forms of the issue workflow pages; they validate input shape only, the services decide the rest."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from improvement.models import Department, ImprovementIssue, Theme
from improvement.models.issues import TITLE_MAX_LENGTH
from improvement.workflow.selectors import ISSUE_DEFAULT_SORT, ISSUE_SORT_KEYS

ROOT_CAUSE_HELP = "The confirmed cause, once found."
WORKAROUND_HELP = "What agents can tell or do for customers until the fix ships."


class IssueRaiseForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX_LENGTH)
    problem_statement = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    root_cause_hypothesis = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    root_cause = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=ROOT_CAUSE_HELP)
    workaround = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=WORKAROUND_HELP)
    priority = forms.ChoiceField(choices=ImprovementIssue.Priority.choices)


ISSUE_SEARCH_MAX_LENGTH = 200


class IssueListFilterForm(forms.Form):
    """The issues list's query parameters; every one optional, an unknown value is an error naming its field."""

    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ImprovementIssue.Status.choices])
    priority = forms.ChoiceField(required=False, choices=[("", "Any priority"), *ImprovementIssue.Priority.choices])
    department = forms.ModelChoiceField(
        required=False, queryset=Department.objects.order_by("name"), to_field_name="slug", empty_label="Any department"
    )
    theme = forms.ModelChoiceField(required=False, queryset=Theme.objects.all(), empty_label="Any theme")
    q = forms.CharField(required=False, max_length=ISSUE_SEARCH_MAX_LENGTH, strip=True, label="Search")
    sort = forms.ChoiceField(
        required=False,
        choices=[(f"{prefix}{key}", f"{prefix}{key}") for key in ISSUE_SORT_KEYS for prefix in ("", "-")],
    )
    page = forms.IntegerField(required=False, min_value=1)

    def clean_sort(self) -> str:
        return self.cleaned_data["sort"] or ISSUE_DEFAULT_SORT


class IssueKnownErrorForm(forms.Form):
    """The known-error record of an issue: its confirmed root cause and the agents' workaround."""

    root_cause = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=ROOT_CAUSE_HELP)
    workaround = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=WORKAROUND_HELP)


class FixProposeForm(forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.order_by("name"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    external_reference = forms.URLField(
        required=False, max_length=500, assume_scheme="https", label="External reference (Jira URL)"
    )


class FixEditForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    external_reference = forms.URLField(
        required=False, max_length=500, assume_scheme="https", label="External reference (Jira URL)"
    )


class FixWithdrawForm(forms.Form):
    reason = forms.CharField(required=False, max_length=2000)


class NoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000)


class FixRejectForm(forms.Form):
    reason = forms.CharField(max_length=2000)


class FixShipForm(NoteForm):
    shipped_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate)
