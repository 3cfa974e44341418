from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("improvement", "0012_theme_seeded_and_snooze"),
    ]

    operations = [
        migrations.AddField(
            model_name="fiximpact",
            name="interval_worse_tail",
            field=models.FloatField(default=0.025),
        ),
    ]
