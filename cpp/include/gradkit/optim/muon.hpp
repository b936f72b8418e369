// Muon (Jordan et al. 2024): SGD momentum whose update is orthogonalised by a Newton–Schulz iteration,
// with decoupled weight decay: torch.optim.Muon (torch 2.13, torch/optim/_muon.py), for matrices only.
//
// One step of a rows x cols parameter p with gradient g and momentum buffer m (torch's order and roundings):
//   m = lerp(m, g, 1 - momentum)                      torch's buf.lerp_(grad, 1 - momentum)
//   u = nesterov ? lerp(g, m, momentum) : m           grad.lerp(buf, momentum)
//   O = NS(u)                                         _zeropower_via_newtonschulz, in ns_dtype (below)
//   p = p * (1 - lr * weight_decay)                   param.mul_(...), rounded
//   p = p - adjusted_lr * O                           param.add_(O, alpha=-adjusted_lr): one multiply-add
// where adjusted_lr = lr * sqrt(max(1, A / B)) ("original", the default) or lr * 0.2 * sqrt(max(A, B))
// ("match_rms_adamw"), with A, B = p.shape as torch reads it, (out_features, in_features) for
// nn.Linear.weight. rows_are_inputs = true says the matrices are (in, out) instead, as scikit-learn's coefs_
// and the trainer's layers are (x @ W): A and B swap, so a matrix gets the adjusted_lr torch gives its
// transpose. Nothing else depends on the orientation: NS of a matrix's transpose is the transpose of its NS,
// bit for bit, since NS always works on the wide orientation (below).
//
// NS(u), torch's _zeropower_via_newtonschulz: X = u (transposed if rows > cols, so that X is m x n with
// m <= n); X = X / max(||X||_F, eps); then ns_steps times, with (a, b, c) = ns_coefficients:
//   G = X X^T;   B = b G + c G G;   X = a X + B X
// and the transpose back. torch runs it in bfloat16; ns_dtype picks how it is run here:
//   "bfloat16"  torch's numbers: float32 arithmetic rounded to bfloat16 (round_bf16) wherever torch's
//               bfloat16 tensors are rounded. On CPU torch's bfloat16 matrix products (oneDNN's brgemm)
//               multiply bfloat16 operands exactly, accumulate in float32 and round once, at the end,
//               after the addmm's scaling: G = bf(acc(X X^T)); B = bf(fma(b, G, c * acc(G G)));
//               X = bf(fma(a, X, acc(B X))); the norm is accumulated wide and rounded to bfloat16, and the
//               division X / norm is a float32 division rounded to bfloat16. The accumulation order of
//               the products is Eigen's, not oneDNN's, so a sum that falls within a float32 rounding of a
//               bfloat16 midpoint can round the other way: about 1 element in 10^4 of a 256 x 1024 product
//               differs by one bfloat16 step (tests/test_optim_muon.py states what this does to a run).
//   "float32", "float64"  the same iteration in float32 / float64 arithmetic (Eigen's products); the input
//               is converted to that type (torch's .to(dtype)) and the update applied in the wider of it
//               and the parameter's type, as torch's add_ of a tensor of another dtype.
// ns_coefficients are cast to the iteration's arithmetic type (float32 for bfloat16), as oneDNN takes
// torch's alpha and beta.
//
// Matrices only (refuse_param): a caller holding its matrices in its own buffers (the trainer's layers,
// stored (fan_in, fan_out) as scikit-learn's coefs_) adds each as matrix_ref(data, fan_in, fan_out) to a
// ParamGroup<Muon, T> whose Hyper has rows_are_inputs = true, and steps its other parameters (biases)
// with another algorithm, as torch's documentation pairs Muon with AdamW.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "gradkit/optim/array_ref.hpp"
#include "gradkit/optim/bfloat16.hpp"
#include "gradkit/optim/check.hpp"
#include "gradkit/optim/each_stepped.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct Muon {
    static constexpr const char* name = "Muon";

    enum class NsDtype { bfloat16, float32, float64 };

    struct Hyper {
        double lr = 1e-3;
        double weight_decay = 0.1;
        double momentum = 0.95;
        bool nesterov = true;
        std::vector<double> ns_coefficients{3.4445, -4.7750, 2.0315};
        double eps = 1e-7;
        int ns_steps = 5;
        std::optional<std::string> adjust_lr_fn;  // None is "original"
        // gradkit's own: the arithmetic of the Newton–Schulz iteration, and the matrices' orientation.
        std::string ns_dtype = "bfloat16";
        bool rows_are_inputs = false;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("weight_decay", weight_decay);
            v("momentum", momentum);
            v("nesterov", nesterov);
            v("ns_coefficients", ns_coefficients);
            v("eps", eps);
            v("ns_steps", ns_steps);
            v("adjust_lr_fn", adjust_lr_fn);
            v("ns_dtype", ns_dtype);
            v("rows_are_inputs", rows_are_inputs);
        }
    };

    static std::optional<NsDtype> parse_ns_dtype(const std::string& s) {
        if (s == "bfloat16") return NsDtype::bfloat16;
        if (s == "float32") return NsDtype::float32;
        if (s == "float64") return NsDtype::float64;
        return std::nullopt;
    }

    // torch's checks and messages (its constructor's; the coefficient count and ns_steps < 100 torch checks
    // at the first step), and gradkit's for what torch does not check: ns_steps >= 0, eps >= 0, finite
    // coefficients, ns_dtype.
    static void validate(const Hyper& h) {
        if (!(0.0 <= h.lr)) invalid("Learning rate should be >= 0 but is: " + repr(h.lr));
        if (!(0.0 <= h.momentum)) invalid("momentum should be >= 0 but is: " + repr(h.momentum));
        if (!(0.0 <= h.weight_decay)) invalid("weight decay should be >= 0 but is: " + repr(h.weight_decay));
        if (h.adjust_lr_fn && *h.adjust_lr_fn != "original" && *h.adjust_lr_fn != "match_rms_adamw")
            invalid("Adjust learning rate function " + *h.adjust_lr_fn + " is not supported");
        if (h.ns_coefficients.size() != 3) invalid("Coefficients must be a tuple of exactly 3 values");
        for (double x : h.ns_coefficients)
            if (!std::isfinite(x))
                invalid("ns_coefficients must be finite, got (" + repr(h.ns_coefficients[0]) + ", " +
                        repr(h.ns_coefficients[1]) + ", " + repr(h.ns_coefficients[2]) + ")");
        if (h.ns_steps >= 100) invalid("Number of steps must be less than 100 for computational efficiency");
        if (h.ns_steps < 0) invalid("ns_steps should be >= 0 but is: " + std::to_string(h.ns_steps));
        if (!(0.0 <= h.eps)) invalid("eps should be >= 0 but is: " + repr(h.eps));
        if (!parse_ns_dtype(h.ns_dtype))
            invalid("ns_dtype must be 'bfloat16', 'float32' or 'float64', got '" + h.ns_dtype + "'");
    }

    template <typename T>
    struct State {
        std::vector<T> momentum_buffer;

        template <class V>
        void visit(V&& v) {
            v("momentum_buffer", momentum_buffer);
        }
    };

    // torch creates the buffer, zeros, at a parameter's first step.
    template <typename T>
    static void init(const Hyper&, State<T>& s, const T*, std::size_t n) {
        s.momentum_buffer.assign(n, T(0));
    }

    // Matrices only, as torch's Muon; the message says what to do with the rest.
    template <typename T>
    static std::string refuse_param(const ArrayRef<T>& p) {
        if (p.ndim == 2 && p.rows * p.cols == p.size) return {};
        if (p.ndim == 2)
            return "a view of " + std::to_string(p.size) + " elements cannot be " + std::to_string(p.rows) + " x " +
                   std::to_string(p.cols);
        return "Muon takes 2-D parameters only (weight matrices); use Muon for 2-D weight matrices and AdamW for "
               "biases/other parameters, e.g. two optimizers: Muon([W1, W2]) and AdamW([b1, b2])";
    }

    // torch's _adjust_lr for a rows x cols parameter (rows and cols swapped when rows_are_inputs), in double
    // as torch's Python floats.
    static double adjusted_lr(const Hyper& h, std::size_t rows, std::size_t cols) {
        double a = static_cast<double>(rows), b = static_cast<double>(cols);
        if (h.rows_are_inputs) std::swap(a, b);
        double ratio = 1.0;
        if (!h.adjust_lr_fn || *h.adjust_lr_fn == "original")
            ratio = std::sqrt(std::max(1.0, a / b));
        else if (*h.adjust_lr_fn == "match_rms_adamw")
            ratio = 0.2 * std::sqrt(std::max(a, b));
        return h.lr * ratio;
    }

    template <typename C>
    using Matrix = Eigen::Matrix<C, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

    // The value torch's iteration starts from: u converted to the iteration's type (bfloat16: rounded).
    template <typename C, bool Bf16, typename T>
    static C to_ns(T u) {
        if constexpr (Bf16)
            return round_bf16(u);
        else
            return static_cast<C>(u);
    }

    template <bool Bf16, typename C>
    static C rounded(C x) {
        if constexpr (Bf16)
            return round_bf16(x);
        else
            return x;
    }

    // dst = lhs * rhs by Eigen's GEMM, on as many threads as the product's size is worth (parallel.hpp).
    template <typename Dst, typename Lhs, typename Rhs>
    static void multiply_into(Dst& dst, const Lhs& lhs, const Rhs& rhs) {
        const ScopedThreads threads(product_threads(static_cast<std::size_t>(lhs.rows()),
                                                    static_cast<std::size_t>(lhs.cols()),
                                                    static_cast<std::size_t>(rhs.cols())));
        dst.noalias() = lhs * rhs;
    }

    // torch's _zeropower_via_newtonschulz on X (m x n, m <= n), in place, in C arithmetic rounded to
    // bfloat16 where Bf16 (see the top of this file for where torch rounds).
    template <typename C, bool Bf16>
    static void newton_schulz(const Hyper& h, Matrix<C>& X) {
        const Eigen::Index m = X.rows(), n = X.cols();
        C* x = X.data();
        const std::size_t size = static_cast<std::size_t>(m * n);
        // ||X||_F, accumulated in double (torch accumulates a bfloat16 or float32 norm wider than it and
        // rounds the result), clamped below at eps as torch's clamp(min=eps): NaN passes.
        double sum = 0.0;
        for (std::size_t i = 0; i < size; ++i) sum += static_cast<double>(x[i]) * static_cast<double>(x[i]);
        C norm;
        if constexpr (std::is_same_v<C, double>)
            norm = std::sqrt(sum);
        else
            norm = rounded<Bf16>(static_cast<float>(std::sqrt(sum)));
        const C eps = rounded<Bf16>(static_cast<C>(h.eps));
        norm = norm < eps ? eps : norm;
        for (std::size_t i = 0; i < size; ++i) x[i] = rounded<Bf16>(x[i] / norm);

        const C a = static_cast<C>(h.ns_coefficients[0]);
        const C b = static_cast<C>(h.ns_coefficients[1]);
        const C c = static_cast<C>(h.ns_coefficients[2]);
        Matrix<C> G(m, m), B(m, m), Y(m, n);
        C* g = G.data();
        C* bb = B.data();
        const C* y = Y.data();
        const std::size_t gram = static_cast<std::size_t>(m * m);
        for (int step = 0; step < h.ns_steps; ++step) {
            multiply_into(G, X, X.transpose());  // gram_matrix = X @ X.T
            if constexpr (Bf16)
                for (std::size_t i = 0; i < gram; ++i) g[i] = round_bf16(g[i]);
            multiply_into(B, G, G);  // gram_update = addmm(G, G, G, beta=b, alpha=c)
            for (std::size_t i = 0; i < gram; ++i) bb[i] = rounded<Bf16>(std::fma(b, g[i], bb[i] * c));
            multiply_into(Y, B, X);  // X = addmm(X, gram_update, X, beta=a)
            for (std::size_t i = 0; i < size; ++i) x[i] = rounded<Bf16>(std::fma(a, x[i], y[i]));
        }
    }

    // One parameter's step, the iteration in C arithmetic (rounded to bfloat16 where Bf16).
    template <typename T, typename C, bool Bf16>
    static void step_matrix(const Hyper& h, const ArrayRef<T>& p, const T* __restrict g, T* __restrict buf,
                            const T* __restrict scale) {
        const std::size_t rows = p.rows, cols = p.cols;
        if (rows == 0 || cols == 0) return;  // nothing to update (torch's _adjust_lr would divide by 0)
        const bool tall = rows > cols;  // torch orthogonalises the wide orientation
        const std::size_t m = tall ? cols : rows, n = tall ? rows : cols;
        Matrix<C> X(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(n));
        C* x = X.data();
        const T keep = static_cast<T>(1.0 - h.momentum);
        const T mu = static_cast<T>(h.momentum);
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t j = 0; j < cols; ++j) {
                const std::size_t i = r * cols + j;
                const T m_i = lerp(buf[i], g[i], keep);
                buf[i] = m_i;
                const T u = h.nesterov ? lerp(g[i], m_i, mu) : m_i;
                x[tall ? j * rows + r : i] = to_ns<C, Bf16>(u);
            }
        newton_schulz<C, Bf16>(h, X);

        // param.mul_(1 - lr * wd) in T; param.add_(O, alpha=-adjusted_lr) in the wider of T and C, one
        // multiply-add, as torch's add with alpha (in T for a bfloat16 O, which converts exactly).
        using U = std::conditional_t<(sizeof(C) > sizeof(T)), C, T>;
        const T decay = static_cast<T>(1.0 - h.lr * h.weight_decay);
        const T decay_rate = T(1) - decay;
        const U alpha = static_cast<U>(-adjusted_lr(h, rows, cols));
        T* __restrict w = p.data;
        with_scaled(scale, [&](auto is_scaled) {
            constexpr bool Scaled = decltype(is_scaled)::value;
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t j = 0; j < cols; ++j) {
                    const std::size_t i = r * cols + j;
                    const U o = static_cast<U>(x[tall ? j * rows + r : i]);
                    const T decayed = w[i] * scaled_decay<Scaled>(decay, decay_rate, scale, i);
                    const U step = Scaled ? alpha * static_cast<U>(scale[i]) : alpha;
                    w[i] = static_cast<T>(std::fma(step, o, static_cast<U>(decayed)));
                }
        });
    }

    // The whole group's step (param_group.hpp's step_group hook): every parameter with a gradient is
    // checked before any changes; then each is stepped in turn, its iteration's products threaded by Eigen.
    template <typename T>
    static void step_group(const Hyper& h, const std::vector<ArrayRef<T>>& params,
                           std::vector<std::optional<State<T>>>& states, const T* const* grads,
                           const std::vector<ArrayRef<const T>>& scales) {
        // (Every parameter is a matrix: ParamGroup::add_param refused any other with refuse_param.)
        for (std::size_t i = 0; i < params.size(); ++i) {
            if (grads[i] == nullptr) continue;
            if (states[i] && states[i]->momentum_buffer.size() != params[i].size)
                invalid("state[" + std::to_string(i) + "]['momentum_buffer'] has " +
                        std::to_string(states[i]->momentum_buffer.size()) + " values, its parameter " +
                        std::to_string(params[i].size));
        }
        const NsDtype dtype = *parse_ns_dtype(h.ns_dtype);
        each_stepped(
            params, states, grads, scales, [&](State<T>& st, const ArrayRef<T>& p) { init(h, st, p.data, p.size); },
            [&](std::size_t i, State<T>& st, const T* scale) {
                T* buf = st.momentum_buffer.data();
                switch (dtype) {
                    case NsDtype::bfloat16:
                        step_matrix<T, float, true>(h, params[i], grads[i], buf, scale);
                        break;
                    case NsDtype::float32:
                        step_matrix<T, float, false>(h, params[i], grads[i], buf, scale);
                        break;
                    case NsDtype::float64:
                        step_matrix<T, double, false>(h, params[i], grads[i], buf, scale);
                        break;
                }
            });
    }
};

}  // namespace gradkit::optim
