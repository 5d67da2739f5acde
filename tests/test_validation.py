import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from qestl.validation import (
    check_dense_real,
    check_fit_inputs,
    check_fit_size,
    check_kinematics,
    record_input_columns,
)

GOOD = [[1.0, 30.0, 0.2], [2.0, 60.0, 0.5], [0.5, 120.0, 0.1]]


def test_good_input_passes_and_keeps_order():
    frame = pd.DataFrame(GOOD, columns=["E", "theta", "omega"])[["omega", "E", "theta"]]
    assert np.array_equal(check_kinematics(frame), np.array(GOOD))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([np.nan, 30.0, 0.2], "with NaN or infinite values"),
        ([1.0, np.inf, 0.2], "with NaN or infinite values"),
        ([-1.0, 30.0, -2.0], r"with E <= 0"),
        ([1.0, 30.0, 1.0], r"with omega >= E"),
        ([1.0, 30.0, -0.1], r"with omega <= 0"),
        ([1.0, 30.0, 0.0], r"with omega <= 0"),
        ([1.0, 0.0, 0.2], r"theta outside \(0, 180\] degrees"),
        ([1.0, 180.5, 0.2], r"theta outside \(0, 180\] degrees"),
    ],
)
def test_bad_rows_are_named(row, message):
    X = pd.DataFrame(GOOD + [row, row], columns=["E", "theta", "omega"], index=[5, 6, 7, 8, 9])
    with pytest.raises(ValueError, match=message + r" \(first at index 8\)") as info:
        check_kinematics(X)
    assert "X: 2 rows" in str(info.value)


def test_shapes_and_columns():
    with pytest.raises(ValueError, match=r"2 feature\(s\) \(shape=\(4, 2\)\) while a minimum of 3"):
        check_kinematics(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"X has 5 features .* exactly 3 are read: the columns"):
        check_kinematics(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"2-D, of shape \(n_samples, 3\)"):
        check_kinematics(np.ones(4))
    with pytest.raises(ValueError, match=r"lacks the columns \['omega'\]"):
        check_kinematics(pd.DataFrame({"E": [1.0], "theta": [3.0]}))
    with pytest.raises(ValueError, match="no rows"):
        check_kinematics(np.ones((0, 3)))


def test_fit_inputs():
    X, y, sigma, dataset = check_fit_inputs(
        GOOD, [1.0, -0.5, 0.0], [0.1, 0.2, 0.3], ["a", "a", "b"]
    )
    assert y.tolist() == [1.0, -0.5, 0.0]  # negative cross sections are valid
    with pytest.raises(ValueError, match="y has 2 rows but X has 3"):
        check_fit_inputs(GOOD, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"sigma: 1 row with sigma <= 0 \(first at index 2\)"):
        check_fit_inputs(GOOD, [1.0, 2.0, 3.0], [0.1, 0.1, 0.0])
    with pytest.raises(ValueError, match="y: 1 row with NaN"):
        check_fit_inputs(GOOD, [1.0, np.nan, 3.0])
    with pytest.raises(ValueError, match="dataset must have 3 labels"):
        check_fit_inputs(GOOD, [1.0, 2.0, 3.0], dataset=["a"])
    with pytest.raises(ValueError, match="dataset: 1 row with a missing label"):
        check_fit_inputs(GOOD, [1.0, 2.0, 3.0], dataset=["a", None, "b"])


@pytest.mark.parametrize("X", [sparse.csr_matrix(np.array(GOOD)), sparse.csr_array(np.array(GOOD))])
def test_sparse_input_is_refused_by_name(X):
    with pytest.raises(ValueError, match="X is a sparse matrix, and sparse input is not supported"):
        check_kinematics(X)


@pytest.mark.parametrize(
    "X",
    [
        np.array(GOOD) + 0j,
        pd.DataFrame(np.array(GOOD) + 1e-9j, columns=["E", "theta", "omega"]),
        [[1.0, 30.0, 0.2 + 0.1j]],
    ],
)
def test_complex_input_is_refused_not_truncated(X):
    with pytest.raises(ValueError, match="Complex data not supported: X holds complex numbers"):
        check_kinematics(X)
    with pytest.raises(ValueError, match="Complex data not supported: y"):
        check_fit_inputs(GOOD, [1.0, 2.0, 3.0 + 1j])


def test_fit_size_comes_before_the_columns():
    # one row of ten columns: the count is the error, not the width
    with pytest.raises(ValueError, match="X has 1 sample, too few to fit: at least 4 .*why"):
        check_fit_size(np.ones((1, 10)), [1.0], 4, "why")
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        check_fit_size(np.ones((1, 10)), None, 4)
    with pytest.raises(ValueError, match="X is None"):
        check_fit_size(None, [1.0])
    assert check_fit_size(GOOD, [1.0, 2.0, 3.0], 3) == 3
    with pytest.raises(ValueError, match="X has 0 samples"):
        check_fit_size(np.ones((0, 3)), [])
    assert check_dense_real(pd.DataFrame({"E": [1.0], "label": ["a"]}), "X") is None


class _Fitted:
    pass


def test_feature_names_record_the_columns_read():
    model = _Fitted()
    frame = pd.DataFrame(GOOD, columns=["E", "theta", "omega"]).assign(citation="x", Z=6, A=12)
    record_input_columns(model, frame, 3)
    assert model.feature_names_in_.tolist() == ["E", "theta", "omega"]
    assert model.feature_names_in_.dtype == object and model.n_features_in_ == 3
    record_input_columns(model, frame, 5)
    assert model.feature_names_in_.tolist() == ["E", "theta", "omega", "Z", "A"]
    record_input_columns(model, np.array(GOOD), 3)  # a refit to an array has no names
    assert not hasattr(model, "feature_names_in_") and model.n_features_in_ == 3
