from django.db import migrations, models

# Numbers and yes/no values are filters, not words a shopper types.
NOT_SEARCHABLE_KINDS = ("number", "boolean")


def searchable_by_kind(apps, schema_editor) -> None:
    """Existing definitions get the default of their kind (the column's default is True)."""
    AttributeDefinition = apps.get_model("store", "AttributeDefinition")
    AttributeDefinition.objects.filter(kind__in=NOT_SEARCHABLE_KINDS).update(searchable=False)


class Migration(migrations.Migration):

    dependencies = [
        ('store', '0003_product_created_at_default'),
    ]

    operations = [
        migrations.AddField(
            model_name='attributedefinition',
            name='searchable',
            field=models.BooleanField(default=True, help_text='Shoppers\' words find its values ("bamboo comforter"). Usually on for choices and text, off for numbers and yes/no.'),
        ),
        migrations.RunPython(searchable_by_kind, migrations.RunPython.noop),
    ]
