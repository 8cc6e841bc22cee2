"""Property test: personal data embedded anywhere in item text never reaches the request."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from augment.data import Dataset
from augment.tasks import ItemAttributes
from augment.tasks.redaction import Redactor, normalize_text

EMAILS = st.builds(lambda u, d: f"{u}@{d}.com", st.from_regex(r"[a-z][a-z0-9._]{1,10}",
                                                               fullmatch=True),
                   st.from_regex(r"[a-z]{3,10}", fullmatch=True))
PHONES = st.one_of(
    st.from_regex(r"\+44 20 \d{4} \d{4}", fullmatch=True),
    st.from_regex(r"020 \d{4} \d{4}", fullmatch=True),
    st.from_regex(r"\(\d{3}\) \d{3}-\d{4}", fullmatch=True),
    st.from_regex(r"\d{3}\.\d{3}\.\d{4}", fullmatch=True),
    st.from_regex(r"\+?\d{10,13}", fullmatch=True),
)
IPS = st.one_of(
    st.builds(lambda a, b, c, d: f"{a}.{b}.{c}.{d}", *[st.integers(0, 255)] * 4),
    st.sampled_from(["2001:db8::1", "fe80::1ff:fe23:4567:890a", "::1",
                     "2001:0db8:85a3:0000:0000:8a2e:0370:7334"]))
KEYS = st.one_of(st.from_regex(r"sk-[A-Za-z0-9]{20,30}", fullmatch=True),
                 st.from_regex(r"AKIA[0-9A-Z]{16}", fullmatch=True),
                 st.from_regex(r"Bearer [A-Za-z0-9]{20,30}", fullmatch=True))
IDS = st.from_regex(r"\d{3}-\d{2}-\d{4}", fullmatch=True)
SECRETS = st.one_of(EMAILS, PHONES, IPS, KEYS, IDS)
FILLER = st.sampled_from(["A film about", "Call", "Contact:", "see", "(", "and", "Released 1995.",
                          "rated 4.5", "", "\u200b", "\u202e", "—", "…"])
PUNCT = st.sampled_from(["", ".", ",", ";", ":", "!", "?", ")", "'", "\""])


@st.composite
def texts(draw):
    secrets = draw(st.lists(SECRETS, min_size=1, max_size=3))
    parts = []
    for s in secrets:
        parts += [draw(FILLER), draw(st.sampled_from(["", "(", "\"", "<"])) + s + draw(PUNCT)]
    parts.append(draw(FILLER))
    sep = draw(st.sampled_from([" ", "  ", "\n", " \u200b"]))
    return sep.join(parts), secrets


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts())
def test_no_embedded_personal_data_reaches_the_request_body(case):
    text, secrets = case
    items = pd.DataFrame({"item_id": [1], "title": ["Heat"], "description": [text]})
    ds = Dataset(pd.DataFrame({"user_id": [1], "item_id": [1], "weight": [1.0]}), items)
    item = ItemAttributes(ds, genres=None).work_items()[0]
    body = " ".join(m["content"] for m in item.request.messages)
    for secret in secrets:
        assert secret not in body
        digits = _digits(secret)
        if len(digits) >= 9:  # phones, ids: not even the digit run survives
            assert digits not in _digits(body.replace("4.5", "").replace("1995", ""))
    assert item.meta.get("redacted")  # the record's provenance says what was removed


@given(st.text(max_size=200))
def test_normalised_text_has_no_invisible_or_control_characters(text):
    import unicodedata

    out = normalize_text(text)
    assert all(unicodedata.category(ch) not in ("Cc", "Cf") for ch in out)
    assert Redactor()(out) == Redactor()(text)  # redaction normalises first


def test_ordinary_text_is_untouched():
    for text in ("Toy Story (1995)", "Rated 4.5 of 5, 1990-1995, 120 min", "Ocean's 11",
                 "Apollo 13 (1995)", "2001: A Space Odyssey", "10:30 at night"):
        assert Redactor()(text) == text
