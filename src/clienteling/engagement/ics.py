"""An appointment as iCalendar (RFC 5545), written by hand: one VEVENT is a dozen lines, and
the rules that matter are few (CRLF line ends, lines folded at 75 octets, TEXT escaped, times
in UTC)."""

from __future__ import annotations

import datetime as dt

from clienteling.engagement.models import Appointment

PRODID = "-//Clienteling//Appointments//EN"


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (§3.1), never
    splitting a UTF-8 character."""
    out: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        limit = 75 if not out else 74
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def appointment_ics(appointment: Appointment, *, host: str = "clienteling") -> str:
    """The VCALENDAR with the appointment's one VEVENT."""
    customer = appointment.customer
    store = appointment.store
    summary = f"{appointment.purpose}: {customer.display_name}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:appointment-{appointment.pk}-{appointment.legal_entity.code}@{host}",
        f"DTSTAMP:{_utc(appointment.created_at)}",
        f"DTSTART:{_utc(appointment.start)}",
        f"DTEND:{_utc(appointment.end)}",
        f"SUMMARY:{_text(summary)}",
        f"DESCRIPTION:{_text(f'{customer.account} {customer.display_name}')}",
    ]
    if store is not None:
        lines.append(f"LOCATION:{_text(store.name)}")
    # A cancelled one says so under the same UID, with a higher SEQUENCE (§3.8.7.4), so a
    # calendar that imported it takes it off.
    if appointment.cancelled_at is not None:
        lines += ["SEQUENCE:1", "STATUS:CANCELLED"]
    else:
        lines += ["SEQUENCE:0", "STATUS:CONFIRMED"]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(_fold(line) + "\r\n" for line in lines)
