"""The currency's CHECK in SQL SQLite runs in C (GLOB), not through Django's REGEXP, which
called Python for every line written. PostgreSQL's constraint stays as it was (dropped and
added again, which reads the table once).

On SQLite, changing a constraint rebuilds the table, which its triggers (0002: a line's
customer is of its legal entity) would not survive, and those on the customers table that
name it would stop the rebuild: they are dropped before and created again after.
"""

import importlib

from django.db import migrations, models

import clienteling.core.currency

KEY = importlib.import_module("clienteling.sales.migrations.0002_customer_in_legal_entity")


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for trigger in [*KEY.TRIGGERS, f"{KEY.NAME}_delete_customer"]:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        KEY.add_key(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_customer_id_in_le"),
        ("organization", "0004_currency_shape_in_c"),
        ("sales", "0002_customer_in_legal_entity"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers, elidable=False),
        migrations.RemoveConstraint(
            model_name="saleline",
            name="saleline_currency_iso",
        ),
        migrations.AddConstraint(
            model_name="saleline",
            constraint=models.CheckConstraint(
                condition=clienteling.core.currency.CurrencyShaped("currency"),
                name="saleline_currency_iso",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
