"""ConditionalGAN: the muon generator of Bonilla et al. (arXiv:2508.12987) as an estimator."""

from contextlib import nullcontext
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import Callback, PassthroughScoring
from skorch.dataset import unpack_data
from skorch.utils import to_device

from qestl import kinematics
from qestl.batching import batch_loader
from qestl.constants import M_MUON
from qestl.metrics import event_proxies, map_criterion, map_proxies, muon_columns
from qestl.nn.averaging import WeightAverage
from qestl.nn.gan import Discriminator, GanModule, Generator, discriminator_loss, hce_loss
from qestl.params import Interval, StrOptions, validate_params
from qestl.persistence import ModelSnapshot, save_model_dir
from qestl.regressor import resolve_device
from qestl.transfer import resolve_freeze
from qestl.validation import check_dense_real, check_fit_size

__all__ = ["ConditionalGAN", "PretrainedGAN"]

#: Parameters that fix the shapes of the weights (a pretrained source dictates them).
_WIDTHS = (
    "latent_dim",
    "generator_width",
    "generator_blocks",
    "discriminator_width",
    "discriminator_blocks",
)
_ARCHITECTURE = (*_WIDTHS, "kinematic_features")
#: Rows per forward pass when sampling. A chunk's activations (rows x 128
#: floats a layer) then stay in the CPU's caches: 65536-row chunks took 2.6x
#: as long, 8192-row ones 1.3x (benchmarks/results/predict_speed.md). A
#: multiple of 16, so that drawing the latents chunk by chunk gives the
#: numbers of one pass (:func:`draw_latents`).
SAMPLE_CHUNK = 2048


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


def draw_latents(generator, rows, latent_dim):
    """``rows`` latent vectors z ~ N(0, 1) from ``generator``, on its device.

    On the CPU, consecutive calls give the numbers of one call for all their
    rows whenever every call but the last asks for a multiple of 16 rows:
    torch turns uniforms into normals in blocks of 16 (Box-Muller) and
    treats an incomplete last block apart, so rows are drawn in multiples
    of 16 and the spare ones dropped.

    Parameters
    ----------
    generator : torch.Generator
    rows, latent_dim : int

    Returns
    -------
    torch.Tensor of shape (rows, latent_dim)
    """
    padded = -(-rows // 16) * 16
    z = torch.randn(padded, latent_dim, generator=generator, device=generator.device)
    return z[:rows]


def generate_proxies(module, enu, latents, seed):
    """Generated (theta', E_mu') in [-1, 1] at E_nu' (n, 1).

    The generator's Gaussian noise and dropout stay on, as in training: they
    are part of the randomness the discriminator judged, and switching them
    off narrows the distribution (a 10-epoch GAN trained on 180k carbon
    events, scored on 2 x 10^5 others: EMD 0.26 with them off, 0.14 on;
    MAP-3D 6.9 and 5.7). ``seed`` fixes their draws without touching the
    global random stream; the modules' modes are restored.

    Rows go through in chunks of ``SAMPLE_CHUNK``, so memory stays that of
    one chunk (plus the (n, 2) result) whatever n. Without noise and dropout
    the result does not depend on the chunk size (up to float32 rounding:
    matrix products of other shapes may sum in another order); with them
    each chunk draws its noise from one stream, so only the distribution
    does not.

    Parameters
    ----------
    module : qestl.nn.gan.GanModule
    enu : torch.Tensor of shape (n, 1)
        E_nu' (float32, any device).
    latents : torch.Tensor of shape (n, latent_dim) or torch.Generator
        The latent vectors, or a generator on the module's device that
        draws them chunk by chunk (:func:`draw_latents`).
    seed : int
        Seeds the noise and dropout.

    Returns
    -------
    ndarray of shape (n, 2)
        float64 columns (theta', E_mu').
    """
    device = next(module.parameters()).device
    n = enu.shape[0]
    out = np.empty((n, 2))
    was_training = module.generator.training
    module.generator.train()
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            with torch.inference_mode():
                for start in range(0, n, SAMPLE_CHUNK):
                    stop = min(start + SAMPLE_CHUNK, n)
                    if isinstance(latents, torch.Generator):
                        z = draw_latents(latents, stop - start, module.latent_dim)
                    else:
                        z = latents[start:stop].to(device)
                    proxies = module(enu[start:stop].to(device), z).clamp_(-1.0, 1.0)
                    out[start:stop] = proxies.cpu().numpy()
    finally:
        module.generator.train(was_training)
    return out


def _training_proxies(E_nu, muon):
    """(E_nu', target (theta', E_mu')) from validated physical events."""
    proxies = event_proxies(np.column_stack([E_nu, muon]))
    return proxies[:, :1], proxies[:, [2, 1]]


class PretrainedGAN(ModelSnapshot):
    """A read-only snapshot of a fitted :class:`ConditionalGAN`: config and tensors.

    The ``source`` parameter of a fine-tuned GAN; see
    :class:`qestl.persistence.ModelSnapshot` for why clones keep the weights.
    :meth:`resolve` accepts a saved-model directory, a fitted ConditionalGAN,
    or the name of a model shipped in ``qestl/pretrained`` (``"numu-carbon"``).

    Parameters
    ----------
    config : dict
        The saved ``config.json`` of a ConditionalGAN.
    state : dict of str -> torch.Tensor
        Generator and discriminator tensors (CPU).
    name : str
        A label for ``repr``.
    """

    shipped = "numu-carbon"

    @classmethod
    def estimator_class(cls):
        """:class:`ConditionalGAN`."""
        return ConditionalGAN

    @property
    def architecture(self):
        """The source's architecture parameters (dict).

        A parameter that configs saved before it existed lack takes the
        constructor's default, as in :meth:`ConditionalGAN.load`.
        """
        defaults = ConditionalGAN().get_params()
        return {name: self.params.get(name, defaults[name]) for name in _ARCHITECTURE}

    def __repr__(self):
        arch = ", ".join(f"{k}={v}" for k, v in self.architecture.items())
        return f"PretrainedGAN({self.name!r}, {arch})"


def switch_to_amsgrad(optimizer):
    """Turn a running Adam/AdamW into AMSGrad, keeping its moments.

    AMSGrad divides by the running maximum of the second moment, which
    starts at the current second moment. Fresh moments instead would make
    the first steps about ``lr`` per weight in every direction (Adam's bias
    correction), a kick to both networks: on carbon events the validation
    MAP-3D jumped from 1.4 to 3.6 and 4.3 in the epochs after such a switch
    (measured, docs/gan.md).

    Parameters
    ----------
    optimizer : torch.optim.Adam or torch.optim.AdamW
    """
    for group in optimizer.param_groups:
        group["amsgrad"] = True
    for state in optimizer.state.values():
        if "exp_avg_sq" in state:
            state["max_exp_avg_sq"] = state["exp_avg_sq"].clone()


class _GanNet(NeuralNet):
    """skorch net whose train step alternates a discriminator and a generator update.

    ``optimizer_`` updates the generator, ``optimizer_discriminator_`` the
    discriminator (both of type ``optimizer`` with the same settings but the
    learning rate, ``discriminator_lr`` for the latter; frozen parameters are
    left out). From epoch ``amsgrad_epoch + 1`` both are
    turned into AMSGrad, keeping their moments (:func:`switch_to_amsgrad`).
    Each batch makes ``discriminator_steps`` discriminator updates (fresh
    fakes each, the same real events), then one generator update. With
    ``generator_ema`` > 0 a moving average of the generator's weights
    (``generator_average_``, :class:`qestl.nn.averaging.WeightAverage`)
    follows every generator update and replaces its weights when training ends.
    """

    def __init__(
        self,
        *args,
        amsgrad_epoch=0,
        discriminator_lr=None,
        discriminator_steps=1,
        generator_ema=0.0,
        **kw,
    ):
        super().__init__(*args, **kw)
        self.amsgrad_epoch = amsgrad_epoch
        self.discriminator_lr = discriminator_lr
        self.discriminator_steps = discriminator_steps
        self.generator_ema = generator_ema

    def initialize_optimizer(self, *args, **kwargs):
        """Build the two optimizers (AMSGrad from the start when ``amsgrad_epoch == 0``)."""
        self._make_optimizers(amsgrad=self.amsgrad_epoch == 0)
        return self

    def _make_optimizers(self, amsgrad):
        nets = {"optimizer_": self.module_.generator}
        nets["optimizer_discriminator_"] = self.module_.discriminator
        for attr, net in nets.items():
            named = [(n, p) for n, p in net.named_parameters() if p.requires_grad]
            args, kwargs = self.get_params_for_optimizer("optimizer", named)
            if attr == "optimizer_discriminator_" and self.discriminator_lr is not None:
                kwargs["lr"] = self.discriminator_lr
            setattr(self, attr, self.optimizer(*args, **kwargs, amsgrad=amsgrad))

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Start the generator's weight average (a fresh one every fit)."""
        super().on_train_begin(net, X=X, y=y, **kwargs)
        generator = self.module_.generator
        self.generator_average_ = (
            WeightAverage(generator, self.generator_ema) if self.generator_ema > 0 else None
        )

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Leave the generator with the averaged weights (before any epoch selection)."""
        super().on_train_end(net, X=X, y=y, **kwargs)
        if self.generator_average_ is not None:
            self.generator_average_.copy_to_module()

    def on_epoch_begin(self, net, **kwargs):
        """Switch to AMSGrad after ``amsgrad_epoch`` epochs."""
        super().on_epoch_begin(net, **kwargs)
        if self.amsgrad_epoch > 0 and len(self.history) == self.amsgrad_epoch + 1:
            for optimizer in (self.optimizer_, self.optimizer_discriminator_):
                switch_to_amsgrad(optimizer)

    def train_step(self, batch, **fit_params):
        """Discriminator steps (BCE), then one generator step (HCE loss) on fresh latents."""
        self._set_training(True)
        enu, real = (to_device(t, self.device) for t in unpack_data(batch))
        module = self.module_
        for _ in range(self.discriminator_steps):
            with torch.no_grad():
                fake = module(enu)
            self.optimizer_discriminator_.zero_grad()
            d_loss = discriminator_loss(
                module.discriminator(real, enu), module.discriminator(fake, enu)
            )
            d_loss.backward()
            self.optimizer_discriminator_.step()

        self.optimizer_.zero_grad()
        fake = module(enu)
        g_loss = hce_loss(module.discriminator(fake, enu))
        g_loss.backward()
        self.notify(
            "on_grad_computed",
            named_parameters=list(module.generator.named_parameters()),
            batch=batch,
            training=True,
        )
        self.optimizer_.step()
        if self.generator_average_ is not None:
            self.generator_average_.update()
        self.history.record_batch("train_d_loss", d_loss.item())
        return {"loss": g_loss.detach(), "y_pred": fake.detach()}


class _BestMapEpoch(Callback):
    """Per-epoch MAP-3D of the generator on validation events; keep the best epoch.

    The criterion of Bonilla et al.: the mean of MAP-3D with and without
    tails (only the former when no bin holds more than 5 events of both
    samples, as with small validation sets). The generator is sampled
    (fixed latents, :func:`generate_proxies`) at the validation energies, so
    both samples share the E_nu distribution. With a weight average
    (``generator_ema``) the averaged generator is scored and kept, and the
    raw one's MAP-3D is recorded beside it as ``valid_map_raw``. Without any
    finite score the last epoch is kept.
    """

    def __init__(self, enu, reference, bins, seed):
        self.enu = enu
        self.reference = reference
        self.bins = bins
        self.seed = seed

    def on_train_begin(self, net, **kwargs):
        module = net.module_
        generator = torch.Generator().manual_seed(self.seed)
        self.z_ = torch.randn(len(self.enu), module.latent_dim, generator=generator)
        self.z_, self.enu_ = self.z_.to(net.device), self.enu.to(net.device)
        self.best_score_, self.best_epoch_, self.best_state_ = float("inf"), 0, None

    def _maps(self, module):
        """MAP-3D with and without tails of the module's generator on the validation events."""
        fake = generate_proxies(module, self.enu_, self.z_, self.seed)
        generated = np.column_stack([self.reference[:, 0], fake[:, 1], fake[:, 0]])
        tails = map_proxies(generated, self.reference, self.bins, tails=True)
        return tails, map_proxies(generated, self.reference, self.bins, tails=False)

    def on_epoch_end(self, net, **kwargs):
        module = net.module_
        average = net.generator_average_
        if average is not None:
            net.history.record("valid_map_raw", self._maps(module)[0])
        with average.swapped_in() if average is not None else nullcontext():
            tails, core = self._maps(module)
            finite = [m for m in (tails, core) if np.isfinite(m)]
            score = float(np.mean(finite)) if finite else float("nan")
            net.history.record("valid_map", tails)
            net.history.record("valid_map_no_tails", core)
            net.history.record("valid_score", score)
            if score < self.best_score_:  # NaN (no common bin) never improves
                self.best_score_, self.best_epoch_ = score, len(net.history)
                self.best_state_ = {k: v.detach().clone() for k, v in module.state_dict().items()}

    def on_train_end(self, net, **kwargs):
        if self.best_state_ is None:
            self.best_epoch_ = len(net.history)
        else:
            net.module_.load_state_dict(self.best_state_)


class ConditionalGAN(BaseEstimator):
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
        (:class:`qestl.nn.gan.KinematicFeatures`); not in the paper. Off
        because two short carbon runs scored worse with it (MAP-3D 3.08 and
        2.90 against 2.59 and 2.48 on 2 x 10^5 test events; docs/gan.md).
    dropout : float, default 0
    noise_std : float, default 0
        Std of the injected Gaussian noise. Both regularisers of the paper
        (rates not published) are off by default: with dropout 0.1 and
        noise 0.05 the discriminator stayed near chance while the generated
        distribution was far off, and the best validation epoch was the
        first (180k carbon events, 10 epochs: MAP-3D 5.7, EMD 0.14 on 2 x
        10^5 test events); without them 3.7 and 0.06 (measured,
        docs/gan.md). ``dropout=0.1, noise_std=0.05`` restores them.
    max_epochs : int, default 100
    batch_size : int, default 1024
    lr : float, default 5e-5
        Learning rate of the generator.
    discriminator_lr : float, default 5e-4
        Learning rate of the discriminator. Ten times the generator's (the
        two time-scale rule of Heusel et al., NeurIPS 2017): with equal rates
        the generator, whose every Adam step moves it by about ``lr`` per
        weight whatever the gradient, outran the slowly learning
        discriminator and oscillated (toy events and carbon events,
        measured).
    discriminator_steps : int, default 5
        Discriminator updates per generator update (each on fresh fakes and
        the batch's real events; WGAN's n_critic). With one, the generator
        kept the discriminator at chance (loss 2 ln 2) while the generated
        distribution stayed far off: a fresh discriminator trained against
        the frozen generator separated them within 300 steps. With five the
        discriminator keeps up and the validation MAP falls epoch after
        epoch (200k carbon events, 4 epochs: 2.6, 2.1, 1.8, 1.6 against 2.8,
        2.8, 2.9, 2.7 with one; docs/gan.md). Each batch then costs about
        3.5 times as much.
    generator_ema : float in [0, 1), default 0
        Decay of an exponential moving average of the generator's weights,
        updated after every generator step (0: none). The average is what
        the model selection scores and what the fitted GAN samples from
        (:class:`qestl.nn.averaging.WeightAverage`); 0.999 spans about a
        thousand steps. It steadied the long carbon fits (the shipped model
        uses 0.999) but cost 1000-step fits from scratch a little (MAP-3D
        5.30 -> 5.56 on argon; docs/gan.md), hence off by default.
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
        (:meth:`qestl.nn.gan.GanModule.freeze`, :func:`qestl.transfer.resolve_freeze`);
        only with a source.
    device : str, default "auto"
        "auto" uses CUDA when available.
    random_state : int or None
        Seeds the split, initialisation, latents, noise and shuffling; two
        CPU fits with one seed are identical.
    verbose : int, default 0
        1 prints skorch's per-epoch table.
    callbacks : list of skorch callbacks, optional

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained net: ``module_`` (:class:`qestl.nn.gan.GanModule`),
        ``optimizer_`` (generator), ``optimizer_discriminator_``.
    history_ : skorch.History
        Per epoch: ``train_loss`` (generator HCE), ``train_d_loss``,
        ``valid_map``, ``valid_map_no_tails``, ``valid_score`` (and
        ``valid_map_raw``, the non-averaged generator's, with ``generator_ema``).
    best_epoch_ : int
        Epoch kept (1-based).
    n_frozen_ : int
        Stages held fixed in the last fit.

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

    _parameter_constraints = {
        **{name: [Interval(Integral, 1, None, closed="left")] for name in _WIDTHS},
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
        "device": [str, torch.device],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
        "verbose": ["verbose"],
        "callbacks": [list, None],
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
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    @classmethod
    def from_pretrained(cls, source, freeze=1, **params):
        """A ConditionalGAN that starts from ``source`` (transfer learning of the paper).

        Bonilla et al. freeze the first block of both networks and fine-tune
        the rest on 10k or 100k events of the new target, probe or model.

        Parameters
        ----------
        source : str, path-like, ConditionalGAN or PretrainedGAN
            A saved-model directory or a fitted GAN (see
            :meth:`PretrainedGAN.resolve`), or ``"numu-carbon"``, the shipped
            carbon GAN (its model card gives its measured quality).
        freeze : int or {"full", "shallow"}, default 1
            Leading stages of both networks held fixed; see
            :meth:`qestl.nn.gan.GanModule.freeze`.
        **params
            Other constructor parameters; the architecture ones default to,
            and must equal, the source's.

        Returns
        -------
        ConditionalGAN
        """
        source = PretrainedGAN.resolve(source)
        arch = source.architecture
        clash = [name for name in _ARCHITECTURE if name in params and params[name] != arch[name]]
        if clash:
            raise ValueError(f"{clash} must equal the source's {[arch[n] for n in clash]}")
        return cls(**{**arch, **params}, source=source, freeze=freeze)

    # -- building blocks -------------------------------------------------
    def _check_params(self):
        validate_params(self)
        if self.source is not None:
            arch = self.source.architecture
            clash = [n for n in _ARCHITECTURE if getattr(self, n) != arch[n]]
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
        return _GanNet(
            module=module,
            criterion=torch.nn.BCEWithLogitsLoss,
            optimizer=torch.optim.AdamW,
            lr=self.lr,
            optimizer__betas=tuple(self.betas),
            optimizer__weight_decay=self.weight_decay,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=batch_loader,
            iterator_train__shuffle=True,
            train_split=None,
            callbacks=[
                ("train_d_loss", PassthroughScoring(name="train_d_loss", on_train=True)),
                *callbacks,
                *(self.callbacks or []),
            ],
            **({} if self.verbose else {"callbacks__print_log": None}),
            device=resolve_device(self.device),
            verbose=self.verbose,
            amsgrad_epoch=round(self.amsgrad_from * self.max_epochs),
            discriminator_lr=self.discriminator_lr,
            discriminator_steps=self.discriminator_steps,
            generator_ema=self.generator_ema,
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
            selection = _BestMapEpoch(
                torch.as_tensor(enu_valid, dtype=torch.float32),
                reference,
                self.map_bins,
                int(rng.integers(2**31)),
            )
            callbacks.append(("best_map_epoch", selection))
        seed = int(rng.integers(2**31))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self._build_module()
            self.n_frozen_ = self._prepare_module(module)
            self.net_ = self._make_net(module, callbacks)
            self.net_.fit(
                torch.as_tensor(enu, dtype=torch.float32),
                torch.as_tensor(target, dtype=torch.float32),
            )
        self.best_epoch_ = selection.best_epoch_ if len(enu_valid) else len(self.net_.history)
        self.n_features_in_ = 1
        return self

    def _prepare_module(self, module):
        """Load the source's weights and freeze its leading stages; return how many."""
        n_frozen = resolve_freeze(self.freeze, module.n_stages())
        if self.source is not None:
            module.load_state_dict(self.source.state)
            module.freeze(n_frozen)
        return n_frozen

    @property
    def module_(self):
        """The trained :class:`qestl.nn.gan.GanModule`."""
        check_is_fitted(self, "net_")
        return self.net_.module_

    @property
    def history_(self):
        """Per-epoch training history (skorch ``History``)."""
        check_is_fitted(self, "net_")
        return self.net_.history

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
        The generator runs over chunks of ``SAMPLE_CHUNK`` events: beyond
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
        out = generate_proxies(module, enu, latents, noise_seed)
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
    def _config(self):
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

    def save(self, path, dtype=None):
        """Write the fitted GAN to a directory (``config.json`` + ``weights.pt``, no pickle).

        Both networks are saved, so the model can serve as a transfer source.

        Parameters
        ----------
        path : str or path-like
        dtype : torch.dtype, optional
            Storage type of the weights (``torch.float16`` halves the file).

        Returns
        -------
        pathlib.Path
        """
        return save_model_dir(path, self._config(), self._state(), dtype=dtype)

    def _state(self):
        """Generator and discriminator tensors (what :meth:`save` writes)."""
        check_is_fitted(self, "net_")
        return self.module_.state_dict()

    @classmethod
    def load(cls, path, device="auto"):
        """Load a GAN written by :meth:`save`, or one shipped in ``qestl/pretrained``.

        Parameters
        ----------
        path : str or path-like
        device : str, default "auto"

        Returns
        -------
        ConditionalGAN
        """
        snapshot = PretrainedGAN.resolve(path)
        params = dict(snapshot.params, betas=tuple(snapshot.params["betas"]), device=device)
        model = cls(**params)
        model._check_params()
        model.net_ = model._make_net(model._build_module(), []).initialize()
        model.net_.module_.load_state_dict(snapshot.state)
        model.best_epoch_ = snapshot.config["best_epoch"]
        model.n_frozen_ = 0
        model.n_features_in_ = 1
        return model
