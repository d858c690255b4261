"""Deep models through skorch: a domain classifier and weighted generative models.

Needs PyTorch, skorch and zuko, the ``deep`` extra: from skratio's source
tree, ``pip install torch==2.13.0`` (PyTorch's CPU build) then
``pip install -e ".[deep]"``. ``import skratio`` alone never imports torch.
"""

try:
    import skorch  # noqa: F401
    import torch  # noqa: F401
    import zuko  # noqa: F401
except ImportError as exc:
    raise ImportError(
        "skratio.deep needs PyTorch, skorch and zuko (the deep extra), which are "
        f"not installed ({exc}). Install them from skratio's source tree: "
        "pip install torch==2.13.0 (PyTorch's CPU build; leave this step out to "
        'get a GPU build), then pip install -e ".[deep]"'
    ) from exc

from ._classifier import MLPDomainClassifier
from ._flow import Flow, RealNVP
from ._gan import GAN
from ._vae import VAE

__all__ = ["GAN", "VAE", "Flow", "MLPDomainClassifier", "RealNVP"]
