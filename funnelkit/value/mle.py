"""Maximum likelihood on scipy, shared by the value models: fit over log parameters, then errors.

A model gives its negative log-likelihood *and its gradient* in the natural parameters; the
fit minimises the mean negative log-likelihood over ``log(parameters)`` with L-BFGS-B (the
analytic gradient makes each step one pass over the data), and the standard errors are the
square roots of the diagonal of the inverse Hessian of the negative log-likelihood at the
optimum — the Hessian by central differences of the analytic gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["ModelFit", "fit_max_likelihood"]

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


@dataclass(frozen=True)
class ModelFit:
    """A fitted value model: estimates, standard errors and the fit's vital signs.

    ``params`` and ``se`` are Series indexed by the parameter names; ``table()`` gives one tidy
    row per parameter with a Wald 95% interval.

    Examples
    --------
    >>> fit = ModelFit("demo", pd.Series({"r": 1.0}), pd.Series({"r": 0.1}), -5.0, 10, True)
    >>> fit.table()[["parameter", "estimate", "se"]]
      parameter  estimate   se
    0         r       1.0  0.1
    """

    model: str
    params: pd.Series
    se: pd.Series
    loglik: float
    n: int
    converged: bool
    message: str = ""
    iterations: int = 0
    cov: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def __getitem__(self, name: str) -> float:
        return float(self.params[name])

    def table(self, *, level: float = 0.95) -> pd.DataFrame:
        """One row per parameter: estimate, standard error, Wald interval, and the fit's facts."""
        z = stats.norm.ppf(0.5 + level / 2)
        return pd.DataFrame(
            {
                "model": self.model,
                "parameter": self.params.index,
                "estimate": self.params.to_numpy(),
                "se": self.se.to_numpy(),
                "ci_low": (self.params - z * self.se).to_numpy(),
                "ci_high": (self.params + z * self.se).to_numpy(),
                "loglik": self.loglik,
                "n": self.n,
                "converged": self.converged,
            }
        )


def _hessian(grad: Callable[[np.ndarray], np.ndarray], theta: np.ndarray) -> np.ndarray:
    """Central differences of the gradient, with relative steps, symmetrised."""
    k = theta.size
    hess = np.empty((k, k))
    for i in range(k):
        step = 1e-5 * max(abs(theta[i]), 1e-3)
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        hess[:, i] = (grad(up) - grad(down)) / (2 * step)
    return (hess + hess.T) / 2


def fit_max_likelihood(
    neg_loglik: Objective,
    start: Sequence[float],
    names: Sequence[str],
    *,
    model: str,
    n: int,
    weight: float,
) -> ModelFit:
    """Minimise ``neg_loglik`` (total, natural parameters) over log parameters.

    ``weight`` is the number the objective is divided by while optimising (the customer count),
    so the gradient tolerance does not depend on the sample size.
    """

    def objective(log_theta: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(log_theta)
        value, grad = neg_loglik(theta)
        if not np.isfinite(value):
            return 1e300, np.zeros_like(theta)
        return value / weight, grad * theta / weight

    found = optimize.minimize(
        objective,
        np.log(np.asarray(start, dtype=float)),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-15.0, 15.0)] * len(start),
        options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9},
    )
    theta = np.exp(found.x)
    value, grad = neg_loglik(theta)
    hess = _hessian(lambda t: neg_loglik(t)[1], theta)
    try:
        cov = np.linalg.inv(hess)
        se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    except np.linalg.LinAlgError:
        cov = np.full_like(hess, np.nan)
        se = np.full(theta.size, np.nan)
    # converged: the gradient (log scale, per customer) is flat. With 10^5+ customers the sum
    # of the log-likelihood loses the last digits, so L-BFGS-B's line search can stop
    # "abnormally" at the optimum: the flat gradient decides, not the message.
    flat = bool(np.all(np.abs(grad * theta) / weight < 1e-5))
    return ModelFit(
        model=model,
        params=pd.Series(theta, index=list(names)),
        se=pd.Series(se, index=list(names)),
        loglik=-float(value),
        n=int(n),
        converged=flat,
        message=str(found.message),
        iterations=int(found.nit),
        cov=pd.DataFrame(cov, index=list(names), columns=list(names)),
    )
