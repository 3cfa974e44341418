"""Case.negativity (cases.sentiment), and every stored case scored once (data migration, in batches)."""

from django.db import migrations, models

BACKFILL_BATCH_SIZE = 2000


def score_stored_cases(apps, schema_editor):
    from cases.sentiment import text_negativity

    case_model = apps.get_model("cases", "Case")
    last_id = 0
    while True:
        batch = list(
            case_model.objects.filter(id__gt=last_id, negativity__isnull=True)
            .order_by("id")
            .only("id", "text")[:BACKFILL_BATCH_SIZE]
        )
        if not batch:
            return
        for case in batch:
            case.negativity = text_negativity(case.text)
        case_model.objects.bulk_update(batch, ["negativity"], batch_size=BACKFILL_BATCH_SIZE)
        last_id = batch[-1].id


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_case_search_document")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="negativity",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(score_stored_cases, migrations.RunPython.noop, elidable=True),
    ]
