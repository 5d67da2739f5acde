import numpy as np
import pandas as pd
import pytest

from qestl.metrics import reduced_chi2, scale_factors


def test_scale_factors_hand_values():
    # Dataset "a": pulls 1 and -3, chi2/n = 5; "b": pulls 0.5 and 0.5, 0.25 < 1.
    y = [10.0, 10.0, 4.0, 4.0]
    y_pred = [9.0, 13.0, 3.5, 3.5]
    sigma = [1.0, 1.0, 1.0, 1.0]
    factors = scale_factors(y, y_pred, sigma, ["a", "a", "b", "b"])
    assert factors == pytest.approx({"a": np.sqrt(5.0), "b": 1.0}, rel=1e-12)


def test_scaled_errors_give_chi2_per_point_one_where_they_were_scaled():
    rng = np.random.default_rng(0)
    dataset = np.repeat(["tight", "scattered", "consistent"], 40)
    y_pred = rng.uniform(1.0, 5.0, dataset.size)
    sigma = 0.05 * y_pred
    noise = np.where(dataset == "scattered", 3.0, 0.5) * rng.standard_normal(dataset.size)
    noise[dataset == "tight"] *= 4.0  # 2 sigma scatter: scaled too
    y = y_pred + noise * sigma
    factors = scale_factors(y, y_pred, sigma, dataset)
    assert factors["consistent"] == 1.0
    assert factors["scattered"] > factors["tight"] > 1.0
    scaled = sigma * pd.Series(dataset).map(factors).to_numpy()
    for label in ("tight", "scattered"):
        points = dataset == label
        assert reduced_chi2(y[points], y_pred[points], scaled[points]) == pytest.approx(1.0)


def test_scale_factors_apply_the_normalizations():
    y, y_pred, sigma = [2.0, 2.2], [1.0, 1.1], [0.1, 0.1]
    assert scale_factors(y, y_pred, sigma, ["k", "k"], normalization=[2.0, 2.0]) == {"k": 1.0}
    assert scale_factors(y, y_pred, sigma, ["k", "k"])["k"] == pytest.approx(np.sqrt(110.5))


def test_scale_factors_reject_bad_input():
    with pytest.raises(ValueError, match="dataset has 1 labels for 2 points"):
        scale_factors([1.0, 1.0], [1.0, 1.0], [0.1, 0.1], ["k"])
    with pytest.raises(ValueError, match="sigma: 1 values <= 0"):
        scale_factors([1.0, 1.0], [1.0, 1.0], [0.1, 0.0], ["k", "k"])
    with pytest.raises(ValueError, match="normalization has 1 values for 2 points"):
        scale_factors([1.0, 1.0], [1.0, 1.0], [0.1, 0.1], ["k", "k"], normalization=[1.0])
    with pytest.raises(ValueError, match=r"non-finite chi2 in datasets \['b'\]"):
        scale_factors([1.0, np.nan], [1.0, 1.0], [0.1, 0.1], ["a", "b"])
