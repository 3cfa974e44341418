"""A GIN index for full text search of case texts, on PostgreSQL only (SQLite searches with LIKE, no index).

The indexed expression is exactly what `SearchVector("text", config="english")` renders (cases.selectors
.case_search), so the planner can use the index for `@@` matches.
"""

from django.db import migrations

INDEX_NAME = "case_text_search"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON cases_case "
    "USING gin (to_tsvector('english'::regconfig, COALESCE(text, '')))"
)
DROP = f"DROP INDEX IF EXISTS {INDEX_NAME}"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_case_import_uploads'),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
