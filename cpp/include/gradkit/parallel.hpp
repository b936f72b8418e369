// Splitting element-wise loops across threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <utility>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gradkit {

// Below this many elements per thread, starting threads costs more than it saves. 2^14: an MLP's
// optimizer step over 59k weights gains from a second thread (2^16 kept it on one: 90-115 us a
// minibatch against 45-70 us on two, in a C++ microbenchmark of the (256, 128) network).
inline constexpr std::size_t kMinElementsPerThread = std::size_t{1} << 14;

// The limit gradkit.set_num_threads sets for every thread (0: none). omp_set_num_threads alone sets the
// calling thread's team size only, so a fit from another Python thread (a ThreadPoolExecutor, dask's
// worker threads) would not see it.
inline std::atomic<int>& thread_limit() {
    static std::atomic<int> limit{0};
    return limit;
}

// The calling thread's OpenMP team size (OMP_NUM_THREADS, threadpoolctl's limit, a ScopedThreads).
inline int omp_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

inline void set_omp_threads(int n) {
#ifdef _OPENMP
    omp_set_num_threads(std::max(1, n));
#else
    (void)n;
#endif
}

// The threads a loop of the calling thread may use: its OpenMP team size, at most thread_limit().
inline int max_threads() {
    const int omp = omp_threads();
    const int limit = thread_limit().load(std::memory_order_relaxed);
    return limit > 0 ? std::min(omp, limit) : omp;
}

// gradkit.set_num_threads: the limit of every thread, and the calling thread's team size (which may
// go above OpenMP's default there).
inline void set_max_threads(int n) {
#ifdef _OPENMP
    thread_limit().store(std::max(1, n), std::memory_order_relaxed);
#endif
    set_omp_threads(n);
}

// Below this many multiply-adds per thread, a matrix product runs on one thread: Eigen would split
// any product above 50,000 of them, and a parallel region costs microseconds when both cores are free
// and milliseconds when another process holds one (the waiting thread is descheduled), which a
// minibatch product of a small network (digits: 200 x 64 x 100) never wins back.
inline constexpr double kMinProductWorkPerThread = double(std::size_t{1} << 21);

// The threads for a rows x inner times inner x cols product: as many as keep kMinProductWorkPerThread
// each, at most max_threads().
inline int product_threads(std::size_t rows, std::size_t inner, std::size_t cols) {
    const double work = static_cast<double>(rows) * static_cast<double>(inner) * static_cast<double>(cols);
    const double wanted = work / kMinProductWorkPerThread;
    const int most = max_threads();
    return wanted >= most ? most : std::max(1, static_cast<int>(wanted));
}

// Sets the calling thread's OpenMP team size, which Eigen's GEMM and parallel_chunks read, for a
// scope; other threads are not affected (omp_set_num_threads sets a per-thread value).
class ScopedThreads {
public:
    explicit ScopedThreads(int threads) : saved_(omp_threads()) {
        if (threads != saved_) set_omp_threads(threads);
    }
    ~ScopedThreads() {
        if (omp_threads() != saved_) set_omp_threads(saved_);
    }
    ScopedThreads(const ScopedThreads&) = delete;
    ScopedThreads& operator=(const ScopedThreads&) = delete;

private:
    int saved_;
};

// The threads parallel_chunks gives a loop over n elements.
inline int chunk_threads(std::size_t n) {
    return static_cast<int>(std::max<std::size_t>(
        1, std::min<std::size_t>(n / kMinElementsPerThread, static_cast<std::size_t>(max_threads()))));
}

// Chunk t of `threads` over [0, n): boundaries are multiples of 64 elements so each thread's chunk
// stays cache-line aligned. [begin, end) may be empty for the last chunks.
inline std::pair<std::size_t, std::size_t> chunk_range(std::size_t n, int threads, int t) {
    const std::size_t per = ((n + static_cast<std::size_t>(threads) - 1) / static_cast<std::size_t>(threads) + 63) / 64 * 64;
    const std::size_t begin = std::min(n, static_cast<std::size_t>(t) * per);
    return {begin, std::min(n, begin + per)};
}

// Calls body(begin, end) on disjoint chunks covering [0, n) (chunk_range), in parallel when n is large.
template <class Body>
void parallel_chunks(std::size_t n, Body&& body) {
#ifdef _OPENMP
    const int threads = chunk_threads(n);
    if (threads > 1) {
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int t = 0; t < threads; ++t) {
            const auto [begin, end] = chunk_range(n, threads, t);
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

// Calls body(thread, block) for every block in [0, blocks) on up to `threads` threads (thread in
// [0, threads), so each may own scratch memory), handing blocks out one at a time: a thread that is
// descheduled delays only its own block. The first exception a body throws is rethrown here after
// all threads stop (an exception must not leave an OpenMP region).
template <class Body>
void parallel_blocks(std::size_t blocks, int threads, Body&& body) {
#ifdef _OPENMP
    threads = static_cast<int>(std::min<std::size_t>(blocks, static_cast<std::size_t>(std::max(1, threads))));
    if (threads > 1) {
        std::exception_ptr error;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (long long b = 0; b < static_cast<long long>(blocks); ++b) {
            try {
                body(omp_get_thread_num(), static_cast<std::size_t>(b));
            } catch (...) {
#pragma omp critical(gradkit_parallel_blocks_error)
                if (!error) error = std::current_exception();
            }
        }
        if (error) std::rethrow_exception(error);
        return;
    }
#endif
    (void)threads;
    for (std::size_t b = 0; b < blocks; ++b) body(0, b);
}

}  // namespace gradkit
