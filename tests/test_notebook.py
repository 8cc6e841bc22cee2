"""notebooks/quickstart.ipynb runs top to bottom (nbclient), without network or key."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"

pytestmark = [pytest.mark.realdata, pytest.mark.slow]  # about 1-2 minutes on 2 cores


def test_quickstart_notebook_runs(tmp_path, movielens_dir, monkeypatch):
    monkeypatch.setenv("AUGMENT_DATA_DIR", str(movielens_dir))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for o in outputs)
    assert "als+attributes" in text and "als+pseudo" in text  # the metrics table printed
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the plot rendered
    assert list(tmp_path.iterdir()) == []  # nothing written next to the notebook
