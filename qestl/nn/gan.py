"""Torch modules of the conditional GAN of Bonilla et al. (arXiv:2508.12987): blocks, G, D, losses.

Everything works in the paper's proxy variables (:mod:`qestl.kinematics`):
E_nu' conditions both networks, the generator outputs (theta', E_mu') and the
discriminator judges (theta', E_mu') at a given E_nu'. No scikit-learn here.
"""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from qestl import kinematics
from qestl.nn.freezing import freeze_leading

__all__ = [
    "GaussianNoise",
    "GanBlock",
    "KinematicFeatures",
    "Generator",
    "Discriminator",
    "GanModule",
    "hce_loss",
    "discriminator_loss",
    "draw_latents",
    "generate_proxies",
    "SAMPLE_CHUNK",
]


#: Rows per forward pass when sampling. A chunk's activations (rows x 128
#: floats a layer) then stay in the CPU's caches: 65536-row chunks took 2.6x
#: as long, 8192-row ones 1.3x (benchmarks/results/predict_speed.md). A
#: multiple of 16, so that drawing the latents chunk by chunk gives the
#: numbers of one pass (:func:`draw_latents`).
SAMPLE_CHUNK = 2048


class GaussianNoise(nn.Module):
    """Add N(0, std^2) noise in training mode; the identity in evaluation mode.

    Bonilla et al. inject it after every learnable layer of both networks as
    a regulariser (new with respect to arXiv:2502.20244).

    Parameters
    ----------
    std : float
        Standard deviation of the noise (in the units of the activations).
    """

    def __init__(self, std):
        super().__init__()
        self.std = float(std)

    def forward(self, x):
        """Add noise in training mode, pass through otherwise (any shape)."""
        if self.training and self.std > 0:
            return x + self.std * torch.randn_like(x)
        return x

    def extra_repr(self):
        """Shown in the module's repr."""
        return f"std={self.std}"


class KinematicFeatures(nn.Module):
    """The event's hadronic mass W and ln(1 + Q^2) from its proxies, differentiably.

    W separates quasielastic scattering (W near the nucleon mass) from the
    Delta peak (1.23 GeV) and the rest; in the proxy variables these are
    thin ridges that move with E_nu, and GANs trained on the proxies alone
    smear the Delta peak. The functions are those of :mod:`qestl.kinematics`
    (inverse proxy maps, :func:`~qestl.kinematics.w_neutrino`,
    :func:`~qestl.kinematics.q2_neutrino` with the struck nucleon at rest),
    which act on torch tensors too, so the generator's gradient flows
    through them. Proxies outside [-1, 1] (a generator in training) still
    give finite values: W^2 and p_mu^2 are floored at a small positive value
    before the square roots, Q^2 at 0 before the logarithm.

    Shapes
    ------
    event (n, 2) columns (theta', E_mu'), enu (n, 1) -> (n, 2) columns
    (W [GeV], ln(1 + Q^2 [GeV^2])).
    """

    #: Smallest W^2 and p_mu^2 kept [GeV^2] (keeps the square roots' gradients finite).
    _FLOOR = 1e-5

    def forward(self, event, enu):
        """(theta', E_mu') (n, 2) and E_nu' (n, 1) -> (W, ln(1 + Q^2)) (n, 2)."""
        E_nu = kinematics.proxy_to_enu(enu[:, 0])
        E_mu = kinematics.proxy_to_emu(event[:, 1], E_nu)
        theta = kinematics.proxy_to_theta(event[:, 0])  # degrees
        q2 = kinematics.q2_neutrino(E_nu, E_mu, theta, floor=self._FLOOR)
        w = kinematics.w_neutrino(E_nu, E_mu, theta, floor=self._FLOOR)
        return torch.stack([w, torch.log1p(q2.clamp(min=0.0))], dim=1)


def _activation(name, features):
    if name == "relu":
        return nn.ReLU()
    if name == "prelu":
        return nn.PReLU(features)
    raise ValueError(f"activation must be 'relu' or 'prelu', got {name!r}")


class GanBlock(nn.Module):
    """Dense -> noise -> LayerNorm -> noise -> activation -> Dropout (+ E_nu', + skip).

    The paper's Block1; ``residual=True`` is its Block2 (output + input),
    ``conditioned=True`` concatenates E_nu' to the input (Blocks 3 and 4).

    Shapes
    ------
    x (n, in_features), enu (n, 1) -> (n, out_features).

    Parameters
    ----------
    in_features, out_features : int
        Widths; ``in_features`` excludes the concatenated E_nu'.
    activation : {"relu", "prelu"}
    dropout : float
        Dropout rate.
    noise_std : float
        Std of the :class:`GaussianNoise` after the dense layer and after the LayerNorm.
    conditioned : bool, default False
        Concatenate E_nu' to the input.
    residual : bool, default False
        Add the input (needs ``in_features == out_features``).
    """

    def __init__(
        self,
        in_features,
        out_features,
        activation,
        dropout,
        noise_std,
        conditioned=False,
        residual=False,
    ):
        super().__init__()
        if residual and in_features != out_features:
            raise ValueError(
                f"a residual block needs equal widths, got {in_features} -> {out_features}"
            )
        self.conditioned = conditioned
        self.residual = residual
        self.layers = nn.Sequential(
            nn.Linear(in_features + int(conditioned), out_features),
            GaussianNoise(noise_std),
            nn.LayerNorm(out_features),
            GaussianNoise(noise_std),
            _activation(activation, out_features),
            nn.Dropout(dropout),
        )

    def forward(self, x, enu=None):
        """(n, in_features) [and E_nu' (n, 1) when conditioned] -> (n, out_features)."""
        out = self.layers(torch.cat([x, enu], dim=1) if self.conditioned else x)
        return out + x if self.residual else out


def _block_stack(network, width, n_blocks, activation, dropout, noise_std):
    """The body shared by both networks.

    A block on the two joined input branches (2 * width), then ``n_blocks - 1``
    residual blocks with E_nu' joined to their input.
    """
    if n_blocks < 1:
        raise ValueError(f"the {network} needs at least one block, got {n_blocks}")
    return nn.ModuleList(
        [GanBlock(2 * width, width, activation, dropout, noise_std)]
        + [
            GanBlock(width, width, activation, dropout, noise_std, conditioned=True, residual=True)
            for _ in range(n_blocks - 1)
        ]
    )


class Generator(nn.Module):
    """The generator: (latent z, E_nu') -> (theta', E_mu').

    z (``latent_dim``) and E_nu' (1) pass through separate dense layers
    (Dense -> noise -> ReLU), are concatenated, then ``n_blocks`` GanBlocks of
    width ``width``: the first plain, the others residual with E_nu'
    concatenated to their input; a dense output layer (no noise) gives
    (theta', E_mu'). No squashing of the output: the estimator clips the
    proxies into [-1, 1] when sampling.

    Shapes
    ------
    z (n, latent_dim), enu (n, 1) -> (n, 2) columns (theta', E_mu').

    Parameters
    ----------
    latent_dim : int
    width : int
    n_blocks : int
        At least 1.
    dropout, noise_std : float
        See :class:`GanBlock`.
    """

    def __init__(self, latent_dim, width, n_blocks, dropout, noise_std):
        super().__init__()
        self.latent_in = nn.Sequential(
            nn.Linear(latent_dim, width), GaussianNoise(noise_std), nn.ReLU()
        )
        self.enu_in = nn.Sequential(nn.Linear(1, width), GaussianNoise(noise_std), nn.ReLU())
        self.blocks = _block_stack("generator", width, n_blocks, "relu", dropout, noise_std)
        self.out = nn.Linear(width, 2)

    def stages(self):
        """Groups of modules in depth order, the unit of freezing.

        The input layers belong to the first stage (they feed nothing else);
        then one stage per further block, and the output layer last.

        Returns
        -------
        list of nn.Module
        """
        first = nn.ModuleList([self.latent_in, self.enu_in, self.blocks[0]])
        return [first, *self.blocks[1:], self.out]

    def forward(self, z, enu):
        """Latent (n, latent_dim) and E_nu' (n, 1) -> (theta', E_mu') (n, 2)."""
        x = torch.cat([self.latent_in(z), self.enu_in(enu)], dim=1)
        for block in self.blocks:
            x = block(x, enu)
        return self.out(x)


class Discriminator(nn.Module):
    """The discriminator: ((theta', E_mu'), E_nu') -> logit of "real".

    Two input branches, one PReLU GanBlock each for the event and for E_nu',
    concatenated, then ``n_blocks`` PReLU GanBlocks (the first plain, the
    others residual with E_nu' concatenated) and a dense layer to one logit.

    Shapes
    ------
    event (n, 2) columns (theta', E_mu'), enu (n, 1) -> logits (n,).

    Parameters
    ----------
    width : int
    n_blocks : int
        At least 1.
    dropout, noise_std : float
        See :class:`GanBlock`.
    kinematic_features : bool, default False
        Also feed the event branch the event's W and ln(1 + Q^2)
        (:class:`KinematicFeatures`); not in the paper.
    """

    def __init__(self, width, n_blocks, dropout, noise_std, kinematic_features=False):
        super().__init__()
        self.features = KinematicFeatures() if kinematic_features else None
        self.event_in = GanBlock(2 + 2 * kinematic_features, width, "prelu", dropout, noise_std)
        self.enu_in = GanBlock(1, width, "prelu", dropout, noise_std)
        self.blocks = _block_stack("discriminator", width, n_blocks, "prelu", dropout, noise_std)
        self.out = nn.Linear(width, 1)

    def stages(self):
        """Groups of modules in depth order: both input branches, each block, the output.

        Returns
        -------
        list of nn.Module
        """
        return [nn.ModuleList([self.event_in, self.enu_in]), *self.blocks, self.out]

    def forward(self, event, enu):
        """(theta', E_mu') (n, 2) and E_nu' (n, 1) -> logits (n,)."""
        if self.features is not None:
            event = torch.cat([event, self.features(event, enu)], dim=1)
        x = torch.cat([self.event_in(event), self.enu_in(enu)], dim=1)
        for block in self.blocks:
            x = block(x, enu)
        return self.out(x).squeeze(1)


class GanModule(nn.Module):
    """Generator and discriminator side by side; ``forward`` samples events.

    Shapes
    ------
    enu (n, 1) -> (n, 2) generated (theta', E_mu'), z ~ N(0, 1) drawn inside
    unless given.
    """

    def __init__(self, generator, discriminator):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator

    @property
    def latent_dim(self):
        """Size of the latent vector."""
        return self.generator.latent_in[0].in_features

    def forward(self, enu, z=None):
        """Generated (theta', E_mu') (n, 2) at E_nu' (n, 1); z ~ N(0, 1) unless given."""
        if z is None:
            z = torch.randn(enu.shape[0], self.latent_dim, device=enu.device)
        return self.generator(z, enu)

    def n_stages(self):
        """Stages that can be frozen: fewer than the shallower network's."""
        return min(len(self.generator.stages()), len(self.discriminator.stages()))

    def freeze(self, n_stages):
        """Hold the first ``n_stages`` stages of both networks fixed (transfer learning).

        Parameters
        ----------
        n_stages : int
            0 frees everything; the output layers are never frozen.

        Returns
        -------
        GanModule
        """
        freeze_leading(self.generator.stages(), n_stages)
        freeze_leading(self.discriminator.stages(), n_stages)
        return self


def hce_loss(fake_logits):
    """The generator loss L_HCE of Bonilla et al. (arXiv:2508.12987, Sec. III).

    L_HCE = (1/B) sum_k { log[1 - D(G(x_k, E_k), E_k)] - log D(G(x_k, E_k), E_k) }:
    the minimax (saturating) term plus the non-saturating one. With
    D = sigmoid(l), log(1 - D) - log D = -l exactly, so the loss is minus the
    mean discriminator logit and its gradient does not vanish whether D
    accepts or rejects the fakes.

    Parameters
    ----------
    fake_logits : torch.Tensor of shape (B,)
        Discriminator logits of generated events.

    Returns
    -------
    torch.Tensor
        Scalar loss.
    """
    return (F.logsigmoid(-fake_logits) - F.logsigmoid(fake_logits)).mean()


def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy of the discriminator: real events labelled 1, generated 0.

    Parameters
    ----------
    real_logits, fake_logits : torch.Tensor of shape (B,)

    Returns
    -------
    torch.Tensor
        Scalar: mean BCE over real plus mean BCE over generated events.
    """
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


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


def generate_proxies(module, enu, latents, seed, chunk=SAMPLE_CHUNK):
    """Generated (theta', E_mu') in [-1, 1] at E_nu' (n, 1).

    The generator's Gaussian noise and dropout stay on, as in training: they
    are part of the randomness the discriminator judged, and switching them
    off narrows the distribution (a 10-epoch GAN trained on 180k carbon
    events, scored on 2 x 10^5 others: EMD 0.26 with them off, 0.14 on;
    MAP-3D 6.9 and 5.7). ``seed`` fixes their draws without touching the
    global random stream; the modules' modes are restored.

    Rows go through in chunks of ``chunk`` rows, so memory stays that of
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
    chunk : int, default ``SAMPLE_CHUNK``
        Rows per forward pass; a multiple of 16 (see :func:`draw_latents`).

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
                for start in range(0, n, chunk):
                    stop = min(start + chunk, n)
                    if isinstance(latents, torch.Generator):
                        z = draw_latents(latents, stop - start, module.latent_dim)
                    else:
                        z = latents[start:stop].to(device)
                    proxies = module(enu[start:stop].to(device), z).clamp_(-1.0, 1.0)
                    out[start:stop] = proxies.cpu().numpy()
    finally:
        module.generator.train(was_training)
    return out
