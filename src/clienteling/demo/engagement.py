"""Demo data for acting on the book (SPEC §18): HQ's e-mail templates BIRTHDAY and
NEW_COLLECTION in English, Italian and Lithuanian, a birthday reminder two weeks ahead, and
the back-office rights for them. Idempotent, like the rest of seed_demo."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from clienteling.attributes.models import Attribute
from clienteling.engagement.models import EmailTemplate, ReminderRule
from clienteling.organization.models import LegalEntity

# (code, language): (subject, body)
TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {
    ("BIRTHDAY", "en"): (
        "Happy birthday, {first_name}!",
        "Dear {first_name},\n\nall of us at {store} wish you a wonderful birthday. Come and "
        "see us this month: a small gift is waiting for you.\n\nWarm regards,\n{associate}",
    ),
    ("BIRTHDAY", "it"): (
        "Buon compleanno, {first_name}!",
        "Gentile {first_name},\n\ntutti noi di {store} le auguriamo un felice compleanno. "
        "Venga a trovarci questo mese: un piccolo regalo la aspetta.\n\nCordiali saluti,\n"
        "{associate}",
    ),
    ("BIRTHDAY", "lt"): (
        "Su gimtadieniu, {first_name}!",
        "Mielas(-a) {first_name},\n\nvisa {store} komanda sveikina Jus gimtadienio proga. "
        "Aplankykite mus šį mėnesį: Jūsų laukia nedidelė dovana.\n\nPagarbiai\n{associate}",
    ),
    ("NEW_COLLECTION", "en"): (
        "The new collection has arrived, {first_name}",
        "Dear {first_name},\n\nthe new collection is in {store}. I have put aside a few pieces "
        "I think you will love; let me know when you would like to see them.\n\n{associate}",
    ),
    ("NEW_COLLECTION", "it"): (
        "È arrivata la nuova collezione, {first_name}",
        "Gentile {first_name},\n\nla nuova collezione è arrivata da {store}. Ho messo da parte "
        "alcuni pezzi che credo le piaceranno; mi dica quando desidera vederli.\n\n{associate}",
    ),
    ("NEW_COLLECTION", "lt"): (
        "Atkeliavo nauja kolekcija, {first_name}",
        "Mielas(-a) {first_name},\n\nnauja kolekcija jau {store}. Atidėjau keletą modelių, "
        "kurie, manau, Jums patiks; praneškite, kada norėtumėte juos pamatyti.\n\n{associate}",
    ),
}
HQ_ROLE = "HQ administrator"
REMINDER_DAYS = 14


def seed_engagement(entity: LegalEntity) -> int:
    """The legal entity's e-mail templates and birthday reminder; answers how many templates
    were made."""
    made = 0
    for (code, language), (subject, body) in TEMPLATES.items():
        _template, created = EmailTemplate.objects.get_or_create(
            legal_entity=entity,
            code=code,
            language=language,
            defaults={"subject": subject, "body": body},
        )
        made += int(created)
    birthday = Attribute.objects.filter(code="BIRTHDAY").first()
    if birthday is not None:
        ReminderRule.objects.get_or_create(
            legal_entity=entity, attribute=birthday, defaults={"lead_days": REMINDER_DAYS}
        )
    hq = Group.objects.filter(name=HQ_ROLE).first()
    if hq is not None:
        hq.permissions.add(*Permission.objects.filter(content_type__app_label="engagement"))
    return made
