// The full-batch solver behind solver='lbfgs': scipy's L-BFGS-B (lbfgsb.hpp), called as scikit-learn
// calls scipy.optimize.minimize(method="L-BFGS-B", jac=True, options={"maxfun": max_fun, "maxiter":
// max_iter, "gtol": tol}) on the loss and gradient of all rows at once: 10 correction pairs, scipy's
// default ftol, at most 20 evaluations per line search. The same steps as scikit-learn's, so the same
// weights, n_iter_ and loss_ up to rounding, and the same stops: `converged` is scipy's status 0 (no
// ConvergenceWarning).
//
// The algorithm works in double, on a float64 copy of the weights, as scipy does. A float network is
// evaluated, in float, at those weights rounded to float: so does scikit-learn on float32 data, since
// scipy evaluates a float32 x0's function at x cast to x0's dtype. The weights left in the network are
// the solver's rounded to T (scikit-learn keeps scipy's float64 x as its coefs_).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "gradkit/nn/mlp.hpp"
#include "gradkit/train/lbfgsb.hpp"

namespace gradkit::train {

struct LbfgsOptions {
    double alpha = 1e-4;
    std::int64_t max_iter = 200;
    std::int64_t max_fun = 15000;
    double tol = 1e-4;
};

struct LbfgsResult {
    double loss = 0.0;          // scipy's fun, sklearn's loss_: the last loss evaluated
    std::int64_t n_iter = 0;    // iterations done (scipy's nit, sklearn's n_iter_)
    std::int64_t n_evals = 0;   // loss and gradient evaluations (scipy's nfev)
    bool converged = false;     // scipy's status 0: no ConvergenceWarning
    int status = 0;             // scipy's status: 0 converged, 1 max_iter or max_fun reached, 2 line search failed
    const char* message = "";   // scipy's message, e.g. "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
};

// Minimises the loss of `all` (every row, read in place) from net's current weights.
template <typename T>
LbfgsResult fit_lbfgs(nn::MLP<T>& net, const nn::Batch<T>& all, const LbfgsOptions& opt) {
    if (all.rows == 0) throw std::invalid_argument("the training set has no rows");
    if (opt.max_iter < 1 || opt.max_fun < 1) throw std::invalid_argument("max_iter and max_fun must be at least 1");
    // Full batch: activations and deltas for every row, no room to gather rows (X is read in place).
    nn::Workspace<T> ws(net.layout(), all.rows, /*gather=*/false);
    const std::size_t n = net.n_params();
    T* params = net.params();
    std::vector<double> x(params, params + n);
    auto loss_grad = [&](const double* w, double* grad) {
        for (std::size_t i = 0; i < n; ++i) params[i] = static_cast<T>(w[i]);
        const double loss = net.backprop(all, opt.alpha, ws);
        const T* g = ws.grads();
        for (std::size_t i = 0; i < n; ++i) grad[i] = static_cast<double>(g[i]);
        return loss;
    };
    lbfgsb::Options o;
    o.maxiter = opt.max_iter;
    o.maxfun = opt.max_fun;
    o.gtol = opt.tol;
    auto seen = [](double v) { return static_cast<double>(static_cast<T>(v)); };
    const lbfgsb::Result res = lbfgsb::minimize(loss_grad, x.data(), n, o, seen);
    // The network may hold a trial point: the result is x.
    for (std::size_t i = 0; i < n; ++i) params[i] = static_cast<T>(x[i]);
    LbfgsResult r;
    r.loss = res.f;
    r.n_iter = res.nit;
    r.n_evals = res.nfev;
    r.converged = res.status == 0;
    r.status = res.status;
    r.message = lbfgsb::stop_message(res.stop);
    return r;
}

}  // namespace gradkit::train
