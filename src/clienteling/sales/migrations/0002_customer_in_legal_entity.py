"""A sales line's customer is of the line's own legal entity: one foreign key,
(legal_entity_id, customer_id) to the customer's (legal_entity_id, id), takes the place of the
two the fields had. It holds more (no line of one legal entity can name another's customer)
and costs an import one check a line instead of two.

PostgreSQL has composite foreign keys; Django cannot declare them, so they are written here.
SQLite cannot add a constraint to a table: triggers hold the same rule, on both sides. A
later migration that makes Django rebuild either table on SQLite drops its triggers; the
tests of this rule run on the migrated database and would fail.
"""

import django.db.models.deletion
from django.db import migrations, models

NAME = "saleline_customer_in_le"
REFUSED = f"SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: {NAME}')"
CUSTOMER_OF_LINE = (
    "NOT EXISTS (SELECT 1 FROM customers_customer WHERE id = NEW.customer_id "
    "AND legal_entity_id = NEW.legal_entity_id)"
)
LINES_OF_CUSTOMER = "EXISTS (SELECT 1 FROM sales_saleline WHERE customer_id = OLD.id)"
TRIGGERS = {
    f"{NAME}_insert": f"BEFORE INSERT ON sales_saleline WHEN {CUSTOMER_OF_LINE}",
    f"{NAME}_update": (
        "BEFORE UPDATE OF legal_entity_id, customer_id ON sales_saleline "
        f"WHEN {CUSTOMER_OF_LINE}"
    ),
    f"{NAME}_update_customer": (
        "BEFORE UPDATE OF id, legal_entity_id ON customers_customer "
        "WHEN (NEW.id <> OLD.id OR NEW.legal_entity_id <> OLD.legal_entity_id) "
        f"AND {LINES_OF_CUSTOMER}"
    ),
}


# A customer's lines go with it, as the model's CASCADE says (Django deletes them first; this
# holds for a delete that bypasses it).
CASCADE = (
    f"CREATE TRIGGER {NAME}_delete_customer AFTER DELETE ON customers_customer "
    "BEGIN DELETE FROM sales_saleline WHERE customer_id = OLD.id; END"
)


def add_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE sales_saleline ADD CONSTRAINT {NAME} "
            "FOREIGN KEY (legal_entity_id, customer_id) "
            "REFERENCES customers_customer (legal_entity_id, id) ON DELETE CASCADE "
            "DEFERRABLE INITIALLY DEFERRED"
        )
        return
    for trigger, when in TRIGGERS.items():
        schema_editor.execute(f"CREATE TRIGGER {trigger} {when} BEGIN {REFUSED}; END")
    schema_editor.execute(CASCADE)


def drop_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE sales_saleline DROP CONSTRAINT {NAME}")
        return
    for trigger in [*TRIGGERS, f"{NAME}_delete_customer"]:
        schema_editor.execute(f"DROP TRIGGER {trigger}")


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0003_customer_id_in_le"),
        ("organization", "0003_worker_language_preference"),
        ("sales", "0001_sales_lines"),
    ]

    operations = [
        migrations.AlterField(
            model_name="saleline",
            name="customer",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="sale_lines",
                to="customers.customer",
                verbose_name="customer",
            ),
        ),
        migrations.AlterField(
            model_name="saleline",
            name="legal_entity",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organization.legalentity",
                verbose_name="legal entity",
            ),
        ),
        migrations.RunPython(add_key, drop_key, elidable=False),
    ]
