// The full-batch solver behind solver='lbfgs': gradkit's L-BFGS (optim/lbfgs.hpp, torch.optim.LBFGS's
// algorithm) with a strong-Wolfe line search, on the loss and gradient of all rows at once.
//
// scikit-learn minimises the same function with scipy's L-BFGS-B (fmin_l_bfgs_b: maxiter=max_iter,
// maxfun=max_fun, gtol=tol, 10 correction pairs, a Moré-Thuente line search, ftol = 1e7 × machine
// epsilon on the relative decrease). The two algorithms take different steps, so the weights differ
// from sklearn's; the limits are mapped as closely as they go: max_iter iterations, max_fun loss
// evaluations, stop when max |gradient| <= tol, history 10, and stop when the loss or the step changes
// by less than scipy's ftol (absolute here, as torch's tolerance_change is). Whether the stop counts
// as converged (no warning) follows scipy's own tests: see scipy_converged.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "gradkit/nn/mlp.hpp"
#include "gradkit/optim/lbfgs.hpp"

namespace gradkit::train {

struct LbfgsOptions {
    double alpha = 1e-4;
    std::int64_t max_iter = 200;
    std::int64_t max_fun = 15000;
    double tol = 1e-4;
};

struct LbfgsResult {
    double loss = 0.0;          // at the final weights (sklearn's loss_)
    std::int64_t n_iter = 0;    // iterations done (sklearn's n_iter_)
    std::int64_t n_evals = 0;   // loss and gradient evaluations
    bool converged = false;     // stopped before max_iter and max_fun
};

// scipy's default ftol for L-BFGS-B: factr 1e7 times the double epsilon.
inline constexpr double kScipyFtol = 1e7 * 2.220446049250313e-16;

// Whether scipy's L-BFGS-B would call this point converged (status 0, no ConvergenceWarning in sklearn):
// the largest gradient component is at most gtol, or the last iteration's relative decrease
// (f_prev - f) / max(|f_prev|, |f|, 1) is at most ftol. torch's algorithm also stops when the step or
// the directional derivative gets tiny, and on max_iter / max_fun; scipy knows none of the first two
// and warns for the last two, so every stop but these two counts as not converged.
template <typename T>
bool scipy_converged(const std::optional<double>& prev_loss, double loss, const T* grad, std::size_t n, double gtol) {
    double largest = 0.0;
    for (std::size_t i = 0; i < n; ++i) largest = std::max(largest, std::fabs(static_cast<double>(grad[i])));
    if (largest <= gtol) return true;
    if (!prev_loss) return false;
    const double scale = std::max({std::fabs(*prev_loss), std::fabs(loss), 1.0});
    return (*prev_loss - loss) / scale <= kScipyFtol;
}

// Minimises the loss of `all` (every row, read in place) from net's current weights.
template <typename T>
LbfgsResult fit_lbfgs(nn::MLP<T>& net, const nn::Batch<T>& all, const LbfgsOptions& opt) {
    if (all.rows == 0) throw std::invalid_argument("the training set has no rows");
    if (opt.max_iter < 1 || opt.max_fun < 1) throw std::invalid_argument("max_iter and max_fun must be at least 1");
    // Full batch: activations and deltas for every row, no room to gather rows (X is read in place).
    nn::Workspace<T> ws(net.layout(), all.rows, /*gather=*/false);
    optim::LBFGSHyper h;
    h.lr = 1.0;
    h.max_iter = opt.max_iter;
    h.max_eval = opt.max_fun;
    h.tolerance_grad = opt.tol;
    h.tolerance_change = kScipyFtol;
    h.history_size = 10;
    h.line_search_fn = optim::LineSearch::strong_wolfe;
    optim::LBFGS<T> solver({{net.params(), net.n_params()}}, h);
    const std::size_t n = net.n_params();
    auto closure = [&](T* grad) {
        const double loss = net.backprop(all, opt.alpha, ws);
        std::copy(ws.grads(), ws.grads() + n, grad);
        return loss;
    };
    solver.step(closure);
    LbfgsResult r;
    r.loss = net.backprop(all, opt.alpha, ws);
    r.n_iter = solver.state().n_iter;
    r.n_evals = solver.state().func_evals;
    r.converged = scipy_converged(solver.state().prev_loss, r.loss, ws.grads(), n, opt.tol);
    return r;
}

}  // namespace gradkit::train
