"""No double-booking in the database, and the appointments recorded before bookings existed.

On PostgreSQL an exclusion constraint (btree_gist, for the associate's equality) refuses an
appointment of an associate whose time range overlaps another of theirs. SQLite has no such
constraint: its write transactions are serialised (BEGIN IMMEDIATE), so the booking service's
check decides there.

Existing activities of an appointment type become bookings linked to them, so they show in
the day and week lists and count for double-booking; their timeline entries stay as they
were. One that overlaps an earlier one of the same associate stays on the timeline only.
"""

import datetime as dt

from django.db import migrations

CONSTRAINT = "appointment_no_double_booking"


def add_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE engagement_appointment ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (associate_id WITH =, tstzrange(start, \"end\", '[)') WITH &&)"
    )


def drop_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE engagement_appointment DROP CONSTRAINT IF EXISTS {CONSTRAINT}"
    )


def link_recorded_appointments(apps, schema_editor):
    Activity = apps.get_model("timeline", "Activity")
    Appointment = apps.get_model("engagement", "Appointment")
    taken: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    rows = (
        Activity.objects.filter(
            scheduled_start__isnull=False, duration_minutes__gt=0, appointment__isnull=True
        )
        .order_by("scheduled_start", "id")
        .iterator(chunk_size=2000)
    )
    batch = []
    for activity in rows:
        start = activity.scheduled_start
        end = start + dt.timedelta(minutes=activity.duration_minutes)
        mine = taken.setdefault(activity.author_id, [])
        if any(s < end and start < e for s, e in mine[-50:]):
            continue
        mine.append((start, end))
        batch.append(
            Appointment(
                legal_entity_id=activity.legal_entity_id,
                customer_id=activity.customer_id,
                associate_id=activity.author_id,
                store_id=activity.store_id,
                start=start,
                end=end,
                purpose=activity.subject,
                activity_id=activity.pk,
            )
        )
        if len(batch) >= 1000:
            Appointment.objects.bulk_create(batch)
            batch = []
    Appointment.objects.bulk_create(batch)


def keep(apps, schema_editor):
    # The activities were never changed; the bookings stay until their table goes.
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0001_follow_ups_appointments_outreach"),
        ("timeline", "0002_import_book_events"),
    ]

    operations = [
        migrations.RunPython(link_recorded_appointments, keep),
        migrations.RunPython(add_exclusion, drop_exclusion),
    ]
