"""Named configurations of the CC neutrino model (PHYSICS.md §5.5).

The default follows NuWro-like settings (M_A = 1.03 GeV, Graczyk et al. 2009 Δ axial
form factor, global Fermi gas); the "changed" model is the alternative of the GAN
domain-adaptation study (Bonilla et al., arXiv:2508.12987): larger axial masses and a
local Fermi gas.
"""

from dataclasses import dataclass

from qestl.physics.constants import M_NUCLEON, M_PION

__all__ = ["NeutrinoModel", "MODELS", "FERMI_GASES", "resolve_model"]

#: Nuclear models of PHYSICS.md §5.2: global (GFG) or local (LFG) Fermi gas.
FERMI_GASES = ("global", "local")


@dataclass(frozen=True)
class NeutrinoModel:
    """Parameters of the CC ν_μ / ν̄_μ model (PHYSICS.md §5).

    Frozen (hashable), so the generator's tables can be cached per model.

    Parameters
    ----------
    axial_mass : float, default 1.03
        Quasielastic axial mass M_A [GeV] (§5.1).
    delta_axial_mass : float, default 0.94
        N→Δ axial mass M_AΔ [GeV] (§5.3).
    c5a0 : float, default 1.19
        Axial N→Δ coupling C5A(0) (§5.3).
    fermi_gas : {"global", "local"}, default "global"
        Nuclear model of the struck nucleon (§5.2).
    w_res_max : float, default 1.6
        Upper end of the Δ channel in the hadronic mass W [GeV] (§5.3).

    Raises
    ------
    ValueError
        For a non-positive mass or coupling, an unknown Fermi gas, or ``w_res_max``
        at or below the pion-production threshold M + m_π.

    Examples
    --------
    >>> NeutrinoModel(axial_mass=1.35).fermi_gas
    'global'
    """

    axial_mass: float = 1.03
    delta_axial_mass: float = 0.94
    c5a0: float = 1.19
    fermi_gas: str = "global"
    w_res_max: float = 1.6

    def __post_init__(self):
        for name in ("axial_mass", "delta_axial_mass", "c5a0"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"{name} must be > 0, got {value!r}")
        if self.fermi_gas not in FERMI_GASES:
            raise ValueError(f"fermi_gas must be one of {FERMI_GASES}, got {self.fermi_gas!r}")
        if not self.w_res_max > M_NUCLEON + M_PION:
            raise ValueError(
                f"w_res_max must exceed M + m_pi = {M_NUCLEON + M_PION:.4f} GeV, "
                f"got {self.w_res_max!r}"
            )


#: The two configurations of PHYSICS.md §5.5.
MODELS = {
    "default": NeutrinoModel(),
    "changed": NeutrinoModel(axial_mass=1.35, delta_axial_mass=1.034, fermi_gas="local"),
}


def resolve_model(model):
    """Turn a model name or a :class:`NeutrinoModel` into a :class:`NeutrinoModel`.

    Parameters
    ----------
    model : str or NeutrinoModel
        A key of :data:`MODELS` or a model instance.

    Returns
    -------
    NeutrinoModel

    Raises
    ------
    ValueError
        For anything else; the message lists the names.

    Examples
    --------
    >>> resolve_model("changed").axial_mass
    1.35
    """
    if isinstance(model, NeutrinoModel):
        return model
    if isinstance(model, str) and model in MODELS:
        return MODELS[model]
    raise ValueError(
        f"unknown neutrino model {model!r}: give a NeutrinoModel or one of {sorted(MODELS)}"
    )
