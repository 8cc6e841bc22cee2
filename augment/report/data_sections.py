"""The report's "Data" section: how the data was read and its profile (``augment data check``)."""

from __future__ import annotations

from typing import Any

from augment.report.blocks import NotRun, Section, Table, Text

__all__ = ["data_section"]

_SIZES = ("users", "items", "items_with_interactions", "interactions", "density",
          "negative_interactions", "interactions_per_user_median")


def data_section(manifest: dict[str, Any]) -> Section:
    """Sources, mapping, feedback rule and what it did, sizes, text coverage, cold shares,
    personal-data columns and warnings (from the manifest's ``data`` entry)."""
    data = manifest.get("data") or {}
    profile = data.get("profile")
    if not profile:
        return Section("Data", [NotRun("no data profile in the manifest (run from an older "
                                       "version, or stopped before the data was read)")])
    blocks: list = [Text(f"{w} (fix: see augment data check)", kind="warning")
                    for w in profile.get("warnings", [])]
    rows = [[role, label] for role, label in (data.get("sources") or {}).items()]
    if not rows and data.get("source"):
        rows = [["source", data["source"]]]
    rows += [[key, profile.get(key)] for key in _SIZES]
    if data.get("feedback"):
        rule = data["feedback"]
        rows.append(["feedback rule", f"{rule['kind']}, aggregate {rule['aggregate']}, "
                                      f"transform {rule['transform']}, duplicates "
                                      f"{rule['duplicates']}"])
        rows.append(["repeated pairs", data.get("feedback_summary")])
    split = profile.get("split") or {}
    if split:
        rows.append([f"cold share ({split['kind']})",
                     f"{split['cold_item_share']:.1%} of items, {split['cold_user_share']:.1%}"
                     f" of users, {split['cold_interaction_share']:.1%} of interactions"])
    private = (data.get("columns") or {}).get("private") or []
    if private:
        rows.append(["private columns (never read)", ", ".join(private)])
    blocks.append(Table(["", "value"], rows, caption="the data as read"))
    shares = profile.get("text_share") or {}
    if shares:
        blocks.append(Table(["item column", "share of items with a value"],
                            [[c, f"{s:.1%}"] for c, s in shares.items()],
                            caption="item text"))
    return Section("Data", blocks)
