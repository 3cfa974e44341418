"""Forms of the case browser: what is done with the selected cases (shape only; the services decide)."""

from __future__ import annotations

from django import forms

from improvement.models import ImprovementIssue, Theme
from improvement.models.themes import LABEL_MAX_LENGTH


class CaseIdsField(forms.Field):
    """The ticked cases' ids (checkboxes named `case_ids`), as whole numbers; may be empty (the service refuses)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        try:
            return [int(item) for item in values]
        except (TypeError, ValueError):
            raise forms.ValidationError("Case ids must be whole numbers.", code="invalid") from None


class CaseSelectionForm(forms.Form):
    """Move the selection to a theme, split it out as a new theme, or link it to an issue (one button each)."""

    ACTIONS = (("move", "Move"), ("split", "Split out as a new theme"), ("link", "Link to issue"))

    action = forms.ChoiceField(choices=ACTIONS)
    case_ids = CaseIdsField(required=False)
    to = forms.ModelChoiceField(
        queryset=Theme.objects.filter(status=Theme.Status.ACTIVE).only("id", "label").order_by("label"),
        required=False,
        label="Move to",
    )
    label = forms.CharField(max_length=LABEL_MAX_LENGTH, required=False, label="New theme's label")
    issue = forms.ModelChoiceField(
        queryset=ImprovementIssue.objects.exclude(status=ImprovementIssue.Status.CLOSED)
        .only("id", "title")
        .order_by("-created_at", "-id"),
        required=False,
        label="Issue",
    )
    from_theme = forms.ModelChoiceField(
        queryset=Theme.objects.only("id", "label", "status"), required=False, widget=forms.HiddenInput
    )
    back = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == "move" and not cleaned.get("to"):
            self.add_error("to", "Choose the theme to move the selected cases to.")
        if action == "link" and not cleaned.get("issue"):
            self.add_error("issue", "Choose the issue to link the selected cases to.")
        return cleaned
