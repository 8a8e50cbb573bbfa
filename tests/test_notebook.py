"""notebooks/explore_lakehouse.ipynb executed headless (nbclient, the project venv's kernel)
against the demo's warehouse; any cell error fails the test."""

from __future__ import annotations

import os

import nbformat
from nbclient import NotebookClient

from conftest import ROOT, VENV_BIN


def _delta_jars() -> str:
    """delta-spark's jars as the project's build resolved them (its classpath): the notebook's
    Spark starts with them instead of resolving packages over the network."""
    classpath = (ROOT / "jobs/modeling/target/classpath.txt").read_text().strip().split(os.pathsep)
    jars = [j for j in classpath if os.path.basename(j).startswith(("delta-spark_2.12-", "delta-storage-"))]
    assert len(jars) == 2, jars
    return ",".join(jars)


def test_notebook_runs_end_to_end_on_the_demo_warehouse(demo_copy, monkeypatch):
    monkeypatch.setenv("LAKELOOP_WAREHOUSE", str(demo_copy))
    monkeypatch.setenv("LAKELOOP_DELTA_JARS", _delta_jars())
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    path = ROOT / "notebooks/explore_lakehouse.ipynb"
    nb = nbformat.read(path, as_version=4)
    # Raises CellExecutionError, naming the cell, on the first error.
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    # The charts were drawn (quality with bands, drift) and the registry's lineage printed.
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2
    assert "<- champion" in text
    assert "was trained on" in text and "rows then" in text
