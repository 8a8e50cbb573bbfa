"""The committed evaluate reference (data + scikit-learn values) is exactly what its script makes.

EvaluationReferenceTest (Java) compares lakeloop's metrics with expected.csv and its bootstrap
intervals with expected_ci.csv; this test makes sure both really are scikit-learn's answer on the
committed CSVs, with the installed scikit-learn, so the reference cannot drift from its generator
unnoticed.
"""
import filecmp
import importlib.util
import pathlib

import pandas as pd
import pytest

REF = pathlib.Path(__file__).resolve().parents[1] / "resources" / "eval-reference"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("make_reference", REF / "make_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path_factory.mktemp("eval-reference")
    mod.build(str(out))
    return out


def test_committed_data_is_what_the_script_generates(fresh):
    for name in ["binary.csv", "multiclass.csv", "regression.csv"]:
        assert filecmp.cmp(fresh / name, REF / name, shallow=False), name


@pytest.mark.parametrize(
    "name,keys",
    [
        ("expected.csv", ["task", "slice_key", "slice_value", "metric"]),
        ("expected_ci.csv", ["task", "metric"]),
    ],
)
def test_committed_expected_values_match_scikit_learn(fresh, name, keys):
    new = pd.read_csv(fresh / name).set_index(keys)
    committed = pd.read_csv(REF / name).set_index(keys)
    assert list(new.index) == list(committed.index)
    assert list(new.columns) == list(committed.columns)
    for column in new.columns:
        assert (abs(new[column] - committed[column]) <= 1e-12 * (1 + abs(committed[column]))).all()


def test_committed_fairness_reference_matches_scikit_learn(tmp_path):
    spec = importlib.util.spec_from_file_location("make_fairness", REF / "make_fairness.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.build(str(tmp_path))
    keys = ["reference", "group", "metric"]
    new = pd.read_csv(tmp_path / "expected_fairness.csv").set_index(keys)
    committed = pd.read_csv(REF / "expected_fairness.csv").set_index(keys)
    assert list(new.index) == list(committed.index)
    for column in new.columns:
        assert (abs(new[column] - committed[column]) <= 1e-12 * (1 + abs(committed[column]))).all()
