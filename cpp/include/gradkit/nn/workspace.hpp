// Everything a forward/backward pass writes, allocated once for a maximum batch size, so that training
// allocates nothing per minibatch: each layer's activations and deltas, the gradient (in the network's
// parameter layout), one more gradient per extra thread a backward pass may split its rows among
// (MLP::backprop), and room to gather the rows of a shuffled minibatch. Training passes of some
// networks need more, made by provide_training_buffers on the first such pass through the workspace
// (before any minibatch loop's steps): the pre-activations of hidden layers whose activation's
// derivative reads them (gelu, silu), and the dropped-out outputs of hidden layers with dropout.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradkit/aligned_vector.hpp"
#include "gradkit/nn/layout.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::nn {

// A minibatch: `rows` consecutive rows of X (rows × n_features, row-major), of y (rows × n_outputs)
// and of the sample weights (null: all 1). Either the caller's own rows (an unshuffled slice of X,
// read in place) or rows gathered into a Workspace. y always lies as a matrix: targets given as class
// labels are expanded into one-hot rows in the workspace.
//
// A deferred batch (Workspace::defer_gather) points at the workspace's rows before they are copied:
// MLP::backprop has each thread copy the rows it computes (Workspace::gather_rows) before reading them.
template <typename T>
struct Batch {
    const T* x = nullptr;
    const T* y = nullptr;
    const T* sample_weight = nullptr;
    std::size_t rows = 0;
    bool deferred = false;
};

template <typename T>
class Workspace {
public:
    // gather=false leaves out the room to gather rows (for passes over rows that lie consecutively,
    // such as a full batch or predict, where that room would double X's memory). gradient_parts: the
    // most threads a backward pass through this workspace splits its rows among (1 for forward-only
    // use; the default, the calling thread's OpenMP team size).
    Workspace(const Layout& layout, std::size_t capacity, bool gather = true, int gradient_parts = max_threads())
        : layout_(layout), capacity_(capacity), gradient_parts_(std::max(1, gradient_parts)) {
        if (capacity == 0) throw std::invalid_argument("a workspace needs room for at least one row");
        const std::size_t layers = layout.n_weight_layers();
        activations_.resize(layers);
        deltas_.resize(layers);
        preactivations_.resize(layers);
        dropped_.resize(layers);
        for (std::size_t l = 0; l < layers; ++l) {
            activations_[l].resize(rows_times(layout.fan_out(l)));
            deltas_[l].resize(rows_times(layout.fan_out(l)));
        }
        grads_.resize(layout.size());
        partial_grads_.resize(static_cast<std::size_t>(gradient_parts_ - 1) * layout.size());
        if (gather) {
            x_.resize(rows_times(layout.n_features()));
            y_.resize(rows_times(layout.n_outputs()));
            sw_.resize(capacity);
        }
    }

    const Layout& layout() const { return layout_; }
    // The most rows one pass may take.
    std::size_t capacity() const { return capacity_; }

    // Output of weight layer l after its activation (sklearn's activations[l + 1]): rows × fan_out(l).
    T* activations(std::size_t l) { return activations_[l].data(); }
    const T* activations(std::size_t l) const { return activations_[l].data(); }
    // d loss / d (pre-activation) of weight layer l (sklearn's deltas[l]): rows × fan_out(l).
    T* deltas(std::size_t l) { return deltas_[l].data(); }
    const T* deltas(std::size_t l) const { return deltas_[l].data(); }
    // Weight layer l's pre-activation x·W + b, kept for a derivative that needs it; null until provided.
    T* preactivations(std::size_t l) { return preactivations_[l].empty() ? nullptr : preactivations_[l].data(); }
    const T* preactivations(std::size_t l) const {
        return preactivations_[l].empty() ? nullptr : preactivations_[l].data();
    }
    // Hidden layer l's output after dropout (what the next layer reads in a training pass); null until provided.
    T* dropped(std::size_t l) { return dropped_[l].empty() ? nullptr : dropped_[l].data(); }
    const T* dropped(std::size_t l) const { return dropped_[l].empty() ? nullptr : dropped_[l].data(); }
    // Makes the pre-activation buffers of the hidden layers (preactivations) and the dropout buffers of
    // the hidden layers l with dropped_layer(l), once: later calls asking for no more allocate nothing.
    template <class DroppedLayer>
    void provide_training_buffers(bool preactivations, DroppedLayer&& dropped_layer) {
        for (std::size_t l = 0; l + 1 < layout_.n_weight_layers(); ++l) {
            const std::size_t size = rows_times(layout_.fan_out(l));
            if (preactivations && preactivations_[l].size() != size) preactivations_[l].resize(size);
            if (dropped_layer(l) && dropped_[l].size() != size) dropped_[l].resize(size);
        }
    }
    // The gradient of the last backward pass, laid out like the network's parameters.
    T* grads() { return grads_.data(); }
    const T* grads() const { return grads_.data(); }
    // How many parts a backward pass may split its rows into, and the gradient buffer of part p
    // (part 0's is grads(), where the parts are summed).
    int gradient_parts() const { return gradient_parts_; }
    T* part_grads(int part) {
        return part == 0 ? grads_.data() : partial_grads_.data() + static_cast<std::size_t>(part - 1) * layout_.size();
    }

    // Copies rows index[0..rows) of X, y and sample_weight (which may be null) into the workspace, as
    // sklearn's `_safe_indexing(X, batch_idx)` does, and returns them as a batch. Without y (null),
    // labels gives each row's class (in [0, n_outputs)) and its target row is that class's one-hot
    // row: the rows LabelBinarizer would give, without an n × n_outputs matrix of them. Indices and
    // labels are not checked here: the caller's permutation of [0, n_samples) and labels are.
    Batch<T> gather(const T* X, const T* y, const std::int64_t* labels, const T* sample_weight,
                    const std::int64_t* index, std::size_t rows) {
        Batch<T> batch = defer_gather(X, y, labels, sample_weight, index, rows);
        gather_rows(batch, 0, rows);
        return batch;
    }

    // The same batch with nothing copied yet: the workspace keeps the arguments (which must stay valid
    // until the batch is used) and gather_rows copies any range of its rows. MLP::backprop copies each
    // thread's rows on that thread, so that they are copied in parallel and land in the cache of the
    // core that reads them.
    Batch<T> defer_gather(const T* X, const T* y, const std::int64_t* labels, const T* sample_weight,
                          const std::int64_t* index, std::size_t rows) {
        require_rows(rows);
        require_room();
        source_ = {X, y, labels, sample_weight, index};
        return {x_.data(), y_.data(), sample_weight ? sw_.data() : nullptr, rows, true};
    }

    // Copies rows [begin, end) of a deferred batch (of the last defer_gather) into place; other ranges
    // may be copied at the same time on other threads.
    void gather_rows(const Batch<T>& batch, std::size_t begin, std::size_t end) {
        if (!batch.deferred || batch.x != x_.data())
            throw std::logic_error("gather_rows: the batch was not deferred by this workspace");
        if (begin > end || end > batch.rows)
            throw std::out_of_range("gather_rows: rows [" + std::to_string(begin) + ", " + std::to_string(end) +
                                    ") are not rows of a batch of " + std::to_string(batch.rows));
        const std::size_t nf = layout_.n_features(), no = layout_.n_outputs();
        const Source& src = source_;
        // The rows lie anywhere in X, mostly beyond the caches: ask for rows kPrefetchRows ahead so that
        // several rows' memory reads overlap instead of one row's at a time.
        for (std::size_t r = begin; r < std::min(end, begin + kPrefetchRows); ++r)
            prefetch(src.X + static_cast<std::size_t>(src.index[r]) * nf, nf);
        for (std::size_t r = begin; r < end; ++r) {
            if (r + kPrefetchRows < end) prefetch(src.X + static_cast<std::size_t>(src.index[r + kPrefetchRows]) * nf, nf);
            const std::size_t from = static_cast<std::size_t>(src.index[r]);
            copy_row(src.X + from * nf, x_.data() + r * nf, nf);
            if (src.y) copy_row(src.y + from * no, y_.data() + r * no, no);
            else one_hot_row(src.labels[from], y_.data() + r * no, no);
            if (src.sample_weight) sw_[r] = src.sample_weight[from];
        }
    }

    // Consecutive rows read in place (x: rows × n_features, sample_weight: rows or null) with their
    // targets the one-hot rows of labels[0..rows), written into the workspace.
    Batch<T> one_hot(const T* x, const std::int64_t* labels, const T* sample_weight, std::size_t rows) {
        require_rows(rows);
        require_room();
        const std::size_t no = layout_.n_outputs();
        for (std::size_t r = 0; r < rows; ++r) one_hot_row(labels[r], y_.data() + r * no, no);
        return {x, y_.data(), sample_weight, rows};
    }

    // Throws unless 1 <= rows <= capacity().
    void require_rows(std::size_t rows) const {
        if (rows == 0 || rows > capacity_)
            throw std::invalid_argument("a batch of " + std::to_string(rows) + " rows does not fit a workspace for 1 to " +
                                        std::to_string(capacity_) + " rows");
    }

private:
    std::size_t rows_times(std::size_t cols) const {
        if (cols != 0 && capacity_ > static_cast<std::size_t>(-1) / cols)
            throw std::length_error("workspace: capacity times layer width overflows");
        return capacity_ * cols;
    }
    void require_room() const {
        if (sw_.size() < capacity_) throw std::logic_error("this workspace was made without room to gather rows");
    }
    static constexpr std::size_t kPrefetchRows = 8;
    // A hint only: it reads nothing and faults on nothing.
    static void prefetch(const T* from, std::size_t n) {
#if defined(__GNUC__) || defined(__clang__)
        const char* bytes = reinterpret_cast<const char*>(from);
        for (std::size_t at = 0; at < n * sizeof(T); at += 64) __builtin_prefetch(bytes + at);
#else
        (void)from;
        (void)n;
#endif
    }
    static void copy_row(const T* __restrict from, T* __restrict to, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) to[i] = from[i];
    }
    static void one_hot_row(std::int64_t label, T* __restrict to, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) to[i] = T(0);
        to[static_cast<std::size_t>(label)] = T(1);
    }

    // The arguments of the last defer_gather.
    struct Source {
        const T* X = nullptr;
        const T* y = nullptr;
        const std::int64_t* labels = nullptr;
        const T* sample_weight = nullptr;
        const std::int64_t* index = nullptr;
    };

    Layout layout_;
    std::size_t capacity_;
    int gradient_parts_;
    // 64-byte aligned, so that a product's bits do not depend on where the buffers lie (aligned_vector.hpp).
    std::vector<AlignedVector<T>> activations_, deltas_, preactivations_, dropped_;
    AlignedVector<T> grads_, partial_grads_, x_, y_, sw_;
    Source source_;
};

}  // namespace gradkit::nn
