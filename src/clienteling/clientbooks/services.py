"""Writes of the client book domain. Each is one transaction, checks the switch and the grant itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clienteling.attributes.models import SLOT_COUNTS, Attribute, AttributeValue
from clienteling.attributes.values import TypedValue, parse_value, slot_columns, value_columns
from clienteling.clientbooks import readmodel
from clienteling.clientbooks.facts import CARD_FACT_SELECTIONS, CARD_FACTS_MAX
from clienteling.clientbooks.models import (
    SEQUENCE_FORMAT,
    ClientBook,
    ClientelingParameters,
    Membership,
    MembershipMode,
    NumberSequence,
    StoreEntry,
)
from clienteling.clientbooks.selectors import (
    attributes_key,
    book_scope,
    client_book_attributes,
    enabled_parameters,
    parameters_key,
)
from clienteling.core.errors import Conflict, Invalid, NotFound
from clienteling.core.request_memo import forget
from clienteling.customers.models import Customer
from clienteling.customers.selectors import customer_ids_by_account, customer_scope
from clienteling.organization.access import Operation, granted, granted_q, scope_of
from clienteling.organization.models import AddressBook, LegalEntity, Store, Worker
from clienteling.organization.services import worker_assignments_validate
from clienteling.timeline import services as timeline


def number_sequence_validate(*, sequence: NumberSequence) -> None:
    """A format of a prefix, one run of '#' and a suffix; a counter that never goes back, so
    an identifier is never handed out twice (R-SEQ-1, R-SEQ-2)."""
    if SEQUENCE_FORMAT.match(sequence.format or "") is None:
        raise Invalid(
            _("Use a prefix, one run of '#' (1 to 18) and an optional suffix, e.g. CB-######."),
            field="format",
            rule="sequence_format",
        )
    if sequence.pk is not None:
        stored = NumberSequence.objects.filter(pk=sequence.pk).values_list("next_value", flat=True)
        current = stored.first()
        if current is not None and sequence.next_value < current:
            raise Invalid(
                _("The next value cannot go back below %(value)d: numbers are never reused.")
                % {"value": current},
                field="next_value",
                rule="never_back",
            )


@transaction.atomic
def number_sequence_save(*, sequence: NumberSequence) -> NumberSequence:
    """Create or change a number sequence by the rules of ``number_sequence_validate``; the
    row is locked so a book created meanwhile cannot slip under the check."""
    if sequence.pk is not None:
        list(NumberSequence.objects.select_for_update().filter(pk=sequence.pk))
    number_sequence_validate(sequence=sequence)
    try:
        with transaction.atomic():
            sequence.save()
    except IntegrityError:
        raise Conflict(
            _("Number sequence %(code)s already exists in %(le)s.")
            % {"code": sequence.code, "le": sequence.legal_entity.code},
            field="code",
        ) from None
    return sequence


@transaction.atomic
def number_sequence_next(*, sequence: NumberSequence) -> str:
    """Take the sequence's next identifier. The UPDATE locks the row until the caller's
    transaction ends, so concurrent callers get distinct numbers; numbers only grow (R-SEQ-1).

    Atomic on its own: called outside a transaction, the UPDATE and the read-back would
    commit separately and two callers could read the same counter."""
    if SEQUENCE_FORMAT.match(sequence.format) is None:
        raise Invalid(
            _("Number sequence %(code)s has an invalid format %(format)s.")
            % {"code": sequence.code, "format": sequence.format},
            field="format",
            rule="sequence_format",
        )
    NumberSequence.objects.filter(pk=sequence.pk).update(next_value=F("next_value") + 1)
    taken = NumberSequence.objects.values_list("next_value", flat=True).get(pk=sequence.pk) - 1
    if taken > sequence.capacity:
        raise Conflict(
            _(
                "Number sequence %(code)s is exhausted: its format %(format)s has no room for %(value)d."
            )
            % {"code": sequence.code, "format": sequence.format, "value": taken},
            details={"sequence": sequence.code},
        )
    return sequence.render(taken)


def client_book_get_or_create(
    *, owner: Worker, legal_entity: LegalEntity, parameters: ClientelingParameters
) -> ClientBook:
    """The owner's book in the legal entity, created with the next identifier on first use (R-BOOK-1)."""
    book = ClientBook.objects.filter(legal_entity=legal_entity, owner=owner).first()
    if book is not None:
        return book
    if parameters.client_book_sequence is None:
        raise Invalid(
            _(
                "No number sequence is set for client books in %(le)s. In the back office, create a "
                "number sequence and choose it as the client book number sequence in the clienteling "
                "parameters."
            )
            % {"le": legal_entity.code},
            field="client_book_sequence",
            rule="sequence_required",
        )
    identifier = number_sequence_next(sequence=parameters.client_book_sequence)
    try:
        with transaction.atomic():
            return ClientBook.objects.create(
                legal_entity=legal_entity, owner=owner, identifier=identifier
            )
    except IntegrityError:
        # Another request created the owner's book a moment ago; the number stays unused.
        book = ClientBook.objects.filter(legal_entity=legal_entity, owner=owner).first()
        if book is not None:
            return book
    # Otherwise the identifier is taken: HQ set the sequence back. Never reuse it.
    raise Conflict(
        _(
            "The client book identifier %(identifier)s is already in use. In the back office, "
            "set the next value of number sequence %(code)s above the highest identifier."
        )
        % {"identifier": identifier, "code": parameters.client_book_sequence.code},
        field="client_book_sequence",
        details={"identifier": identifier, "sequence": parameters.client_book_sequence.code},
    )


def _lock_customers(customers: Sequence[Customer]) -> list[Customer]:
    """Lock the customers' rows (PostgreSQL) in id order, so concurrent book changes of one
    customer queue rather than race; SQLite already serialises write transactions."""
    ids = sorted({c.id for c in customers})
    return list(Customer.objects.select_for_update().filter(id__in=ids).order_by("id"))


def _conflict_for(membership: Membership) -> Conflict:
    owner = membership.book.owner
    return Conflict(
        _("Customer %(account)s is already in the client book %(book)s of %(owner)s.")
        % {
            "account": membership.customer.account,
            "book": membership.book.identifier,
            "owner": str(owner),
        },
        field="customers",
        details={
            "customer": membership.customer.account,
            "book": membership.book.identifier,
            "owner": owner.username,
        },
    )


@transaction.atomic
def client_book_add_customers(
    *, actor: Worker, legal_entity: LegalEntity, customers: Sequence[Customer]
) -> list[Membership]:
    """Add customers to the actor's book. In exclusive mode a customer already in another
    book is a conflict naming its owner; nothing is added then (R-BOOK-2)."""
    parameters = book_scope(scope_of(actor, legal_entity), Operation.ADD_CUSTOMER)
    _require_same_legal_entity(legal_entity, customers)
    if not customers:
        return []
    book = client_book_get_or_create(owner=actor, legal_entity=legal_entity, parameters=parameters)
    locked = _lock_customers(customers)
    existing = (
        Membership.objects.filter(legal_entity=legal_entity, customer__in=locked)
        .select_related("book__owner__user", "customer")
        .order_by("customer__account")
    )
    already_mine = set()
    has_primary = set()
    for membership in existing:
        if membership.book_id == book.id:
            already_mine.add(membership.customer_id)
        elif parameters.membership_mode == MembershipMode.EXCLUSIVE:
            raise _conflict_for(membership)
        if membership.is_primary:
            has_primary.add(membership.customer_id)
    now = timezone.now()
    to_add = [c for c in locked if c.id not in already_mine]
    columns = readmodel.card_columns(to_add)
    created = [
        Membership(
            legal_entity=legal_entity,
            book=book,
            customer=customer,
            is_primary=customer.id not in has_primary,
            added_by=actor,
            added_at=now,
            **columns[customer.id],
        )
        for customer in to_add
    ]
    try:
        with transaction.atomic():
            Membership.objects.bulk_create(created, batch_size=readmodel.BATCH)
    except IntegrityError:
        # Only reachable where row locks are not taken: another book won the race.
        winner = (
            Membership.objects.filter(legal_entity=legal_entity, customer__in=to_add)
            .exclude(book=book)
            .select_related("book__owner__user", "customer")
            .first()
        )
        if winner is None:
            raise
        raise _conflict_for(winner) from None
    created = list(
        Membership.objects.filter(book=book, customer__in=to_add).select_related(
            "book__owner", "customer"
        )
    )
    readmodel.create_store_entries(created)
    timeline.book_events_record(
        kind="added",
        actor=actor,
        legal_entity_id=legal_entity.pk,
        entries=[(m.customer_id, book.identifier, book.owner_id, None) for m in created],
    )
    return created


@transaction.atomic
def client_book_remove_customers(
    *, actor: Worker, legal_entity: LegalEntity, customers: Sequence[Customer]
) -> int:
    """Take customers out of the actor's book; the customers and their data stay (R-BOOK-3, R-BOOK-10).
    A customer who is not in the book is an error, and then nothing is removed."""
    book_scope(scope_of(actor, legal_entity), Operation.REMOVE_CUSTOMERS)
    _require_same_legal_entity(legal_entity, customers)
    if not customers:
        # Nothing selected: a no-op, also for a worker who has no book yet.
        return 0
    book = ClientBook.objects.filter(legal_entity=legal_entity, owner=actor).first()
    locked = _lock_customers(customers)
    memberships = list(Membership.objects.filter(book=book, customer__in=locked)) if book else []
    in_book = {m.customer_id for m in memberships}
    missing = sorted(c.account for c in locked if c.id not in in_book)
    if missing:
        raise Invalid(
            _("These customers are not in your client book: %(accounts)s.")
            % {"accounts": ", ".join(missing)},
            field="customers",
            rule="not_in_book",
            details={"customers": missing},
        )
    _delete_memberships(memberships)
    assert book is not None
    timeline.book_events_record(
        kind="removed",
        actor=actor,
        legal_entity_id=legal_entity.pk,
        entries=[(m.customer_id, book.identifier, book.owner_id, None) for m in memberships],
    )
    return len(memberships)


def _delete_memberships(memberships: Sequence[Membership]) -> None:
    """Delete memberships; in shared mode a removed primary hands primacy to the oldest other book."""
    ids = [m.id for m in memberships]
    lost_primary = [m.customer_id for m in memberships if m.is_primary]
    Membership.objects.filter(id__in=ids).delete()
    for customer_id in lost_primary:
        successor = (
            Membership.objects.filter(customer_id=customer_id).order_by("added_at", "id").first()
        )
        if successor is not None:
            Membership.objects.filter(pk=successor.pk).update(is_primary=True)


def _reassign_target(
    *, legal_entity: LegalEntity, stores: Sequence[Store], to_worker: Worker
) -> None:
    """R-SEC-4: the target works for the legal entity, shares an address book with one of
    the stores, and may hold a client book; anyone else is not found."""
    not_found = NotFound(
        _("Worker %(username)s not found.") % {"username": to_worker.username},
        field="to_worker",
    )
    store_ids = [store.pk for store in stores]
    in_store = (
        to_worker.user.is_active
        and Worker.objects.filter(
            pk=to_worker.pk, legal_entities=legal_entity, address_books__stores__in=store_ids
        ).exists()
    )
    if not in_store:
        raise not_found
    if Operation.VIEW_OWN_BOOK not in granted(to_worker):
        raise Invalid(
            _("%(worker)s may not hold a client book (no grant to view one).")
            % {"worker": str(to_worker)},
            field="to_worker",
            rule="no_client_book_grant",
        )


def _require_shown_in(memberships: Sequence[Membership], stores: Sequence[Store]) -> None:
    """R-SEC-4: only customers of the books the manager's store view shows move."""
    ids = [m.id for m in memberships]
    shown: set[int] = set()
    for start in range(0, len(ids), readmodel.BATCH):
        shown.update(
            StoreEntry.objects.filter(
                membership_id__in=ids[start : start + readmodel.BATCH],
                store_id__in=[store.pk for store in stores],
            ).values_list("membership_id", flat=True)
        )
    hidden = sorted(m.customer.account for m in memberships if m.id not in shown)
    if hidden:
        raise NotFound(
            _("Customers not found: %(accounts)s.") % {"accounts": ", ".join(hidden[:20])},
            field="customers",
            details={"customers": hidden},
        )


@transaction.atomic
def customers_reassign(
    *,
    actor: Worker,
    legal_entity: LegalEntity,
    customers: Sequence[Customer] | None,
    to_worker: Worker,
    from_worker: Worker | None = None,
    store: Store | None = None,
) -> int:
    """Move customers (or, with ``customers=None``, the whole book of ``from_worker``) to
    ``to_worker``'s book, all or nothing (R-BOOK-4). Customer data is untouched (R-BOOK-10).

    Only customers that the manager's store view shows move, and only to an associate of
    that store who may hold a book (R-SEC-4). ``store`` is the store the manager works from;
    without it, any of the stores they work in."""
    scope = scope_of(actor, legal_entity)
    parameters = book_scope(scope, Operation.REASSIGN_CUSTOMERS)
    if store is not None:
        scope.require_store(store)
    stores = [store] if store is not None else scope.stores
    _reassign_target(legal_entity=legal_entity, stores=stores, to_worker=to_worker)
    source_book = None
    if from_worker is not None:
        source_book = ClientBook.objects.filter(
            legal_entity=legal_entity, owner=from_worker
        ).first()
        if source_book is None:
            raise Invalid(
                _("%(worker)s has no client book.") % {"worker": str(from_worker)},
                field="from_worker",
                rule="no_book",
            )
    if customers is None:
        if source_book is None:
            raise Invalid(
                _("Name the customers to move, or the associate whose whole book moves."),
                field="customers",
                rule="required",
            )
        customers = list(Customer.objects.filter(book_memberships__book=source_book))
    _require_same_legal_entity(legal_entity, customers)
    if not customers:
        # Nothing to move: do not create the target's book (R-BOOK-1: created by a customer).
        return 0
    target = client_book_get_or_create(
        owner=to_worker, legal_entity=legal_entity, parameters=parameters
    )
    locked = _lock_customers(customers)
    memberships = Membership.objects.filter(legal_entity=legal_entity, customer__in=locked)
    if source_book is not None:
        memberships = memberships.filter(book=source_book)
    else:
        memberships = memberships.filter(is_primary=True)
    moving = {m.customer_id: m for m in memberships.select_related("book", "customer")}
    missing = sorted(c.account for c in locked if c.id not in moving)
    if missing:
        raise Invalid(
            _("These customers are not in a client book that can be reassigned: %(accounts)s.")
            % {"accounts": ", ".join(missing)},
            field="customers",
            rule="not_in_book",
            details={"customers": missing},
        )
    _require_shown_in(list(moving.values()), stores)
    already_in_target = set(
        Membership.objects.filter(book=target, customer_id__in=list(moving)).values_list(
            "customer_id", flat=True
        )
    )
    # A customer the target already has (shared mode): drop the source copy, keep one primary.
    duplicates = [
        m for cid, m in moving.items() if cid in already_in_target and m.book_id != target.id
    ]
    for membership in duplicates:
        if membership.is_primary:
            Membership.objects.filter(pk=membership.pk).update(is_primary=False)
            Membership.objects.filter(book=target, customer_id=membership.customer_id).update(
                is_primary=True
            )
    Membership.objects.filter(id__in=[m.id for m in duplicates]).delete()
    to_move = [m.id for cid, m in moving.items() if cid not in already_in_target]
    now = timezone.now()
    for start in range(0, len(to_move), readmodel.BATCH):
        chunk = to_move[start : start + readmodel.BATCH]
        StoreEntry.objects.filter(membership_id__in=chunk).delete()
        Membership.objects.filter(id__in=chunk).update(book=target, added_at=now, added_by=actor)
    readmodel.create_store_entries(
        Membership.objects.filter(id__in=to_move).select_related("book__owner")
    )
    timeline.book_events_record(
        kind="reassigned",
        actor=actor,
        legal_entity_id=legal_entity.pk,
        entries=[
            (cid, target.identifier, target.owner_id, m.book.owner_id)
            for cid, m in moving.items()
            if m.book_id != target.id
        ],
    )
    return len(moving)


def _require_same_legal_entity(legal_entity: LegalEntity, customers: Sequence[Customer]) -> None:
    foreign = [c.account for c in customers if c.legal_entity_id != legal_entity.id]
    if foreign:
        raise NotFound(
            _("Customers not found: %(accounts)s.") % {"accounts": ", ".join(foreign)},
            field="customers",
            details={"customers": foreign},
        )


@transaction.atomic
def customer_attributes_set(
    *, actor: Worker, customer: Customer, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Set (or, with None or "", clear) a customer's values of client-book attributes (R-ATTR-4).

    Every value is checked first; one bad value refuses them all, naming the attribute and rule.
    """
    scope = customer_scope(actor, customer, Operation.EDIT_CUSTOMER_ATTRIBUTES)
    attributes = {a.code: a for a in client_book_attributes(scope.legal_entity)}
    parsed = {code: _attribute_value(attributes, code, raw) for code, raw in values.items()}
    slotted: dict[str, Any] = {}
    for attribute, value in parsed.values():
        if value is None:
            AttributeValue.objects.filter(customer=customer, attribute=attribute).delete()
        else:
            AttributeValue.objects.update_or_create(
                customer=customer,
                attribute=attribute,
                defaults={
                    "legal_entity_id": customer.legal_entity_id,
                    **value_columns(attribute, value),
                },
            )
        if attribute.filter_slot:
            slotted.update(slot_columns(attribute.filter_slot, value))
    if slotted:
        Membership.objects.filter(customer=customer).update(**slotted)
        StoreEntry.objects.filter(customer=customer).update(**slotted)
    return {code: value for code, (_attribute, value) in parsed.items()}


def _attribute_value(
    attributes: Mapping[str, Attribute], code: str, raw: Any
) -> tuple[Attribute, TypedValue | None]:
    """The attribute named ``code`` of the client book group and its typed value (None:
    clear it), or Invalid naming the attribute and the rule (R-ATTR-4)."""
    attribute = attributes.get(code)
    if attribute is None:
        raise Invalid(
            _("%(code)s is not an attribute of the client book attribute group.") % {"code": code},
            field=code,
            rule="not_in_group",
        )
    cleared = raw is None or (isinstance(raw, str) and not raw.strip())
    return attribute, None if cleared else parse_value(attribute, raw)


@transaction.atomic
def attribute_values_upsert(
    *, legal_entity: LegalEntity, rows: Sequence[tuple[str, str, str]]
) -> dict[int, Invalid]:
    """Set or clear attribute values in bulk, as (account, attribute code, raw value): the path
    of an import (R-IO-2). Each value is checked as ``customer_attributes_set`` checks it; a
    refused row is answered by its index, naming ``account``, ``attribute`` or ``value``; of two
    rows for one customer and attribute the later wins. Card rows follow in this transaction."""
    attributes = {a.code: a for a in client_book_attributes(legal_entity)}
    ids = customer_ids_by_account(legal_entity, (account for account, _c, _v in rows))
    refused: dict[int, Invalid] = {}
    latest: dict[tuple[int, int], tuple[Attribute, TypedValue | None]] = {}
    for index, (account, code, raw) in enumerate(rows):
        try:
            if account not in ids:
                raise Invalid(
                    _("Customer %(account)s does not exist in %(le)s.")
                    % {"account": account, "le": legal_entity.code},
                    field="account",
                    rule="unknown",
                )
            try:
                attribute, value = _attribute_value(attributes, code, raw)
            except Invalid as error:
                error.field = "attribute" if error.rule == "not_in_group" else "value"
                raise
        except Invalid as error:
            refused[index] = error
            continue
        latest[(ids[account], attribute.pk)] = (attribute, value)
    cleared = [key for key, (_a, value) in latest.items() if value is None]
    for customer_id, attribute_id in cleared:
        AttributeValue.objects.filter(customer_id=customer_id, attribute_id=attribute_id).delete()
    AttributeValue.objects.bulk_create(
        [
            AttributeValue(
                legal_entity=legal_entity,
                customer_id=customer_id,
                attribute=attribute,
                **value_columns(attribute, value),
            )
            for (customer_id, _id), (attribute, value) in latest.items()
            if value is not None
        ],
        update_conflicts=True,
        unique_fields=["customer", "attribute"],
        update_fields=["value_text", "value_number", "value_date", "value_boolean", "month_day"],
        batch_size=readmodel.BATCH,
    )
    if any(attribute.filter_slot for attribute, _value in latest.values()):
        readmodel.refresh_customers({customer_id for customer_id, _id in latest})
    return refused


@transaction.atomic
def book_assignments_upsert(
    *, legal_entity: LegalEntity, rows: Sequence[tuple[str, str]]
) -> dict[int, Invalid]:
    """Put customers in workers' client books in bulk, as (account, username): the path of an
    import (R-IO-2). The worker must work for the legal entity and may hold a book; in
    exclusive mode a customer in another book moves (the later row for an account wins), in
    shared mode it is added beside. Card rows and the timeline's book events (by an import)
    follow in this transaction; a customer already in the book is left as it is."""
    parameters = enabled_parameters(legal_entity)
    exclusive = parameters.membership_mode == MembershipMode.EXCLUSIVE
    customers = customer_ids_by_account(legal_entity, (account for account, _w in rows))
    owners = {
        worker.user.username: worker
        for worker in Worker.objects.filter(
            granted_q(Operation.VIEW_OWN_BOOK),
            legal_entities=legal_entity,
            user__username__in={username for _a, username in rows},
        )
        .select_related("user")
        .distinct()
    }
    refused: dict[int, Invalid] = {}
    wanted: dict[tuple[int, int | None], Worker] = {}
    for index, (account, username) in enumerate(rows):
        if account not in customers:
            refused[index] = Invalid(
                _("Customer %(account)s does not exist in %(le)s.")
                % {"account": account, "le": legal_entity.code},
                field="account",
                rule="unknown",
            )
        elif username not in owners:
            refused[index] = Invalid(
                _("%(worker)s does not work for %(le)s or may not hold a client book.")
                % {"worker": username or "—", "le": legal_entity.code},
                field="worker",
                rule="unknown",
            )
        else:
            owner = owners[username]
            wanted[(customers[account], None if exclusive else owner.pk)] = owner
    if not wanted:
        return refused
    books = {
        owner.pk: client_book_get_or_create(
            owner=owner, legal_entity=legal_entity, parameters=parameters
        )
        for owner in {owner.pk: owner for owner in wanted.values()}.values()
    }
    ids = sorted({customer_id for customer_id, _o in wanted})
    list(Customer.objects.select_for_update().filter(id__in=ids).order_by("id"))
    held: dict[int, list[Membership]] = {}
    for membership in Membership.objects.filter(customer_id__in=ids).select_related("book"):
        held.setdefault(membership.customer_id, []).append(membership)
    moves: list[tuple[Membership, ClientBook]] = []
    adds: list[tuple[int, ClientBook]] = []
    for (customer_id, _o), owner in wanted.items():
        book = books[owner.pk]
        current = held.get(customer_id, [])
        if any(m.book_id == book.id for m in current):
            continue
        if exclusive and current:
            moves.append((current[0], book))
        else:
            adds.append((customer_id, book))
    now = timezone.now()
    for membership, book in moves:
        StoreEntry.objects.filter(membership=membership).delete()
        Membership.objects.filter(pk=membership.pk).update(book=book, added_at=now, added_by=None)
    columns = readmodel.card_columns(Customer.objects.filter(id__in=[c for c, _b in adds]))
    created = Membership.objects.bulk_create(
        [
            Membership(
                legal_entity=legal_entity,
                book=book,
                customer_id=customer_id,
                is_primary=not held.get(customer_id),
                added_at=now,
                **columns[customer_id],
            )
            for customer_id, book in adds
        ],
        batch_size=readmodel.BATCH,
    )
    changed = [m.id for m, _b in moves] + [m.id for m in created]
    readmodel.create_store_entries(
        Membership.objects.filter(id__in=changed).select_related("book__owner")
    )
    timeline.book_events_record(
        kind="reassigned",
        actor=None,
        legal_entity_id=legal_entity.pk,
        entries=[(m.customer_id, b.identifier, b.owner_id, m.book.owner_id) for m, b in moves],
    )
    timeline.book_events_record(
        kind="added",
        actor=None,
        legal_entity_id=legal_entity.pk,
        entries=[(c, b.identifier, b.owner_id, None) for c, b in adds],
    )
    return refused


def clienteling_parameters_validate(*, legal_entity: LegalEntity, **changes: Any) -> None:
    """Refuse parameters that cannot hold: exclusive mode while a customer is in more than one
    book, a number sequence of another legal entity, more than three card facts."""
    unknown = set(changes) - {
        "enabled",
        "membership_mode",
        "attribute_group",
        "client_book_sequence",
        "card_facts",
    }
    if unknown:
        raise Invalid(_("Unknown parameter."), field=sorted(unknown)[0], rule="unknown")
    if "card_facts" in changes and changes["card_facts"] not in CARD_FACT_SELECTIONS:
        raise Invalid(
            _("Choose at most %(max)d of the purchase facts, each once.") % {"max": CARD_FACTS_MAX},
            field="card_facts",
            rule="choices",
        )
    if changes.get("membership_mode") == MembershipMode.EXCLUSIVE:
        shared = Membership.objects.filter(legal_entity=legal_entity, is_primary=False).values_list(
            "customer__account", flat=True
        )[:5]
        if shared:
            raise Invalid(
                _(
                    "Customers are in more than one client book (for example %(accounts)s); "
                    "reassign them before switching to exclusive mode."
                )
                % {"accounts": ", ".join(shared)},
                field="membership_mode",
                rule="shared_memberships_exist",
            )
    sequence = changes.get("client_book_sequence")
    if sequence is not None and sequence.legal_entity_id != legal_entity.id:
        raise Invalid(
            _("The number sequence must belong to %(le)s.") % {"le": legal_entity.code},
            field="client_book_sequence",
            rule="same_legal_entity",
        )


@transaction.atomic
def clienteling_parameters_update(
    *, legal_entity: LegalEntity, **changes: Any
) -> ClientelingParameters:
    """Change a legal entity's clienteling parameters; in force at the next request (R-DIST-1)."""
    parameters, _created = ClientelingParameters.objects.select_for_update().get_or_create(
        legal_entity=legal_entity
    )
    clienteling_parameters_validate(legal_entity=legal_entity, **changes)
    for name, value in changes.items():
        setattr(parameters, name, value)
    parameters.save()
    forget(parameters_key(legal_entity.pk))
    forget(attributes_key(legal_entity.pk))
    return parameters


@transaction.atomic
def attribute_slots_sync() -> None:
    """Give each refinable attribute a typed filter slot while slots are free, free the slots
    of attributes no longer refinable, and rewrite the card rows of every slot that changed.
    Refinable attributes beyond the slots still filter, through their values table."""
    attributes = list(Attribute.objects.select_for_update().order_by("id"))
    taken = {a.filter_slot for a in attributes if a.filter_slot and a.can_be_refined}
    changed: list[tuple[Attribute, str | None]] = []
    for attribute in attributes:
        if attribute.filter_slot and not attribute.can_be_refined:
            changed.append((attribute, attribute.filter_slot))
            attribute.filter_slot = None
            attribute.save(update_fields=["filter_slot"])
    for attribute in attributes:
        if attribute.can_be_refined and not attribute.filter_slot:
            free = next(
                (
                    f"{attribute.family}_{n}"
                    for n in range(1, SLOT_COUNTS[attribute.family] + 1)
                    if f"{attribute.family}_{n}" not in taken
                ),
                None,
            )
            if free is not None:
                taken.add(free)
                attribute.filter_slot = free
                attribute.save(update_fields=["filter_slot"])
                changed.append((attribute, None))
    for attribute, previous in changed:
        readmodel.refresh_slot(attribute, previous)


def store_address_books_validate(
    *, legal_entity: LegalEntity, address_books: Sequence[AddressBook]
) -> None:
    """A store's address books are of its own legal entity (R-ORG-2)."""
    foreign = [book.code for book in address_books if book.legal_entity_id != legal_entity.pk]
    if foreign:
        raise Invalid(
            _("%(items)s belong to another legal entity than the store.")
            % {"items": ", ".join(foreign)},
            field="address_books",
            rule="same_legal_entity",
        )


@transaction.atomic
def store_address_books_set(*, store: Store, address_books: Sequence[AddressBook]) -> None:
    """Link a store to its address books; which books the store shows follows (R-BOOK-9)."""
    store_address_books_validate(legal_entity=store.legal_entity, address_books=address_books)
    before = set(Worker.objects.filter(address_books__stores=store).values_list("pk", flat=True))
    store.address_books.set(address_books)
    after = set(Worker.objects.filter(address_books__stores=store).values_list("pk", flat=True))
    owners = Worker.objects.filter(pk__in=before | after, client_books__isnull=False).distinct()
    store_visibility_sync(owners=list(owners))


@transaction.atomic
def worker_assignments_set(
    *,
    worker: Worker,
    legal_entities: Sequence[LegalEntity],
    stores: Sequence[Store],
    address_books: Sequence[AddressBook],
) -> None:
    """Where a worker is employed, works and belongs (R-ORG-3); the stores that show their
    client book follow (R-BOOK-9)."""
    worker_assignments_validate(
        legal_entities=legal_entities, stores=stores, address_books=address_books
    )
    worker.legal_entities.set(legal_entities)
    worker.stores.set(stores)
    worker.address_books.set(address_books)
    store_visibility_sync(owners=[worker])


@transaction.atomic
def store_visibility_sync(*, owners: Sequence[Worker]) -> None:
    """After address books of workers or stores changed: recompute which stores show whose
    client book (R-BOOK-9). Call with every worker whose visibility may have changed."""
    readmodel.rebuild_store_entries_for_owners([w.id for w in owners])


def attribute_validate(*, attribute: Attribute) -> None:
    """Code and type are fixed once values exist, so stored values never change meaning
    (R-ATTR-1)."""
    if attribute.pk is None:
        return
    stored = Attribute.objects.filter(pk=attribute.pk).values("code", "data_type").first()
    if stored is None or not AttributeValue.objects.filter(attribute_id=attribute.pk).exists():
        return
    for name in ("code", "data_type"):
        if getattr(attribute, name) != stored[name]:
            raise Invalid(
                _("Customers have values of this attribute: its code and type stay as they are."),
                field=name,
                rule="fixed_once_used",
            )


@transaction.atomic
def attribute_save(*, attribute: Attribute) -> Attribute:
    """Create or change an attribute definition from the back office. An attribute that stops
    being refinable gives up its filter slot (its card column is cleared); a newly refinable
    one gets a free slot (R-ATTR-3, R-BOOK-7)."""
    attribute_validate(attribute=attribute)
    previous_slot = attribute.filter_slot if not attribute.can_be_refined else None
    if previous_slot:
        attribute.filter_slot = None
    attribute.save()
    if previous_slot:
        readmodel.refresh_slot(attribute, previous_slot)
    attribute_slots_sync()
    attribute.refresh_from_db()
    return attribute
