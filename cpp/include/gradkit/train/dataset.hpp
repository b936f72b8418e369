// A training or validation set as rows of the caller's arrays, read where they lie: X (n × n_features),
// Y (n × n_outputs, the targets as the network sees them: sklearn's binarized labels or the regression
// targets) and the sample weights, optionally restricted to and ordered by an index of rows. The
// index is how an early-stopping split reads X without copying it (sklearn copies X_train and X_val).
#pragma once

#include <cstddef>
#include <cstdint>

#include "gradkit/nn/workspace.hpp"

namespace gradkit::train {

template <typename T>
struct Rows {
    const T* X = nullptr;
    const T* Y = nullptr;
    const T* sample_weight = nullptr;  // null: every row weighs 1
    const std::int64_t* index = nullptr;  // null: rows 0 .. size-1 in order
    std::size_t size = 0;

    std::size_t row(std::size_t i) const { return index ? static_cast<std::size_t>(index[i]) : i; }

    // Rows [start, start + count) of this set as one batch: read in place when they are consecutive
    // rows of X, otherwise gathered into the workspace.
    nn::Batch<T> batch(std::size_t start, std::size_t count, nn::Workspace<T>& ws) const {
        if (!index) {
            const std::size_t nf = ws.layout().n_features(), no = ws.layout().n_outputs();
            return {X + start * nf, Y + start * no, sample_weight ? sample_weight + start : nullptr, count};
        }
        return ws.gather(X, Y, sample_weight, index + start, count);
    }
};

}  // namespace gradkit::train
