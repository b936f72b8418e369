// Splitting element-wise loops across threads.
#pragma once

#include <algorithm>
#include <cstddef>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gradkit {

// Below this many elements per thread, starting threads costs more than it saves.
inline constexpr std::size_t kMinElementsPerThread = std::size_t{1} << 16;

inline int max_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

inline void set_max_threads(int n) {
#ifdef _OPENMP
    omp_set_num_threads(std::max(1, n));
#else
    (void)n;
#endif
}

// Calls body(begin, end) on disjoint chunks covering [0, n), in parallel when n is large.
// Chunk boundaries are multiples of 64 elements so each thread's chunk stays cache-line aligned.
template <class Body>
void parallel_chunks(std::size_t n, Body&& body) {
#ifdef _OPENMP
    const std::size_t wanted = n / kMinElementsPerThread;
    const int threads = static_cast<int>(std::min<std::size_t>(wanted, static_cast<std::size_t>(max_threads())));
    if (threads > 1) {
        const std::size_t per = ((n + threads - 1) / threads + 63) / 64 * 64;
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int t = 0; t < threads; ++t) {
            const std::size_t begin = std::min(n, static_cast<std::size_t>(t) * per);
            const std::size_t end = std::min(n, begin + per);
            if (begin < end) body(begin, end);
        }
        return;
    }
#endif
    body(std::size_t{0}, n);
}

// Calls body(row_begin, row_end) on disjoint row ranges covering [0, rows) of a rows × cols block, in
// parallel when the block is large: for row-wise work (a bias per column, a softmax per row).
template <class Body>
void parallel_rows(std::size_t rows, std::size_t cols, Body&& body) {
#ifdef _OPENMP
    const std::size_t wanted = rows * cols / kMinElementsPerThread;
    const int threads = static_cast<int>(std::min({wanted, rows, static_cast<std::size_t>(max_threads())}));
    if (threads > 1) {
        const std::size_t per = (rows + threads - 1) / threads;
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int t = 0; t < threads; ++t) {
            const std::size_t begin = std::min(rows, static_cast<std::size_t>(t) * per);
            const std::size_t end = std::min(rows, begin + per);
            if (begin < end) body(begin, end);
        }
        return;
    }
#endif
    (void)cols;
    body(std::size_t{0}, rows);
}

}  // namespace gradkit
