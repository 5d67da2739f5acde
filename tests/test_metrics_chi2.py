import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from qestl.datasets.normalization import (
    NORM_UNCERTAINTY,
    dataset_norm_uncertainty,
    norm_uncertainty_of,
    parse_dataset_label,
)
from qestl.metrics import (
    chi2,
    chi2_scorer,
    make_chi2_scorer,
    reduced_chi2,
    resolve_norm_uncertainty,
    scale_factors,
)
from qestl.nn.losses import chi2_with_normalization, normalization_sums, profiled_normalization


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


# -- chi2 with the three treatments of the normalizations ----------------------------------

# Two points, residuals f - y = 1 and -1, sigma 1 and 0.5: pulls 1 and -2.
Y, F, SIGMA = [4.0, 2.0], [5.0, 1.0], [1.0, 0.5]
CHEN = ["Chen:1990kq theta=15", "Chen:1990kq theta=85"]


def test_none_is_the_sum_of_squared_pulls_and_ignores_the_normalizations():
    # 1^2 + 2^2 = 5
    assert chi2(Y, F, SIGMA) == 5.0
    assert chi2(Y, F, SIGMA, dataset=["a", "b"], norm_uncertainty=0.3, treatment="none") == 5.0
    assert reduced_chi2(Y, F, SIGMA) == 2.5


def test_quadrature_with_one_delta_for_all_points():
    # delta y = 1 and 0.5: 1 / (1 + 1) + 1 / (0.25 + 0.25) = 0.5 + 2 = 2.5 (up to the
    # rounding of the square root of the summed variance)
    value = chi2(Y, F, SIGMA, norm_uncertainty=0.25, treatment="quadrature")
    assert value == pytest.approx(2.5, rel=1e-15)
    value = reduced_chi2(Y, F, SIGMA, norm_uncertainty=0.25, treatment="quadrature")
    assert value == pytest.approx(1.25, rel=1e-15)
    # delta 0: no normalization error, the "none" chi2
    assert chi2(Y, F, SIGMA, norm_uncertainty=0.0, treatment="quadrature") == 5.0


def test_quadrature_with_a_delta_per_point():
    # 1 / (1 + 0) + 1 / (0.25 + (0.5 * 2)^2) = 1 + 0.8 = 1.8
    value = chi2(Y, F, SIGMA, norm_uncertainty=np.array([0.0, 0.5]), treatment="quadrature")
    assert value == pytest.approx(1.8, rel=1e-12)


def test_quadrature_with_a_mapping_per_dataset():
    # delta_a y = 1, delta_b y = 1: 1 / (1 + 1) + 1 / (0.25 + 1) = 0.5 + 0.8 = 1.3
    value = chi2(
        Y,
        F,
        SIGMA,
        dataset=["a", "b"],
        norm_uncertainty={"a": 0.25, "b": 0.5},
        treatment="quadrature",
    )
    assert value == pytest.approx(1.3, rel=1e-12)


def test_quadrature_takes_the_table_value_of_each_angle_of_a_split_experiment():
    # Chen 1990: 1.0 % at 15 deg, 2.1 % at 85 deg.
    # 1^2 / (1^2 + (0.010 * 100)^2) + 0.35^2 / (0.28^2 + (0.021 * 10)^2) = 0.5 + 1 = 1.5
    value = chi2([100.0, 10.0], [101.0, 10.35], [1.0, 0.28], dataset=CHEN, treatment="quadrature")
    assert value == pytest.approx(1.5, rel=1e-12)
    # both at the 2.1 % of 85 deg would give 1 / (1 + 4.41) + 1 = 1.1848...
    assert value != pytest.approx(1.0 / 5.41 + 1.0, rel=1e-6)


def test_resolve_norm_uncertainty_forms():
    labels = [*CHEN, "Day:1993md", "Zeller:1973ge", "Day:1979"]
    # Zeller 1973 is not in the table: the documented 5 % default; Day:1979 is Day:1979bx
    assert resolve_norm_uncertainty(labels, None, 5).tolist() == [0.010, 0.021, 0.034, 0.05, 0.03]
    assert resolve_norm_uncertainty(None, 0.02, 3).tolist() == [0.02] * 3
    assert resolve_norm_uncertainty(["x", "y"], [0.1, 0.2], 2).tolist() == [0.1, 0.2]
    delta = resolve_norm_uncertainty(pd.Series(["b", "a", "b"]), {"a": 0.01, "b": 0.04}, 3)
    assert delta.dtype == np.float64 and delta.tolist() == [0.04, 0.01, 0.04]


def test_profile_by_hand():
    # Dataset a: y = 2 f with sigma = delta = 0.5, so sum f y / s^2 = 24, sum f^2 / s^2 = 12,
    # 1 / delta^2 = 4 and N_a = (24 + 4) / (12 + 4) = 1.75:
    # chi2_a = 3 (0.25 / 0.5)^2 + (0.75 / 0.5)^2 = 0.75 + 2.25 = 3.
    # Dataset b: y = f, N_b = 1, nothing.
    y, f, sigma = [2.0, 2.0, 2.0, 1.0], [1.0, 1.0, 1.0, 1.0], [0.5] * 4
    dataset = ["a", "a", "a", "b"]
    assert chi2(y, f, sigma, dataset=dataset, norm_uncertainty=0.5, treatment="profile") == 3.0
    value = reduced_chi2(
        y, f, sigma, dataset=dataset, norm_uncertainty={"a": 0.5, "b": 0.1}, treatment="profile"
    )
    assert value == 0.75


def test_profile_with_angle_split_table_values():
    # Each angle its own N_k: y = 1.02 f at 15 deg (delta 0.010), y = 0.97 f at 85 deg (0.021);
    # one point each with sigma s: N = (r/s^2 + 1/d^2) / (1/s^2 + 1/d^2) and
    # chi2_k = (N - r)^2 / s^2 + (N - 1)^2 / d^2 = (r - 1)^2 / (s^2 + d^2) (f = 1).
    y, f, sigma = [1.02, 0.97], [1.0, 1.0], [0.01, 0.02]
    expected = 0.02**2 / (0.01**2 + 0.010**2) + 0.03**2 / (0.02**2 + 0.021**2)
    value = chi2(y, f, sigma, dataset=CHEN, treatment="profile")
    assert value == pytest.approx(expected, rel=1e-12)


def test_profile_with_fixed_normalizations_adds_their_penalty():
    # N = 2 fits the data exactly; penalty ((2 - 1) / 0.5)^2 = 4
    y, f, sigma = [2.0, 2.0], [1.0, 1.0], [0.5, 0.5]
    value = chi2(
        y, f, sigma, dataset=["a", "a"], norm_uncertainty=0.5, treatment="profile",
        normalization=[2.0, 2.0],
    )  # fmt: skip
    assert value == 4.0
    with pytest.raises(ValueError, match="normalization differs among the points of the datasets"):
        chi2(y, f, sigma, dataset=["a", "a"], norm_uncertainty=0.5, treatment="profile",
             normalization=[2.0, 1.0])  # fmt: skip
    with pytest.raises(ValueError, match="normalization .* needs treatment='profile'"):
        chi2(y, f, sigma, dataset=["a", "a"], normalization=[2.0, 2.0])


def test_mapping_with_a_missing_label_is_an_error():
    with pytest.raises(ValueError, match=r"no value for the datasets \['c'\]"):
        chi2([1.0] * 3, [1.1] * 3, [0.1] * 3, dataset=["a", "b", "c"],
             norm_uncertainty={"a": 0.1, "b": 0.1}, treatment="quadrature")  # fmt: skip
    with pytest.raises(ValueError, match="needs the dataset labels"):
        chi2(Y, F, SIGMA, norm_uncertainty={"a": 0.1}, treatment="quadrature")


def test_unknown_treatment_is_an_error_before_anything_else():
    for treatment in ("Quadrature", "profiled", None):
        with pytest.raises(ValueError, match=r"treatment must be one of \('none', 'quadrature'"):
            chi2([1.0], [1.0, 2.0], [0.0], treatment=treatment)  # lengths and sigma bad too
    with pytest.raises(ValueError, match="treatment must be one of"):
        make_chi2_scorer("chi2")


def test_profile_without_dataset_is_an_error():
    with pytest.raises(ValueError, match="treatment='profile' needs dataset"):
        chi2(Y, F, SIGMA, norm_uncertainty=0.05, treatment="profile")
    with pytest.raises(ValueError, match="norm_uncertainty > 0"):
        chi2(Y, F, SIGMA, dataset=["a", "a"], norm_uncertainty=0.0, treatment="profile")
    with pytest.raises(ValueError, match=r"norm_uncertainty differs .* \['a'\]"):
        chi2(Y, F, SIGMA, dataset=["a", "a"], norm_uncertainty=[0.1, 0.2], treatment="profile")


def test_bad_inputs_name_the_lengths_and_values():
    with pytest.raises(ValueError, match="dataset has 3 labels for 2 points"):
        chi2(Y, F, SIGMA, dataset=["a", "b", "c"], treatment="quadrature")
    with pytest.raises(ValueError, match="norm_uncertainty has 3 values for 2 points"):
        chi2(Y, F, SIGMA, norm_uncertainty=[0.1, 0.1, 0.1], treatment="quadrature")
    with pytest.raises(ValueError, match="finite and >= 0"):
        chi2(Y, F, SIGMA, norm_uncertainty=-0.1, treatment="quadrature")
    with pytest.raises(ValueError, match="finite and >= 0"):
        chi2(Y, F, SIGMA, dataset=["a", "b"], norm_uncertainty={"a": 0.1, "b": np.nan},
             treatment="profile")  # fmt: skip
    with pytest.raises(ValueError, match="needs the dataset labels"):
        chi2(Y, F, SIGMA, treatment="quadrature")


def test_quadrature_and_profile_never_exceed_none():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 30))
        y = rng.normal(1.0, 1.0, n)
        f = rng.normal(1.0, 2.0, n)  # any prediction, negative ones too
        sigma = rng.uniform(0.01, 1.0, n)
        dataset = rng.choice(["a", "b", "c"], n)
        deltas = {"a": 0.01, "b": 0.05, "c": rng.uniform(0.001, 1.0)}
        none = chi2(y, f, sigma)
        kw = dict(dataset=dataset, norm_uncertainty=deltas)
        assert chi2(y, f, sigma, treatment="quadrature", **kw) <= none
        # the profiled N_k minimise a chi2 that is `none` at N_k = 1
        assert chi2(y, f, sigma, treatment="profile", **kw) <= none * (1 + 1e-12)


def _loss_and_metric(y, f, sigma, labels, deltas):
    labels = np.asarray(labels)
    unique, index = np.unique(labels, return_inverse=True)
    index = torch.as_tensor(index)
    delta = torch.tensor([deltas[k] for k in unique.tolist()], dtype=torch.float64)
    pred, target = (torch.tensor(a, dtype=torch.float64)[None] for a in (f, y))
    sigma_t = torch.tensor(sigma, dtype=torch.float64)
    a, b = normalization_sums(pred, target, sigma_t, index, unique.size)
    norm = profiled_normalization(a, b, delta, overall_scale=False)
    loss = chi2_with_normalization(pred, target, sigma_t, index, norm, delta).item() * len(y)
    metric = chi2(y, f, sigma, dataset=labels, norm_uncertainty=deltas, treatment="profile")
    return loss, metric, norm[0].numpy()


def test_training_loss_and_profile_metric_agree_where_the_clamp_is_inactive():
    rng = np.random.default_rng(4)
    labels = np.repeat(["a", "b", "c"], 20)
    deltas = {"a": 0.05, "b": 0.03, "c": 0.10}
    f = rng.uniform(1.0, 2.0, labels.size)
    true_norm = pd.Series(labels).map({"a": 1.04, "b": 0.97, "c": 1.1}).to_numpy()
    sigma = 0.03 * f
    y = true_norm * f + sigma * rng.standard_normal(labels.size)
    loss, metric, norm = _loss_and_metric(y, f, sigma, labels, deltas)
    delta = np.array(list(deltas.values()))
    assert np.all(np.abs(norm - 1) < 3 * delta)  # well inside 1 +- 5 delta
    assert loss == pytest.approx(metric, rel=1e-12)


def test_training_loss_exceeds_the_metric_where_the_clamp_is_active():
    # Data twice the prediction want N ~ 2, but the loss stops N at 1 + 5 * 0.05 = 1.25 (its
    # guard against runaway members); the metric takes the true minimum, unclamped, so the
    # loss is evaluated away from the minimum and is larger.
    labels = np.repeat(["a", "b"], 10)
    deltas = {"a": 0.05, "b": 0.05}
    f = np.linspace(1.0, 2.0, labels.size)
    y = f * np.where(labels == "a", 2.0, 1.0)
    sigma = 0.01 * y
    loss, metric, norm = _loss_and_metric(y, f, sigma, labels, deltas)
    assert norm[0] == pytest.approx(1.25)
    assert loss > 1.5 * metric


# -- scorers -------------------------------------------------------------------------------

# delta of each label from the table, written out by hand
TABLE = {
    "Chen:1990kq theta=15": 0.010,
    "Chen:1990kq theta=85": 0.021,
    "Day:1993md": 0.034,
    "Zeller:1973ge": 0.05,  # not in the table: the 5 % default
}


@pytest.fixture()
def linear():
    rng = np.random.default_rng(5)
    n = 12
    X = np.linspace(0.0, 1.0, n).reshape(-1, 1)
    y = 10.0 + 5.0 * X[:, 0] + 2.0 * X[:, 0] ** 2 + 0.3 * rng.standard_normal(n)
    index = pd.RangeIndex(100, 100 + n)  # folds must be cut by position
    sigma = pd.Series(rng.uniform(0.1, 0.5, n), index=index)
    dataset = pd.Series(np.resize(list(TABLE), n), index=index)
    return X, y, sigma, dataset


def _quadrature_by_hand(model, X, y, sigma, dataset, test):
    f = model.predict(X[test])
    delta = np.array([TABLE[k] for k in dataset.to_numpy()[test]])
    s = sigma.to_numpy()[test]
    return -np.mean((f - y[test]) ** 2 / (s**2 + (delta * y[test]) ** 2))


def test_quadrature_scorer_in_cross_val_score(linear):
    X, y, sigma, dataset = linear
    cv = KFold(3)
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_val_score(
            LinearRegression(), X, y, cv=cv, scoring=make_chi2_scorer("quadrature"),
            params={"sigma": sigma, "dataset": dataset},
        )  # fmt: skip
    expected = [
        _quadrature_by_hand(LinearRegression().fit(X[tr], y[tr]), X, y, sigma, dataset, te)
        for tr, te in cv.split(X)
    ]
    assert scores == pytest.approx(expected, rel=1e-12)
    # not the "none" scores: the normalization errors count
    none = [
        -reduced_chi2(y[te], LinearRegression().fit(X[tr], y[tr]).predict(X[te]), sigma.iloc[te])
        for tr, te in cv.split(X)
    ]
    assert np.all(scores > np.array(none))


def test_quadrature_scorer_in_grid_search(linear):
    X, y, sigma, dataset = linear
    cv = KFold(3)
    grid = {"fit_intercept": [True, False]}
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            LinearRegression(), grid, cv=cv, scoring=make_chi2_scorer("quadrature")
        ).fit(X, y, sigma=sigma, dataset=dataset)
    for c, params in enumerate(search.cv_results_["params"]):
        for k, (tr, te) in enumerate(cv.split(X)):
            model = LinearRegression(**params).fit(X[tr], y[tr])
            expected = _quadrature_by_hand(model, X, y, sigma, dataset, te)
            assert search.cv_results_[f"split{k}_test_score"][c] == pytest.approx(
                expected, rel=1e-12
            )
    assert search.best_params_ == {"fit_intercept": True}


def test_profile_scorer_routes_and_slices_norm_uncertainty(linear):
    X, y, sigma, dataset = linear
    cv = KFold(2)
    delta = np.full(len(y), 0.2)
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_val_score(
            LinearRegression(), X, y, cv=cv, scoring=make_chi2_scorer("profile"),
            params={"sigma": sigma, "dataset": dataset, "norm_uncertainty": delta},
        )  # fmt: skip
    for score, (tr, te) in zip(scores, cv.split(X), strict=True):
        f = LinearRegression().fit(X[tr], y[tr]).predict(X[te])
        kw = dict(dataset=dataset.iloc[te], treatment="profile")
        assert score == pytest.approx(
            -reduced_chi2(y[te], f, sigma.iloc[te], norm_uncertainty=0.2, **kw), rel=1e-12
        )
        assert score != pytest.approx(-reduced_chi2(y[te], f, sigma.iloc[te], **kw), rel=1e-6)


def test_scorers_request_what_their_treatment_needs():
    def requests(scorer):
        return scorer.get_metadata_routing().score.requests

    assert requests(chi2_scorer) == {"sigma": True}
    assert requests(make_chi2_scorer("quadrature")) == {
        "sigma": True,
        "dataset": True,
        "norm_uncertainty": True,
    }
    assert repr(chi2_scorer) == "chi2_scorer"
    assert repr(make_chi2_scorer("profile")) == "make_chi2_scorer(treatment='profile')"


@pytest.mark.parametrize("routing", [False, True])
def test_forgotten_routing_raises_with_error_score_raise(linear, routing):
    X, y, _, _ = linear
    with sklearn.config_context(enable_metadata_routing=routing):
        with pytest.raises(ValueError, match=r"set_config\(enable_metadata_routing=True\)"):
            cross_val_score(
                LinearRegression(), X, y, cv=KFold(2), scoring=make_chi2_scorer("quadrature"),
                error_score="raise",
            )  # fmt: skip
        with pytest.raises(ValueError, match=r'params=\{"sigma": ..., "dataset": ...\}'):
            GridSearchCV(
                LinearRegression(), {"fit_intercept": [True]}, cv=KFold(2),
                scoring=make_chi2_scorer("profile"), error_score="raise",
            ).fit(X, y)  # fmt: skip


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_forgotten_routing_warns_with_the_default_error_score(linear):
    X, y, sigma, _ = linear
    with sklearn.config_context(enable_metadata_routing=False):
        # scikit-learn turns the scorer's ValueError into NaN and a UserWarning quoting it
        with pytest.warns(UserWarning, match="enable_metadata_routing=True"):
            scores = cross_val_score(
                LinearRegression(), X, y, cv=KFold(2), scoring=make_chi2_scorer("quadrature")
            )
        assert np.all(np.isnan(scores))
    with sklearn.config_context(enable_metadata_routing=True):
        # sigma routed, dataset forgotten
        with pytest.warns(UserWarning, match="got no dataset: enable metadata routing"):
            GridSearchCV(
                LinearRegression(), {"fit_intercept": [True]}, cv=KFold(2),
                scoring=make_chi2_scorer("quadrature"),
            ).fit(X, y, sigma=sigma)  # fmt: skip


# -- the normalization table ---------------------------------------------------------------


def test_day_1979_is_keyed_as_in_the_archive():
    assert "Day:1979bx" in NORM_UNCERTAINTY and "Day:1979" not in NORM_UNCERTAINTY
    assert norm_uncertainty_of("Day:1979bx") == 0.030


def test_citations_fall_back_to_their_unique_author_year_key():
    assert norm_uncertainty_of("Day:1979") == 0.030  # key Day:1979bx
    assert norm_uncertainty_of("Day:1979zz") == 0.030
    assert norm_uncertainty_of("Heimlich:1973ab") == 0.030  # key Heimlich:1973
    assert norm_uncertainty_of("Williamson:1997xy", theta=90.0) == 0.060
    assert norm_uncertainty_of("Rock:1981aa") == 0.05  # Rock-pc has no year: default
    assert norm_uncertainty_of("Day:1980bx") == 0.05  # another year
    # two keys of one Author:Year are ambiguous: the default, no guess
    table = {"Smith:2000ab": 0.01, "Smith:2000cd": 0.02}
    assert norm_uncertainty_of("Smith:2000ef", table=table) == 0.05
    assert norm_uncertainty_of("Smith:2000ab", table=table) == 0.01
    assert dataset_norm_uncertainty("Day:1979 theta=30") == 0.030


def test_parse_dataset_label():
    assert parse_dataset_label("Chen:1990kq theta=15") == ("Chen:1990kq", 15.0)
    assert parse_dataset_label("Williamson:1997 theta=45.5") == ("Williamson:1997", 45.5)
    assert parse_dataset_label("O'Connell:1987ag") == ("O'Connell:1987ag", None)
    assert parse_dataset_label("odd theta=x") == ("odd theta=x", None)
