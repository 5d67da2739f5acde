"""scikit-learn's estimator checks over the five estimators.

Most of sklearn's checks fit random arrays of arbitrary width and sign. Such X
is not (E, theta, omega) kinematics (E > 0, 0 < omega < E, 0 < theta <= 180
degrees), and the estimators refuse it (DESIGN.md: bad input is an error,
never silently used); each of those checks is listed with the data it feeds.
What they test is covered on valid kinematics by the estimators' own tests.
The checks of input handling that do not depend on the values (sparse,
complex, empty or one-sample X, one column, y = None, unfitted use, the
parameter API) pass for the four regressors; ConditionalGAN's gaps among them
are listed with the change qestl/estimators/gan.py needs.
"""

import warnings

import numpy as np
import pytest
from sklearn.utils.estimator_checks import check_estimator

from qestl import (
    ConditionalGAN,
    CrossSectionRegressor,
    ScaledRegressor,
    SuperscalingRegressor,
    TransferRegressor,
)
from qestl.estimators import PretrainedModel

TINY = dict(n_estimators=2, hidden_layers=(4,), max_epochs=2, batch_size=-1, device="cpu")

# What each check that fails on every kinematic estimator fits, and why it is refused.
_NOT_KINEMATICS = {
    "check_fit_score_takes_y": "fits 3 uniform columns in [0, 1): most rows have omega >= E",
    "check_estimators_overwrite_params": "fits make_blobs X of 2 columns; 3 are read",
    "check_dont_overwrite_parameters": "fits 3 uniform columns in [0, 3): rows with omega >= E",
    "check_estimators_fit_returns_self": "fits make_blobs X of 2 columns; 3 are read",
    "check_readonly_memmap_input": "fits a read-only memmap of 2-column blobs; 3 are read",
    "check_n_features_in_after_fitting": "fits 4 normal columns; exactly 3 are read",
    "check_positive_only_tag_during_fit": (
        "fits the 4-column iris data: refused for its width before its signs are read "
        "(negative kinematics are refused, tests/test_validation.py)"
    ),
    "check_estimators_dtypes": "fits 5 random columns of each dtype; exactly 3 are read",
    "check_dtype_object": "fits 10 object-dtype columns; exactly 3 are read",
    "check_pipeline_consistency": "fits blobs shifted to >= 0: rows with omega <= 0",
    "check_estimators_nan_inf": (
        "NaN and inf are refused as required, but then it fits 3 uniform columns in "
        "[0, 1), where rows have omega >= E"
    ),
    "check_estimators_pickle": (
        "fits blobs shifted to >= 0, with omega <= 0 rows (pickling of fitted models: "
        "tests/test_regressor.py)"
    ),
    "check_f_contiguous_array_estimator": "fits 3 uniform columns in [0, 3): rows with omega >= E",
    "check_regressors_train": "fits make_regression X of 10 columns; 3 are read",
    "check_regressor_data_not_an_array": "fits make_regression X of 10 columns; 3 are read",
    "check_regressors_no_decision_function": "fits 4 random columns; exactly 3 are read",
    "check_supervised_y_2d": "fits 3 uniform columns in [0, 1): rows with omega >= E",
    "check_regressors_int": "fits 10 integer columns; exactly 3 are read",
    "check_methods_sample_order_invariance": "fits 3 uniform columns in [0, 3): omega >= E rows",
    "check_methods_subset_invariance": "fits 3 uniform columns in [0, 3): rows with omega >= E",
    "check_dict_unchanged": "fits 3 uniform columns in [0, 3): rows with omega >= E",
    "check_fit_idempotent": "fits 2 normal columns; 3 are read",
    "check_fit_check_is_fitted": "fits 2 normal columns; 3 are read",
    "check_n_features_in": "fits 2 normal columns; 3 are read",
    "check_fit2d_predict1d": "fits 3 uniform columns in [0, 3): rows with omega >= E",
}

# ConditionalGAN reads E_nu (one column) and the muon (E_mu, theta) as y.
_NOT_EVENTS = {
    name: "fits X of several columns: a GAN's X is one column of neutrino energies E_nu"
    for name in [
        "check_fit_score_takes_y",
        "check_estimators_overwrite_params",
        "check_dont_overwrite_parameters",
        "check_estimators_fit_returns_self",
        "check_readonly_memmap_input",
        "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit",
        "check_estimators_dtypes",
        "check_dtype_object",
        "check_pipeline_consistency",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_dict_unchanged",
        "check_fit_idempotent",
        "check_fit_check_is_fitted",
        "check_n_features_in",
        "check_fit2d_predict1d",
    ]
}
_GAN_EXPECTED = {
    **_NOT_EVENTS,
    "check_estimators_nan_inf": "fits X of 3 columns; NaN energies are refused (test_gan.py)",
    "check_estimators_empty_data_messages": (
        "fits X of 0 columns, refused as not (n,) or (n, 1) E_nu rather than in sklearn's words"
    ),
    "check_fit2d_1feature": "fits 1-D y; a GAN's y is the muon (E_mu, theta), two columns",
}


@pytest.fixture(scope="module")
def source(toy_data):
    X, y, sigma, dataset = toy_data
    return CrossSectionRegressor(**TINY, norm_warmup=1, random_state=0).fit(
        X, y, sigma=sigma, dataset=dataset
    )


def _estimator(name, source):
    if name == "CrossSectionRegressor":
        return CrossSectionRegressor(**TINY, norm_warmup=1, random_state=0)
    if name == "TransferRegressor":
        return TransferRegressor.from_pretrained(
            source, max_epochs=2, batch_size=-1, device="cpu", random_state=0
        )
    if name == "ScaledRegressor":
        return ScaledRegressor(PretrainedModel.resolve(source), factor=16 / 12, device="cpu")
    if name == "SuperscalingRegressor":
        return SuperscalingRegressor()
    return ConditionalGAN(
        latent_dim=4,
        generator_width=4,
        generator_blocks=1,
        discriminator_width=4,
        discriminator_blocks=1,
        max_epochs=2,
        batch_size=64,
        device="cpu",
        random_state=0,
    )


def _expected_failures(name):
    if name == "ConditionalGAN":
        return _GAN_EXPECTED
    expected = dict(_NOT_KINEMATICS)
    if name in ("ScaledRegressor", "SuperscalingRegressor"):
        expected["check_fit2d_1sample"] = (
            "fits one row of 10 columns: a one-point fit is valid for a baseline (nothing or "
            "one factor is learned), so the row is refused for its width, not its count"
        )
    return expected


ESTIMATORS = [
    "CrossSectionRegressor",
    "TransferRegressor",
    "ScaledRegressor",
    "SuperscalingRegressor",
    "ConditionalGAN",
]


@pytest.mark.parametrize("name", ESTIMATORS)
def test_sklearn_estimator_checks(name, source):
    estimator = _estimator(name, source)
    expected = _expected_failures(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, expected_failed_checks=expected, on_fail=None)
    failed = {r["check_name"]: r["exception"] for r in results if r["status"] == "failed"}
    assert failed == {}
    # a listed check that passes is listed wrongly: the list stays exact
    passed = {r["check_name"] for r in results if r["status"] == "passed"}
    assert not passed & set(expected)
    assert {
        "check_no_attributes_set_in_init",
        "check_parameters_default_constructible",
        "check_get_params_invariance",
        "check_set_params",
        "check_estimators_unfitted",
    } <= passed
    if name == "ConditionalGAN":
        return
    # the gaps the checks found in input handling stay closed
    fixed = {
        "check_complex_data",
        "check_estimator_sparse_tag",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_estimators_empty_data_messages",
        "check_fit2d_1feature",
    }
    if name in ("CrossSectionRegressor", "TransferRegressor"):
        fixed |= {"check_fit2d_1sample", "check_requires_y_none"}
    if name == "SuperscalingRegressor":
        fixed |= {"check_requires_y_none"}
    assert fixed <= passed


@pytest.mark.parametrize("name", ESTIMATORS)
def test_every_parameter_is_declared(name, source):
    estimator = _estimator(name, source)
    params = set(estimator.get_params(deep=False))
    assert params <= set(type(estimator)._parameter_constraints)
    assert np.all([len(c) >= 1 for c in type(estimator)._parameter_constraints.values()])


def test_feature_names_are_the_columns_read(source, toy_data):
    X, y, sigma, dataset = toy_data
    # a whole archive-like frame: the model reads E, theta, omega and ignores the rest
    frame = X.assign(Z=6, A=12, citation="toy", dataset=dataset, xsec=y, error=sigma)
    params = dict(**TINY, norm_warmup=1, random_state=0)
    model = CrossSectionRegressor(**params).fit(frame, y, sigma=sigma)
    assert model.feature_names_in_.tolist() == ["E", "theta", "omega"]
    assert model.n_features_in_ == 3
    plain = CrossSectionRegressor(**params).fit(X, y, sigma=sigma)
    assert np.array_equal(model.predict(frame), plain.predict(X))
    # Z and A in the frame do not switch the nucleus inputs on; the parameter does
    aware = CrossSectionRegressor(**params, nucleus_inputs=True).fit(frame, y, sigma=sigma)
    assert aware.feature_names_in_.tolist() == ["E", "theta", "omega", "Z", "A"]
    assert aware.n_features_in_ == 5
    model.fit(X.to_numpy(), y, sigma=sigma)
    assert not hasattr(model, "feature_names_in_") and model.n_features_in_ == 3
    others = [
        TransferRegressor.from_pretrained(source, max_epochs=1).fit(frame, y, sigma=sigma),
        ScaledRegressor(PretrainedModel.resolve(source)).fit(frame),
        SuperscalingRegressor().fit(frame, y),
    ]
    for fitted in others:
        assert fitted.feature_names_in_.tolist() == ["E", "theta", "omega"], fitted
        assert fitted.n_features_in_ == 3
