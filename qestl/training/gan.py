"""skorch net and callback of the conditional GAN: the two-optimizer step, epoch selection."""

import copy
from contextlib import nullcontext

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.dataset import unpack_data
from skorch.utils import to_device

from qestl.metrics import map_proxies
from qestl.nn.averaging import WeightAverage
from qestl.nn.gan import discriminator_loss, generate_proxies, hce_loss

__all__ = ["BestMapEpoch", "GanNet", "switch_to_amsgrad"]


def _cloned_state(module):
    """A copy of ``module``'s weights that later training does not change."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def switch_to_amsgrad(optimizer):
    """Turn a running Adam/AdamW into AMSGrad, keeping its moments.

    AMSGrad divides by the running maximum of the second moment, which
    starts at the current second moment. Fresh moments instead would make
    the first steps about ``lr`` per weight in every direction (Adam's bias
    correction), a kick to both networks: on carbon events the validation
    MAP-3D jumped from 1.4 to 3.6 and 4.3 in the epochs after such a switch
    (measured, docs/validation/gan-carbon.md).

    Parameters
    ----------
    optimizer : torch.optim.Adam or torch.optim.AdamW
    """
    for group in optimizer.param_groups:
        group["amsgrad"] = True
    for state in optimizer.state.values():
        if "exp_avg_sq" in state:
            state["max_exp_avg_sq"] = state["exp_avg_sq"].clone()


class GanNet(NeuralNet):
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
    ``final_training_state_`` keeps where the training ended (weights,
    moments, average) so that another net can continue it exactly
    (:meth:`restore_training_state`).

    Trains a :class:`qestl.nn.gan.GanModule`; X holds E_nu' (n, 1), y the
    events' (theta', E_mu') (n, 2).

    Parameters
    ----------
    *args, **kw
        Those of :class:`skorch.NeuralNet`.
    amsgrad_epoch : int, default 0
        Epochs of AdamW before the switch to AMSGrad (0: AMSGrad throughout).
    discriminator_lr : float, optional
        The discriminator's learning rate (default the generator's ``lr``).
    discriminator_steps : int, default 1
        Discriminator updates per generator update.
    generator_ema : float in [0, 1), default 0.0
        Decay of the generator's weight average (0: none).
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
        """Start the generator's weight average (fresh, or the restored one's continuation)."""
        super().on_train_begin(net, X=X, y=y, **kwargs)
        generator = self.module_.generator
        self.generator_average_ = (
            WeightAverage(generator, self.generator_ema) if self.generator_ema > 0 else None
        )
        restored = getattr(self, "restored_average_", None)
        if restored is not None and self.generator_average_ is not None:
            self.generator_average_.load_state_dict(restored)
        self.restored_average_ = None

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Record the training state; leave the generator with the averaged weights.

        Both happen before any epoch selection restores a better epoch.
        """
        super().on_train_end(net, X=X, y=y, **kwargs)
        self.final_training_state_ = self._current_training_state()
        if self.generator_average_ is not None:
            self.generator_average_.copy_to_module()

    def _current_training_state(self):
        average = self.generator_average_
        return {
            "module": _cloned_state(self.module_),
            "optimizer": copy.deepcopy(self.optimizer_.state_dict()),
            "optimizer_discriminator": copy.deepcopy(self.optimizer_discriminator_.state_dict()),
            "generator_average": None if average is None else average.state_dict(),
        }

    def restore_training_state(self, state):
        """Continue a training where :attr:`final_training_state_` of another net left it.

        Loads the networks' weights at the end of that training (the
        generator's own, not its average) and both optimizers' moments and
        step counts (AMSGrad stays on once switched); the generator's weight
        average continues from the next ``fit``'s start. Learning rates,
        betas and weight decay stay this net's, so a continuation may take
        smaller steps. Call after :meth:`initialize`, before ``partial_fit``.

        Parameters
        ----------
        state : dict
            ``module`` (name -> Tensor), ``optimizer`` and
            ``optimizer_discriminator`` (torch state dicts),
            ``generator_average`` (:meth:`WeightAverage.state_dict` or None).

        Raises
        ------
        ValueError
            When the state belongs to networks of another architecture or
            with other trainable parameters.
        """
        try:
            self.module_.load_state_dict(state["module"])
            for name in ("optimizer", "optimizer_discriminator"):
                optimizer = getattr(self, f"{name}_")
                settings = [
                    {k: v for k, v in group.items() if k not in ("params", "amsgrad")}
                    for group in optimizer.param_groups
                ]
                optimizer.load_state_dict(state[name])
                for group, own in zip(optimizer.param_groups, settings, strict=True):
                    group.update(own)
        except (RuntimeError, ValueError, KeyError) as error:
            raise ValueError(
                "the training state does not fit this GAN (another architecture, or other "
                f"frozen stages): {str(error).splitlines()[0]}"
            ) from None
        self.restored_average_ = state["generator_average"]

    def on_epoch_begin(self, net, **kwargs):
        """Switch to AMSGrad after ``amsgrad_epoch`` epochs."""
        super().on_epoch_begin(net, **kwargs)
        if self.amsgrad_epoch > 0 and len(self.history) == self.amsgrad_epoch + 1:
            for optimizer in (self.optimizer_, self.optimizer_discriminator_):
                if not optimizer.param_groups[0]["amsgrad"]:  # a continued fit may have switched
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


class BestMapEpoch(Callback):
    """Per-epoch MAP-3D of the generator on validation events; keep the best epoch.

    The criterion of Bonilla et al.: the mean of MAP-3D with and without
    tails (only the former when no bin holds more than 5 events of both
    samples, as with small validation sets). The generator is sampled
    (fixed latents, :func:`generate_proxies`) at the validation energies, so
    both samples share the E_nu distribution. With a weight average
    (``generator_ema``) the averaged generator is scored and kept, and the
    raw one's MAP-3D is recorded beside it as ``valid_map_raw``. Without any
    finite score the last epoch is kept.

    With ``score_start`` the weights the fit starts from compete too, as
    epoch 0 (``start_score_``): fine-tuning a pretrained GAN on a few events
    can make it worse on the new domain, and then the starting weights are
    kept rather than the least bad epoch.

    Parameters
    ----------
    enu : Tensor (n, 1)
        E_nu' of the validation events.
    reference : ndarray of shape (n, 3)
        The validation events' proxies (E_nu', E_mu', theta').
    bins : int
        Bins per axis of the MAP-3D.
    seed : int
        Fixes the latents and the generator's noise.
    score_start : bool, default False
        Also score the starting weights, as epoch 0.
    start_state : dict of str -> Tensor, optional
        With ``score_start``, the weights that compete as epoch 0 instead of
        the module's own at the start: a continued fit starts from where the
        last training ended but must beat the model that training kept.
    """

    def __init__(self, enu, reference, bins, seed, score_start=False, start_state=None):
        self.enu = enu
        self.reference = reference
        self.bins = bins
        self.seed = seed
        self.score_start = score_start
        self.start_state = start_state

    def on_train_begin(self, net, **kwargs):
        """Draw the fixed latents; start the record (with the starting weights' score)."""
        module = net.module_
        generator = torch.Generator().manual_seed(self.seed)
        self.z_ = torch.randn(len(self.enu), module.latent_dim, generator=generator)
        self.z_, self.enu_ = self.z_.to(net.device), self.enu.to(net.device)
        self.best_score_, self.best_epoch_, self.best_state_ = float("inf"), 0, None
        self.start_score_ = None
        if self.score_start:
            own = None
            if self.start_state is not None:
                own = _cloned_state(module)
                module.load_state_dict(self.start_state)
            self.start_score_ = self._score(*self._maps(module))
            self._keep_if_best(self.start_score_, 0, module)
            if own is not None:
                module.load_state_dict(own)

    @staticmethod
    def _score(tails, core):
        """The mean of the finite MAPs; NaN when neither is."""
        finite = [m for m in (tails, core) if np.isfinite(m)]
        return float(np.mean(finite)) if finite else float("nan")

    def _keep_if_best(self, score, epoch, module):
        if score < self.best_score_:  # NaN (no common bin) never improves
            self.best_score_, self.best_epoch_ = score, epoch
            self.best_state_ = _cloned_state(module)

    def _maps(self, module):
        """MAP-3D with and without tails of the module's generator on the validation events."""
        fake = generate_proxies(module, self.enu_, self.z_, self.seed)
        generated = np.column_stack([self.reference[:, 0], fake[:, 1], fake[:, 0]])
        tails = map_proxies(generated, self.reference, self.bins, tails=True)
        return tails, map_proxies(generated, self.reference, self.bins, tails=False)

    def on_epoch_end(self, net, **kwargs):
        """Score the generator (the averaged one, with a weight average); keep the best."""
        module = net.module_
        average = net.generator_average_
        if average is not None:
            net.history.record("valid_map_raw", self._maps(module)[0])
        with average.swapped_in() if average is not None else nullcontext():
            tails, core = self._maps(module)
            score = self._score(tails, core)
            net.history.record("valid_map", tails)
            net.history.record("valid_map_no_tails", core)
            net.history.record("valid_score", score)
            self._keep_if_best(score, len(net.history), module)

    def on_train_end(self, net, **kwargs):
        """Restore the best epoch's weights."""
        if self.best_state_ is None:
            self.best_epoch_ = len(net.history)
        else:
            net.module_.load_state_dict(self.best_state_)
