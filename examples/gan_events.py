"""Sample muons from the shipped carbon GAN and compare them with qestl's event generator.

Writes gan_w_q2.png (W and Q² over all energies), gan_proxies.png and
gan_pulls.png (the muon at E_ν = 1 GeV). About 10 s on one core.
"""

from qestl import ConditionalGAN
from qestl.datasets import make_cc_events
from qestl.metrics import map_2d, map_3d
from qestl.plotting_events import plot_proxy_histograms, plot_pull_map, plot_w_q2

gan = ConditionalGAN.load("numu-carbon")  # CC numu on 12C, trained on qestl's generator
labels = ("GAN", "qestl generator")

# over the GAN's range of neutrino energies, 0.3-10 GeV
reference = make_cc_events(200_000, target="C", random_state=1)
generated = gan.sample(reference["E_nu"], random_state=1)  # one muon per energy
print(f"MAP-3D, all energies: {map_3d(generated, reference):.2f} (two generator samples: ~0.8)")
plot_w_q2(generated, reference, labels).savefig("gan_w_q2.png", dpi=120)

# at one neutrino energy
reference = make_cc_events(100_000, target="C", energy=1.0, random_state=2)
generated = gan.sample(1.0, n_per_energy=100_000, random_state=2)
print(f"MAP-2D at 1 GeV: {map_2d(generated, reference):.2f}")
plot_proxy_histograms(generated, reference, labels).savefig("gan_proxies.png", dpi=120)
plot_pull_map(generated, reference).savefig("gan_pulls.png", dpi=120)
