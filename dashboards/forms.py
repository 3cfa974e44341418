"""Forms of the dashboard pages: the filter form and the theme curation forms (shape only; services decide)."""

from __future__ import annotations

import datetime as dt

from django import forms

from core.datetimes import OutOfRange, date_in_range
from improvement.models import Theme, ThemeGroup

MAXIMUM_RANGE_DAYS = 731


def _date_in_accepted_range(value: dt.date) -> None:
    # Year 1 or 9999 overflows the default period (180 days before the end) and the windows after it.
    try:
        date_in_range(value)
    except OutOfRange as error:
        raise forms.ValidationError(f"{value} {error}.", code="out_of_range") from None


class DashboardFilterForm(forms.Form):
    """Period (inclusive days, within core.datetimes' accepted range), brand and channel; every field is optional."""

    start = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=[_date_in_accepted_range]
    )
    end = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=[_date_in_accepted_range]
    )
    brand = forms.CharField(required=False, max_length=100)
    channel = forms.CharField(required=False, max_length=20)

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            problem = dashboard_filters_problem(start=start, end=end)
            if problem:
                raise forms.ValidationError(problem)
        return cleaned


def dashboard_filters_problem(*, start: dt.date, end: dt.date) -> str | None:
    """Why a resolved period cannot be shown (None when it can)."""
    if start > end:
        return f"The start date {start} is after the end date {end}."
    if (end - start).days + 1 > MAXIMUM_RANGE_DAYS:
        return f"Choose a period of at most {MAXIMUM_RANGE_DAYS} days."
    return None


class ThemeRenameForm(forms.Form):
    label = forms.CharField(max_length=200)


class ThemeMergeForm(forms.Form):
    into = forms.ModelChoiceField(
        queryset=Theme.objects.filter(status=Theme.Status.ACTIVE).only("id", "label").order_by("label"),
        label="Merge into",
    )

    def __init__(self, *args, theme: Theme, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = self.fields["into"].queryset.exclude(pk=theme.pk)


class ThemeSplitForm(forms.Form):
    parts = forms.IntegerField(min_value=2, max_value=10, initial=2)


class ThemeAcceptLabelForm(forms.Form):
    """No fields: accepting the suggested label is one click."""


class ThemeGroupChoiceForm(forms.Form):
    group = forms.ModelChoiceField(
        queryset=ThemeGroup.objects.order_by("name", "id"),
        required=False,
        empty_label="No group",
        label="Group",
    )


class ThemeGroupCreateForm(forms.Form):
    name = forms.CharField(max_length=200, label="Group name")
    themes = forms.ModelMultipleChoiceField(
        queryset=Theme.objects.filter(status=Theme.Status.ACTIVE).only("id", "label").order_by("label"),
        required=False,
        label="Themes",
    )


class ThemeGroupRenameForm(forms.Form):
    name = forms.CharField(max_length=200, label="Name")


class ThemeSeedForm(forms.Form):
    taxonomy = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        label="Paste a list",
        help_text=(
            "One theme per line: name, or name,description,examples with examples separated by | "
            "(CSV quoting for commas inside a field)."
        ),
    )
    file = forms.FileField(
        required=False,
        label="Or upload a CSV",
        help_text="Header name,description,examples; examples separated by |.",
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if not (cleaned.get("taxonomy") or "").strip() and not cleaned.get("file"):
            raise forms.ValidationError("Paste a list of themes or choose a CSV file.")
        return cleaned


class ThemeSnoozeForm(forms.Form):
    until = forms.ChoiceField(
        choices=[("escalation", "Until it escalates"), ("date", "Until a date")],
        initial="escalation",
        widget=forms.RadioSelect,
        label="Snooze",
    )
    day = forms.DateField(required=False, label="Date", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("until") == "date":
            if not cleaned.get("day"):
                self.add_error("day", "Choose the date the theme comes back.")
            else:
                cleaned["until"] = cleaned["day"]
        cleaned.pop("day", None)
        return cleaned
