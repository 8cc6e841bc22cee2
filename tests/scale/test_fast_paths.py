"""Fast paths that must give the same answers as the general ones."""

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


def test_vocabulary_integer_path_equals_object_path():
    import numpy as np
    import pandas as pd

    from augment.data.vocab import Vocabulary

    a = pd.Series([5, 3, 5, 9, 1], dtype="int64")
    b = np.array([9, 7, 3], dtype=np.int32)
    fast = Vocabulary.from_columns(a, b)
    slow = Vocabulary([*a.tolist(), *b.tolist()])
    assert list(fast.ids) == list(slow.ids) == [5, 3, 9, 1, 7]
    assert all(type(x) is int for x in fast.ids)
    query = pd.Series([7, 2, 5, 1])
    assert fast.index(query).tolist() == slow.index(query).tolist() == [4, -1, 0, 3]
    assert fast.index([7, "x", 5.0]).tolist() == slow.index([7, "x", 5.0]).tolist()
    mixed = Vocabulary.from_columns(pd.Series(["a", "b"]), np.array([1, 2]))
    assert list(mixed.ids) == ["a", "b", 1, 2]


def test_vocabulary_single_id_lookup_equals_batch():
    import pandas as pd

    from augment.data.vocab import Vocabulary

    for vocab in (Vocabulary.from_columns(pd.Series([5, 3, 9])), Vocabulary(["a", 2, "c"])):
        for query in (5, 9.0, 3, 4, "a", 2, "c", "zz", None, float("nan"), (1, 2)):
            batch = vocab._index.get_indexer(pd.Index([query], dtype=object)).tolist()
            assert vocab.index([query]).tolist() == batch, query
            if not isinstance(query, tuple):  # a tuple is a sequence of ids
                assert vocab.index(query).tolist() == batch, query


def test_duplicated_equals_pandas():
    import numpy as np
    import pandas as pd

    from augment.data.tables import duplicated

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"user_id": rng.integers(0, 30, 2000), "item_id": rng.integers(0, 20, 2000)})
    expected = df.duplicated(subset=["user_id", "item_id"], keep="first").to_numpy()
    assert expected.any() and (duplicated(df, ["user_id", "item_id"]) == expected).all()
    odd = pd.DataFrame({"user_id": ["a", None, "a", None, np.nan, "b"],
                        "item_id": [1.0, 2, 1, 2, 2, np.nan]})
    assert duplicated(odd, ["user_id", "item_id"]).tolist() == odd.duplicated(
        subset=["user_id", "item_id"]).tolist()
