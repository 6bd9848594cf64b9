from __future__ import annotations

import io

from clienteling.dataio.services import import_file


def csv_bytes(*lines: str, separator: str = ",") -> bytes:
    return ("\n".join(lines) + "\n").encode().replace(b",", separator.encode())


def run_import(legal_entity, kind: str, data: bytes):
    """Import ``data`` now; the outcome and the rejects file's rows."""
    rejects = io.BytesIO()
    outcome = import_file(
        legal_entity=legal_entity, kind=kind, source=io.BytesIO(data), rejects=rejects
    )
    rows = rejects.getvalue().decode("utf-8", "surrogateescape").splitlines()
    return outcome, rows
