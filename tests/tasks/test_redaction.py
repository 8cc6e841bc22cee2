"""Personal data is redacted before text reaches a provider; ordinary text is not touched."""

from __future__ import annotations

import pandas as pd

from augment.data import Dataset
from augment.providers.fake import FakeProvider
from augment.tasks import ItemAttributes, Redactor, redact


def test_redact_replaces_personal_data_and_keeps_years_and_ratings():
    text = ("Contact jane.doe@example.org or +44 20 7946 0958, (555) 123-4567; "
            "see https://admin:hunter2@example.com/x from 192.168.1.20. "
            "Released 1995-1997, rated 4.5, runtime 120 min, 3 episodes.")
    out, counts = Redactor().redact(text)
    for secret in ("jane.doe", "7946", "123-4567", "hunter2", "admin", "192.168.1.20"):
        assert secret not in out
    for kept in ("1995-1997", "4.5", "120 min", "https://[REDACTED]@example.com/x"):
        assert kept in out
    assert counts == {"url_userinfo": 1, "email": 1, "ipv4": 1, "phone": 2}
    assert redact("Toy Story (1995)") == "Toy Story (1995)"


def test_the_provider_never_receives_personal_data(run_items):
    items = pd.DataFrame({"item_id": [1], "title": ["Heat (1995)"], "genres": ["Action"],
                          "description": ["Write to mike@studio.com, call 212-555-0199, "
                                          "ftp://root:toor@10.0.0.7/"]})
    ds = Dataset(pd.DataFrame({"user_id": [1], "item_id": [1], "weight": [1.0]}), items)
    fake = FakeProvider(fn=lambda r: {"genres": ["Action"], "tags": [], "summary": "A heist."})
    result = run_items(ItemAttributes(ds).work_items(), provider=fake)
    assert len(result.records) == 1
    sent = " ".join(m["content"] for m in fake.history[0].messages)
    for secret in ("mike@studio.com", "212-555-0199", "root:toor", "10.0.0.7"):
        assert secret not in sent
    assert "[EMAIL]" in sent and "[PHONE]" in sent and "Heat (1995)" in sent
