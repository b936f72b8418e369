// L-BFGS with an optional strong-Wolfe line search: torch.optim.LBFGS, operation for operation.
//
// The parameters are several caller-owned arrays read as one concatenated vector (torch: one param
// group, flattened). step() takes a closure `double(T* flat_grad_out)` that evaluates the loss at the
// current parameters and writes the flat gradient; it may run the closure up to max_eval times.
// No Python here: the MLP trainer drives this class from C++ directly.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gradkit/optim/array_ref.hpp"
#include "gradkit/optim/check.hpp"

namespace gradkit::optim {

enum class LineSearch { none, strong_wolfe };

struct LBFGSHyper {
    double lr = 1.0;
    std::int64_t max_iter = 20;
    std::optional<std::int64_t> max_eval;  // unset: max_iter * 5 // 4, as torch
    double tolerance_grad = 1e-7;
    double tolerance_change = 1e-9;
    std::int64_t history_size = 100;
    LineSearch line_search_fn = LineSearch::none;

    template <class V>
    void visit(V&& v) {
        v("lr", lr);
        v("max_iter", max_iter);
        v("max_eval", max_eval);
        v("tolerance_grad", tolerance_grad);
        v("tolerance_change", tolerance_change);
        v("history_size", history_size);
        v("line_search_fn", line_search_fn);
    }

    // Python's max_iter * 5 // 4 (floor division). The clamp only keeps absurd values from overflowing.
    std::int64_t eval_limit() const {
        if (max_eval) return *max_eval;
        constexpr std::int64_t big = std::int64_t{1} << 60;
        const std::int64_t m = std::clamp(max_iter, -big, big) * 5;
        return m >= 0 ? m / 4 : -((-m + 3) / 4);
    }

    // torch checks only lr; the other two conditions are ones under which torch's step fails with an
    // IndexError or UnboundLocalError, so they are refused up front instead.
    void validate() const {
        require_nonnegative(lr, "learning rate");
        if (history_size < 1) invalid("Invalid history_size: " + std::to_string(history_size) + " (must be at least 1)");
        if (line_search_fn == LineSearch::strong_wolfe && eval_limit() < 1)
            invalid("Invalid max_eval: " + std::to_string(eval_limit()) +
                    " (line_search_fn='strong_wolfe' needs at least 1 evaluation)");
    }
};

// torch keeps this dict in optimizer.state[first param]; the names are its keys.
template <typename T>
struct LBFGSState {
    std::int64_t func_evals = 0;
    std::int64_t n_iter = 0;
    std::vector<T> d;  // last search direction; empty until the first iteration (torch: None)
    std::optional<double> t;
    std::deque<std::vector<T>> old_dirs;  // y = g_new - g_old, oldest first
    std::deque<std::vector<T>> old_stps;  // s = t * d
    std::vector<T> ro;                    // 1 / (y . s)
    std::optional<double> H_diag;
    std::vector<T> prev_flat_grad;
    std::optional<double> prev_loss;
    std::vector<std::optional<T>> al;  // the two-loop recursion's alphas; empty until first needed

    bool empty() const { return func_evals == 0 && n_iter == 0 && d.empty(); }
};

namespace lbfgs_detail {

// torch's LBFGS does its scalar arithmetic on a mix of Python floats (double) and 0-d tensors of the
// parameters' dtype; an operation with a tensor operand is done, and rounded, in that dtype (the
// Python float is first rounded to it). For float32 the two give different numbers, so each scalar
// records which it is. For double the two are the same arithmetic.
template <typename T>
struct Scalar {
    double v = 0;
    bool tensor = false;

    static Scalar py(double x) { return {x, false}; }
    static Scalar ten(T x) { return {static_cast<double>(x), true}; }
    T as_t() const { return static_cast<T>(v); }
};

// Each operation rounds on its own, as each Python or torch operation does. Without the volatile
// round trip GCC (-ffp-contract=fast) fuses a * b + c across inlined calls into one FMA.
template <typename X>
X rounded(X x) {
    volatile X r = x;
    return r;
}

template <typename T, class Op>
Scalar<T> apply(Scalar<T> a, Scalar<T> b, Op op) {
    if (a.tensor || b.tensor) return Scalar<T>::ten(rounded<T>(op(a.as_t(), b.as_t())));
    return Scalar<T>::py(rounded<double>(op(a.v, b.v)));
}
template <typename T, class Cmp>
bool compare(Scalar<T> a, Scalar<T> b, Cmp cmp) {
    return (a.tensor || b.tensor) ? cmp(a.as_t(), b.as_t()) : cmp(a.v, b.v);
}

template <typename T>
Scalar<T> operator+(Scalar<T> a, Scalar<T> b) { return apply(a, b, [](auto x, auto y) { return x + y; }); }
template <typename T>
Scalar<T> operator-(Scalar<T> a, Scalar<T> b) { return apply(a, b, [](auto x, auto y) { return x - y; }); }
template <typename T>
Scalar<T> operator*(Scalar<T> a, Scalar<T> b) { return apply(a, b, [](auto x, auto y) { return x * y; }); }
// A Python float divided by a tensor is tensor.__rtruediv__: reciprocal(b) * a, rounded twice.
template <typename T>
Scalar<T> operator/(Scalar<T> a, Scalar<T> b) {
    if (!a.tensor && b.tensor) return Scalar<T>::ten(rounded<T>(rounded<T>(T(1) / b.as_t()) * a.as_t()));
    return apply(a, b, [](auto x, auto y) { return x / y; });
}
template <typename T>
bool operator<(Scalar<T> a, Scalar<T> b) { return compare(a, b, [](auto x, auto y) { return x < y; }); }
template <typename T>
bool operator<=(Scalar<T> a, Scalar<T> b) { return compare(a, b, [](auto x, auto y) { return x <= y; }); }
template <typename T>
bool operator>(Scalar<T> a, Scalar<T> b) { return compare(a, b, [](auto x, auto y) { return x > y; }); }
template <typename T>
bool operator>=(Scalar<T> a, Scalar<T> b) { return compare(a, b, [](auto x, auto y) { return x >= y; }); }
template <typename T>
Scalar<T> abs(Scalar<T> a) { return {std::fabs(a.v), a.tensor}; }

// Python's min(a, b) and max(a, b): the first argument unless the second is strictly better.
template <typename T>
Scalar<T> py_min(Scalar<T> a, Scalar<T> b) { return b < a ? b : a; }
template <typename T>
Scalar<T> py_max(Scalar<T> a, Scalar<T> b) { return b > a ? b : a; }

// torch's _cubic_interpolate: the minimiser of the cubic through two points with their derivatives,
// clamped to the bounds (by default the interval between the points).
template <typename T>
Scalar<T> cubic_interpolate(Scalar<T> x1, double f1, Scalar<T> g1, Scalar<T> x2, double f2, Scalar<T> g2,
                            const std::pair<Scalar<T>, Scalar<T>>* bounds = nullptr) {
    using S = Scalar<T>;
    S xmin_bound, xmax_bound;
    if (bounds) {
        xmin_bound = bounds->first;
        xmax_bound = bounds->second;
    } else if (x1 <= x2) {
        xmin_bound = x1;
        xmax_bound = x2;
    } else {
        xmin_bound = x2;
        xmax_bound = x1;
    }
    const S d1 = g1 + g2 - S::py(3 * (f1 - f2)) / (x1 - x2);
    const S d2_square = d1 * d1 - g1 * g2;
    if (d2_square >= S::py(0)) {
        const S d2 = d2_square.tensor ? S::ten(std::sqrt(d2_square.as_t())) : S::py(std::sqrt(d2_square.v));
        S min_pos;
        if (x1 <= x2)
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + S::py(2) * d2));
        else
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + S::py(2) * d2));
        return py_min(py_max(min_pos, xmin_bound), xmax_bound);
    }
    return (xmin_bound + xmax_bound) / S::py(2.0);
}

}  // namespace lbfgs_detail

template <typename T>
class LBFGS {
public:
    using Hyper = LBFGSHyper;
    using State = LBFGSState<T>;
    using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
    using Map = Eigen::Map<Vec>;
    using CMap = Eigen::Map<const Vec>;

    LBFGS(std::vector<ArrayRef<T>> params, Hyper hyper) : params_(std::move(params)), hyper_(std::move(hyper)) {
        hyper_.validate();
        for (const auto& p : params_) numel_ += p.size;
        // torch fails on its first max() over an empty gradient; refuse here instead.
        if (numel_ == 0) invalid("LBFGS got parameters with no elements");
    }

    std::size_t numel() const { return numel_; }
    const std::vector<ArrayRef<T>>& params() const { return params_; }

    const Hyper& hyper() const { return hyper_; }
    void set_hyper(const Hyper& hyper) {
        hyper.validate();
        hyper_ = hyper;
    }

    const State& state() const { return state_; }
    // Throws std::invalid_argument, naming the first field that does not fit these parameters.
    void check_state(const State& s) const {
        auto sized = [&](const std::vector<T>& v, const std::string& what, bool may_be_empty) {
            if (v.size() != numel_ && !(may_be_empty && v.empty()))
                invalid("LBFGS state '" + what + "' has " + std::to_string(v.size()) + " values; the parameters have " +
                        std::to_string(numel_));
        };
        if (s.func_evals < 0 || s.n_iter < 0) invalid("LBFGS state: func_evals and n_iter must be >= 0");
        sized(s.d, "d", true);
        sized(s.prev_flat_grad, "prev_flat_grad", true);
        if (s.old_stps.size() != s.old_dirs.size() || s.ro.size() != s.old_dirs.size())
            invalid("LBFGS state: old_dirs, old_stps and ro must have the same length, got " +
                    std::to_string(s.old_dirs.size()) + ", " + std::to_string(s.old_stps.size()) + " and " +
                    std::to_string(s.ro.size()));
        for (std::size_t i = 0; i < s.old_dirs.size(); ++i) {
            sized(s.old_dirs[i], "old_dirs[" + std::to_string(i) + "]", false);
            sized(s.old_stps[i], "old_stps[" + std::to_string(i) + "]", false);
        }
        // Past the first iteration, step() reads these before writing them.
        if (s.n_iter > 0 && (s.d.empty() || s.prev_flat_grad.empty() || !s.t || !s.H_diag))
            invalid("LBFGS state: n_iter > 0 needs d, t, H_diag and prev_flat_grad");
    }
    void set_state(State s) {
        check_state(s);
        state_ = std::move(s);
    }

    // One call of torch's LBFGS.step(closure): up to max_iter iterations and max_eval evaluations.
    // Returns the loss at the parameters as they were on entry. If the closure throws, the exception
    // propagates with the parameters and the state where the step had taken them, as in torch.
    template <class Closure>
    double step(Closure&& closure) {
        const Hyper h = hyper_;
        const std::int64_t max_eval = h.eval_limit();
        const std::size_t n = numel_;
        State& st = state_;
        flat_grad_.resize(n);

        // evaluate initial f(x) and df/dx
        const double orig_loss = closure(flat_grad_.data());
        double loss = orig_loss;
        std::int64_t current_evals = 1;
        st.func_evals += 1;

        bool opt_cond = S::ten(max_abs(flat_grad_)) <= S::py(h.tolerance_grad);
        if (opt_cond) return orig_loss;

        S t = S::py(st.t.value_or(0.0));
        S H_diag = S::py(st.H_diag.value_or(1.0));
        std::int64_t n_iter = 0;
        while (n_iter < h.max_iter) {
            ++n_iter;
            ++st.n_iter;

            // compute the descent direction
            if (st.n_iter == 1) {
                st.d.resize(n);
                map(st.d) = -cmap(flat_grad_);
                st.old_dirs.clear();
                st.old_stps.clear();
                st.ro.clear();
                H_diag = S::py(1);
                st.H_diag = H_diag.v;
            } else {
                // update the memory with y = g - g_prev and s = d * t
                y_.resize(n);
                s_.resize(n);
                map(y_) = cmap(flat_grad_) - cmap(st.prev_flat_grad);
                map(s_) = cmap(st.d) * t.as_t();
                const S ys = S::ten(cmap(y_).dot(cmap(s_)));
                if (ys > S::py(1e-10)) {
                    std::vector<T> spare_y, spare_s;  // the evicted pair's buffers, reused below
                    if (static_cast<std::int64_t>(st.old_dirs.size()) == h.history_size) {
                        spare_y = std::move(st.old_dirs.front());
                        spare_s = std::move(st.old_stps.front());
                        st.old_dirs.pop_front();
                        st.old_stps.pop_front();
                        st.ro.erase(st.ro.begin());
                    }
                    const T yy = cmap(y_).dot(cmap(y_));
                    st.old_dirs.push_back(std::move(y_));
                    st.old_stps.push_back(std::move(s_));
                    st.ro.push_back((S::py(1.0) / ys).as_t());
                    H_diag = ys / S::ten(yy);
                    st.H_diag = H_diag.v;
                    y_ = std::move(spare_y);
                    s_ = std::move(spare_s);
                }

                // the two-loop recursion: d = -H g with the approximate inverse Hessian H
                const std::size_t num_old = st.old_dirs.size();
                if (st.al.empty()) st.al.assign(static_cast<std::size_t>(h.history_size), std::nullopt);
                // torch would raise IndexError here after history_size shrank below the kept pairs
                if (st.al.size() < num_old) st.al.resize(num_old);

                q_.resize(n);
                map(q_) = -cmap(flat_grad_);
                for (std::size_t k = num_old; k-- > 0;) {
                    const T al = (S::ten(cmap(st.old_stps[k]).dot(cmap(q_))) * S::ten(st.ro[k])).as_t();
                    st.al[k] = al;
                    axpy(-al, cmap(st.old_dirs[k]), map(q_));  // torch: q.add_(old_dirs[i], alpha=-al[i])
                }
                st.d.resize(n);
                Map r(st.d.data(), idx(n));
                r = cmap(q_) * H_diag.as_t();
                for (std::size_t k = 0; k < num_old; ++k) {
                    const S be = S::ten(cmap(st.old_dirs[k]).dot(r)) * S::ten(st.ro[k]);
                    axpy((S::ten(*st.al[k]) - be).as_t(), cmap(st.old_stps[k]), r);
                }
            }

            st.prev_flat_grad = flat_grad_;
            st.prev_loss = loss;

            // initial guess for the step length
            if (st.n_iter == 1) {
                const S inv_norm1 = S::py(1.0) / S::ten(cmap(flat_grad_).cwiseAbs().sum());
                t = lbfgs_detail::py_min(S::py(1.0), inv_norm1) * S::py(h.lr);
            } else {
                t = S::py(h.lr);
            }
            st.t = t.v;

            // directional derivative; stop if the direction does not descend
            const S gtd = S::ten(cmap(flat_grad_).dot(cmap(st.d)));
            if (gtd > S::py(-h.tolerance_change)) break;

            std::int64_t ls_func_evals = 0;
            if (h.line_search_fn == LineSearch::strong_wolfe) {
                x_init_.resize(n);
                gather_params(x_init_.data());
                // torch passes no tolerance_change here: the line search keeps its default 1e-9
                const LineSearchResult ls = strong_wolfe(closure, t, loss, gtd, max_eval - current_evals);
                loss = ls.f;
                t = ls.t;
                st.t = t.v;
                ls_func_evals = ls.evals;
                add_grad(t, st.d.data());
                opt_cond = S::ten(max_abs(flat_grad_)) <= S::py(h.tolerance_grad);
            } else {
                add_grad(t, st.d.data());
                // the last iteration does not re-evaluate (torch: no use in a stochastic setting)
                if (n_iter != h.max_iter) {
                    loss = closure(flat_grad_.data());
                    opt_cond = S::ten(max_abs(flat_grad_)) <= S::py(h.tolerance_grad);
                    ls_func_evals = 1;
                }
            }
            current_evals += ls_func_evals;
            st.func_evals += ls_func_evals;

            // stopping conditions
            if (n_iter == h.max_iter) break;
            if (current_evals >= max_eval) break;
            if (opt_cond) break;
            const T t_t = t.as_t();
            const T step_max = (cmap(st.d) * t_t).cwiseAbs().template maxCoeff<Eigen::PropagateNaN>();
            if (S::ten(step_max) <= S::py(h.tolerance_change)) break;  // lack of progress
            if (std::fabs(loss - *st.prev_loss) < h.tolerance_change) break;
        }
        return orig_loss;
    }

private:
    using S = lbfgs_detail::Scalar<T>;

    struct LineSearchResult {
        double f;
        S t;
        std::int64_t evals;
    };

    static Eigen::Index idx(std::size_t n) { return static_cast<Eigen::Index>(n); }
    static Map map(std::vector<T>& v) { return Map(v.data(), idx(v.size())); }
    static CMap cmap(const std::vector<T>& v) { return CMap(v.data(), idx(v.size())); }
    // torch's max() propagates NaN, which then fails every comparison.
    static T max_abs(const std::vector<T>& v) { return cmap(v).cwiseAbs().template maxCoeff<Eigen::PropagateNaN>(); }

    // y += alpha * x as torch's y.add_(x, alpha=alpha) computes it: its CPU kernels use a fused
    // multiply-add where the CPU has one (one rounding per element instead of two).
    template <class Out>
    static void axpy(T alpha, const CMap& x, Out&& y) {
#ifdef __FMA__
        y = x.binaryExpr(y, [alpha](T xi, T yi) { return std::fma(alpha, xi, yi); });
#else
        y += alpha * x;
#endif
    }

    // params += t * d (torch's _add_grad: add_ with alpha t, in the parameters' dtype)
    void add_grad(S t, const T* d) {
        std::size_t off = 0;
        for (const auto& p : params_) {
            axpy(t.as_t(), CMap(d + off, idx(p.size)), Map(p.data, idx(p.size)));
            off += p.size;
        }
    }
    void gather_params(T* x) const {
        for (const auto& p : params_) x = std::copy(p.data, p.data + p.size, x);
    }
    void scatter_params(const T* x) {
        for (const auto& p : params_) {
            std::copy(x, x + p.size, p.data);
            x += p.size;
        }
    }

    // torch's _directional_evaluate: the loss and gradient at x_init + t * d, parameters restored after.
    template <class Closure>
    double directional_evaluate(Closure& closure, S t, std::vector<T>& grad) {
        add_grad(t, state_.d.data());
        const double f = closure(grad.data());
        scatter_params(x_init_.data());
        return f;
    }

    // torch's _strong_wolfe (from lswolfe.lua) along d = state_.d from x_init_, with c1 = 1e-4, c2 = 0.9,
    // tolerance_change = 1e-9. On return flat_grad_ holds the gradient at the accepted step.
    template <class Closure>
    LineSearchResult strong_wolfe(Closure& closure, S t, double f, S gtd, std::int64_t max_ls) {
        using lbfgs_detail::abs;
        using lbfgs_detail::cubic_interpolate;
        using lbfgs_detail::py_max;
        using lbfgs_detail::py_min;
        const double c1 = 1e-4, c2 = 0.9, tolerance_change = 1e-9;
        const std::size_t n = numel_;
        const CMap d = cmap(state_.d);
        const S d_norm = S::ten(d.cwiseAbs().template maxCoeff<Eigen::PropagateNaN>());
        std::vector<T>& g = ls_g_;  // torch: g = g.clone()
        g = flat_grad_;
        g_new_.resize(n);
        double f_new = directional_evaluate(closure, t, g_new_);
        std::int64_t ls_func_evals = 1;
        S gtd_new = S::ten(cmap(g_new_).dot(d));

        // bracket an interval containing a point satisfying the Wolfe criteria
        S t_prev = S::py(0);
        double f_prev = f;
        bool g_prev_is_g = true;  // g_prev starts as g; it is copied only once it differs
        S gtd_prev = gtd;
        bool done = false;
        std::int64_t ls_iter = 0;
        // bracket entries; bracket_size is 1 when the first point already satisfies the conditions
        S bracket[2];
        double bracket_f[2] = {0, 0};
        std::vector<T>* bracket_g[2] = {&bracket_g_[0], &bracket_g_[1]};
        S bracket_gtd[2];
        int bracket_size = 0;
        auto bracket_prev_and_new = [&] {
            bracket[0] = t_prev;
            bracket[1] = t;
            bracket_f[0] = f_prev;
            bracket_f[1] = f_new;
            *bracket_g[0] = g_prev_is_g ? g : g_prev_;
            *bracket_g[1] = g_new_;
            bracket_gtd[0] = gtd_prev;
            bracket_gtd[1] = gtd_new;
            bracket_size = 2;
        };
        while (ls_iter < max_ls) {
            if (S::py(f_new) > S::py(f) + S::py(c1) * t * gtd || (ls_iter > 1 && f_new >= f_prev)) {
                bracket_prev_and_new();
                break;
            }
            if (abs(gtd_new) <= S::py(-c2) * gtd) {
                bracket[0] = t;
                bracket_f[0] = f_new;
                *bracket_g[0] = g_new_;
                bracket_size = 1;
                done = true;
                break;
            }
            if (gtd_new >= S::py(0)) {
                bracket_prev_and_new();
                break;
            }
            // interpolate
            const S min_step = t + S::py(0.01) * (t - t_prev);
            const S max_step = t * S::py(10);
            const S tmp = t;
            const std::pair<S, S> bounds{min_step, max_step};
            t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, &bounds);

            // next step
            t_prev = tmp;
            f_prev = f_new;
            std::swap(g_prev_, g_new_);  // g_prev = g_new; g_new is overwritten next
            g_prev_is_g = false;
            g_new_.resize(n);
            gtd_prev = gtd_new;
            f_new = directional_evaluate(closure, t, g_new_);
            ls_func_evals += 1;
            gtd_new = S::ten(cmap(g_new_).dot(d));
            ls_iter += 1;
        }

        // reached max number of iterations (torch: ls_iter == max_ls, the same as no bracket yet)?
        // bracket_gtd is then unused: the zoom below does not run.
        if (bracket_size == 0) {
            bracket[0] = S::py(0);
            bracket[1] = t;
            bracket_f[0] = f;
            bracket_f[1] = f_new;
            *bracket_g[0] = g;
            *bracket_g[1] = g_new_;
            bracket_size = 2;
        }

        // zoom phase: refine the bracket until a point satisfies the conditions
        bool insuf_progress = false;
        int low_pos = 0, high_pos = 1;
        // with one entry torch compares it with itself (true unless NaN, where torch raises IndexError)
        if (bracket_size == 2 && !(bracket_f[0] <= bracket_f[1])) std::swap(low_pos, high_pos);
        while (!done && ls_iter < max_ls) {
            // line-search bracket is so small
            if (abs(bracket[1] - bracket[0]) * d_norm < S::py(tolerance_change)) break;

            // compute new trial value
            t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]);

            // If t is close to an end of the bracket and the last trial made little progress too (or
            // t is at an end), move it 0.1 of the bracket's length away from that end.
            const S hi = py_max(bracket[0], bracket[1]), lo = py_min(bracket[0], bracket[1]);
            const S eps = S::py(0.1) * (hi - lo);
            if (py_min(hi - t, t - lo) < eps) {
                if (insuf_progress || t >= hi || t <= lo) {
                    t = abs(t - hi) < abs(t - lo) ? hi - eps : lo + eps;
                    insuf_progress = false;
                } else {
                    insuf_progress = true;
                }
            } else {
                insuf_progress = false;
            }

            // evaluate the new point
            f_new = directional_evaluate(closure, t, g_new_);
            ls_func_evals += 1;
            gtd_new = S::ten(cmap(g_new_).dot(d));
            ls_iter += 1;

            if (S::py(f_new) > S::py(f) + S::py(c1) * t * gtd || f_new >= bracket_f[low_pos]) {
                // Armijo condition not satisfied or not lower than the lowest point
                bracket[high_pos] = t;
                bracket_f[high_pos] = f_new;
                *bracket_g[high_pos] = g_new_;
                bracket_gtd[high_pos] = gtd_new;
                low_pos = bracket_f[0] <= bracket_f[1] ? 0 : 1;
                high_pos = 1 - low_pos;
            } else {
                if (abs(gtd_new) <= S::py(-c2) * gtd) {
                    done = true;  // Wolfe conditions satisfied
                } else if (gtd_new * (bracket[high_pos] - bracket[low_pos]) >= S::py(0)) {
                    // old high becomes new low
                    bracket[high_pos] = bracket[low_pos];
                    bracket_f[high_pos] = bracket_f[low_pos];
                    std::swap(bracket_g[high_pos], bracket_g[low_pos]);  // the low one is replaced next
                    bracket_gtd[high_pos] = bracket_gtd[low_pos];
                }
                // new point becomes new low
                bracket[low_pos] = t;
                bracket_f[low_pos] = f_new;
                *bracket_g[low_pos] = g_new_;
                bracket_gtd[low_pos] = gtd_new;
            }
        }

        std::swap(flat_grad_, *bracket_g[low_pos]);
        return {bracket_f[low_pos], bracket[low_pos], ls_func_evals};
    }

    std::vector<ArrayRef<T>> params_;
    std::size_t numel_ = 0;
    Hyper hyper_;
    State state_;
    // Work buffers, kept between steps so that steps do not allocate.
    std::vector<T> flat_grad_, y_, s_, q_, x_init_, ls_g_, g_new_, g_prev_, bracket_g_[2];
};

}  // namespace gradkit::optim
