# Grants the A/B test models to merchandisers and the new analytics to their report. Written by hand.

from django.db import migrations

from store.migration_support import grant_app_permissions

APP = "search"
MERCHANDISER_PERMISSIONS = [
    *(f"{action}_{model}" for model in ("experiment", "experimentvariant")
      for action in ("add", "change", "delete", "view")),
    *(f"view_{model}" for model in ("cartevent", "searchstatsday")),
]


def grant(apps, schema_editor) -> None:
    grant_app_permissions(apps, schema_editor, APP, {"merchandiser": MERCHANDISER_PERMISSIONS})


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0009_attribution_experiments_daily_figures"),
        ("store", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
