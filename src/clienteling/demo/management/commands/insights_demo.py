"""``manage.py insights_demo``: point the demo retailer's Italian legal entity at the fake
Microsoft services of ``manage.py fake_services`` and turn the integration on, through the
same check HQ's back office runs. Demo only."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clienteling.core.errors import Invalid
from clienteling.demo.production import refuse_production
from clienteling.insights.models import InsightsSettings, KeyVault, ServiceKind
from clienteling.insights.services import insights_settings_save
from clienteling.organization.models import LegalEntity

MEASURES = ("ChurnProbability", "CustomerLifetimeValue")


class Command(BaseCommand):
    help = "Turn customer analytics on for the demo's ITJW against the fake Microsoft services."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--state",
            default=str(Path(settings.BASE_DIR) / "var" / "fake-services" / "fake-services.json"),
            help="the description fake_services writes (default var/fake-services/fake-services.json)",
        )
        parser.add_argument(
            "--wait", type=float, default=0, help="seconds to wait for the fakes to be up"
        )
        parser.add_argument("--legal-entity", default="ITJW")

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_production("insights_demo")
        state = self.state(Path(options["state"]), options["wait"])
        entity = LegalEntity.objects.filter(code=options["legal_entity"]).first()
        if entity is None:
            raise CommandError(f"No legal entity {options['legal_entity']}: run seed_demo first.")
        # The fakes' own certificate authority, unless the environment already names one.
        settings.AZURE_CA_BUNDLE = settings.AZURE_CA_BUNDLE or state["ca_file"]
        os.environ.setdefault("CLIENTELING_KEYVAULT_CLIENT_SECRET", "demo-vault-reader-secret")
        KeyVault.objects.update_or_create(
            name="demo",
            defaults={
                "vault_url": state["vault_url"],
                "tenant_id": state["tenant_id"],
                "client_id": state["vault_client_id"],
                "authority_host": state["entra_url"],
            },
        )
        row = InsightsSettings.objects.filter(legal_entity=entity).first() or InsightsSettings(
            legal_entity=entity
        )
        row.enabled = True
        row.service = ServiceKind.DATAVERSE
        row.service_url = state["dataverse_url"]
        row.tenant_id = state["tenant_id"]
        row.authority_host = state["entra_url"]
        row.client_id = state["insights_client_id"]
        row.secret_reference = f"vault://demo/{state['secret_name']}"
        row.environment_id = state["environment_id"]
        row.alternate_customer_id = state["alternate_key"]
        row.measure_1, row.measure_2, row.measure_3 = (*MEASURES, "")
        try:
            insights_settings_save(row=row)
        except Invalid as error:
            raise CommandError(f"The fake services did not pass the check: {error}") from None
        self.stdout.write(
            f"Customer analytics on for {entity.code}: {', '.join(MEASURES)} first on the cards "
            f"(Dataverse at {state['dataverse_url']})."
        )

    def state(self, path: Path, wait: float) -> dict[str, Any]:
        deadline = time.monotonic() + wait
        while True:
            if path.exists():
                state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                if all(
                    self.listening(state[k]) for k in ("entra_url", "vault_url", "insights_url")
                ):
                    return state
            if time.monotonic() >= deadline:
                raise CommandError(
                    f"The fake services are not running ({path} missing or not answering): "
                    "start them with manage.py fake_services."
                )
            time.sleep(0.2)

    @staticmethod
    def listening(url: str) -> bool:
        parts = urlsplit(url)
        try:
            with socket.create_connection((parts.hostname, parts.port or 443), timeout=0.5):
                return True
        except OSError:
            return False
