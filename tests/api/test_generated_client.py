"""A client generated from the OpenAPI document by a standard generator (openapi-python-client,
a pinned dev dependency) works against a live server with the demo data: what an integrator
gets by pointing their tools at /api/v1/openapi.json.

The generator runs offline; its post-hook runs ruff, found beside the interpreter."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.request import urlopen

import pytest

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "clienteling_api_client"


@pytest.fixture(scope="module")
def generated(live_api, tmp_path_factory):
    """``generated("api.caller.me")``: a module of the generated client package, imported
    from a temporary directory (by name: the package does not exist for mypy)."""
    root = tmp_path_factory.mktemp("generated-client")
    document = root / "openapi.json"
    with urlopen(f"{live_api.url}/api/v1/openapi.json", timeout=10) as response:
        document.write_bytes(response.read())
    # A CSV body is a file to the generator, as application/octet-stream is.
    config = root / "config.json"
    config.write_text('{"content_type_overrides": {"text/csv": "application/octet-stream"}}')
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(root / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
            # Anything in our document the generator cannot represent fails the test.
            "--fail-on-warning",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(root))

    def module(name: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.{name}" if name else PACKAGE)

    try:
        yield module
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.mark.skipif(not GENERATOR.exists(), reason="openapi-python-client is not installed")
def test_a_generated_client_reads_the_caller_and_the_client_book(generated, live_api):
    me = generated("api.caller.me")
    client_book = generated("api.client_books.client_book")
    models: Any = generated("models")
    CardPageOut, ClientBookAttr = models.CardPageOut, models.ClientBookAttr
    ErrorOut, MeOut = models.ErrorOut, models.MeOut

    with generated("").AuthenticatedClient(
        base_url=live_api.url, token=live_api.token("giulia"), raise_on_unexpected_status=True
    ) as client:
        caller = me.sync(client=client)
        assert isinstance(caller, MeOut)
        assert caller.username == "giulia"
        assert [(le.code, le.clienteling_enabled) for le in caller.legal_entities] == [
            ("ITJW", True)
        ]
        assert [(s.code, s.legal_entity) for s in caller.stores] == [("MI01", "ITJW")]
        assert {"view_own_client_book", "add_customer_to_client_book"} <= set(caller.operations)

        first = client_book.sync(client=client, le="ITJW", limit=5)
        assert isinstance(first, CardPageOut)
        assert len(first.items) == 5
        assert isinstance(first.next_cursor, str)
        for card in first.items:
            assert card.book is not None and card.book.owner == "giulia"
            assert card.book.id.startswith("CB-")
            assert len(card.properties) == 3
            assert [p.code for p in card.properties] == ["BIRTHDAY", "ANNIVERSARY", "PREF_CATEGORY"]
            assert {p.kind.value for p in card.properties} == {"attribute"}

        second = client_book.sync(client=client, le="ITJW", limit=5, cursor=first.next_cursor)
        assert isinstance(second, CardPageOut)
        assert len(second.items) == 5
        assert not {c.account for c in first.items} & {c.account for c in second.items}

        # The attr.CODE filters: an object of query parameters named by a pattern.
        handbags = client_book.sync(
            client=client,
            le="ITJW",
            limit=20,
            attr=ClientBookAttr.from_dict({"attr.PREF_CATEGORY": "Handbags"}),
        )
        assert isinstance(handbags, CardPageOut)
        assert handbags.items
        assert {card.properties[2].value for card in handbags.items} == {"Handbags"}

        refused = client_book.sync(
            client=client, le="ITJW", attr=ClientBookAttr.from_dict({"attr.RING_SIZE": "52"})
        )
        assert isinstance(refused, ErrorOut)
        assert refused.error.code.value == "invalid"
        assert refused.error.field == "attr.RING_SIZE"
