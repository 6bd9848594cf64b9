"""Importing customers from a CSV file (R-IO-2): the same rules as the API, upsert by account
number, rejected lines with their line, column and reason, a wrong header refused whole."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clienteling.clientbooks.models import Membership
from clienteling.core.errors import Invalid
from clienteling.customers.models import Customer
from clienteling.dataio import imports
from clienteling.dataio.services import import_file
from tests.dataio.conftest import csv_bytes, run_import
from tests.factories import AddressBookFactory, CustomerFactory, book_add

pytestmark = pytest.mark.django_db

HEADER = "account,first_name,last_name,email,consent_email,language,address_books"


def test_good_lines_are_created_and_each_bad_line_is_rejected_with_its_reason(legal_entity):
    """R-IO-1, R-IO-2: every reject reason, by physical line number (the header is line 1);
    the valid lines are kept."""
    AddressBookFactory.create(legal_entity=legal_entity, code="MI01")
    data = (
        csv_bytes(
            HEADER,
            "IT1,Anna,Bianchi,anna@example.com,true,it,MI01",
            "IT2,Bruno,Rossi,not-an-email,false,,",
            "IT3,Carla,Verdi,,maybe,,",
            "IT4,Dino,Neri,,,,ZZ",
            "bad account!,Elena,Gialli,,,,",
            "IT6,Franco,,,,,",
            "IT7,Gina,Blu,,,xx_bad,",
            "IT8,Ivo",
            'IT9,"Line\nbreak",Rosa,,yes,en,',
            "IT10,Lia,Ne\x01ri,,,,",
            "IT11," + "x" * 81 + ",Long,,,,",
        )
        + b"IT12,\xff\xfe,Bytes,,,,\n"
    )
    outcome, rows = run_import(legal_entity, "customers", data)
    assert (outcome.imported, outcome.rejected) == (2, 10)
    assert rows[0] == "line,column,reason," + HEADER
    reasons = {row.split(",")[0]: row.split(",")[1] for row in rows[1:]}
    assert reasons == {
        "3": "email",
        "4": "consent_email",
        "5": "address_books",
        "6": "account",
        "7": "last_name",
        "8": "language",
        "9": "",
        "12": "last_name",
        "13": "first_name",
        "14": "first_name",
    }
    assert [int(row.split(",")[0]) for row in rows[1:]] == sorted(int(k) for k in reasons)
    assert "Enter a valid email address." in rows[1]
    assert "has 2 values; the header has 7 columns" in rows[7]
    # The line is given back as it was, even the bytes that are not UTF-8.
    assert rows[-1].startswith("14,first_name,") and "\udcff\udcfe" in rows[-1]
    anna = Customer.objects.get(account="IT1")
    assert (anna.email, anna.consent_email, anna.preferred_language) == (
        "anna@example.com",
        True,
        "it",
    )
    assert list(anna.address_books.values_list("code", flat=True)) == ["MI01"]
    assert Customer.objects.get(account="IT9").first_name == "Line\nbreak"
    assert Customer.objects.count() == 2


@pytest.mark.parametrize(
    ("header", "column", "rule"),
    [
        ("account,first_name,last_name,birthday", "birthday", "unknown_column"),
        ("account,first_name,last_name,email,Email", "email", "duplicate_column"),
        ("account,first_name,email", "last_name", "required_column"),
        ("", "file", "empty"),
    ],
)
def test_a_wrong_header_refuses_the_file_before_any_line(legal_entity, header, column, rule):
    """R-IO-2: a wrong header names the column and imports nothing."""
    data = csv_bytes(header, "IT1,Anna,Bianchi,x,y")
    with pytest.raises(Invalid) as refused:
        run_import(legal_entity, "customers", data)
    assert (refused.value.field, refused.value.rule) == (column, rule)
    assert not Customer.objects.exists()


def test_importing_twice_updates_by_account_without_duplicates(legal_entity):
    """R-IO-2: upsert by natural key; a later line for the same account wins; a column the
    file leaves out keeps what the customer had."""
    first = csv_bytes(HEADER, "IT1,Anna,Bianchi,anna@example.com,true,it,", "IT2,Bruno,Rossi,,,,")
    run_import(legal_entity, "customers", first)
    again = csv_bytes(
        "last_name,account,first_name", "Bianchi-Ferri,IT1,Anna", "Rossi,IT2,B.", "Russo,IT2,Bruno"
    )
    outcome, _rows = run_import(legal_entity, "customers", again)
    assert (outcome.imported, outcome.rejected) == (3, 0)
    assert Customer.objects.count() == 2
    anna = Customer.objects.get(account="IT1")
    assert (anna.last_name, anna.email, anna.consent_email) == (
        "Bianchi-Ferri",
        "anna@example.com",
        True,
    )
    assert anna.sort_name == "bianchi-ferri anna"
    assert Customer.objects.get(account="IT2").last_name == "Russo"


def test_address_books_are_replaced_and_must_be_the_legal_entitys_own(
    legal_entity, other_legal_entity
):
    """R-IO-2, R-ORG-4: codes separated by ';' or '|'; another legal entity's code is unknown."""
    for code in ("MI01", "RM01"):
        AddressBookFactory.create(legal_entity=legal_entity, code=code)
    AddressBookFactory.create(legal_entity=other_legal_entity, code="VL01")
    run_import(legal_entity, "customers", csv_bytes(HEADER, "IT1,Anna,Bianchi,,,,MI01|RM01"))
    anna = Customer.objects.get(account="IT1")
    assert sorted(anna.address_books.values_list("code", flat=True)) == ["MI01", "RM01"]
    outcome, rows = run_import(
        legal_entity, "customers", csv_bytes(HEADER, "IT1,Anna,Bianchi,,,,RM01", "IT2,B,R,,,,VL01")
    )
    assert outcome.rejected == 1 and rows[1].startswith("3,address_books,")
    assert list(anna.address_books.values_list("code", flat=True)) == ["RM01"]


def test_the_same_account_in_another_legal_entity_is_another_customer(
    legal_entity, other_legal_entity
):
    """R-ORG-4: an import writes only its own legal entity's customers."""
    theirs = CustomerFactory.create(
        legal_entity=other_legal_entity, account="IT1", last_name="Kept"
    )
    run_import(legal_entity, "customers", csv_bytes(HEADER, "IT1,Anna,Bianchi,,,,"))
    theirs.refresh_from_db()
    assert theirs.last_name == "Kept"
    assert Customer.objects.filter(account="IT1").count() == 2


def test_a_customer_in_a_book_shows_the_new_name_on_the_card(legal_entity, giulia):
    """R-IO-2: the read model follows in the import's transaction."""
    customer = CustomerFactory.create(legal_entity=legal_entity, account="IT1")
    book_add(giulia, customer)
    run_import(legal_entity, "customers", csv_bytes(HEADER, "IT1,Zoe,Zanetti,z@example.com,,,"))
    card = Membership.objects.get(customer=customer)
    assert card.sort_name == "zanetti zoe"
    assert "z@example.com" in card.search_text


def test_a_semicolon_file_with_a_byte_order_mark_as_excel_writes_it(legal_entity):
    """R-IO-2: Excel in Italy and Lithuania separates with ';' and starts with a BOM."""
    data = "\ufeff" + "account;first_name;last_name\r\nIT1;Anna;Bianchi\r\nIT2;Bruno;Rossi\r\n"
    outcome, _rows = run_import(legal_entity, "customers", data.encode())
    assert outcome.imported == 2
    assert Customer.objects.get(account="IT2").first_name == "Bruno"


def test_the_command_reports_and_writes_the_rejects_file(legal_entity, tmp_path, capsys):
    """R-IO-2: `import_data` prints `imported N, rejected M` last, progress on stderr."""
    source = tmp_path / "customers.csv"
    source.write_bytes(csv_bytes(HEADER, "IT1,Anna,Bianchi,,,,", "IT2,Bruno,Rossi,bad,,,"))
    rejects = tmp_path / "rejects.csv"
    call_command(
        "import_data", "customers", str(source), "--legal-entity", "ITJW", "--rejects", str(rejects)
    )
    out, err = capsys.readouterr()
    assert out.strip().splitlines()[-1] == "imported 1, rejected 1"
    assert "2/2 lines" in err
    assert rejects.read_text().splitlines()[1].startswith("3,email,")


def test_a_hundred_thousand_customers_import_in_batches(legal_entity):
    """R-IO-2: 100,000 lines, on SQLite and PostgreSQL; every one lands once."""
    lines = (f"IT{n:07d},Name{n},Family{n % 977},c{n}@example.com,true,it," for n in range(100_000))
    data = csv_bytes(HEADER, *lines)
    seen: list[int] = []
    outcome = import_file(
        legal_entity=legal_entity,
        kind="customers",
        source=io.BytesIO(data),
        rejects=None,
        on_progress=lambda processed, imported, rejected: seen.append(processed),
    )
    assert (outcome.imported, outcome.rejected) == (100_000, 0)
    assert Customer.objects.filter(legal_entity=legal_entity).count() == 100_000
    assert seen[0] == 2000 and seen[-1] == 100_000 and seen == sorted(seen)
    assert Customer.objects.get(account="IT0099999").email == "c99999@example.com"


def test_an_export_of_the_book_imports_again_as_it_was(legal_entity, giulia):
    """R-IO-2, R-IO-3: the book and owner columns are read past; a value the export wrote
    with an apostrophe against spreadsheet formulas comes back without it."""
    from clienteling.dataio.exports import csv_safe

    data = csv_bytes(
        HEADER + ",book,owner",
        f"IT1,Anna,{csv_safe('=Bianchi')},,,,,CB-000001,giulia",
        "IT2,Bruno,Rossi,,,,,,",
    )
    outcome, _rows = run_import(legal_entity, "customers", data)
    assert outcome.imported == 2
    assert Customer.objects.get(account="IT1").last_name == "=Bianchi"


def test_a_large_import_takes_the_statistics_of_its_tables_again(legal_entity, monkeypatch):
    """After a bulk load the planner needs new statistics: without them PostgreSQL read a
    whole legal entity to look up a batch's customers. A small import leaves them be."""
    monkeypatch.setattr(imports, "ANALYZE_AFTER", 3)

    def analyzed(*accounts: str) -> list[str]:
        lines = [f"{account},Anna,Bianchi,,false,it," for account in accounts]
        with CaptureQueriesContext(connection) as queries:
            outcome, _rows = run_import(legal_entity, "customers", csv_bytes(HEADER, *lines))
        assert outcome.imported == len(accounts)
        return [q["sql"] for q in queries if q["sql"].startswith("ANALYZE")]

    assert analyzed("IT1", "IT2") == []
    assert [sql.split()[1].strip('"') for sql in analyzed("IT3", "IT4", "IT5")] == [
        "customers_customer",
        "customers_customer_address_books",
    ]
