"""Deep models through skorch: a domain classifier and weighted generative models.

Needs PyTorch, skorch and zuko (``pip install "skratio[deep]"``); ``import
skratio`` alone never imports torch.
"""

try:
    import skorch  # noqa: F401
    import torch  # noqa: F401
    import zuko  # noqa: F401
except ImportError as exc:
    raise ImportError(
        "skratio.deep needs PyTorch, skorch and zuko, which are not installed "
        f"({exc}). Install them with: pip install \"skratio[deep]\" "
        "(install PyTorch's CPU build first, pip install torch, if you have no GPU)."
    ) from exc

from ._classifier import MLPDomainClassifier
from ._flow import Flow, RealNVP
from ._gan import GAN
from ._vae import VAE

__all__ = ["GAN", "VAE", "Flow", "MLPDomainClassifier", "RealNVP"]
