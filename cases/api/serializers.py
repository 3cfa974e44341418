"""Shapes of cases in and out of the API. Serializers never write: the ingest service does."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import Case, Channel
from cases.services.ingest import MAX_TEXT_LENGTH

BULK_MAX_CASES = 5_000


class CaseInputSerializer(serializers.Serializer):
    """One case as sent to the bulk endpoint (documents the shape; the ingest service validates row by row)."""

    external_id = serializers.CharField(max_length=200, help_text="Id in the source channel; the idempotency key.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    brand = serializers.CharField(max_length=100)
    text = serializers.CharField(max_length=MAX_TEXT_LENGTH, help_text="Stored exactly as received.")
    received_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone offset.")
    author_handle = serializers.CharField(max_length=200, required=False, allow_blank=True)
    reply_to_external_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    thread_external_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    raw_payload = serializers.DictField(required=False, help_text="The source payload, kept as is.")


@extend_schema_field(CaseInputSerializer(many=True))
class CaseItemsField(serializers.ListField):
    """A list of case objects; each item is checked by the ingest service, so one bad item is rejected alone."""


class CaseBulkInputSerializer(serializers.Serializer):
    cases = CaseItemsField(allow_empty=True, help_text=f"Up to {BULK_MAX_CASES:,} cases.")


class RowRejectionSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in `cases`, from 0.")
    reason = serializers.CharField()


class CaseBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rejected_rows = RowRejectionSerializer(many=True)


class CaseOutputSerializer(serializers.ModelSerializer):
    is_embedded = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "channel",
            "external_id",
            "brand",
            "author_handle",
            "text",
            "analysis_text",
            "received_at",
            "reply_to_external_id",
            "thread_external_id",
            "ingested_at",
            "is_embedded",
        ]
        read_only_fields = fields

    def get_is_embedded(self, case: Case) -> bool:
        return case.embedded_at is not None
