"""scikit-learn's private estimator utilities, with fallbacks for the versions that lack them.

``validate_data`` (a function since scikit-learn 1.6, the estimator's ``_validate_data`` method
before) and ``_fit_context`` (since 1.3) are scikit-learn's own where the installed version has
them, and what its estimators did before where it does not. The estimator modules import them from
here, so that this is the one place that knows which scikit-learn has what.
"""

from __future__ import annotations

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn

    def validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)


try:  # scikit-learn >= 1.3
    from sklearn.base import _fit_context
except ImportError:  # pragma: no cover - older scikit-learn

    def _fit_context(prefer_skip_nested_validation):
        def wrap(fit):
            def wrapper(estimator, *args, **kwargs):
                estimator._validate_params()
                return fit(estimator, *args, **kwargs)

            return wrapper

        return wrap


__all__ = ["_fit_context", "validate_data"]
