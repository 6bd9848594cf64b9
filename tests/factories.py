"""Factories for test data: real rows in the real database.

Call ``XFactory.create(...)``: it is typed as returning the model, while calling the class
(``XFactory(...)``, the same thing at run time) is typed as returning the factory.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.contrib.auth.models import Group, Permission, User

from clienteling.attributes.models import (
    Attribute,
    AttributeChoice,
    AttributeGroup,
    AttributeGroupMember,
    DataType,
)
from clienteling.clientbooks.models import ClientelingParameters, MembershipMode, NumberSequence
from clienteling.customers.models import Customer, name_sort_key, search_key
from clienteling.organization.access import Operation
from clienteling.organization.models import AddressBook, LegalEntity, Store, Worker

ASSOCIATE_OPERATIONS = [
    Operation.VIEW_OWN_BOOK,
    Operation.VIEW_STORE_BOOKS,
    Operation.ADD_CUSTOMER,
    Operation.REMOVE_CUSTOMERS,
    Operation.READ_CUSTOMER_DETAILS,
    Operation.EDIT_CUSTOMER_ATTRIBUTES,
]
ALL_OPERATIONS = list(Operation)


class LegalEntityFactory(factory.django.DjangoModelFactory[LegalEntity]):
    class Meta:
        model = LegalEntity
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"LE{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Legal entity {o.code}")


class AddressBookFactory(factory.django.DjangoModelFactory[AddressBook]):
    class Meta:
        model = AddressBook

    legal_entity = factory.SubFactory(LegalEntityFactory)
    code = factory.Sequence(lambda n: f"AB{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Address book {o.code}")


class StoreFactory(factory.django.DjangoModelFactory[Store]):
    class Meta:
        model = Store
        skip_postgeneration_save = True

    legal_entity = factory.SubFactory(LegalEntityFactory)
    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Store {o.code}")

    @factory.post_generation
    def address_books(
        self, create: bool, extracted: list[AddressBook] | None, **kwargs: object
    ) -> None:
        if not create:
            return
        if extracted is None:
            extracted = [
                AddressBookFactory.create(legal_entity=self.legal_entity, code=f"AB-{self.code}")
            ]
        self.address_books.set(extracted)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"worker{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("secret")


def role(name: str, operations: list[Operation]) -> Group:
    """A permission group granting exactly these operations."""
    group, _ = Group.objects.get_or_create(name=name)
    perms = []
    for op in operations:
        app_label, codename = op.permission.split(".")
        perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    group.permissions.set(perms)
    return group


class WorkerFactory(factory.django.DjangoModelFactory[Worker]):
    """A worker employed by ``legal_entity`` (default: the first store's), in ``stores`` and
    their address books, granted ``operations`` (an associate's by default)."""

    class Meta:
        model = Worker

    user = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class: type[Worker], *args: Any, **kwargs: Any) -> Worker:
        stores = list(kwargs.pop("stores", []) or [])
        legal_entity = kwargs.pop("legal_entity", None) or (
            stores[0].legal_entity if stores else None
        )
        operations = kwargs.pop("operations", ASSOCIATE_OPERATIONS)
        worker = super()._create(model_class, *args, **kwargs)
        if legal_entity is not None:
            worker.legal_entities.add(legal_entity)
        for store in stores:
            worker.stores.add(store)
            worker.address_books.add(*store.address_books.all())
        name = "role:" + ",".join(sorted(op.api_name[:12] for op in operations))
        worker.user.groups.add(role(name, operations))
        return worker


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer

    legal_entity = factory.SubFactory(LegalEntityFactory)
    account = factory.Sequence(lambda n: f"C{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda o: f"{o.account.lower()}@example.com")
    phone = factory.Sequence(lambda n: f"+39 02 {n:07d}")
    sort_name = factory.LazyAttribute(lambda o: name_sort_key(o.first_name, o.last_name))
    search_name = factory.LazyAttribute(lambda o: search_key(o.first_name, o.last_name, o.email))
    phone_digits = factory.LazyAttribute(lambda o: "".join(ch for ch in o.phone if ch.isdigit()))


class NumberSequenceFactory(factory.django.DjangoModelFactory[NumberSequence]):
    class Meta:
        model = NumberSequence

    legal_entity = factory.SubFactory(LegalEntityFactory)
    code = "CLIENTBOOK"
    format = "CB-######"


def clienteling_setup(
    legal_entity: LegalEntity,
    *,
    enabled: bool = True,
    mode: str = MembershipMode.EXCLUSIVE,
    with_sequence: bool = True,
) -> ClientelingParameters:
    """The demo's attribute group (BIRTHDAY, ANNIVERSARY, PREF_CATEGORY, FAV_BRAND, RING_SIZE)
    and parameters for ``legal_entity``."""
    from clienteling.clientbooks.services import attribute_slots_sync

    group, _ = AttributeGroup.objects.get_or_create(
        code="CLIENTBOOK", defaults={"name": "Client book"}
    )
    specs = [
        ("BIRTHDAY", "Birthday", DataType.DATE, True),
        ("ANNIVERSARY", "Anniversary", DataType.DATE, True),
        ("PREF_CATEGORY", "Preferred category", DataType.TEXT, True),
        ("FAV_BRAND", "Favourite brand", DataType.TEXT, True),
        ("RING_SIZE", "Ring size", DataType.DECIMAL, False),
    ]
    for order, (code, name, data_type, refinable) in enumerate(specs, start=1):
        attribute, created = Attribute.objects.get_or_create(
            code=code, defaults={"name": name, "data_type": data_type, "can_be_refined": refinable}
        )
        if created and code == "PREF_CATEGORY":
            for position, value in enumerate(
                ["Handbags", "Shoes", "Jewellery", "Watches", "Ready-to-wear"]
            ):
                AttributeChoice.objects.create(attribute=attribute, value=value, position=position)
        if created and code == "RING_SIZE":
            attribute.min_value, attribute.max_value, attribute.unit = 40, 75, "mm"
            attribute.save()
        AttributeGroupMember.objects.get_or_create(
            group=group, attribute=attribute, defaults={"display_order": order}
        )
    attribute_slots_sync()
    sequence = NumberSequenceFactory.create(legal_entity=legal_entity) if with_sequence else None
    parameters, _ = ClientelingParameters.objects.update_or_create(
        legal_entity=legal_entity,
        defaults={
            "enabled": enabled,
            "membership_mode": mode,
            "attribute_group": group,
            "client_book_sequence": sequence,
        },
    )
    return parameters


def birthday_in(days: int, today: dt.date, year: int = 1980) -> dt.date:
    """A birth date whose anniversary falls ``days`` after ``today``."""
    target = today + dt.timedelta(days=days)
    try:
        return target.replace(year=year)
    except ValueError:
        return target.replace(year=1980, day=29)


# --- Helpers for the domain suite (tests/{organization,customers,attributes,clientbooks}) ---


def worker_fresh(worker: Worker) -> Worker:
    """The worker read again, without the permission cache of an earlier ``has_perm``."""
    return Worker.objects.select_related("user").get(pk=worker.pk)


def book_add(actor: Worker, *customers: Customer, legal_entity: LegalEntity | None = None) -> list:
    """Add customers to the actor's client book through the service."""
    from clienteling.clientbooks.services import client_book_add_customers

    le = legal_entity or customers[0].legal_entity
    return client_book_add_customers(actor=actor, legal_entity=le, customers=list(customers))


def refinable_attribute(
    code: str, data_type: str, *, display_order: int, **fields: object
) -> Attribute:
    """A refinable attribute added to the client book attribute group, with a filter slot."""
    from clienteling.clientbooks.services import attribute_slots_sync

    attribute = Attribute.objects.create(
        code=code, name=code.title(), data_type=data_type, can_be_refined=True, **fields
    )
    group = AttributeGroup.objects.get(code="CLIENTBOOK")
    AttributeGroupMember.objects.create(
        group=group, attribute=attribute, display_order=display_order
    )
    attribute_slots_sync()
    attribute.refresh_from_db()
    return attribute
