"""The store's payload-free resume check agrees with the full read."""

from __future__ import annotations

from augment.engine.store import Store


def test_finished_lists_records_only(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    assert not store.has_results()
    store.put_result("a", "h1", "record", {"output": 1})
    store.put_result("b", "h2", "failure", {"reason": "validation"})
    store.put_result("c", "h3", "record", {"output": 3})
    pairs = [("a", "h1"), ("b", "h2"), ("c", "other-hash"), ("d", "h4")]
    assert store.has_results()
    assert store.finished(pairs) == {("a", "h1")}
    full = {p for p, (status, _) in store.get_results(pairs).items() if status == "record"}
    assert store.finished(pairs) == full
    store.close()
