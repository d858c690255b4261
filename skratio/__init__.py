"""skratio: density ratios from probabilistic classifiers, and what they are for.

The weight is always ``w(x) = p_1(x) / p_0(x)``: domain ``1`` is the target
(reference data, real data) and domain ``0`` the source (biased data, a
generative model's samples).
"""

from ._calibration import CalibratedRatio
from ._classifier_params import default_classifier
from ._corrected import CorrectedGenerator
from ._domains import stack_domains
from ._multisource import MultiSourceRatio
from ._ratio import DensityRatioEstimator
from ._reweight import ReweightedEstimator
from ._sir import SIRResampler
from ._telescoping import TelescopingRatio
from ._trainer import WeightedGenerativeTrainer
from .exceptions import PoorOverlapWarning, WeightCollapseWarning

__version__ = "0.1.0.dev0"

__all__ = [
    "CalibratedRatio",
    "CorrectedGenerator",
    "DensityRatioEstimator",
    "MultiSourceRatio",
    "PoorOverlapWarning",
    "ReweightedEstimator",
    "SIRResampler",
    "TelescopingRatio",
    "WeightCollapseWarning",
    "WeightedGenerativeTrainer",
    "default_classifier",
    "stack_domains",
    "__version__",
]
