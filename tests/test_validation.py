import numpy as np
import pandas as pd
import pytest

from qestl.validation import check_fit_inputs, check_kinematics

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
    with pytest.raises(ValueError, match=r"shape \(n_samples, 3\)"):
        check_kinematics(np.ones((4, 2)))
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
