"""``augment data check``: a profile of the data as read, and warnings that say what to fix.

The profile is computed before any split is used or any model called: sizes and
density, the share of items with text per column, the cold share of the job's
split, what the feedback rule did with repeated pairs, and columns that look like
personal data. Data that cannot be used at all raises
:class:`~augment.errors.DataError` (the CLI exits 2 with one line).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from augment.data.dataset import Dataset
from augment.data.mapped import MappedData
from augment.errors import DataError

__all__ = ["profile_data", "personal_columns", "format_profile"]

_PII_NAMES = re.compile(r"e-?mail|phone|mobile|ssn|passport|birth|dob|first_?name|last_?name|"
                        r"full_?name|surname|address|street|zip|postcode|ip_?addr|^ip$|iban|"
                        r"card|password", re.IGNORECASE)
_PII_VALUES = {
    "e-mail addresses": re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
    "phone numbers": re.compile(r"\+?\d[\d ()-]{8,}\d"),
}
_SAMPLE = 2000


def personal_columns(frame: pd.DataFrame, names: Sequence[str] = ()) -> dict[str, str]:
    """Column -> why it looks like personal data (its name, or values in a sample)."""
    found: dict[str, str] = {}
    for name in [*names, *[str(c) for c in frame.columns]]:
        if name not in found and _PII_NAMES.search(name):
            found[name] = "its name"
    for col in frame.columns:
        if str(col) in found or pd.api.types.is_numeric_dtype(frame[col]):
            continue
        sample = frame[col].dropna().astype(str).head(_SAMPLE)
        for what, pattern in _PII_VALUES.items():
            share = float(sample.str.contains(pattern).mean()) if len(sample) else 0.0
            if share >= 0.05:
                found[str(col)] = f"{share:.0%} of sampled values look like {what}"
                break
    return found


def _text_share(items: pd.DataFrame) -> dict[str, float]:
    out = {}
    for col in items.columns:
        if col == "item_id":
            continue
        values = items[col]
        filled = values.notna()
        if not pd.api.types.is_numeric_dtype(values):
            filled &= values.astype(str).str.strip().ne("")
        out[str(col)] = round(float(filled.mean()), 4) if len(items) else 0.0
    return out


def _split_profile(dataset: Dataset, kind: str, seed: int, k: int, sp: Any) -> dict[str, Any]:
    from augment.splits import split

    sp = sp if sp is not None else split(dataset, kind, seed=seed, k=k)
    kind, seed = sp.kind, sp.seed
    held = pd.concat([sp.valid, sp.test], ignore_index=True)
    cold = held[held["segment"] == "cold"]
    return {"kind": kind, "seed": seed,
            "cold_items": len(sp.cold_items),
            "cold_item_share": round(len(sp.cold_items) / max(dataset.n_items, 1), 4),
            "cold_users": len(sp.cold_users),
            "cold_user_share": round(len(sp.cold_users) / max(dataset.n_users, 1), 4),
            "cold_interaction_share": round(len(cold) / max(len(dataset.interactions), 1), 4),
            "train_interactions": len(sp.train.interactions)}


def profile_data(data: MappedData | Dataset, *, split_kind: str = "item-cold", seed: int = 0,
                 k: int = 3, source_columns: Sequence[str] = (), split: Any = None
                 ) -> dict[str, Any]:
    """The profile of ``data`` and its warnings (``profile["warnings"]``, each a sentence
    that says what to fix). The cold shares come from ``split`` (an
    :class:`augment.splits.Split` of the data) or from one made with ``split_kind``,
    ``seed`` and ``k``. Raises DataError when the data cannot be used."""
    mapped = data if isinstance(data, MappedData) else None
    ds: Dataset = data.dataset if isinstance(data, MappedData) else data
    inter = ds.interactions
    n_users = int(inter["user_id"].nunique())
    n_items_inter = int(inter["item_id"].nunique())
    if n_users < 2 or n_items_inter < 2:
        raise DataError(f"only {n_users} users and {n_items_inter} items have interactions; "
                        "a recommender needs at least 2 of each (check the mapping and the "
                        "feedback rule)", file=ds.name)
    weights = inter["weight"].to_numpy()
    profile: dict[str, Any] = {
        "name": ds.name, "users": n_users, "items": int(len(ds.items)),
        "items_with_interactions": n_items_inter, "interactions": int(len(inter)),
        "density": float(len(inter) / (n_users * n_items_inter)),
        "negative_interactions": int((weights < 0).sum()),
        "weight": {"min": float(weights.min()), "median": float(np.median(weights)),
                   "max": float(weights.max())},
        "interactions_per_user_median": float(inter.groupby("user_id").size().median()),
        "text_share": _text_share(ds.items),
    }
    warnings: list[str] = []
    if mapped is not None:
        profile["sources"] = dict(mapped.sources)
        profile["feedback"] = mapped.rule.as_dict()
        profile["feedback_stats"] = mapped.stats.as_dict()
        profile["duplicates"] = mapped.stats.summary(mapped.rule)
        profile["private_columns"] = list(mapped.mapping.private)
        if mapped.rule.how == "last" and mapped.mapping.timestamp is None \
                and mapped.stats.duplicate_pairs:
            warnings.append("repeated pairs were combined by 'last' without a timestamp, so "
                            "row order decided; map data.columns.timestamp")
    private = set(profile.get("private_columns", []))
    names = [*source_columns, *(mapped.mapping.roles().values() if mapped else ())]
    pii = {c: why for c, why in personal_columns(ds.items, names).items()
           if c not in private}
    profile["personal_data_columns"] = pii
    for col, why in pii.items():
        warnings.append(f"column '{col}' looks like personal data ({why}); add it to "
                        "data.columns.private so it is never read, or drop it")
    for col, share in profile["text_share"].items():
        if share < 0.5:
            warnings.append(f"only {share:.0%} of items have '{col}'; generated attributes "
                            "will rest on little text for the rest (fill it or map other "
                            "text columns)")
    if not profile["text_share"]:
        warnings.append("items have no text columns: item_attributes and content baselines "
                        "have nothing to read; give an items table (data.items) with text")
    try:
        profile["split"] = _split_profile(ds, split_kind, seed, k, split)
    except DataError as e:
        raise DataError(f"the {split_kind} split cannot be made: {e}", file=ds.name) from e
    if profile["density"] > 0.5:
        warnings.append(f"density {profile['density']:.0%} is very high for implicit "
                        "feedback; check that the feedback rule drops what it should")
    profile["warnings"] = warnings
    return profile


def format_profile(profile: dict[str, Any]) -> str:
    """The profile as aligned text lines (for the terminal)."""
    lines = [f"data: {profile['name']}"]
    for role, label in (profile.get("sources") or {}).items():
        lines.append(f"  {role}: {label}")
    keys = ["users", "items", "items_with_interactions", "interactions", "density",
            "negative_interactions", "interactions_per_user_median"]
    for key in keys:
        value = profile[key]
        lines.append(f"  {key:30} {value:.6g}" if isinstance(value, float)
                     else f"  {key:30} {value}")
    if "duplicates" in profile:
        lines.append(f"  {'duplicates':30} {profile['duplicates']}")
        stats = profile["feedback_stats"]
        lines.append(f"  {'rows read':30} {stats['rows']} ({stats['rows_deduplicated']} "
                     f"deduplicated, {stats['pairs_dropped']} pairs dropped by the rule)")
    for col, share in profile["text_share"].items():
        lines.append(f"  text '{col}':{'':<{max(0, 23 - len(col))}} {share:.1%} of items")
    sp = profile.get("split") or {}
    if sp:
        lines.append(f"  split {sp['kind']} seed {sp['seed']}: {sp['cold_items']} cold items "
                     f"({sp['cold_item_share']:.1%}), {sp['cold_users']} cold users "
                     f"({sp['cold_user_share']:.1%}), {sp['cold_interaction_share']:.1%} of "
                     "interactions held out cold")
    for col, why in (profile.get("personal_data_columns") or {}).items():
        lines.append(f"  personal data? '{col}': {why}")
    lines.append(f"warnings: {len(profile['warnings'])}")
    lines += [f"  - {w}" for w in profile["warnings"]]
    return "\n".join(lines)
