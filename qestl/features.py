"""Input features of the cross-section networks, as a scikit-learn transformer."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from qestl import kinematics
from qestl.validation import check_kinematics, check_nuclei

__all__ = ["KinematicFeatures"]


class KinematicFeatures(TransformerMixin, BaseEstimator):
    """Map (E, theta, omega) to the features the papers' networks read.

    Default output: (E, omega, theta, cos theta, Q2), the inputs of Kowal et
    al. (PRC 110, 025501) and Graczyk et al. (PRL 135, 052502). Options add
    the peak positions omega_QE and omega_Delta and the target's Z, A, the
    extra inputs of the multi-nucleus network of Al Hammal et al. (PRC 107,
    065501).

    Parameters
    ----------
    peaks : bool, default False
        Add omega_QE and omega_Delta [GeV] (:func:`qestl.kinematics.omega_qe`,
        :func:`qestl.kinematics.omega_delta`).
    scaling : bool, default False
        Add the distances from the quasielastic and Delta peaks in units of
        the momentum transfer, (omega - omega_QE) / |q| and
        (omega - omega_Delta) / |q| (dimensionless). The first is the
        y-scaling variable of a nucleon at rest: quasielastic peaks of all
        kinematics line up in it, so the networks need not build the ratio
        from (E, omega, theta) themselves.
    nucleus : bool, default False
        Add the target's log A and its neutron-proton asymmetry |N - Z| / A
        from the input columns Z and A (DataFrame columns by name, array
        columns 4 and 5). log A rather than A: the nuclei differ most among
        the light ones (2H, 3He, 4He), which A itself would crowd into a few
        per cent of its range. |N - Z| rather than Z / A: by isospin symmetry
        mirror nuclei (3H and 3He) have the same dynamics, so they get the
        same features, and a proton-rich nucleus is no extrapolation of the
        neutron-rich ones; the charges their nucleons carry differ, which
        the output scale of the networks carries
        (:func:`qestl.physics.formfactors.isospin_factor`).
    standardize : bool, default True
        Centre each feature and scale it to unit variance on the fitted data.
        The papers' carbon nets read raw features; standardised ones train
        faster and transfer the same way.

    Attributes
    ----------
    scaler_ : sklearn.preprocessing.StandardScaler or None
        The fitted scaler when ``standardize``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 90.0, 0.5], [2.0, 30.0, 0.4]])
    >>> KinematicFeatures(standardize=False).fit_transform(X)[0].round(3).tolist()
    [1.0, 0.5, 90.0, 0.0, 1.0]
    """

    def __init__(self, peaks=False, scaling=False, nucleus=False, standardize=True):
        self.peaks = peaks
        self.scaling = scaling
        self.nucleus = nucleus
        self.standardize = standardize

    def _raw_features(self, X):
        kin = check_kinematics(X, nucleus=self.nucleus)
        energy, theta, omega = kin.T
        columns = [
            energy,
            omega,
            theta,
            np.cos(np.deg2rad(theta)),
            kinematics.q2_electron(energy, theta, omega),
        ]
        if self.peaks:
            columns += [kinematics.omega_qe(energy, theta), kinematics.omega_delta(energy, theta)]
        if self.scaling:
            q = kinematics.q3_electron(energy, theta, omega)
            columns += [
                (omega - kinematics.omega_qe(energy, theta)) / q,
                (omega - kinematics.omega_delta(energy, theta)) / q,
            ]
        if self.nucleus:
            charge, mass = self._nucleus_columns(X).T
            columns += [np.log(mass), np.abs(mass - 2.0 * charge) / mass]
        return np.column_stack(columns)

    @staticmethod
    def _nucleus_columns(X):
        if hasattr(X, "columns"):
            missing = [c for c in ("Z", "A") if c not in X.columns]
            if missing:
                raise ValueError(f"nucleus=True needs the columns Z and A; X lacks {missing}")
        return check_nuclei(X)

    def fit(self, X, y=None):
        """Learn the standardisation of the features.

        Parameters
        ----------
        X : pandas.DataFrame or array_like of shape (n, 3) (or (n, 5) with Z, A)
            Beam energy [GeV], scattering angle [deg], energy transfer [GeV].
        y : ignored

        Returns
        -------
        self
        """
        validate_data(self, X, reset=True, skip_check_array=True)
        features = self._raw_features(X)
        self.scaler_ = StandardScaler().fit(features) if self.standardize else None
        return self

    def transform(self, X):
        """Compute the features.

        Parameters
        ----------
        X : pandas.DataFrame or array_like
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n, n_features)
            Columns named by :meth:`get_feature_names_out`.
        """
        check_is_fitted(self, "scaler_")
        validate_data(self, X, reset=False, skip_check_array=True)
        features = self._raw_features(X)
        return self.scaler_.transform(features) if self.scaler_ is not None else features

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        ndarray of str
        """
        names = ["E", "omega", "theta", "cos_theta", "Q2"]
        if self.peaks:
            names += ["omega_QE", "omega_Delta"]
        if self.scaling:
            names += ["psi_QE", "psi_Delta"]
        if self.nucleus:
            names += ["log_A", "asymmetry"]
        return np.asarray(names, dtype=object)
