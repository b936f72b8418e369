// Training steps allocate no memory: a binary of its own, built with Eigen's run-time malloc check
// (EIGEN_RUNTIME_NO_MALLOC) and Eigen's assertions turned into exceptions, so that any heap allocation
// by Eigen -- a temporary from a product without noalias(), a resized buffer -- fails the test; our
// own buffers are std::vectors sized once, checked by a counting operator new.
#undef NDEBUG
#define EIGEN_RUNTIME_NO_MALLOC
#include <stdexcept>
#define eigen_assert(x) \
    do { \
        if (!(x)) throw std::runtime_error("Eigen assertion failed: " #x); \
    } while (false)

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <vector>

#include "gradkit/nn/mlp.hpp"
#include "gradkit/optim/param_group.hpp"
#include "gradkit/optim/sklearn_adam.hpp"

namespace {
std::atomic<long> g_news{0};
}

void* operator new(std::size_t n) {
    ++g_news;
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using gradkit::nn::Activation;
using gradkit::nn::MLP;
using gradkit::nn::Workspace;

// One thread: Eigen's multithreaded GEMM packs into a heap buffer per product (documented in mlp.hpp).
TEST(NoMalloc, MinibatchStepsAllocateNothing) {
    Eigen::setNbThreads(1);
    const std::size_t n = 200, nf = 20;
    MLP<double> net({nf, 32, 16, 4}, Activation::relu, Activation::softmax);
    std::mt19937 gen(0);
    std::normal_distribution<double> normal;
    for (std::size_t i = 0; i < net.n_params(); ++i) net.params()[i] = 0.3 * normal(gen);
    std::vector<double> X(n * nf), y(n * 4, 0.0), sw(n, 1.5);
    for (double& x : X) x = normal(gen);
    for (std::size_t r = 0; r < n; ++r) y[r * 4 + r % 4] = 1.0;
    std::vector<std::int64_t> idx(n);
    for (std::size_t i = 0; i < n; ++i) idx[i] = static_cast<std::int64_t>((i * 37) % n);

    Workspace<double> ws(net.layout(), 64);
    gradkit::optim::ParamGroup<gradkit::optim::SklearnAdam, double> opt(gradkit::optim::SklearnAdam::Hyper{});
    opt.add_param({net.params(), net.n_params()});
    const double* grads[] = {ws.grads()};
    opt.step(grads);  // the optimizer's state is created on its first step, once per fit

    const long news_before = g_news.load();
    Eigen::internal::set_is_malloc_allowed(false);
    double loss = 0.0;
    EXPECT_NO_THROW({
        for (std::size_t start = 0; start < n; start += 64) {
            const std::size_t rows = std::min<std::size_t>(64, n - start);
            auto batch = ws.gather(X.data(), y.data(), nullptr, sw.data(), idx.data() + start, rows);
            loss += net.backprop(batch, 1e-4, ws);
            opt.step(grads);
        }
        net.forward(X.data(), 64, ws);  // a slice of X read in place
    });
    Eigen::internal::set_is_malloc_allowed(true);
    EXPECT_EQ(g_news.load(), news_before);
    EXPECT_GT(loss, 0.0);
}

// An activation whose derivative reads the pre-activation (gelu) and dropout need buffers of their
// own: made on the first training pass through the workspace, then never again.
TEST(NoMalloc, PreactivationsAndDropoutAllocateOnlyOnTheFirstPass) {
    Eigen::setNbThreads(1);
    const std::size_t n = 200, nf = 20;
    MLP<double> net({nf, 32, 16, 1}, Activation::gelu, Activation::identity,
                    gradkit::nn::LossFunction{gradkit::nn::Loss::huber, 0.5});
    std::mt19937 gen(0);
    std::normal_distribution<double> normal;
    for (std::size_t i = 0; i < net.n_params(); ++i) net.params()[i] = 0.3 * normal(gen);
    std::vector<double> X(n * nf), y(n);
    for (double& x : X) x = normal(gen);
    for (double& v : y) v = normal(gen);
    std::vector<std::int64_t> idx(n);
    for (std::size_t i = 0; i < n; ++i) idx[i] = static_cast<std::int64_t>((i * 37) % n);

    Workspace<double> ws(net.layout(), 64);
    gradkit::nn::DropoutStream stream;
    stream.dropout = gradkit::nn::Dropout({0.2, 0.5}, 7);
    auto first = ws.gather(X.data(), y.data(), nullptr, nullptr, idx.data(), 64);
    net.backprop(first, 1e-4, ws, stream.next());  // makes the buffers

    const long news_before = g_news.load();
    Eigen::internal::set_is_malloc_allowed(false);
    double loss = 0.0;
    EXPECT_NO_THROW({
        for (std::size_t start = 0; start < n; start += 64) {
            const std::size_t rows = std::min<std::size_t>(64, n - start);
            auto batch = ws.gather(X.data(), y.data(), nullptr, nullptr, idx.data() + start, rows);
            loss += net.backprop(batch, 1e-4, ws, stream.next());
        }
        net.forward(X.data(), 64, ws);
    });
    Eigen::internal::set_is_malloc_allowed(true);
    EXPECT_EQ(g_news.load(), news_before);
    EXPECT_GT(loss, 0.0);
}
