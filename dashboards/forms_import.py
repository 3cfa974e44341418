"""The upload form of the import page (shape and size only; the reader and the service decide the rest)."""

from __future__ import annotations

from django import forms
from django.conf import settings

from cases.models import Channel
from cases.services.file_import import FORMATS, ImportFileError, column_map_parse
from cases.services.upload_import import upload_size_limit_text


class CaseImportForm(forms.Form):
    file = forms.FileField(label="Contacts file (CSV)")
    file_format = forms.ChoiceField(choices=[(name, name) for name in FORMATS], initial="generic", label="Format")
    column_map = forms.CharField(
        required=False,
        max_length=1000,
        label="Column map",
        help_text="Optional FIELD=COLUMN pairs, e.g. text=body,received_at=created",
    )
    brand = forms.CharField(required=False, max_length=100, help_text="For rows that name no brand.")
    channel = forms.ChoiceField(
        required=False, choices=[("", "(from the file)"), *Channel.choices], help_text="For rows that name none."
    )
    encoding = forms.CharField(
        max_length=40, initial="utf-8", help_text="utf-8 unless the file says otherwise (cp1252, latin-1, ...)."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.CASES_IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes, over the upload limit of {upload_size_limit_text()}."
            )
        return upload

    def clean_column_map(self) -> dict[str, str]:
        text = self.cleaned_data["column_map"].strip()
        try:
            return column_map_parse([text]) if text else {}
        except ImportFileError as error:
            raise forms.ValidationError(str(error)) from error
