"""The secret store and secret expiry (R-SEC-1, R-SEC-2): vault, environment and file
references; expiry shown and warned about 30 days ahead; no secret in the database or a log."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from django.core.management import call_command

from clienteling.insights.checks import secrets_expiring_check
from clienteling.insights.models import SecretStatus
from clienteling.insights.secrets import (
    SecretError,
    secret_reference_validate,
    secret_resolve,
    secrets_expiring,
)
from tests.conftest import CI_CLIENT_SECRET, VAULT_READER_SECRET
from tests.factories import CustomerFactory
from tests.insights.helpers import insights_enable, vault_for

pytestmark = pytest.mark.django_db


def in_days(days: int) -> dt.datetime:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).replace(microsecond=0)


def test_a_vault_reference_is_read_from_key_vault_with_its_expiry(fakes):
    vault_for(fakes)
    fakes.vault_secret_set("pos-key", "v4lue", expires_on=in_days(45))

    secret = secret_resolve("vault://retail/pos-key")

    assert secret.value == "v4lue"
    assert secret.expires_on is not None
    assert secret.expires_on == in_days(45) or abs(secret.expires_on - in_days(45)).seconds < 5
    assert "v4lue" not in repr(secret)


def test_the_newest_version_of_a_vault_secret_wins(fakes):
    vault_for(fakes)
    fakes.vault_secret_set("rotated", "old")
    fakes.vault_secret_set("rotated", "new")

    assert secret_resolve("vault://retail/rotated", fresh=True).value == "new"


def test_env_and_file_references(monkeypatch, tmp_path, settings):
    monkeypatch.setenv("CLIENTELING_SECRET_CI_KEY", "from-env")
    settings.CLIENTELING_SECRETS_DIR = str(tmp_path)
    path = tmp_path / "ci.key"
    path.write_text("from-file\n")

    assert secret_resolve("env://CLIENTELING_SECRET_CI_KEY", fresh=True).value == "from-env"
    assert secret_resolve(f"file://{path}", fresh=True).value == "from-file"


@pytest.mark.parametrize("variable", ["DATABASE_URL", "SECRET_KEY", "PATH"])
def test_an_env_reference_reads_only_clienteling_secret_variables(monkeypatch, variable):
    """R-SEC-1: a back-office user cannot make the product read its own configuration."""
    monkeypatch.setenv(variable, "private")

    with pytest.raises(SecretError, match="CLIENTELING_SECRET_"):
        secret_resolve(f"env://{variable}", fresh=True)


def test_a_file_reference_reads_only_inside_the_secrets_directory(tmp_path, settings):
    """R-SEC-1: not /etc/shadow, not through "..", not through a link out; and the answer
    for a file that exists outside is the same as for one that does not."""
    inside = tmp_path / "secrets"
    inside.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("private")
    (inside / "link").symlink_to(outside)
    settings.CLIENTELING_SECRETS_DIR = str(inside)

    answers = set()
    for reference in (
        "file:///etc/passwd",
        "file:///proc/self/environ",
        f"file://{inside}/../outside.txt",
        f"file://{inside}/link",
        f"file://{inside}/absent",
        f"file://{inside}",
    ):
        with pytest.raises(SecretError) as error:
            secret_resolve(reference, fresh=True)
        answers.add(str(error.value).replace(reference.removeprefix("file://"), "PATH", 1))

    assert len(answers) == 1


def test_file_references_are_off_without_a_secrets_directory(tmp_path, settings):
    settings.CLIENTELING_SECRETS_DIR = ""
    path = tmp_path / "key"
    path.write_text("k")

    with pytest.raises(SecretError, match="CLIENTELING_SECRETS_DIR"):
        secret_resolve(f"file://{path}", fresh=True)


@pytest.mark.parametrize(
    ("reference", "says"),
    [
        ("plain-text-secret", "is not a secret reference"),
        ("vault://unknown/x", "No key vault named unknown"),
        ("vault://retail/absent", "has no secret named absent"),
        ("env://CLIENTELING_SECRET_NOT_SET", "CLIENTELING_SECRET_NOT_SET is not set"),
        ("file:///nonexistent/key", "file:// references are off"),
    ],
)
def test_a_bad_reference_says_why(fakes, reference, says):
    vault_for(fakes)
    with pytest.raises(SecretError, match=says):
        secret_resolve(reference, fresh=True)


def test_the_vault_refuses_a_wrong_client_secret(fakes, monkeypatch):
    vault_for(fakes)
    monkeypatch.setenv("CLIENTELING_KEYVAULT_CLIENT_SECRET", "wrong")

    with pytest.raises(SecretError, match="refused the connection's credentials"):
        secret_resolve("vault://retail/ci-client-secret", fresh=True)


def test_the_vault_needs_its_client_secret_from_the_environment(fakes, monkeypatch):
    vault_for(fakes)
    monkeypatch.delenv("CLIENTELING_KEYVAULT_CLIENT_SECRET")

    with pytest.raises(SecretError, match="CLIENTELING_KEYVAULT_CLIENT_SECRET"):
        secret_resolve("vault://retail/ci-client-secret", fresh=True)


def test_validate_records_the_expiry_and_warns_30_days_ahead(fakes):
    """R-SEC-2: expiring in 20 days warns; in 60 days does not; manage.py check says so."""
    vault_for(fakes)
    fakes.vault_secret_set("soon", "a", expires_on=in_days(20))
    fakes.vault_secret_set("later", "b", expires_on=in_days(60))

    soon = secret_reference_validate("vault://retail/soon")
    later = secret_reference_validate("vault://retail/later")

    assert soon.problem == "" and soon.expires_on is not None
    assert (soon.expires_on - in_days(20)).total_seconds() < 5
    assert [s.reference for s in secrets_expiring()] == ["vault://retail/soon"]
    warnings = secrets_expiring_check()
    assert [w.id for w in warnings] == ["clienteling.W002"]
    assert "vault://retail/soon" in warnings[0].msg and "later" not in warnings[0].msg
    assert later.expires_on is not None


def test_manage_py_check_prints_the_warning(fakes):
    vault_for(fakes)
    fakes.vault_secret_set("expiring", "a", expires_on=in_days(3))
    secret_reference_validate("vault://retail/expiring")
    out, err = io.StringIO(), io.StringIO()

    call_command("check", stdout=out, stderr=err)

    assert "clienteling.W002" in out.getvalue() + err.getvalue()
    assert "vault://retail/expiring" in out.getvalue() + err.getvalue()


def test_a_failed_validation_keeps_the_last_known_expiry(fakes, monkeypatch):
    vault_for(fakes)
    fakes.vault_secret_set("kept", "a", expires_on=in_days(10))
    secret_reference_validate("vault://retail/kept")
    monkeypatch.setenv("CLIENTELING_KEYVAULT_CLIENT_SECRET", "wrong")

    status = secret_reference_validate("vault://retail/kept")

    assert "refused" in status.problem
    assert status.expires_on is not None


def test_no_secret_in_the_database_or_the_logs(legal_entity, giulia, fakes, caplog, monkeypatch):
    """R-SEC-1: enable, read cards, fail and validate with everything logged at DEBUG: neither
    the logs nor a dump of the whole database contain a secret."""
    from clienteling.clientbooks import selectors
    from clienteling.insights.services import insights_settings_validate
    from tests.factories import book_add

    caplog.set_level(logging.DEBUG)
    for name in ("azure", "msal", "httpx", "httpcore", "urllib3", "clienteling"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        customers = CustomerFactory.create_batch(3, legal_entity=legal_entity)
        book_add(giulia, *customers)
        row = insights_enable(legal_entity, fakes)
        selectors.client_book_cards(actor=giulia, legal_entity=legal_entity)
        fakes.vault_secret_set("wrong", "wrong-s3cret-Pq1")
        row.secret_reference = "vault://retail/wrong"
        insights_settings_validate(row=row)
        monkeypatch.setenv("CLIENTELING_KEYVAULT_CLIENT_SECRET", "bad-vault-s3cret-Lm3")
        secret_reference_validate("vault://retail/ci-client-secret")
    finally:
        for name in ("azure", "msal", "httpx", "httpcore", "urllib3", "clienteling"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)

    assert caplog.records  # the check did log, at DEBUG
    for secret in (
        CI_CLIENT_SECRET,
        VAULT_READER_SECRET,
        "wrong-s3cret-Pq1",
        "bad-vault-s3cret-Lm3",
    ):
        assert secret not in caplog.text
        assert secret not in dump.getvalue()
    assert "vault://retail/ci-client-secret" in dump.getvalue()  # the reference, not the value
    assert SecretStatus.objects.filter(reference="vault://retail/ci-client-secret").exists()
