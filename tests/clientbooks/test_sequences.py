"""Client book identifiers come from the legal entity's number sequence (R-SEQ-1, R-SEQ-2)."""

from __future__ import annotations

import pytest

from clienteling.clientbooks import services
from clienteling.clientbooks.models import ClientBook, ClientelingParameters, Membership
from clienteling.core.errors import Conflict, Invalid
from tests.factories import NumberSequenceFactory, book_add

pytestmark = pytest.mark.django_db


def test_first_book_gets_the_first_identifier_of_the_sequence(legal_entity, giulia, customers):
    """R-SEQ-1: the identifier is the prefix plus the zero-padded counter."""
    book_add(giulia, customers[0])

    assert ClientBook.objects.get(owner=giulia).identifier == "CB-000001"


def test_each_new_book_takes_the_next_identifier(legal_entity, giulia, marco, customers):
    """R-SEQ-1: identifiers grow one by one, one per book."""
    book_add(giulia, customers[0])
    book_add(marco, customers[1])
    book_add(giulia, customers[2])

    identifiers = list(ClientBook.objects.order_by("id").values_list("identifier", flat=True))
    assert identifiers == ["CB-000001", "CB-000002"]


def test_sequence_renders_prefix_counter_and_suffix(legal_entity):
    """R-SEQ-1: a format such as BK-####-IT pads the counter between prefix and suffix."""
    sequence = NumberSequenceFactory.create(
        legal_entity=legal_entity, code="OTHER", format="BK-####-IT", next_value=42
    )

    first = services.number_sequence_next(sequence=sequence)
    second = services.number_sequence_next(sequence=sequence)

    assert (first, second) == ("BK-0042-IT", "BK-0043-IT")


def test_identifier_of_a_deleted_book_is_never_handed_out_again(
    legal_entity, giulia, marco, customers
):
    """R-SEQ-1: numbers are never reused, even after the book that had one is gone."""
    book_add(giulia, customers[0])
    services.client_book_remove_customers(
        actor=giulia, legal_entity=legal_entity, customers=[customers[0]]
    )
    ClientBook.objects.filter(owner=giulia).delete()

    book_add(marco, customers[1])

    assert ClientBook.objects.get(owner=marco).identifier == "CB-000002"


def test_sequence_set_back_by_hq_does_not_reuse_an_identifier(
    legal_entity, giulia, marco, customers
):
    """R-SEQ-1: if HQ sets the counter back onto a used identifier, creation is a conflict that
    says what to fix, never a second book with the same identifier."""
    book_add(giulia, customers[0])
    parameters = ClientelingParameters.objects.get(legal_entity=legal_entity)
    sequence = parameters.client_book_sequence
    assert sequence is not None
    sequence.next_value = 1
    sequence.save()

    with pytest.raises(Conflict) as error:
        book_add(marco, customers[1])

    assert error.value.details["identifier"] == "CB-000001"
    assert not ClientBook.objects.filter(owner=marco).exists()


def test_exhausted_sequence_is_a_conflict_and_consumes_nothing(legal_entity):
    """R-SEQ-1: a format with no room left refuses, and the counter does not move."""
    sequence = NumberSequenceFactory.create(
        legal_entity=legal_entity, code="TINY", format="T-#", next_value=10
    )

    with pytest.raises(Conflict) as error:
        services.number_sequence_next(sequence=sequence)

    assert error.value.details["sequence"] == "TINY"
    sequence.refresh_from_db()
    assert sequence.next_value == 10


def test_sequence_with_invalid_format_is_refused(legal_entity):
    """R-SEQ-1: a format without a run of '#' cannot render identifiers."""
    sequence = NumberSequenceFactory.create(legal_entity=legal_entity, code="BAD", format="CB-")

    with pytest.raises(Invalid) as error:
        services.number_sequence_next(sequence=sequence)

    assert (error.value.field, error.value.rule) == ("format", "sequence_format")


def test_creating_a_book_without_a_sequence_names_the_missing_setup(
    legal_entity, giulia, customers
):
    """R-SEQ-2: no sequence configured is a clear error naming the parameter to set."""
    ClientelingParameters.objects.filter(legal_entity=legal_entity).update(
        client_book_sequence=None
    )

    with pytest.raises(Invalid) as error:
        book_add(giulia, customers[0])

    assert error.value.field == "client_book_sequence"
    assert error.value.rule == "sequence_required"
    assert "number sequence" in str(error.value.message)


def test_creating_a_book_without_a_sequence_changes_nothing(legal_entity, giulia, customers):
    """R-SEQ-2: the refused creation leaves no book and no membership behind."""
    ClientelingParameters.objects.filter(legal_entity=legal_entity).update(
        client_book_sequence=None
    )

    with pytest.raises(Invalid):
        book_add(giulia, customers[0])

    assert not ClientBook.objects.exists()
    assert not Membership.objects.exists()


def test_existing_book_keeps_working_without_a_sequence(legal_entity, giulia, customers):
    """R-SEQ-2: only creating a book needs the sequence; adding to an existing one does not."""
    book_add(giulia, customers[0])
    ClientelingParameters.objects.filter(legal_entity=legal_entity).update(
        client_book_sequence=None
    )

    book_add(giulia, customers[1])

    assert Membership.objects.filter(book__owner=giulia).count() == 2
