from django.db import migrations

import shopops.catalog.models


def add_text_column_off_postgres(apps, schema_editor):
    # On PostgreSQL 0001 already created the tsvector column and its GIN index; elsewhere (SQLite,
    # `make run` without DATABASE_URL) add the column the model now declares, as plain text.
    if schema_editor.connection.vendor == "postgresql":
        return
    schema_editor.execute("ALTER TABLE catalog_product ADD COLUMN search_vector text NULL")


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_facets_and_imports"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="product",
                    name="search_vector",
                    field=shopops.catalog.models.TsVectorField(blank=True, editable=False, null=True),
                ),
            ],
            database_operations=[
                migrations.RunPython(add_text_column_off_postgres, migrations.RunPython.noop),
            ],
        ),
    ]
