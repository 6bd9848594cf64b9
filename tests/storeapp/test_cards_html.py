"""The cards' HTML is written in Python (storeapp/cards.py), outside the template engine's
autoescaping: every value a customer or HQ can set must come out escaped."""

from __future__ import annotations

from clienteling.storeapp.cards import CardView, PropertyView, cards_html

HOSTILE = '<script>alert("x")</script>&\''


def card(**changes: object) -> CardView:
    prop: PropertyView = {
        "kind": "attribute",
        "code": "PREF_CATEGORY",
        "label": HOSTILE,
        "available": True,
        "machine": HOSTILE,
        "text": HOSTILE,
        "cue": "in 3 days",
        "days": 3,
        "stale": HOSTILE,
    }
    base: CardView = {
        "account": 'IT"1',
        "name": HOSTILE,
        "initials": "<b>",
        "url": '/customers/IT"1/',
        "email": HOSTILE,
        "phone": "",
        "select_label": HOSTILE,
        "properties": [prop],
        "last_purchase_machine": HOSTILE,
        "last_purchase": HOSTILE,
        "owner": HOSTILE,
    }
    return {**base, **changes}  # type: ignore[typeddict-item]


def test_every_value_is_escaped():
    html = cards_html([card()], selectable=True)

    assert "<script>" not in html and "<b>" not in html
    assert 'data-account="IT&quot;1"' in html and 'value="IT&quot;1"' in html
    assert (
        html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;") == 11
    )  # each value, the e-mail twice
    assert 'data-days="3"' in html and "in 3 days" in html


def test_what_is_empty_is_left_out():
    plain = card(email="", last_purchase="", owner="", properties=[])

    html = cards_html([plain], selectable=False)

    assert 'href="mailto:' not in html and 'href="tel:' not in html
    assert "card-foot" not in html and 'type="checkbox"' not in html
    assert '<dl class="properties"></dl>' in html
