"""CrossSectionRegressor: the ensemble chi2 fit of Kowal et al. as an estimator."""

from numbers import Integral, Real

from qestl.domain import training_domain
from qestl.estimators._ensemble import FIT_CONSTRAINTS, OUTPUT_SCALES, EnsembleRegressor
from qestl.estimators._features import FEATURE_SETS, make_features, saved_feature_set
from qestl.estimators._uncertainty import DropoutPasses, EnsembleMembers
from qestl.nn.ensemble import ACTIVATIONS
from qestl.params import Interval, SequenceOf, StrOptions

__all__ = ["CrossSectionRegressor"]

#: The parameters that shape the networks (saved with a model, read by transfer).
ARCHITECTURE = (
    "hidden_layers",
    "activation",
    "batch_norm",
    "features",
    "nucleus_inputs",
    "output_scale",
    "mass_number",
)


class CrossSectionRegressor(EnsembleRegressor):
    """Ensemble of neural networks fitted to inclusive (e,e') cross sections with a chi2 loss.

    Model A of Kowal et al. (PRC 110, 025501 (2024)): each member is an MLP
    whose sigmoid output times the Mott-like scale S_A(E, theta)
    (:func:`qestl.kinematics.mott_like_scale`) is the cross section. Member m
    trains on its own Monte Carlo replica y + r sigma of the data (r ~ N(0,
    1)), by default with each dataset's normalization drawn too, and the
    spread of the members is the uncertainty. All members train as one
    batched model.

    The loss of member m is the papers' chi2 (without their factor 1/2),
    sum_i (N_mk f_mi - y_mi)^2 / sigma_i^2 + sum_k (N_mk - 1)^2 / delta_k^2,
    with one normalization N_mk per dataset k, profiled in closed form
    rather than learned (:func:`qestl.nn.profiled_normalization`). Why each
    default is what it is, with the measurements: docs/validation/defaults.md.

    Parameters
    ----------
    n_estimators : int >= 1, default 50
        Ensemble members (or dropout passes for ``uncertainty="dropout"``).
    hidden_layers : non-empty tuple of int >= 1, default (128,) * 4
        Widths of the hidden blocks. Four blocks of 128 train 50 members on
        carbon in minutes on a laptop CPU; ``(300,) * 10`` is the paper's
        network (a GPU job).
    activation : {"relu", "tanh", "silu", "gelu", "elu"}, default "gelu"
        The paper uses ReLU; GELU fits carbon as well with less overfitting.
    batch_norm : bool, default False
        BatchNorm after each hidden layer, as in the paper's Model A. Off:
        the noise of batch statistics exceeds the few-per-cent data errors.
    features : {"scaling", "paper", "peaks"}, default "scaling"
        Network inputs (:class:`qestl.features.KinematicFeatures`): "paper"
        is (E, omega, theta, cos theta, Q2) of Kowal et al.; "peaks" adds
        omega_QE and omega_Delta; "scaling" adds the distances from both
        peaks in units of |q|, in which quasielastic peaks line up.
    max_epochs : int >= 1, default 1500
    lr : float > 0, default 5e-3
        AdamW learning rate, peak of the schedule.
    lr_schedule : {"cosine", "constant"}, default "cosine"
        Cosine decay of the learning rate to 0 over ``max_epochs``.
    weight_decay : float >= 0, default 0
    batch_size : int >= 1, -1 or None, default 128
        Rows per step; -1 or None is the whole training set.
    norm_uncertainty : float > 0, dict or None, default 0.05
        delta_k: one relative normalization uncertainty for all datasets or
        a mapping dataset label -> delta (missing labels get 0.05;
        :func:`qestl.datasets.dataset_norm_uncertainty` gives the archive's).
        ``None`` disables the normalizations (N = 1).
    norm_warmup : int >= 0, default 100
        Epochs of the chi2 linearised in log space with all N_k = 1, which
        finds the scale of every spectrum first (from a random start the chi2
        is dominated by a few points off by orders of magnitude).
    norm_start : float in [0, 1], default 1.0
        Fraction of ``max_epochs`` after which N_k are profiled every epoch.
        The default holds N = 1 during training and profiles N_k once on the
        final network: profiled early, N_k soak up the misfit of a
        half-trained network.
    mass_number : int >= 1, default 12
        A of the target: S_A holds A/12, so the sigmoid works per
        carbon-equivalent nucleus. Unused with ``nucleus_inputs``.
    nucleus_inputs : bool, default False
        One network for many nuclei (Al Hammal et al., PRC 107, 065501): X
        carries each row's Z and A (columns "Z", "A" as in a ``pd.concat``
        of :func:`qestl.datasets.load_qes` frames, or array columns 4 and
        5); the networks read log A and |N - Z| / A, and the output scale
        takes each row's A and its charges
        (:func:`qestl.physics.formfactors.isospin_factor`).
    output_scale : {"mott", "transverse"}, default "mott"
        The scale S that multiplies the sigmoid. "mott" is the papers' S_A,
        which vanishes at 180 degrees; "transverse" is S_A / cos(theta/2)
        (:func:`qestl.kinematics.transverse_scale`), finite there.
    resampling : {"replica", "bootstrap"}, default "replica"
        "replica": y_i + r sigma_i per member; "bootstrap": points drawn with
        replacement per member.
    resample_normalizations : bool, default True
        Each member also draws its own normalization of every dataset,
        exp(r delta_k), so that the band holds the normalization systematic
        too (:func:`qestl.replicas.draw_normalizations`). Ignored without
        ``norm_uncertainty`` and for one network.
    uncertainty : {"ensemble", "dropout"}, default "ensemble"
        "dropout" is Model B: one network with dropout, kept on at
        prediction with one mask per curve, ``n_estimators`` passes.
    dropout : float in [0, 1), default 0.1
        Dropout rate of Model B (unused by the ensemble).
    validation_fraction : float in [0, 1), default 0.1
        Fraction of the points each member holds out (its own draw) to pick
        its best epoch; 0 keeps the last epoch.
    grad_clip : float > 0 or None, default 2.0
        Clip each member's gradient norm at this multiple of its running
        average (:class:`qestl.training.MemberGradientClipping`): one
        spike otherwise throws a member far off. ``None`` turns it off.
    member_cut : float > 0 or None, default 4.0
        Post-fit selection, as NNPDF's postfit: members whose chi2/N on the
        training points, or whose excursion between them
        (:mod:`qestl.postfit`), lie more than this many standard deviations
        above the others' are left out of ``predict``. ``None`` keeps all.
    device : str or torch.device, default "auto"
        "auto" uses CUDA when available.
    random_state : int or None
        Seeds replicas, validation draws, initialisation and shuffling; two
        CPU fits with the same seed are identical.
    verbose : int, default 0
        1 shows the epochs done and the time left on stderr
        (:class:`qestl.training.EpochProgress`); 2 also prints skorch's
        per-epoch table.
    callbacks : list of skorch callbacks, optional
        E.g. ``EarlyStopping``, ``Checkpoint``, or those of :mod:`qestl.training`.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained skorch net (:class:`qestl.training.EnsembleNet`).
    history_ : skorch.History
        Per-epoch ``train_loss`` (sum of member chi2/N) and ``valid_chi2``
        (mean member validation chi2/N).
    architecture_ : dict
        The values of the parameters that shape the networks, as fitted.
    features_ : KinematicFeatures
        Fitted input standardisation.
    datasets_ : ndarray of str
        Dataset labels, in the order of the normalizations.
    normalizations_ : ndarray of shape (n_kept, n_datasets)
        Fitted N_mk of the members kept.
    best_epoch_ : ndarray of shape (n_members,)
        Epoch kept for each member.
    member_chi2_, member_excursion_ : ndarray of shape (n_members,)
        Each trained member's chi2/N on all training points and its largest
        excursion from the others (``member_cut``).
    members_kept_ : ndarray of bool, shape (n_members,)
        The members that ``predict`` averages.
    oob_prediction_ : ndarray of shape (n_samples,)
        Out-of-bag prediction of each training point [nb/(sr GeV)]: the mean
        of the kept members that held it out for validation, NaN where none
        did (as ``RandomForestRegressor.oob_prediction_``). Absent without
        validation points, for Model B and for loaded models.
    domain_ : dict or None
        ``{"E": [min, max], "theta": [min, max]}`` [GeV, deg] of the training
        data; :meth:`predict` warns (:class:`qestl.domain.ExtrapolationWarning`)
        beyond it.
    lr_ : float
        The learning rate of the fit.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.full(40, 1.0), np.full(40, 30.0), np.linspace(0.05, 0.5, 40)])
    >>> y = 100 * np.exp(-((X[:, 2] - 0.25) / 0.1) ** 2)
    >>> reg = CrossSectionRegressor(n_estimators=3, hidden_layers=(8, 8), max_epochs=5,
    ...                             random_state=0).fit(X, y, sigma=np.full(40, 5.0))
    >>> mean, std = reg.predict(X, return_std=True)
    >>> mean.shape, std.shape
    ((40,), (40,))
    """

    _parameter_constraints = {
        **FIT_CONSTRAINTS,
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "hidden_layers": [SequenceOf(Interval(Integral, 1, None, closed="left"))],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "batch_norm": ["boolean"],
        "features": [StrOptions(set(FEATURE_SETS))],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "mass_number": [Interval(Integral, 1, None, closed="left")],
        "nucleus_inputs": ["boolean"],
        "output_scale": [StrOptions(set(OUTPUT_SCALES))],
        "uncertainty": [StrOptions({"ensemble", "dropout"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        n_estimators=50,
        hidden_layers=(128,) * 4,
        activation="gelu",
        batch_norm=False,
        features="scaling",
        max_epochs=1500,
        lr=5e-3,
        lr_schedule="cosine",
        weight_decay=0.0,
        batch_size=128,
        norm_uncertainty=0.05,
        norm_warmup=100,
        norm_start=1.0,
        mass_number=12,
        nucleus_inputs=False,
        output_scale="mott",
        resampling="replica",
        resample_normalizations=True,
        uncertainty="ensemble",
        dropout=0.1,
        validation_fraction=0.1,
        grad_clip=2.0,
        member_cut=4.0,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.n_estimators = n_estimators
        self.hidden_layers = hidden_layers
        self.activation = activation
        self.batch_norm = batch_norm
        self.features = features
        self.max_epochs = max_epochs
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.norm_uncertainty = norm_uncertainty
        self.norm_warmup = norm_warmup
        self.norm_start = norm_start
        self.mass_number = mass_number
        self.nucleus_inputs = nucleus_inputs
        self.output_scale = output_scale
        self.resampling = resampling
        self.resample_normalizations = resample_normalizations
        self.uncertainty = uncertainty
        self.dropout = dropout
        self.validation_fraction = validation_fraction
        self.grad_clip = grad_clip
        self.member_cut = member_cut
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    def fit(self, X, y, sigma=None, dataset=None):
        """Fit the ensemble.

        Parameters
        ----------
        X : pandas.DataFrame or array_like of shape (n, 3)
            Beam energy E [GeV], angle theta [deg], energy transfer omega
            [GeV] (and Z, A with ``nucleus_inputs``).
        y : array_like of shape (n,)
            Measured cross sections [nb/(sr GeV)].
        sigma : array_like of shape (n,), optional
            Point-to-point errors [nb/(sr GeV)]. Without them the loss is a
            plain squared error (sigma = 1; a warning says so).
        dataset : array_like of shape (n,), optional
            Normalization-set label of each point; one N_k per label. Without
            it all points share one normalization.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Before any training: for a parameter outside its declared range,
            bad rows (:func:`qestl.validation.check_kinematics`), or too few
            points for the validation split.
        """
        self._check_params()
        self.architecture_ = self._own_architecture()
        self.uncertainty_ = self._own_uncertainty()
        return self._fit(X, y, sigma, dataset)

    def _own_architecture(self):
        return {
            name: tuple(getattr(self, name)) if name == "hidden_layers" else getattr(self, name)
            for name in ARCHITECTURE
        }

    def _own_uncertainty(self):
        if self.uncertainty == "dropout":
            return DropoutPasses(self.n_estimators, self.dropout)
        return EnsembleMembers(self.n_estimators)

    def _fit_domain(self, rows):
        """The (E, theta) range the fitted model can be trusted in (:mod:`qestl.domain`)."""
        return training_domain(rows)

    def _fit_features(self, rows):
        """Input standardisation, fitted on the training rows."""
        return make_features(self.features, self.nucleus_inputs).fit(rows)

    def _saved_params(self):
        """JSON-able parameters that rebuild this model."""
        params = {k: v for k, v in self.get_params().items() if k != "callbacks"}
        params["hidden_layers"] = list(params["hidden_layers"])
        return params

    @classmethod
    def _from_saved(cls, config, state, device="auto"):
        """Rebuild a fitted model from a saved config and its tensors."""
        params = dict(config["params"])
        params["hidden_layers"] = tuple(params["hidden_layers"])
        params["device"] = device
        params["features"] = saved_feature_set(params)
        model = cls(**params)
        model._check_params()
        model.architecture_ = model._own_architecture()
        model.uncertainty_ = model._own_uncertainty()
        return model._restore(config, state)
