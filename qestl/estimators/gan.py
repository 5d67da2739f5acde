"""ConditionalGAN: the muon generator of Bonilla et al. (arXiv:2508.12987) as an estimator."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import PassthroughScoring

from qestl import kinematics
from qestl.constants import M_MUON
from qestl.estimators._base import TORCH_CONSTRAINTS, TorchEstimator
from qestl.estimators.sources import GAN_ARCHITECTURE, GAN_WIDTHS, PretrainedGAN
from qestl.metrics import event_proxies, map_criterion, muon_columns
from qestl.nn import resolve_freeze
from qestl.nn.gan import SAMPLE_CHUNK, Discriminator, GanModule, Generator, generate_proxies
from qestl.params import Interval, StrOptions
from qestl.persistence import load_training_state, save_model_dir
from qestl.training import BestMapEpoch, GanNet
from qestl.validation import check_dense_real, check_fit_size

__all__ = ["ConditionalGAN", "GAN_FINE_TUNING"]

#: Settings of :meth:`ConditionalGAN.from_pretrained` that differ from a fit
#: from scratch: smaller steps and a weight average keep the generator near
#: the source while it adapts to a few thousand events
#: (docs/validation/gan-transfer.md).
GAN_FINE_TUNING = {"lr": 1e-5, "discriminator_lr": 1e-4, "generator_ema": 0.99}


def _check_energies(E_nu):
    """Neutrino energies as a flat float array; each must be finite and leave room for a muon."""
    check_dense_real(E_nu, "E_nu")
    E_nu = np.asarray(E_nu, dtype=float)
    if E_nu.ndim == 2 and E_nu.shape[1] == 1:
        E_nu = E_nu[:, 0]
    if E_nu.ndim > 1:
        raise ValueError(f"E_nu must have shape (n,) or (n, 1), got {E_nu.shape}")
    E_nu = np.atleast_1d(E_nu)
    if E_nu.size == 0:
        raise ValueError("E_nu is empty")
    infinite = np.isinf(E_nu)
    if infinite.any():
        rows = np.flatnonzero(infinite)
        raise ValueError(f"{rows.size} neutrino energies are infinite (rows {rows[:10].tolist()})")
    threshold = M_MUON + kinematics.E_MU_GAP
    bad = ~(E_nu > threshold)  # also catches NaN
    if bad.any():
        rows = np.flatnonzero(bad)
        raise ValueError(
            f"{rows.size} neutrino energies are NaN or <= m_mu + 0.004 = {threshold:.4f} GeV "
            f"(rows {rows[:10].tolist()})"
        )
    return E_nu


def _training_proxies(E_nu, muon):
    """(E_nu', target (theta', E_mu')) from validated physical events."""
    proxies = event_proxies(np.column_stack([E_nu, muon]))
    return proxies[:, :1], proxies[:, [2, 1]]


class ConditionalGAN(TorchEstimator):
    """Conditional GAN of the muon kinematics of CC neutrino events (Bonilla et al.).

    arXiv:2508.12987 (PRD 113, 053001): given the neutrino energy E_nu, the
    generator draws the outgoing muon (E_mu, theta). Networks, losses and the
    model selection follow the paper; everything works in its proxy
    variables in [-1, 1] (:func:`qestl.kinematics.enu_to_proxy`,
    :func:`~qestl.kinematics.emu_to_proxy`, :func:`~qestl.kinematics.theta_to_proxy`).

    - Generator (:class:`qestl.nn.gan.Generator`): latent z ~ N(0, 1) and
      E_nu' through separate dense layers, concatenated, ``generator_blocks``
      blocks Dense -> LayerNorm -> ReLU -> Dropout (E_nu' concatenated to the
      input of, and a skip around, every block after the first), a dense
      output (theta', E_mu').
    - Discriminator (:class:`qestl.nn.gan.Discriminator`): PReLU blocks, one
      input branch for the event and one for E_nu', then
      ``discriminator_blocks`` blocks and one logit: about twice as deep as
      the generator with about twice its parameters per layer.
    - Gaussian noise (``noise_std``) after the dense and LayerNorm layers of
      both networks' blocks and input layers (not after the output layers),
      in training only.
    - Losses: binary cross-entropy for the discriminator; for the generator
      L_HCE = mean{log[1 - D(G)] - log D(G)} (:func:`qestl.nn.gan.hce_loss`).
      ``discriminator_steps`` discriminator steps, then one generator step per batch.
    - Optimizers: AdamW for both networks, turned into AMSGrad (AdamW with
      ``amsgrad=True``, moments kept, same learning rate and decay) after a
      fraction ``amsgrad_from`` of the epochs; the paper states only the
      order "AdamW, then AMSGrad".
    - Model selection: the epoch with the lowest (MAP-3D + MAP-3D w/o
      tails) / 2 (:func:`qestl.metrics.map_3d`) on a held-out
      ``validation_fraction`` of the events is kept.

    Sampled proxies are clipped to [-1, 1], so every generated muon obeys
    m_mu <= E_mu <= E_nu - 4 MeV and 0 <= theta <= 180 degrees.

    Widths, depths, dropout, noise, learning rate, batch size and epochs are
    not given in the text of the paper we have; the defaults are qestl choices.

    Parameters
    ----------
    latent_dim : int, default 50
    generator_width : int, default 128
    generator_blocks : int, default 3
    discriminator_width : int, default 192
        About sqrt(2) times the generator's: twice the parameters per layer.
    discriminator_blocks : int, default 6
        Twice the generator's depth.
    kinematic_features : bool, default False
        Also show the discriminator each event's hadronic mass W and
        ln(1 + Q^2), computed from its proxies
        (:class:`qestl.nn.gan.KinematicFeatures`); not in the paper, and off
        because short carbon runs scored worse with it.
    dropout : float, default 0
    noise_std : float, default 0
        Std of the injected Gaussian noise. Both regularisers of the paper
        (rates not published) are off: with them the discriminator stayed
        near chance while the generated distribution was far off.
        ``dropout=0.1, noise_std=0.05`` restores them.
    max_epochs : int, default 100
    batch_size : int, default 1024
    lr : float, default 5e-5
        Learning rate of the generator.
    discriminator_lr : float, default 5e-4
        Learning rate of the discriminator: ten times the generator's (the
        two time-scale rule of Heusel et al., NeurIPS 2017); with equal
        rates the generator outran the discriminator and oscillated.
    discriminator_steps : int, default 5
        Discriminator updates per generator update (fresh fakes each;
        WGAN's n_critic). With one the discriminator fell behind and sat at
        chance while the generated distribution stayed off; five cost about
        3.5 times as much per batch.
    generator_ema : float in [0, 1), default 0
        Decay of an exponential moving average of the generator's weights
        after every generator step (0: none); the average is what the model
        selection scores and the fitted GAN samples from
        (:class:`qestl.nn.averaging.WeightAverage`). 0.999 steadies long
        fits (the shipped model uses it) but costs short fits a little.
    betas : tuple of float, default (0.5, 0.999)
        Adam moments; beta1 = 0.5 is the usual GAN choice.
    weight_decay : float, default 1e-4
        Decoupled weight decay (AdamW).
    amsgrad_from : float in [0, 1], default 0.5
        Fraction of ``max_epochs`` trained with AdamW before the switch to
        AMSGrad (0: AMSGrad throughout, 1: AdamW throughout).
    validation_fraction : float in [0, 1), default 0.1
        Events held out for the model selection (unless ``fit`` is given
        separate ``validation`` events); 0 keeps the last epoch.
    map_bins : int, default 14
        Bins per axis of the MAP-3D used for the selection.
    source : PretrainedGAN, optional
        Starting weights (set by :meth:`from_pretrained`); the architecture
        parameters must then be the source's.
    freeze : int or {"full", "shallow"}, default 0
        Leading stages of both networks held at the source's weights
        (:meth:`qestl.nn.gan.GanModule.freeze`, :func:`qestl.nn.resolve_freeze`);
        only with a source.
    warm_start : bool, default False
        When the GAN is already fitted, ``fit`` continues its training where
        it ended (``training_state_``: both networks, both optimizers'
        moments and step counts, the generator's weight average) for
        ``max_epochs`` more epochs, at the current learning rates; the model
        the last fit kept competes in the selection as epoch 0. New
        optimizers would instead restart Adam's moments, a kick that cost the
        carbon GAN 0.1-0.4 in MAP-3D (docs/validation/gan-baseline-limits.md).
        A loaded GAN continues only when saved with ``training_state=True``.
    device : str, default "auto"
        "auto" uses CUDA when available.
    random_state : int or None
        Seeds the split, initialisation, latents, noise and shuffling; two
        CPU fits with one seed are identical.
    verbose : int, default 0
        1 shows the epochs done and the time left on stderr
        (:class:`qestl.training.EpochProgress`); 2 also prints skorch's
        per-epoch table.
    callbacks : list of skorch callbacks, optional

    Attributes
    ----------
    net_ : qestl.training.GanNet
        The trained net: ``module_`` (:class:`qestl.nn.gan.GanModule`),
        ``optimizer_`` (generator), ``optimizer_discriminator_``.
    history_ : skorch.History
        Per epoch: ``train_loss`` (generator HCE), ``train_d_loss``,
        ``valid_map``, ``valid_map_no_tails``, ``valid_score`` (and
        ``valid_map_raw``, the non-averaged generator's, with ``generator_ema``).
    best_epoch_ : int
        Epoch kept (1-based); 0 when fine-tuning and no epoch scored better
        than the source's weights on the validation events.
    n_frozen_ : int
        Stages held fixed in the last fit.
    training_state_ : dict or None
        Where the last fit's training ended, for ``warm_start`` and
        ``save(training_state=True)``: ``module`` (the networks' weights, the
        generator's own rather than its average), ``optimizer``,
        ``optimizer_discriminator`` (torch state dicts), ``generator_average``
        and ``frozen_stages``. None for a GAN loaded without it.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> E_nu = rng.uniform(0.3, 10.0, 200)
    >>> muon = np.column_stack([0.5 * E_nu + 0.1, rng.uniform(5.0, 60.0, 200)])
    >>> gan = ConditionalGAN(generator_width=16, discriminator_width=24, max_epochs=1,
    ...                      batch_size=100, random_state=0).fit(E_nu, muon)
    >>> gan.sample([0.5, 1.0, 3.0], random_state=0).shape
    (3, 3)
    """

    #: Events per forward pass of :meth:`sample` (not a fit setting: any value
    #: gives the same events up to float32 rounding). 2048 keeps a chunk's
    #: activations in the CPU's caches (benchmarks/results/predict_speed.md);
    #: a multiple of 16 (:func:`qestl.nn.gan.draw_latents`).
    sample_chunk = SAMPLE_CHUNK

    _parameter_constraints = {
        **TORCH_CONSTRAINTS,
        **{name: [Interval(Integral, 1, None, closed="left")] for name in GAN_WIDTHS},
        "kinematic_features": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "noise_std": [Interval(Real, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "discriminator_lr": [Interval(Real, 0, None, closed="neither")],
        "discriminator_steps": [Interval(Integral, 1, None, closed="left")],
        "generator_ema": [Interval(Real, 0, 1, closed="left")],
        "betas": [tuple],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "amsgrad_from": [Interval(Real, 0, 1, closed="both")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "map_bins": [Interval(Integral, 1, None, closed="left")],
        "source": [PretrainedGAN, None],
        "freeze": [Interval(Integral, 0, None, closed="left"), StrOptions({"full", "shallow"})],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        latent_dim=50,
        generator_width=128,
        generator_blocks=3,
        discriminator_width=192,
        discriminator_blocks=6,
        kinematic_features=False,
        dropout=0.0,
        noise_std=0.0,
        max_epochs=100,
        batch_size=1024,
        lr=5e-5,
        discriminator_lr=5e-4,
        discriminator_steps=5,
        generator_ema=0.0,
        betas=(0.5, 0.999),
        weight_decay=1e-4,
        amsgrad_from=0.5,
        validation_fraction=0.1,
        map_bins=14,
        source=None,
        freeze=0,
        warm_start=False,
        device="auto",
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.latent_dim = latent_dim
        self.generator_width = generator_width
        self.generator_blocks = generator_blocks
        self.discriminator_width = discriminator_width
        self.discriminator_blocks = discriminator_blocks
        self.kinematic_features = kinematic_features
        self.dropout = dropout
        self.noise_std = noise_std
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.discriminator_lr = discriminator_lr
        self.discriminator_steps = discriminator_steps
        self.generator_ema = generator_ema
        self.betas = betas
        self.weight_decay = weight_decay
        self.amsgrad_from = amsgrad_from
        self.validation_fraction = validation_fraction
        self.map_bins = map_bins
        self.source = source
        self.freeze = freeze
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    @classmethod
    def from_pretrained(cls, source, freeze=0, **params):
        """A ConditionalGAN that starts from ``source`` (transfer learning of the paper).

        Bonilla et al. freeze the first block of both networks and fine-tune
        the rest on 10k or 100k events of the new target, probe or model;
        here every stage trains by default (``freeze=1`` is the paper's).
        The fine-tuning defaults differ from a fit from scratch
        (:data:`GAN_FINE_TUNING`): learning rates 1e-5 (generator) and 1e-4
        (discriminator), five times smaller, and a moving average of the
        generator's weights (``generator_ema=0.99``). The source's own
        weights compete in the epoch selection as epoch 0, so fine-tuning
        never keeps a generator that scores worse than the source's on the
        validation events.

        Parameters
        ----------
        source : str, path-like, ConditionalGAN or PretrainedGAN
            A saved-model directory or a fitted GAN (see
            :meth:`PretrainedGAN.resolve`), or ``"numu-carbon"``, the shipped
            carbon GAN (its model card gives its measured quality).
        freeze : int or {"full", "shallow"}, default 0
            Leading stages of both networks held fixed; see
            :meth:`qestl.nn.gan.GanModule.freeze`. With the small learning
            rates above nothing needs holding: on 10^4 events of the paper's
            three scenarios (argon, antineutrinos, a changed interaction
            model) freeze=0 scored MAP-3D 1.42 / 2.38 / 1.67, the paper's
            freeze=1 1.44 / 2.83 / 1.81 and freeze=2 1.35 / 4.07 / 1.96
            (docs/validation/gan-transfer.md). Freezing helps only a target
            close to the source, and hurts the antineutrino one badly.
        **params
            Other constructor parameters, over :data:`GAN_FINE_TUNING`; the
            architecture ones default to, and must equal, the source's.

        Returns
        -------
        ConditionalGAN
        """
        source = PretrainedGAN.resolve(source)
        arch = source.architecture
        clash = [name for name in GAN_ARCHITECTURE if name in params and params[name] != arch[name]]
        if clash:
            raise ValueError(f"{clash} must equal the source's {[arch[n] for n in clash]}")
        return cls(**{**arch, **GAN_FINE_TUNING, **params}, source=source, freeze=freeze)

    # -- building blocks -------------------------------------------------
    def _check_params(self):
        super()._check_params()
        if self.source is not None:
            arch = self.source.architecture
            clash = [n for n in GAN_ARCHITECTURE if getattr(self, n) != arch[n]]
            if clash:
                raise ValueError(f"{clash} differ from the source's {[arch[n] for n in clash]}")
        elif self.freeze not in (0, "full"):
            raise ValueError(f"freeze={self.freeze!r} needs a source (use from_pretrained)")

    def _build_module(self):
        return GanModule(
            Generator(
                self.latent_dim,
                self.generator_width,
                self.generator_blocks,
                self.dropout,
                self.noise_std,
            ),
            Discriminator(
                self.discriminator_width,
                self.discriminator_blocks,
                self.dropout,
                self.noise_std,
                self.kinematic_features,
            ),
        )

    def _make_net(self, module, callbacks):
        passthrough = ("train_d_loss", PassthroughScoring(name="train_d_loss", on_train=True))
        return GanNet(
            module=module,
            criterion=torch.nn.BCEWithLogitsLoss,
            optimizer=torch.optim.AdamW,
            lr=self.lr,
            optimizer__betas=tuple(self.betas),
            optimizer__weight_decay=self.weight_decay,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train__shuffle=True,
            amsgrad_epoch=round(self.amsgrad_from * self.max_epochs),
            discriminator_lr=self.discriminator_lr,
            discriminator_steps=self.discriminator_steps,
            generator_ema=self.generator_ema,
            **self._net_plumbing([passthrough, *callbacks]),
        )

    # -- fitting ---------------------------------------------------------
    def fit(self, X, y, validation=None):
        """Train the GAN on events.

        Parameters
        ----------
        X : array_like of shape (n,) or (n, 1)
            Neutrino energies E_nu [GeV] (the paper: uniform in 0.3-10 GeV).
        y : pandas.DataFrame or array_like of shape (n, 2)
            Muon total energy E_mu [GeV] and angle theta [degrees]; a
            DataFrame is read by the column names ``E_mu``, ``theta``.
        validation : tuple (X_valid, y_valid), optional
            Separate events for the model selection, shaped like ``X`` and
            ``y`` (the paper selects on 1M validation events, more than a
            10k fine-tuning set could spare). All of ``X`` then trains and
            ``validation_fraction`` is not used.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            On bad parameters, or events outside m_mu <= E_mu <= E_nu - 4 MeV,
            0 <= theta <= 180 degrees, or NaN (naming the rows).
        """
        self._check_params()
        continued = self._training_to_continue()
        # Before any column is read: y given, and enough events for the validation draw.
        fraction = self.validation_fraction if validation is None else 0.0
        needed = max(2, int(np.ceil(1 / fraction)) if fraction > 0 else 2)
        check_fit_size(X, y, needed, f"validation_fraction={fraction:g} must leave training events")
        E_nu = _check_energies(X)
        enu, target = _training_proxies(E_nu, muon_columns(y, E_nu.size))
        rng = np.random.default_rng(self.random_state)
        if validation is None:
            valid = rng.random(E_nu.size) < self.validation_fraction
            if valid.all():
                raise ValueError("validation_fraction leaves no training events")
            enu_valid, target_valid = enu[valid], target[valid]
            enu, target = enu[~valid], target[~valid]
        else:
            if not (isinstance(validation, tuple) and len(validation) == 2):
                raise ValueError("validation must be a tuple (X_valid, y_valid)")
            E_valid = _check_energies(validation[0])
            enu_valid, target_valid = _training_proxies(
                E_valid, muon_columns(validation[1], E_valid.size)
            )
        callbacks = []
        if len(enu_valid):
            reference = np.column_stack([enu_valid, target_valid[:, [1, 0]]])
            selection = BestMapEpoch(
                torch.as_tensor(enu_valid, dtype=torch.float32),
                reference,
                self.map_bins,
                int(rng.integers(2**31)),
                score_start=self.source is not None or continued is not None,
                start_state=None if continued is None else self.module_.state_dict(),
            )
            callbacks.append(("best_map_epoch", selection))
        seed = int(rng.integers(2**31))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self._build_module()
            enu, target = (torch.as_tensor(a, dtype=torch.float32) for a in (enu, target))
            if continued is None:
                self.n_frozen_ = self._prepare_module(module)
                self.net_ = self._make_net(module, callbacks)
                self.net_.fit(enu, target)
            else:
                self.n_frozen_ = continued["frozen_stages"]
                module.freeze(self.n_frozen_)  # before the optimizers: they skip frozen weights
                self.net_ = self._make_net(module, callbacks).initialize()
                self.net_.restore_training_state(continued)
                self.net_.partial_fit(enu, target)  # keeps the restored optimizers
        self.training_state_ = {
            **self.net_.final_training_state_,
            "frozen_stages": int(self.n_frozen_),
        }
        self.best_epoch_ = selection.best_epoch_ if len(enu_valid) else len(self.net_.history)
        self.n_features_in_ = 1
        return self

    def _training_to_continue(self):
        """The training state ``fit`` continues from; None for a fresh fit."""
        if not self.warm_start or not hasattr(self, "net_"):
            return None
        state = getattr(self, "training_state_", None)
        if state is None:
            raise ValueError(
                "warm_start=True continues a training, but this GAN was loaded from a model "
                "saved without its training state: save it with save(path, "
                "training_state=True), or start new optimizers from its weights with "
                "ConditionalGAN.from_pretrained(path, freeze=0)"
            )
        return state

    def _prepare_module(self, module):
        """Load the source's weights and freeze its leading stages; return how many."""
        n_frozen = resolve_freeze(self.freeze, module.n_stages())
        if self.source is not None:
            module.load_state_dict(self.source.state)
            module.freeze(n_frozen)
        return n_frozen

    # -- sampling --------------------------------------------------------
    def sample(self, E_nu, n_per_energy=None, random_state=None):
        """Draw muons at the given neutrino energies.

        Parameters
        ----------
        E_nu : float or array_like of shape (n,) or (n, 1)
            Neutrino energies [GeV], each above m_mu + 4 MeV (the network
            was trained in 0.3-10 GeV; outside it extrapolates).
        n_per_energy : int, optional
            Events per requested energy (default one).
        random_state : int, numpy Generator or None
            Seeds the latent vectors (drawn by torch on the model's device,
            so CPU and CUDA draws differ) and the generator's noise and
            dropout (kept on when sampling: :func:`generate_proxies`).

        Returns
        -------
        pandas.DataFrame
            Columns E_nu [GeV], E_mu [GeV, total], theta [degrees]; with
            ``n_per_energy=k``, k consecutive rows per energy. Always
            m_mu <= E_mu <= E_nu - 0.004 GeV and 0 <= theta <= 180.

        Raises
        ------
        ValueError
            Before any sampling, when an energy is infinite, NaN or not
            above m_mu + 4 MeV (naming the rows), or ``n_per_energy`` is
            not a positive int.

        Notes
        -----
        The generator runs over chunks of ``sample_chunk`` events: beyond
        the result and a few arrays of one number an event, memory does not
        grow with the number of events (about 100 MB for 10^6). The same
        seed gives the same events whatever the chunk size, and a shorter
        request the leading events of a longer one, up to float32 rounding;
        with noise or dropout (kept on) only their distribution.
        """
        module = self.module_
        E_nu = _check_energies(E_nu)
        if n_per_energy is not None:
            if not (isinstance(n_per_energy, Integral) and n_per_energy >= 1):
                raise ValueError(f"n_per_energy must be a positive int, got {n_per_energy!r}")
            E_nu = np.repeat(E_nu, n_per_energy)
        rng = np.random.default_rng(random_state)
        latent_seed, noise_seed = (int(seed) for seed in rng.integers(2**62, size=2))
        device = next(module.parameters()).device
        latents = torch.Generator(device=device).manual_seed(latent_seed)
        enu = torch.from_numpy(kinematics.enu_to_proxy(E_nu).astype(np.float32)[:, None])
        out = generate_proxies(module, enu, latents, noise_seed, chunk=self.sample_chunk)
        return pd.DataFrame(
            {
                "E_nu": E_nu,
                "E_mu": kinematics.proxy_to_emu(out[:, 1], E_nu),
                "theta": kinematics.proxy_to_theta(out[:, 0]),
            }
        )

    def score(self, X, y):
        """Minus the paper's selection criterion, :func:`qestl.metrics.map_criterion`.

        One event is sampled (seed 0) per test energy and compared with the
        test events (:func:`qestl.metrics.map_3d`).

        Parameters
        ----------
        X : array_like of shape (n,) or (n, 1)
            E_nu [GeV].
        y : pandas.DataFrame or array_like of shape (n, 2)
            E_mu [GeV], theta [degrees] (a DataFrame by column name).

        Returns
        -------
        float
            Greater is better.
        """
        E_nu = _check_energies(X)
        test = np.column_stack([E_nu, muon_columns(y, E_nu.size)])
        generated = self.sample(E_nu, random_state=0)
        return -map_criterion(generated, test, self.map_bins)

    # -- persistence -----------------------------------------------------
    def save(self, path, dtype=None, training_state=False):
        """Write the fitted GAN to a directory (``config.json`` + ``weights.pt``, no pickle).

        Parameters
        ----------
        path : str or path-like
        dtype : torch.dtype, optional
            Storage type of the weights; ``torch.float16`` halves the file.
        training_state : bool, default False
            Also write ``training_state_`` (``training_state.pt``, full
            precision, about four times the weights' size), so that the
            loaded GAN can continue its training exactly (``warm_start``).

        Returns
        -------
        pathlib.Path

        Raises
        ------
        ValueError
            With ``training_state=True`` for a GAN that holds none (loaded
            from a model saved without it).
        """
        state = None
        if training_state:
            state = getattr(self, "training_state_", None)
            if state is None:
                raise ValueError(
                    "this GAN holds no training state to save: it was loaded from a model "
                    "saved without one"
                )
        return save_model_dir(path, self._config(), self._state(), dtype, training_state=state)

    def _load_extras(self, path):
        """The training state saved with the model (None without), for ``warm_start``."""
        self.training_state_ = load_training_state(path)

    def _config(self):
        """What :meth:`save` writes to ``config.json`` (beside both networks' tensors)."""
        check_is_fitted(self, "net_")
        params = {k: v for k, v in self.get_params().items() if k not in ("source", "callbacks")}
        params.update(betas=list(self.betas), freeze=0, device="auto")
        return {
            "estimator": "ConditionalGAN",
            "params": params,
            "best_epoch": int(self.best_epoch_),
            "fine_tuned_from": None if self.source is None else self.source.name,
            "frozen_stages": int(self.n_frozen_),
        }

    @classmethod
    def _from_saved(cls, config, state, device="auto"):
        """Rebuild a fitted GAN from a saved config and its tensors."""
        params = dict(config["params"], betas=tuple(config["params"]["betas"]), device=device)
        model = cls(**params)
        model._check_params()
        model.net_ = model._make_net(model._build_module(), []).initialize()
        model.net_.module_.load_state_dict(state)
        model.best_epoch_ = config["best_epoch"]
        model.n_frozen_ = 0
        model.n_features_in_ = 1
        return model
