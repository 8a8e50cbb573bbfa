"""The committed drift reference (data + SciPy values) is exactly what its script makes.

DriftStatisticsReferenceTest (Java) compares lakeloop's drift statistics with expected.csv on the
edges of edges.csv; this test makes sure they really are SciPy's answer on the committed CSVs.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

HERE = Path(__file__).resolve().parents[1] / "resources" / "drift-reference"
sys.dont_write_bytecode = True  # keep the resources folder clean
sys.path.insert(0, str(HERE))
import make_reference  # noqa: E402


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("drift-ref")
    subprocess.run([sys.executable, str(HERE / "make_reference.py"), str(out)], check=True)
    return out


@pytest.mark.parametrize("name", ["baseline.csv", "current.csv", "edges.csv", "ks_pvalues.csv"])
def test_data_files_are_byte_identical(regenerated, name):
    assert (regenerated / name).read_bytes() == (HERE / name).read_bytes()


def test_expected_matches_to_1e12(regenerated):
    def load(path):
        return pd.read_csv(path, dtype=str, keep_default_na=False)

    new, old = load(regenerated / "expected.csv"), load(HERE / "expected.csv")
    # Same rows in the same order, and p_value present on exactly the same rows.
    assert new[["column", "statistic"]].equals(old[["column", "statistic"]])
    assert ((new["p_value"] == "") == (old["p_value"] == "")).all()
    for col in ["value", "p_value"]:
        has = old[col] != ""
        a, b = new.loc[has, col].astype(float), old.loc[has, col].astype(float)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)


def test_csv_round_trip_keeps_nulls_nans_and_bits():
    """The written cells parse back to the generated float64 bits; null != NaN."""
    base, cur = make_reference.make_data()
    special = {"": None, "NaN": np.nan, "Infinity": np.inf, "-Infinity": -np.inf}
    for table, name in ((base, "baseline.csv"), (cur, "current.csv")):
        df = pd.read_csv(HERE / name, dtype=str, keep_default_na=False)
        for col in make_reference.NUMERIC:
            values, is_null = table[col]
            cells = df[col].to_numpy()
            assert ((cells == "") == is_null).all(), col
            parsed = np.array([special[s] if s in special else float(s)
                               for s in cells[~is_null]], dtype=np.float64)
            assert parsed.tobytes() == values[~is_null].tobytes(), col
        for col in make_reference.CATEGORICAL:
            assert df[col].tolist() == ["" if v is None else v for v in table[col]], col
