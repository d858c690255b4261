"""The one place skratio imports scikit-learn's private API.

scikit-learn does not promise to keep these names where they are; a release
that moves one breaks this file alone, as imbalanced-learn's ``sklearn_compat``
arranges. ``pyproject.toml`` states the scikit-learn versions this is tested
with (the oldest in ``.ci/oldest-requirements.txt``, the newest in CI).
"""

from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "HasMethods",
    "Interval",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "_routing_enabled",
    "_safe_indexing",
    "check_matplotlib_support",
]
