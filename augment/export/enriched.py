"""The enriched training data as Parquet files, for any trainer (not only ours)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import scipy.sparse as sp

from augment.data.dataset import Dataset
from augment.enrich._core import enrich
from augment.files import atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover
    from augment.tuning import EnrichmentChoice

__all__ = ["export_enriched"]


def _parquet(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _long(x: sp.csr_matrix | None, ids: Any, names: Sequence[str] | None, column: str
          ) -> pd.DataFrame:
    coo = sp.coo_matrix(x) if x is not None else sp.coo_matrix((0, 0))
    names = list(names or [f"f{j}" for j in range(coo.shape[1])])
    return pd.DataFrame({column: [ids[i] for i in coo.row],
                         "feature": [names[j] for j in coo.col], "value": coo.data})


def export_enriched(train: Dataset, records: Sequence[Mapping[str, Any]],
                    choice: EnrichmentChoice, folder: Path, *, seed: int = 0) -> dict[str, int]:
    """Write ``train`` enriched with ``records`` as ``choice`` says, as Parquet for any trainer.

    The data is the data of the chosen model (:attr:`EnrichmentChoice.enrich_options`,
    :meth:`EnrichmentChoice.select`): ``interactions.parquet`` (``source`` = observed /
    generated), and the item and user features in long form (id, feature, value).
    """
    data = enrich(train, choice.select(records), seed=seed, **choice.enrich_options)
    names = data.feature_names or {}
    item_x = _long(data.item_features, data.item_vocab.ids, names.get("item"), "item_id")
    user_x = _long(data.user_features, data.user_vocab.ids, names.get("user"), "user_id")
    atomic_write_bytes(folder / "interactions.parquet", _parquet(data.interactions))
    atomic_write_bytes(folder / "items.parquet", _parquet(data.items))
    atomic_write_bytes(folder / "item_features.parquet", _parquet(item_x))
    atomic_write_bytes(folder / "user_features.parquet", _parquet(user_x))
    generated = int((data.interactions["source"] == "generated").sum())
    return {"interactions": len(data.interactions), "generated_interactions": generated,
            "item_feature_values": len(item_x), "user_feature_values": len(user_x)}
