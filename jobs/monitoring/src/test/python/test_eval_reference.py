"""The committed evaluate reference (data + scikit-learn values) is exactly what its script makes.

EvaluationReferenceTest (Java) compares lakeloop's metrics with expected.csv; this test makes
sure expected.csv really is scikit-learn's answer on the committed CSVs, with the installed
scikit-learn, so the reference cannot drift from its generator unnoticed.
"""
import filecmp
import importlib.util
import pathlib

import pandas as pd

REF = pathlib.Path(__file__).resolve().parents[1] / "resources" / "eval-reference"


def _load_script():
    spec = importlib.util.spec_from_file_location("make_reference", REF / "make_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_data_is_what_the_script_generates(tmp_path):
    _load_script().build(str(tmp_path))
    for name in ["binary.csv", "multiclass.csv", "regression.csv"]:
        assert filecmp.cmp(tmp_path / name, REF / name, shallow=False), name


def test_committed_expected_values_match_scikit_learn(tmp_path):
    _load_script().build(str(tmp_path))
    keys = ["task", "slice_key", "slice_value", "metric"]
    fresh = pd.read_csv(tmp_path / "expected.csv").set_index(keys)["value"]
    committed = pd.read_csv(REF / "expected.csv").set_index(keys)["value"]
    assert list(fresh.index) == list(committed.index)
    assert (abs(fresh - committed) <= 1e-12 * (1 + abs(committed))).all()
