"""The loopback fakes of Entra ID, Key Vault and Customer Insights - Data, exercised over real
HTTPS with the official Azure SDK and httpx. No database."""

from __future__ import annotations

import datetime as dt
import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.keyvault.secrets import SecretClient

from clienteling.demo.fakes import FakeServices, parse_filter

TENANT = FakeServices.TENANT_ID
APP, APP_SECRET = "clienteling-insights", "insights-secret"
READER, READER_SECRET = "clienteling-vault-reader", "reader-secret"
ENV = "3f2c0c1e-5b7a-4c1d-9a57-1c0de0c1e000"
CUSTOM_ENV = "0b6e7a10-2c4d-4e8f-9a1b-3c5d7e9f1a2b"
ACCOUNTS = ["IT000001", "IT000002", "IT000003", "IT000004", "IT000005"]
MEASURES = ["ChurnProbability", "CustomerLifetimeValue", "NextBestAction"]


@pytest.fixture(scope="module")
def fakes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeServices]:
    services = FakeServices(tmp_path_factory.mktemp("fake-services"))
    services.register_client(APP, APP_SECRET)
    services.register_client(READER, READER_SECRET)
    services.environment_add(ENV)
    services.environment_add(
        CUSTOM_ENV,
        alternate_key="contoso_accountnumber",
        accounts=ACCOUNTS,
        measures=("ChurnProbability",),
    )
    services.start()
    yield services
    services.stop()
    assert services.errors == []


@pytest.fixture(autouse=True)
def _normal(fakes: FakeServices) -> Iterator[None]:
    fakes.reset()
    yield
    fakes.reset()


@pytest.fixture(scope="module")
def http(fakes: FakeServices) -> Iterator[httpx.Client]:
    with httpx.Client(verify=ssl.create_default_context(cafile=fakes.ca_file)) as client:
        yield client


def credential(fakes: FakeServices, client_id: str, secret: str, tenant: str = TENANT):
    return ClientSecretCredential(
        tenant,
        client_id,
        secret,
        authority=fakes.entra_url,
        disable_instance_discovery=True,
        connection_verify=fakes.ca_file,
    )


def token_for(http: httpx.Client, fakes: FakeServices, resource: str) -> str:
    response = http.post(
        f"{fakes.entra_url}/{TENANT}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": APP,
            "client_secret": APP_SECRET,
            "scope": f"{resource}/.default",
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def dataverse_url(fakes: FakeServices, accounts: list[str], env: str = ENV, key: str = "") -> str:
    key = key or "msdynci_alternatekey"
    values = ",".join(odata_string(a) for a in accounts)
    where = f"Microsoft.Dynamics.CRM.In(PropertyName='{key}',PropertyValues=[{values}])"
    select = f"msdynci_customerid,{key},msdynci_measures"
    return (
        f"{fakes.org_url(env)}/api/data/v9.2/msdynci_customermeasures"
        f"?$select={select}&$filter={quote(where, safe='')}"
    )


def legacy_url(
    fakes: FakeServices, where: str, select: str = "", top: int | None = None, env: str = ENV
) -> str:
    url = f"{fakes.insights_url}/v1/instances/{env}/data/Customer_Measure?$filter={quote(where)}"
    if select:
        url += f"&$select={select}"
    if top is not None:
        url += f"&$top={top}"
    return url


@pytest.fixture(scope="module")
def dataverse_token(http: httpx.Client, fakes: FakeServices) -> str:
    return token_for(http, fakes, fakes.org_url(ENV))


@pytest.fixture(scope="module")
def legacy_token(http: httpx.Client, fakes: FakeServices) -> str:
    return token_for(http, fakes, fakes.insights_url)


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json", **extra}


# ---- Entra ID --------------------------------------------------------------------------------


def test_client_secret_credential_gets_a_token(fakes: FakeServices) -> None:
    before = fakes.token_requests
    access = credential(fakes, APP, APP_SECRET).get_token("https://x/.default")

    assert access.token
    assert access.expires_on > time.time() + 3000
    info = fakes.token_info(access.token)
    assert info is not None
    assert (info["client_id"], info["tenant"], info["audience"]) == (APP, TENANT, "https://x")
    assert fakes.token_requests == before + 1


def test_wrong_secret_and_unknown_client_are_refused(fakes: FakeServices) -> None:
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        credential(fakes, APP, "not-the-secret").get_token("https://x/.default")
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        credential(fakes, "nobody", "whatever").get_token("https://x/.default")
    assert fakes.token_requests == 0


def test_unknown_tenant_is_refused(fakes: FakeServices, http: httpx.Client) -> None:
    other = "00000000-1111-2222-3333-444444444444"
    # MSAL's OpenID discovery is refused as by the real service; azure-identity reports the
    # discovery failure and chains the response carrying the AADSTS code.
    with pytest.raises(ClientAuthenticationError, match="Authentication failed") as raised:
        credential(fakes, APP, APP_SECRET, tenant=other).get_token("https://x/.default")
    chain = []
    error: BaseException | None = raised.value
    while error is not None:
        chain.append(str(error))
        error = error.__cause__ or error.__context__
    assert any("AADSTS90002" in text and other in text for text in chain)

    response = http.post(
        f"{fakes.entra_url}/{other}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": APP,
            "client_secret": APP_SECRET,
            "scope": "https://x/.default",
        },
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["error_codes"] == [90002]
    assert body["error_description"].startswith(f"AADSTS90002: Tenant '{other}' not found.")


def test_token_endpoint_errors(fakes: FakeServices, http: httpx.Client) -> None:
    url = f"{fakes.entra_url}/{TENANT}/oauth2/v2.0/token"
    form = {"grant_type": "client_credentials", "client_id": APP, "scope": "https://x/.default"}

    wrong = http.post(url, data=form | {"client_secret": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert "AADSTS7000215" in wrong.json()["error_description"]

    unknown = http.post(url, data=form | {"client_id": "ghost", "client_secret": "x"})
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "unauthorized_client"
    assert "AADSTS700016" in unknown.json()["error_description"]

    bad_scope = http.post(url, data=form | {"client_secret": APP_SECRET, "scope": "https://x"})
    assert bad_scope.status_code == 400
    assert bad_scope.json()["error"] == "invalid_scope"

    good = http.post(url, data=form | {"client_secret": APP_SECRET})
    assert good.status_code == 200
    body = good.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == body["ext_expires_in"] == 3599
    assert fakes.token_requests == 1


def test_openid_configuration_points_at_the_fake(fakes: FakeServices, http: httpx.Client) -> None:
    response = http.get(f"{fakes.entra_url}/{TENANT}/v2.0/.well-known/openid-configuration")

    assert response.status_code == 200
    body = response.json()
    assert body["token_endpoint"] == f"{fakes.entra_url}/{TENANT}/oauth2/v2.0/token"
    assert body["issuer"] == f"{fakes.entra_url}/{TENANT}/v2.0"


# ---- Key Vault -------------------------------------------------------------------------------


def test_secret_client_reads_a_secret_through_the_challenge(fakes: FakeServices) -> None:
    expires = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=20)
    fakes.vault_secret_set("ci-client-secret", APP_SECRET, expires_on=expires)
    client = SecretClient(
        vault_url=fakes.vault_url,
        credential=credential(fakes, READER, READER_SECRET),
        connection_verify=fakes.ca_file,
    )

    secret = client.get_secret("ci-client-secret")

    assert secret.value == APP_SECRET
    assert secret.properties.expires_on == expires
    assert secret.id == f"{fakes.vault_url}/secrets/ci-client-secret/{secret.properties.version}"
    assert fakes.token_requests == 1
    with pytest.raises(ResourceNotFoundError, match="SecretNotFound"):
        client.get_secret("no-such-secret")


def test_secret_versions_and_no_expiry(fakes: FakeServices) -> None:
    first = fakes.vault_secret_set("rotating", "one")
    fakes.vault_secret_set("rotating", "two")
    client = SecretClient(
        vault_url=fakes.vault_url,
        credential=credential(fakes, READER, READER_SECRET),
        connection_verify=fakes.ca_file,
    )

    assert client.get_secret("rotating").value == "two"
    older = client.get_secret("rotating", version=first)
    assert older.value == "one"
    assert older.properties.expires_on is None
    with pytest.raises(ResourceNotFoundError):
        client.get_secret("rotating", version="0" * 32)


def test_vault_challenges_requests_without_a_good_token(
    fakes: FakeServices, http: httpx.Client, dataverse_token: str
) -> None:
    fakes.vault_secret_set("plain", "value")
    url = f"{fakes.vault_url}/secrets/plain?api-version=7.4"
    challenge = (
        f'Bearer authorization="{fakes.entra_url}/{TENANT}", resource="{fakes.vault_resource}"'
    )

    anonymous = http.get(url)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == challenge
    assert anonymous.json()["error"]["code"] == "Unauthorized"

    wrong_audience = http.get(url, headers=bearer(dataverse_token))
    assert wrong_audience.status_code == 401
    assert "AKV10022" in wrong_audience.json()["error"]["message"]

    expired = fakes.issue_token(READER, f"{fakes.vault_resource}/.default", expires_in=-1)
    assert http.get(url, headers=bearer(expired)).status_code == 401
    assert http.get(url, headers=bearer("made-up")).status_code == 401

    good = fakes.issue_token(READER, f"{fakes.vault_resource}/.default")
    answer = http.get(url, headers=bearer(good))
    assert answer.status_code == 200
    body = answer.json()
    assert body["value"] == "value"
    assert body["attributes"]["enabled"] is True
    assert body["attributes"]["recoveryLevel"] == "Recoverable+Purgeable"
    assert "exp" not in body["attributes"]
    missing = http.get(f"{fakes.vault_url}/secrets/absent?api-version=7.4", headers=bearer(good))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "SecretNotFound"
    assert "(name/id) absent was not found" in missing.json()["error"]["message"]


# ---- Customer Insights - Data: Dataverse -----------------------------------------------------


def test_dataverse_batched_filter(
    fakes: FakeServices, http: httpx.Client, dataverse_token: str
) -> None:
    response = http.get(
        dataverse_url(fakes, ["IT000001", "IT000002", "IT000001"]),
        headers=bearer(dataverse_token, **{"OData-MaxVersion": "4.0", "OData-Version": "4.0"}),
    )

    assert response.status_code == 200, response.text
    assert response.headers["OData-Version"] == "4.0"
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert "#msdynci_customermeasures(" in body["@odata.context"]
    assert "@odata.nextLink" not in body
    rows = {row["msdynci_alternatekey"]: row for row in body["value"]}
    assert sorted(rows) == ["IT000001", "IT000002"]
    for account, row in rows.items():
        assert json.loads(row["msdynci_measures"]) == fakes.measures_for(account)
        assert row["msdynci_customerid"] == FakeServices.customer_id_for(account)
        assert row["msdynci_customermeasureid"]
    assert fakes.measure_requests == 1


def test_dataverse_eq_filter(fakes: FakeServices, http: httpx.Client, dataverse_token: str) -> None:
    where = quote("msdynci_alternatekey eq 'O''Brien'")
    url = f"{fakes.org_url(ENV)}/api/data/v9.2/msdynci_customermeasures?$filter={where}"
    response = http.get(url, headers=bearer(dataverse_token))

    assert response.status_code == 200, response.text
    [row] = response.json()["value"]
    assert row["msdynci_alternatekey"] == "O'Brien"
    assert json.loads(row["msdynci_measures"]) == fakes.measures_for("O'Brien")


def test_dataverse_pages_with_next_link(
    fakes: FakeServices, http: httpx.Client, dataverse_token: str
) -> None:
    headers = bearer(dataverse_token, Prefer="odata.maxpagesize=2")
    url: str | None = dataverse_url(fakes, ACCOUNTS)
    pages: list[list[dict[str, Any]]] = []
    while url:
        response = http.get(url, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["Preference-Applied"] == "odata.maxpagesize=2"
        body = response.json()
        pages.append(body["value"])
        url = body.get("@odata.nextLink")
        if url:
            assert url.startswith(f"{fakes.org_url(ENV)}/api/data/v9.2/msdynci_customermeasures?")
            assert "$skiptoken=" in url

    assert [len(page) for page in pages] == [2, 2, 1]
    seen = [row["msdynci_alternatekey"] for page in pages for row in page]
    assert sorted(seen) == ACCOUNTS
    assert fakes.measure_requests == 3


def test_dataverse_unknown_environment_and_wrong_key(
    fakes: FakeServices, http: httpx.Client, dataverse_token: str
) -> None:
    unknown = http.get(
        dataverse_url(fakes, ["IT000001"], env="11111111-2222-3333-4444-555555555555"),
        headers=bearer(dataverse_token),
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"]

    wrong = http.get(
        dataverse_url(fakes, ["IT000001"], key="msdynci_loyaltyid"),
        headers=bearer(dataverse_token),
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == {
        "code": "0x80060888",
        "message": "Could not find a property named 'msdynci_loyaltyid' on type "
        "'Microsoft.Dynamics.CRM.msdynci_customermeasure'.",
    }


def test_dataverse_custom_key_and_known_accounts(fakes: FakeServices, http: httpx.Client) -> None:
    token = token_for(http, fakes, fakes.org_url(CUSTOM_ENV))
    ok = http.get(
        dataverse_url(fakes, ["IT000003", "XX999999"], CUSTOM_ENV, "contoso_accountnumber"),
        headers=bearer(token),
    )
    assert ok.status_code == 200, ok.text
    [row] = ok.json()["value"]
    assert row["contoso_accountnumber"] == "IT000003"
    assert json.loads(row["msdynci_measures"]) == {
        "ChurnProbability": fakes.measures_for("IT000003")["ChurnProbability"]
    }

    default_key = http.get(dataverse_url(fakes, ["IT000003"], CUSTOM_ENV), headers=bearer(token))
    assert default_key.status_code == 400
    assert "'msdynci_alternatekey'" in default_key.json()["error"]["message"]


def test_dataverse_needs_a_token_for_its_org(
    fakes: FakeServices, http: httpx.Client, legacy_token: str
) -> None:
    url = dataverse_url(fakes, ["IT000001"])

    anonymous = http.get(url)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "Unauthorized"
    assert http.get(url, headers=bearer(legacy_token)).status_code == 401
    expired = fakes.issue_token(APP, f"{fakes.org_url(ENV)}/.default", expires_in=-5)
    assert http.get(url, headers=bearer(expired)).status_code == 401


# ---- Customer Insights - Data: the older API -------------------------------------------------


def test_legacy_batched_filter(fakes: FakeServices, http: httpx.Client, legacy_token: str) -> None:
    select = ",".join(["CustomerId", "msdynci_alternatekey", *MEASURES])
    response = http.get(
        legacy_url(fakes, "msdynci_alternatekey in ('IT000001','IT000002')", select),
        headers=bearer(legacy_token),
    )

    assert response.status_code == 200, response.text
    rows = {row["msdynci_alternatekey"]: row for row in response.json()["value"]}
    assert sorted(rows) == ["IT000001", "IT000002"]
    for account, row in rows.items():
        assert row == {
            "CustomerId": FakeServices.customer_id_for(account),
            "msdynci_alternatekey": account,
            **fakes.measures_for(account),
        }


def test_legacy_eq_or_and_narrow_select(
    fakes: FakeServices, http: httpx.Client, legacy_token: str
) -> None:
    where = "msdynci_alternatekey eq 'IT000004' or msdynci_alternatekey eq 'IT000005'"
    response = http.get(
        legacy_url(fakes, where, "msdynci_alternatekey,NextBestAction"),
        headers=bearer(legacy_token),
    )

    assert response.status_code == 200, response.text
    assert sorted(response.json()["value"], key=lambda r: r["msdynci_alternatekey"]) == [
        {"msdynci_alternatekey": a, "NextBestAction": fakes.measures_for(a)["NextBestAction"]}
        for a in ("IT000004", "IT000005")
    ]


def test_legacy_pages_with_top(fakes: FakeServices, http: httpx.Client, legacy_token: str) -> None:
    values = ",".join(odata_string(a) for a in ACCOUNTS)
    url: str | None = legacy_url(fakes, f"msdynci_alternatekey in ({values})", top=2)
    seen: list[str] = []
    requests = 0
    while url:
        response = http.get(url, headers=bearer(legacy_token))
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["value"]) <= 2
        seen += [row["msdynci_alternatekey"] for row in body["value"]]
        url = body.get("@odata.nextLink")
        requests += 1

    assert requests == 3
    assert sorted(seen) == ACCOUNTS
    assert fakes.measure_requests == 3


def test_legacy_unknown_instance_and_measure(
    fakes: FakeServices, http: httpx.Client, legacy_token: str
) -> None:
    where = "msdynci_alternatekey eq 'IT000001'"
    unknown = http.get(
        legacy_url(fakes, where, env="99999999-0000-0000-0000-000000000000"),
        headers=bearer(legacy_token),
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "InstanceNotFound"

    measure = http.get(
        legacy_url(fakes, where, "msdynci_alternatekey,LoyaltyTier"), headers=bearer(legacy_token)
    )
    assert measure.status_code == 400
    assert measure.json()["error"] == {
        "code": "BadRequest",
        "message": "Could not find a property named 'LoyaltyTier' on type 'Customer_Measure'.",
    }

    token = token_for(http, fakes, fakes.insights_url)
    narrow = http.get(
        legacy_url(fakes, "contoso_accountnumber eq 'IT000001'", "NextBestAction", env=CUSTOM_ENV),
        headers=bearer(token),
    )
    assert narrow.status_code == 400  # that environment has only ChurnProbability


def test_legacy_needs_a_token_for_the_api(
    fakes: FakeServices, http: httpx.Client, dataverse_token: str
) -> None:
    url = legacy_url(fakes, "msdynci_alternatekey eq 'IT000001'")

    anonymous = http.get(url)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "Unauthorized"
    assert http.get(url, headers=bearer(dataverse_token)).status_code == 401


# ---- Modes and counters ----------------------------------------------------------------------


def test_throttle_then_normal_after_times(
    fakes: FakeServices, http: httpx.Client, dataverse_token: str, legacy_token: str
) -> None:
    fakes.set_mode("throttle", retry_after=3, times=2)

    first = http.get(dataverse_url(fakes, ["IT000001"]), headers=bearer(dataverse_token))
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "3"
    assert first.json()["error"]["code"]
    second = http.get(
        legacy_url(fakes, "msdynci_alternatekey eq 'IT000001'"), headers=bearer(legacy_token)
    )
    assert second.status_code == 429
    assert second.headers["Retry-After"] == "3"

    third = http.get(dataverse_url(fakes, ["IT000001"]), headers=bearer(dataverse_token))
    assert third.status_code == 200
    assert fakes.mode["mode"] == "normal"
    assert fakes.measure_requests == 3


def test_fail_mode_once(fakes: FakeServices, http: httpx.Client, dataverse_token: str) -> None:
    fakes.set_mode("fail", times=1)

    failed = http.get(dataverse_url(fakes, ["IT000001"]), headers=bearer(dataverse_token))
    assert failed.status_code == 503
    assert failed.json()["error"]["message"]
    again = http.get(dataverse_url(fakes, ["IT000001"]), headers=bearer(dataverse_token))
    assert again.status_code == 200


def test_modes_spare_the_other_services(
    fakes: FakeServices, http: httpx.Client, dataverse_token: str
) -> None:
    fakes.set_mode("fail")

    assert token_for(http, fakes, fakes.insights_url)
    # a request without a valid token is refused before the mode applies
    assert http.get(dataverse_url(fakes, ["IT000001"])).status_code == 401
    assert (
        http.get(dataverse_url(fakes, ["IT000001"]), headers=bearer(dataverse_token)).status_code
        == 503
    )


def test_slow_mode_waits_then_answers(
    fakes: FakeServices, http: httpx.Client, legacy_token: str
) -> None:
    fakes.set_mode("slow", delay=0.4)

    started = time.monotonic()
    response = http.get(
        legacy_url(fakes, "msdynci_alternatekey eq 'IT000001'"), headers=bearer(legacy_token)
    )

    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200
    assert response.json()["value"][0]["msdynci_alternatekey"] == "IT000001"


def test_switches_over_http(fakes: FakeServices, http: httpx.Client, dataverse_token: str) -> None:
    control = f"{fakes.insights_url}/_fake"
    switched = http.post(f"{control}/mode", json={"mode": "throttle", "retry_after": 7, "times": 1})
    assert switched.status_code == 200
    assert fakes.mode == {"mode": "throttle", "delay": 5.0, "retry_after": 7, "times": 1}

    throttled = http.get(dataverse_url(fakes, ["IT000001"]), headers=bearer(dataverse_token))
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "7"
    stats = http.get(f"{control}/stats").json()
    assert (stats["measure_requests"], stats["token_requests"], stats["mode"]) == (1, 0, "normal")

    assert http.post(f"{control}/mode", json={"mode": "sideways"}).status_code == 400
    http.post(f"{control}/mode", json={"mode": "fail"})
    assert http.post(f"{control}/reset").status_code == 200
    assert fakes.mode["mode"] == "normal"
    assert http.get(f"{control}/stats").json()["measure_requests"] == 0


def test_counters_count(fakes: FakeServices, http: httpx.Client) -> None:
    token = token_for(http, fakes, fakes.insights_url)
    for _ in range(3):
        http.get(legacy_url(fakes, "msdynci_alternatekey eq 'IT000001'"), headers=bearer(token))
    assert (fakes.measure_requests, fakes.token_requests) == (3, 1)

    fakes.reset_counts()
    assert (fakes.measure_requests, fakes.token_requests) == (0, 0)


# ---- Measures, filters, certificates ---------------------------------------------------------


def test_measures_are_deterministic_and_in_range() -> None:
    values = FakeServices.measures_for("IT000001")
    assert set(values) == set(MEASURES)
    assert 0 <= values["ChurnProbability"] <= 1
    assert values["ChurnProbability"] == round(values["ChurnProbability"], 2)
    assert 100 <= values["CustomerLifetimeValue"] <= 50000
    assert values["CustomerLifetimeValue"] == round(values["CustomerLifetimeValue"], 2)
    assert isinstance(values["NextBestAction"], str)
    assert len({FakeServices.measures_for(f"IT{n:06}")["NextBestAction"] for n in range(60)}) > 3

    other_process = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from clienteling.demo.fakes import FakeServices; "
            "print(json.dumps(FakeServices.measures_for('IT000001')))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"), "PYTHONHASHSEED": "7"},
    )
    assert json.loads(other_process.stdout) == values


def test_filter_parser() -> None:
    assert parse_filter(
        "Microsoft.Dynamics.CRM.In(PropertyName='k',PropertyValues=['A','B''s'])"
    ) == [("k", ["A", "B's"])]
    assert parse_filter("k in ('A', 'B')") == [("k", ["A", "B"])]
    assert parse_filter("(k eq 'A') or k eq 'B'") == [("k", ["A"]), ("k", ["B"])]
    with pytest.raises(ValueError, match="Syntax error"):
        parse_filter("k eq A")


def test_certificates_are_reused_and_trusted_for_localhost(
    fakes: FakeServices, http: httpx.Client
) -> None:
    ca = Path(fakes.ca_file).read_bytes()
    second = FakeServices(Path(fakes.ca_file).parent)
    second.start()
    try:
        assert Path(second.ca_file).read_bytes() == ca
        assert second.insights_url != fakes.insights_url
        port = second.insights_url.rsplit(":", 1)[1]
        response = http.get(f"https://localhost:{port}/_fake/stats")
        assert response.status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{second.insights_url}/_fake/stats", verify=True)  # the system CAs
    finally:
        second.stop()
    with pytest.raises(httpx.ConnectError):
        http.get(f"{second.insights_url}/_fake/stats")


def test_management_command_serves_until_terminated(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    state = tmp_path / "state"
    process = subprocess.Popen(
        [
            sys.executable,
            str(root / "manage.py"),
            "fake_services",
            "--state-dir",
            str(state),
            "--ports",
            "0,0,0",
        ],
        cwd=root,
        env={k: v for k, v in os.environ.items() if k != "CLIENTELING_KEYVAULT_CLIENT_SECRET"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        described = state / "fake-services.json"
        deadline = time.monotonic() + 30
        while not described.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert described.exists(), (
            process.stderr.read() if process.stderr and process.poll() is not None else ""
        )
        about = json.loads(described.read_text())
        assert about["tenant_id"] == TENANT
        assert about["vault_client_id"] == "clienteling-vault-reader"
        assert about["insights_client_id"] == "clienteling-insights"
        assert about["environment_id"] == ENV
        assert about["secret_name"] == "ci-client-secret"
        assert about["dataverse_url"] == f"{about['insights_url']}/org/{ENV}"

        secret = SecretClient(
            vault_url=about["vault_url"],
            credential=ClientSecretCredential(
                about["tenant_id"],
                about["vault_client_id"],
                "demo-vault-reader-secret",
                authority=about["entra_url"],
                disable_instance_discovery=True,
                connection_verify=about["ca_file"],
            ),
            connection_verify=about["ca_file"],
        ).get_secret(about["secret_name"])
        assert secret.value == "demo-insights-secret"
        assert secret.properties.expires_on is not None
        days = (secret.properties.expires_on - dt.datetime.now(dt.UTC)).days
        assert 19 <= days <= 20
    finally:
        process.terminate()
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "Key Vault" in out
    assert "stopped" in out
