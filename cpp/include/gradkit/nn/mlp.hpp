// A multilayer perceptron computed as scikit-learn's MLP computes it: `_forward_pass`, the loss with
// its L2 term, and `_backprop`/`_compute_loss_grad` (sklearn/neural_network/_multilayer_perceptron.py),
// for float and double.
//
// The network owns its parameters in one buffer laid out by nn::Layout (coefs then intercepts, each
// coefficient block row-major (fan_in, fan_out)), so Python can view coefs_[i] and intercepts_[i] in
// place and an optimizer can step the whole network as one flat array. Initial values are copied in
// (set_params / set_coef / set_intercept): the Python layer draws them with NumPy's RandomState as
// sklearn's `_init_coef` does, or nn::glorot_uniform_init draws the same numbers here.
//
// All scratch memory lives in a Workspace made once for the largest batch: forward and backward
// write only into it (Eigen products are evaluated with noalias() into its buffers, no temporaries).
//
// Threads: the products are Eigen's GEMM, on OpenMP threads (gradkit_core is built with OpenMP; the
// team size is the calling thread's omp_get_max_threads(), set by gradkit.set_num_threads). backprop
// splits a large enough batch into row ranges, one per thread, each running its products on one thread
// (backprop_parts); forward and predict give each product product_threads() threads (parallel.hpp),
// so that a product too small to gain from a second thread runs on one.
// Eigen packs the blocks of a product into a buffer of its own, as any BLAS does: on the stack on one
// thread while it fits EIGEN_STACK_ALLOCATION_LIMIT (128 KB), on the heap for larger or multithreaded
// products (cpp/tests/no_malloc checks that nothing else allocates). Sums may round differently with
// another thread count; with the same one, the same inputs give the same bits wherever they lie.
#pragma once

// Products always go through Eigen's GEMM/GEMV kernels (CMakeLists.txt sets this for every translation
// unit; see there). GEMM's results do not depend on the operands' alignment; GEMV's dot products (a
// one-column result: a one-output layer) do, which is why the parameters and every workspace buffer
// start on a 64-byte boundary (aligned_vector.hpp). The caller's X is read where it lies: only a
// network without hidden layers and with one output takes a dot product over X's rows.
#ifndef EIGEN_GEMM_TO_COEFFBASED_THRESHOLD
#define EIGEN_GEMM_TO_COEFFBASED_THRESHOLD 0
#endif
#include <Eigen/Core>
static_assert(EIGEN_GEMM_TO_COEFFBASED_THRESHOLD == 0,
              "gradkit::nn needs EIGEN_GEMM_TO_COEFFBASED_THRESHOLD=0 wherever Eigen is included");

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gradkit/nn/activation.hpp"
#include "gradkit/nn/dropout.hpp"
#include "gradkit/nn/layout.hpp"
#include "gradkit/nn/loss.hpp"
#include "gradkit/nn/workspace.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::nn {

namespace detail {

// `coef_grads += alpha * coefs; coef_grads /= sw_sum`, rounded step by step as NumPy does.
template <typename T>
void regularized_mean_kernel(T* __restrict g, const T* __restrict w, T alpha, T sw_sum, std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) g[i] = optim::plus(g[i], alpha * w[i]) / sw_sum;
}

// `np.sum(deltas, axis=0)` (divided by sw_sum later): NumPy adds the rows one after another.
template <typename T>
void column_sum_kernel(const T* __restrict d, T* __restrict g, std::size_t rows, std::size_t cols) {
    for (std::size_t j = 0; j < cols; ++j) g[j] = d[j];
    for (std::size_t r = 1; r < rows; ++r)
        for (std::size_t j = 0; j < cols; ++j) g[j] += d[r * cols + j];
}

// g += other on [b, e): one part's gradient sums added to another's.
template <typename T>
void add_kernel(T* __restrict g, const T* __restrict other, std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) g[i] += other[i];
}

// dst = a * b, evaluated by Eigen's GEMM into dst (no temporary) on product_threads' count of threads.
template <typename Dst, typename Lhs, typename Rhs>
void multiply_into(Dst&& dst, const Lhs& a, const Rhs& b) {
    const ScopedThreads threads(product_threads(static_cast<std::size_t>(a.rows()), static_cast<std::size_t>(a.cols()),
                                                static_cast<std::size_t>(b.cols())));
    dst.noalias() = a * b;
}

// The sum of w² in double, in eight running sums so that the loop vectorises (a single running sum is
// a chain of dependent adds: 50 µs a minibatch for a 59k-weight network). Its last bits differ from
// one sum's, as NumPy's dot differs from both; only the loss reads it.
template <typename T>
double squared_norm(const T* __restrict w, std::size_t n) {
    constexpr std::size_t lanes = 8;
    double sums[lanes] = {};
    std::size_t i = 0;
    for (; i + lanes <= n; i += lanes)
        for (std::size_t j = 0; j < lanes; ++j) sums[j] += static_cast<double>(w[i + j]) * static_cast<double>(w[i + j]);
    double s = 0.0;
    for (std::size_t j = 0; j < lanes; ++j) s += sums[j];
    for (; i < n; ++i) s += static_cast<double>(w[i]) * static_cast<double>(w[i]);
    return s;
}

}  // namespace detail

// Rows per block of a threaded predict: a block's activations stay in the L2 cache of its core.
inline constexpr std::size_t kPredictBlockRows = 256;

template <typename T>
class MLP {
public:
    using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using MatrixMap = Eigen::Map<RowMatrix>;
    using ConstMatrixMap = Eigen::Map<const RowMatrix>;

    // layer_units = [n_features, hidden..., n_outputs]. The output activation fixes the loss, as in
    // sklearn: identity -> squared_error, exp -> poisson, softmax -> log_loss, logistic -> binary_log_loss.
    // hidden_params: the hidden activation's parameters (leaky_relu's slope). Parameters start at zero;
    // set them before use.
    MLP(std::vector<std::size_t> layer_units, Activation hidden, Activation output, ActivationParams hidden_params = {})
        : MLP(std::move(layer_units), hidden, output, LossFunction{loss_for_output(output)}, hidden_params) {}

    // The same with the loss given: sklearn's for the output, or a regression loss (absolute_error,
    // huber, pinball) after an identity output.
    MLP(std::vector<std::size_t> layer_units, Activation hidden, Activation output, LossFunction loss,
        ActivationParams hidden_params = {})
        : layout_(std::move(layer_units)), hidden_(hidden), output_(output), hidden_params_(hidden_params), loss_(loss) {
        if (!is_hidden_activation(hidden))
            throw std::invalid_argument(std::string("activation '") + activation_name(hidden) +
                                        "' cannot be a hidden activation; expected identity, logistic, tanh, relu, "
                                        "leaky_relu, elu, gelu, gelu_tanh, silu or softplus");
        if (!(hidden_params.negative_slope >= 0.0) || std::isinf(hidden_params.negative_slope))
            throw std::invalid_argument("negative_slope must be a finite number >= 0, got " +
                                        std::to_string(hidden_params.negative_slope));
        check_loss(loss, output);
        params_.assign(layout_.size(), T(0));
    }

    const Layout& layout() const { return layout_; }
    Activation hidden_activation() const { return hidden_; }
    const ActivationParams& hidden_params() const { return hidden_params_; }
    Activation output_activation() const { return output_; }
    Loss loss() const { return loss_.kind; }
    const LossFunction& loss_function() const { return loss_; }

    // All parameters, laid out as layout() says (sklearn's _pack order).
    T* params() { return params_.data(); }
    const T* params() const { return params_.data(); }
    std::size_t n_params() const { return params_.size(); }
    // coefs_[l]: row-major (fan_in(l), fan_out(l)); intercepts_[l]: fan_out(l).
    T* coef(std::size_t l) { return params_.data() + layout_.coef_offset(l); }
    const T* coef(std::size_t l) const { return params_.data() + layout_.coef_offset(l); }
    T* intercept(std::size_t l) { return params_.data() + layout_.intercept_offset(l); }
    const T* intercept(std::size_t l) const { return params_.data() + layout_.intercept_offset(l); }

    // Copies n_params() values in the packed layout.
    void set_params(const T* packed) { std::copy(packed, packed + params_.size(), params_.data()); }
    // Copies layer l's coefficients (fan_in × fan_out, row-major) / intercepts (fan_out).
    void set_coef(std::size_t l, const T* values) {
        std::copy(values, values + layout_.coef_size(l), coef(l));
    }
    void set_intercept(std::size_t l, const T* values) {
        std::copy(values, values + layout_.fan_out(l), intercept(l));
    }

    // sklearn's `_forward_pass` on `rows` rows of x (rows × n_features, row-major, read in place).
    // Fills ws.activations(l) for every layer and returns the output layer's (rows × n_outputs).
    const T* forward(const T* x, std::size_t rows, Workspace<T>& ws) const {
        require_workspace(ws, rows);
        forward_rows(x, 0, rows, ws, nullptr);
        return ws.activations(layout_.n_weight_layers() - 1);
    }

    // Writes the network's output for all `rows` rows of x into out (rows × n_outputs), a workspace
    // at a time: sklearn's `_forward_pass_fast`, for predict and predict_proba.
    void predict(const T* x, std::size_t rows, T* out, Workspace<T>& ws) const {
        const std::size_t nf = layout_.n_features(), no = layout_.n_outputs();
        for (std::size_t start = 0; start < rows; start += ws.capacity()) {
            const std::size_t m = std::min(ws.capacity(), rows - start);
            const T* p = forward(x + start * nf, m, ws);
            std::copy(p, p + m * no, out + start * no);
        }
    }

    // The same for all rows, with workspaces of its own: blocks of rows are shared among threads (one
    // parallel region for the whole pass, each block's products on one thread) when the pass is large
    // enough to gain from them. The blocks are the same whatever the thread count, and so are the bits.
    void predict(const T* x, std::size_t rows, T* out) const {
        if (rows == 0) return;
        const std::size_t block = std::min(rows, kPredictBlockRows);
        const std::size_t blocks = (rows + block - 1) / block;
        const int threads = product_threads(rows, layout_.size(), 1);
        std::vector<Workspace<T>> spaces;
        spaces.reserve(static_cast<std::size_t>(threads));
        for (int t = 0; t < threads && static_cast<std::size_t>(t) < blocks; ++t) spaces.emplace_back(layout_, block, false, 1);
        const std::size_t nf = layout_.n_features(), no = layout_.n_outputs();
        parallel_blocks(blocks, threads, [&](int thread, std::size_t b) {
            const std::size_t start = b * block, m = std::min(block, rows - start);
            const T* p = forward(x + start * nf, m, spaces[static_cast<std::size_t>(thread)]);
            std::copy(p, p + m * no, out + start * no);
        });
    }

    // sklearn's L2 term before scaling: the sum over layers of ||coefs_[l]||².
    double coef_squared_norm() const {
        double values = 0.0;
        for (std::size_t l = 0; l < layout_.n_weight_layers(); ++l)
            values += detail::squared_norm(coef(l), layout_.coef_size(l));
        return values;
    }

    // sklearn's `_backprop` on one batch: forward pass, loss + (0.5 alpha) sum ||W||² / sw_sum, then
    // ws.grads() = the gradient (coef grads (a^T delta + alpha W) / sw_sum, intercept grads
    // sum(delta) / sw_sum), where sw_sum is the batch's weight sum or its row count. Returns the loss.
    // Like sklearn's, the gradient of squared_error with k outputs is k times the derivative of its
    // loss (the loss averages over outputs, the delta p - y does not): the numbers are sklearn's.
    //
    // Threads: a batch with enough work (backprop_parts) is cut into as many consecutive row ranges as
    // threads, each run forward and backward on one thread with its own products (one parallel region
    // per batch rather than one per product, and each thread's products stay large), then the parts'
    // gradient sums are added. On one part the numbers are those of one pass over all rows. A deferred
    // batch (Workspace::defer_gather) has each range's rows copied first, on the thread of that range.
    //
    // With a dropout step, the hidden layers it drops from are masked as the step's masks say (the
    // same for any split of the rows: dropout.hpp), and the loss and gradient are those of that
    // masked network. Without one (the default) nothing is dropped.
    double backprop(const Batch<T>& batch, double alpha, Workspace<T>& ws, const DropoutStep& dropout = {}) const {
        const std::size_t n = batch.rows;
        require_workspace(ws, n);
        ws.provide_training_buffers(needs_preactivation(hidden_), [&](std::size_t l) { return dropout.on(l); });
        const int parts = backprop_parts(n, ws);
        const std::size_t nf = layout_.n_features();
        // Rows [begin, end): copied in if deferred, forward, then backward into the gradient sums g.
        auto pass = [&](std::size_t begin, std::size_t end, T* g) {
            if (batch.deferred) ws.gather_rows(batch, begin, end);
            forward_rows(batch.x + begin * nf, begin, end - begin, ws, &dropout);
            backward_rows(batch, begin, end - begin, g, ws, dropout);
        };
        // Then one pass over the flat gradient: the other parts' sums added, the L2 term and the mean.
        // The weight sum is read after the passes: a deferred batch's sample weights are gathered there.
        T* g = ws.grads();
        const T* w = params_.data();
        const T alpha_t = static_cast<T>(alpha);
        const std::size_t n_coefs = layout_.n_coefs();
        auto finish = [&, g, w](std::size_t b, std::size_t e) {
            const T sw_sum_t = static_cast<T>(weight_sum(batch.sample_weight, n));
            for (int part = 1; part < parts; ++part) detail::add_kernel(g, ws.part_grads(part), b, e);
            const std::size_t coefs_end = std::min(e, n_coefs);
            if (b < coefs_end) detail::regularized_mean_kernel(g, w, alpha_t, sw_sum_t, b, coefs_end);
            for (std::size_t i = std::max(b, n_coefs); i < e; ++i) g[i] /= sw_sum_t;
        };
        if (parts == 1) {
            pass(0, n, g);
            // Cut as the optimizer's step will cut the parameters (parallel_chunks over n_params()), so
            // each thread steps the part of the gradient it has just written and still holds in its cache.
            parallel_chunks(n_params(), finish);
        } else {
            finish_parts(parts, [&](int part) {
                const auto p = static_cast<std::size_t>(parts);
                const auto i = static_cast<std::size_t>(part);
                pass(i * n / p, (i + 1) * n / p, ws.part_grads(part));
            }, finish);
        }

        const std::size_t last = layout_.n_weight_layers() - 1;
        const T* sw = batch.sample_weight;
        double loss = loss_value(loss_, batch.y, ws.activations(last), sw, n, layout_.n_outputs());
        loss += (0.5 * alpha) * coef_squared_norm() / weight_sum(sw, n);
        return loss;
    }

    // How many row ranges backprop cuts a batch of `rows` rows into: one per thread that has
    // kMinProductWorkPerThread multiply-adds of the batch's products (about 3 × rows × n_params: the
    // forward products, and the weight and delta products backward), at most the workspace's
    // gradient_parts() and the number of rows.
    int backprop_parts(std::size_t rows, const Workspace<T>& ws) const {
        const int wanted = product_threads(rows, layout_.size(), 3);
        return static_cast<int>(std::max<std::size_t>(
            1, std::min({static_cast<std::size_t>(wanted), static_cast<std::size_t>(ws.gradient_parts()), rows})));
    }

private:
    // What weight layer l + 1 reads: hidden layer l's output, after dropout where it drops from layer l.
    const T* layer_input(const Workspace<T>& ws, std::size_t l, const DropoutStep& dropout) const {
        return dropout.on(l) ? ws.dropped(l) : ws.activations(l);
    }

    // The forward pass of `rows` rows starting at x (row `begin` of the batch): writes rows
    // [begin, begin + rows) of every layer's activations. A training pass (`training` non-null) also
    // keeps the hidden layers' pre-activations where the derivative needs them, and applies dropout.
    void forward_rows(const T* x, std::size_t begin, std::size_t rows, Workspace<T>& ws,
                      const DropoutStep* training) const {
        const T* in = x;
        const std::size_t layers = layout_.n_weight_layers();
        const auto n = static_cast<Eigen::Index>(rows);
        for (std::size_t l = 0; l < layers; ++l) {
            const std::size_t cols = layout_.fan_out(l);
            const auto fi = static_cast<Eigen::Index>(layout_.fan_in(l));
            const auto fo = static_cast<Eigen::Index>(cols);
            T* out = ws.activations(l) + begin * cols;
            detail::multiply_into(MatrixMap(out, n, fo), ConstMatrixMap(in, n, fi), ConstMatrixMap(coef(l), fi, fo));
            if (l + 1 == layers) {
                add_bias_and_activate(output_, out, intercept(l), rows, cols);
                break;
            }
            T* pre = training && ws.preactivations(l) ? ws.preactivations(l) + begin * cols : nullptr;
            add_bias_and_activate(hidden_, out, intercept(l), rows, cols, hidden_params_, pre);
            in = out;
            if (training && training->on(l)) {
                // The un-dropped output stays in activations(l) for the derivative; the next layer reads
                // the dropped one. Rows are numbered within the batch, so any split gives the same masks.
                T* dropped = ws.dropped(l);
                training->dropout->apply(l, training->step, ws.activations(l), dropped, cols, begin, begin + rows);
                in = dropped + begin * cols;
            }
        }
    }

    // The backward pass of rows [begin, begin + rows) of the batch after their forward pass: their
    // deltas, and into g (laid out like the parameters) their gradient sums before scaling: a^T delta
    // per coefficient block, the column sums of delta per intercept.
    void backward_rows(const Batch<T>& batch, std::size_t begin, std::size_t rows, T* g, Workspace<T>& ws,
                       const DropoutStep& dropout) const {
        const std::size_t layers = layout_.n_weight_layers(), last = layers - 1, k = layout_.n_outputs();
        // The output delta is p - y for every (output activation, loss) pair sklearn uses; the
        // regression losses beyond sklearn's have their own (loss.hpp: output_delta).
        const T* p = ws.activations(last) + begin * k;
        const T* y = batch.y + begin * k;
        const T* sw = batch.sample_weight ? batch.sample_weight + begin : nullptr;
        T* d = ws.deltas(last) + begin * k;
        const LossFunction loss = loss_;
        parallel_rows(rows, k, [=](std::size_t rb, std::size_t re) { output_delta(loss, p, y, sw, d, k, rb, re); });

        const auto n = static_cast<Eigen::Index>(rows);
        for (std::size_t l = layers; l-- > 0;) {
            const std::size_t fan_in = layout_.fan_in(l), fan_out = layout_.fan_out(l);
            const auto fi = static_cast<Eigen::Index>(fan_in), fo = static_cast<Eigen::Index>(fan_out);
            const T* a_prev = l == 0 ? batch.x + begin * fan_in : layer_input(ws, l - 1, dropout) + begin * fan_in;
            const T* d_l = ws.deltas(l) + begin * fan_out;
            ConstMatrixMap delta(d_l, n, fo);
            detail::multiply_into(MatrixMap(g + layout_.coef_offset(l), fi, fo), ConstMatrixMap(a_prev, n, fi).transpose(),
                                  delta);
            detail::column_sum_kernel(d_l, g + layout_.intercept_offset(l), rows, fan_out);
            if (l > 0) {
                T* d_prev = ws.deltas(l - 1) + begin * fan_in;
                detail::multiply_into(MatrixMap(d_prev, n, fi), delta, ConstMatrixMap(coef(l), fi, fo).transpose());
                // Dropout's mask is recomputed (not stored): the same hash gives the same units, and
                // the derivative then reads the un-dropped output (or pre-activation).
                if (dropout.on(l - 1))
                    dropout.dropout->apply(l - 1, dropout.step, ws.deltas(l - 1), ws.deltas(l - 1), fan_in, begin,
                                           begin + rows);
                const T* pre = ws.preactivations(l - 1) ? ws.preactivations(l - 1) + begin * fan_in : nullptr;
                multiply_by_derivative(hidden_, ws.activations(l - 1) + begin * fan_in, d_prev, rows * fan_in,
                                       hidden_params_, pre);
            }
        }
    }

    // One parallel region for a split batch (a region costs microseconds; a digits batch takes ~150):
    // thread t runs part(t), then, after a barrier, finish() on its chunk of the flat gradient, cut as
    // parallel_chunks cuts it where it would split (so the optimizer's threads step what they have
    // just written), else evenly. An exception in a part is rethrown after the region; no chunk is
    // finished then (every thread still reaches the barrier: an exception must not leave the region).
    template <class Part, class Finish>
    void finish_parts(int parts, Part&& part, Finish&& finish) const {
        const std::size_t n = n_params();
        const int step_threads = chunk_threads(n);
        const int chunks = step_threads > 1 ? std::min(step_threads, parts) : parts;
        std::exception_ptr error;
        bool failed = false;
#ifdef _OPENMP
#pragma omp parallel num_threads(parts)
#endif
        {
#ifdef _OPENMP
            const int t = omp_get_thread_num(), team = omp_get_num_threads();
#else
            const int t = 0, team = 1;
#endif
            // A team smaller than asked (OMP_DYNAMIC, a thread limit) runs the remaining parts in turn.
            for (int k = t; k < parts; k += team) {
                try {
                    const ScopedThreads one(1);
                    part(k);
                } catch (...) {
#ifdef _OPENMP
#pragma omp critical(gradkit_finish_parts_error)
#endif
                    {
                        if (!error) error = std::current_exception();
                        failed = true;
                    }
                }
            }
#ifdef _OPENMP
#pragma omp barrier
#endif
            if (!failed)
                for (int k = t; k < chunks; k += team) {
                    const auto [b, e] = chunk_range(n, chunks, k);
                    if (b < e) finish(b, e);
                }
        }
        if (error) std::rethrow_exception(error);
    }

    void require_workspace(const Workspace<T>& ws, std::size_t rows) const {
        if (ws.layout() != layout_) throw std::invalid_argument("the workspace was made for another network");
        ws.require_rows(rows);
    }

    Layout layout_;
    Activation hidden_, output_;
    ActivationParams hidden_params_;
    LossFunction loss_;
    AlignedVector<T> params_;  // 64-byte aligned, as the workspaces' buffers
};

}  // namespace gradkit::nn
