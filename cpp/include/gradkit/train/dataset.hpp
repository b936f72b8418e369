// A training or validation set as rows of the caller's arrays, read where they lie: X (n × n_features),
// the targets -- Y (n × n_outputs, as the network sees them: sklearn's binarized labels or the
// regression targets), or for single-label multiclass data the class of each row, whose one-hot row
// is its target (n_outputs times less memory than Y) -- and the sample weights, optionally restricted
// to and ordered by an index of rows. The
// index is how an early-stopping split reads X without copying it (sklearn copies X_train and X_val).
#pragma once

#include <cstddef>
#include <cstdint>

#include "gradkit/nn/workspace.hpp"

namespace gradkit::train {

template <typename T>
struct Rows {
    const T* X = nullptr;
    const T* Y = nullptr;              // null: the targets are the one-hot rows of labels
    const T* sample_weight = nullptr;  // null: every row weighs 1
    const std::int64_t* index = nullptr;  // null: rows 0 .. size-1 in order
    std::size_t size = 0;
    const std::int64_t* labels = nullptr;  // with Y null: each row's class, in [0, n_outputs)

    std::size_t row(std::size_t i) const { return index ? static_cast<std::size_t>(index[i]) : i; }

    // Rows [start, start + count) of this set as one batch: read in place when they are consecutive
    // rows of X, otherwise gathered into the workspace (one-hot targets are always written there).
    nn::Batch<T> batch(std::size_t start, std::size_t count, nn::Workspace<T>& ws) const {
        if (!index) {
            const std::size_t nf = ws.layout().n_features(), no = ws.layout().n_outputs();
            const T* sw = sample_weight ? sample_weight + start : nullptr;
            if (!Y) return ws.one_hot(X + start * nf, labels + start, sw, count);
            return {X + start * nf, Y + start * no, sw, count};
        }
        return ws.gather(X, Y, labels, sample_weight, index + start, count);
    }
};

}  // namespace gradkit::train
