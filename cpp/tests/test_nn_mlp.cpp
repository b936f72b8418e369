#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "gradkit/nn/glorot_init.hpp"
#include "gradkit/nn/mlp.hpp"

using gradkit::nn::Activation;
using gradkit::nn::Batch;
using gradkit::nn::Layout;
using gradkit::nn::LegacyRandomState;
using gradkit::nn::MLP;
using gradkit::nn::Workspace;

namespace {

// A network with deterministic weights, data and targets valid for its output activation.
struct Problem {
    MLP<double> net;
    std::vector<double> X, y, sw;
    std::size_t n;

    Problem(std::vector<std::size_t> units, Activation hidden, Activation out, std::size_t rows, unsigned seed)
        : net(units, hidden, out), n(rows) {
        std::mt19937 gen(seed);
        std::normal_distribution<double> normal(0.0, 1.0);
        std::uniform_real_distribution<double> unif(0.2, 3.0);
        for (std::size_t i = 0; i < net.n_params(); ++i) net.params()[i] = 0.5 * normal(gen);
        const std::size_t nf = units.front(), k = units.back();
        X.resize(rows * nf);
        for (double& x : X) x = normal(gen);
        y.assign(rows * k, 0.0);
        for (std::size_t r = 0; r < rows; ++r) {
            if (out == Activation::softmax) y[r * k + r % k] = 1.0;
            for (std::size_t j = 0; out != Activation::softmax && j < k; ++j) {
                const double u = normal(gen);
                y[r * k + j] = out == Activation::logistic ? (u > 0 ? 1.0 : 0.0)
                               : out == Activation::exp    ? std::floor(std::abs(3 * u))
                                                           : u;
            }
        }
        sw.resize(rows);
        for (double& w : sw) w = unif(gen);
    }
    Batch<double> batch(bool weighted) const { return {X.data(), y.data(), weighted ? sw.data() : nullptr, n}; }
};

}  // namespace

TEST(Layout, PacksCoefsThenInterceptsAsSklearnsPack) {
    Layout layout({5, 4, 3, 2});
    EXPECT_EQ(layout.n_weight_layers(), 3u);
    EXPECT_EQ(layout.coef_offset(0), 0u);
    EXPECT_EQ(layout.coef_offset(1), 20u);
    EXPECT_EQ(layout.coef_offset(2), 32u);
    EXPECT_EQ(layout.n_coefs(), 38u);
    EXPECT_EQ(layout.intercept_offset(0), 38u);
    EXPECT_EQ(layout.intercept_offset(1), 42u);
    EXPECT_EQ(layout.intercept_offset(2), 45u);
    EXPECT_EQ(layout.size(), 47u);
    EXPECT_THROW(Layout({5}), std::invalid_argument);
    EXPECT_THROW(Layout({5, 0, 2}), std::invalid_argument);
    EXPECT_THROW(Layout({std::size_t(1) << 40, std::size_t(1) << 40}), std::length_error);
}

TEST(MLP, RefusesActivationsSklearnDoesNotPairSo) {
    EXPECT_THROW(MLP<double>({3, 2, 2}, Activation::softmax, Activation::softmax), std::invalid_argument);
    EXPECT_THROW(MLP<double>({3, 2, 2}, Activation::relu, Activation::relu), std::invalid_argument);
    EXPECT_NO_THROW(MLP<double>({3, 2, 1}, Activation::tanh, Activation::exp));
}

TEST(MLP, ForwardOfALinearLayer) {
    MLP<double> net({2, 1}, Activation::relu, Activation::identity);
    const std::vector<double> W{1.0, 2.0}, b{0.5};
    net.set_coef(0, W.data());
    net.set_intercept(0, b.data());
    Workspace<double> ws(net.layout(), 4);
    const std::vector<double> X{1.0, 1.0, 3.0, -1.0};
    const double* out = net.forward(X.data(), 2, ws);
    EXPECT_EQ(out[0], 3.5);
    EXPECT_EQ(out[1], 1.5);
}

TEST(MLP, ForwardFillsEveryLayersActivations) {
    Problem pb({3, 4, 2}, Activation::relu, Activation::softmax, 5, 1);
    Workspace<double> ws(pb.net.layout(), 5);
    const double* out = pb.net.forward(pb.X.data(), 5, ws);
    EXPECT_EQ(out, ws.activations(1));
    for (std::size_t i = 0; i < 5 * 4; ++i) EXPECT_GE(ws.activations(0)[i], 0.0);
    for (std::size_t r = 0; r < 5; ++r) EXPECT_NEAR(out[2 * r] + out[2 * r + 1], 1.0, 1e-15);
}

// The gradient is the derivative of the loss that backprop returns (central differences), for every
// hidden activation and output, with sample weights and the L2 term -- except that, as in sklearn,
// squared_error's data term is differentiated without its mean over the k outputs.
TEST(MLP, GradientIsTheDerivativeOfTheLoss) {
    for (Activation hidden : {Activation::identity, Activation::logistic, Activation::tanh, Activation::relu})
        for (Activation out : {Activation::identity, Activation::logistic, Activation::softmax, Activation::exp})
            for (bool weighted : {false, true}) {
                const std::size_t k = out == Activation::logistic ? 2 : 3;
                Problem pb({4, 5, 3, k}, hidden, out, 7, 11);
                Workspace<double> ws(pb.net.layout(), 7);
                const double alpha = 0.3, data_scale = out == Activation::identity ? double(k) : 1.0;
                pb.net.backprop(pb.batch(weighted), alpha, ws);
                const std::vector<double> grad(ws.grads(), ws.grads() + pb.net.n_params());
                auto derivative = [&](std::size_t i, double a) {
                    const double keep = pb.net.params()[i], h = 1e-6;
                    pb.net.params()[i] = keep + h;
                    const double up = pb.net.backprop(pb.batch(weighted), a, ws);
                    pb.net.params()[i] = keep - h;
                    const double down = pb.net.backprop(pb.batch(weighted), a, ws);
                    pb.net.params()[i] = keep;
                    return (up - down) / (2 * h);
                };
                for (std::size_t i = 0; i < pb.net.n_params(); ++i) {
                    const double data = derivative(i, 0.0), penalty = derivative(i, alpha) - data;
                    ASSERT_NEAR(grad[i], data_scale * data + penalty, 1e-6 * (1 + std::abs(grad[i])))
                        << gradkit::nn::activation_name(hidden) << "/" << gradkit::nn::activation_name(out)
                        << " weighted=" << weighted << " parameter " << i;
                }
            }
}

// Weights of 1 are no weights. Scaling all weights leaves the data term alone (sklearn divides by
// their sum) but not the L2 term, which sklearn also divides by the weight sum.
TEST(MLP, SampleWeightsAreNormalisedByTheirSum) {
    Problem pb({3, 4, 2}, Activation::tanh, Activation::logistic, 6, 2);
    Workspace<double> ws(pb.net.layout(), 6);
    std::vector<double> ones(6, 1.0), twos(6, 2.0);
    const double plain = pb.net.backprop(pb.batch(false), 0.1, ws);
    const std::vector<double> g(ws.grads(), ws.grads() + pb.net.n_params());
    EXPECT_EQ(pb.net.backprop({pb.X.data(), pb.y.data(), ones.data(), 6}, 0.1, ws), plain);
    for (std::size_t i = 0; i < g.size(); ++i) EXPECT_EQ(ws.grads()[i], g[i]);

    const double data = pb.net.backprop(pb.batch(false), 0.0, ws);
    const std::vector<double> g0(ws.grads(), ws.grads() + pb.net.n_params());
    EXPECT_NEAR(pb.net.backprop({pb.X.data(), pb.y.data(), twos.data(), 6}, 0.0, ws), data, 1e-15);
    for (std::size_t i = 0; i < g0.size(); ++i) EXPECT_NEAR(ws.grads()[i], g0[i], 1e-15);
    const double penalty = 0.5 * 0.1 * pb.net.coef_squared_norm();
    EXPECT_NEAR(pb.net.backprop({pb.X.data(), pb.y.data(), twos.data(), 6}, 0.1, ws), data + penalty / 12, 1e-15);
}

// The same inputs at other addresses (other alignments) give the same bits: training is reproducible.
TEST(MLP, ResultsDoNotDependOnWhereTheDataLies) {
    for (std::size_t width : {3u, 4u, 40u})
        for (std::size_t rows : {3u, 9u}) {
            Problem pb({3, width, width, 2}, Activation::logistic, Activation::logistic, rows, 8);
            std::vector<double> loss, grads;
            for (std::size_t shift = 0; shift < 4; ++shift) {
                std::vector<double> X(shift + pb.X.size()), y(shift + pb.y.size());
                std::copy(pb.X.begin(), pb.X.end(), X.begin() + shift);
                std::copy(pb.y.begin(), pb.y.end(), y.begin() + shift);
                std::vector<MLP<double>> nets(shift + 1, pb.net);  // parameters at another address too
                Workspace<double> ws(nets.back().layout(), rows + shift);
                loss.push_back(nets.back().backprop({X.data() + shift, y.data() + shift, nullptr, rows}, 0.1, ws));
                grads.insert(grads.end(), ws.grads(), ws.grads() + pb.net.n_params());
            }
            const std::size_t n = pb.net.n_params();
            for (std::size_t s = 1; s < 4; ++s) {
                EXPECT_EQ(loss[s], loss[0]) << "width " << width << " rows " << rows << " shift " << s;
                for (std::size_t i = 0; i < n; ++i)
                    ASSERT_EQ(grads[s * n + i], grads[i]) << "width " << width << " rows " << rows << " shift " << s;
            }
        }
}

TEST(Workspace, RefusesBatchesItCannotHoldAndOtherNetworks) {
    Problem pb({3, 4, 2}, Activation::tanh, Activation::identity, 6, 3);
    Workspace<double> ws(pb.net.layout(), 4);
    EXPECT_EQ(ws.capacity(), 4u);
    EXPECT_THROW(pb.net.forward(pb.X.data(), 5, ws), std::invalid_argument);
    EXPECT_THROW(pb.net.forward(pb.X.data(), 0, ws), std::invalid_argument);
    Workspace<double> other(Layout({3, 5, 2}), 8);
    EXPECT_THROW(pb.net.forward(pb.X.data(), 2, other), std::invalid_argument);
    EXPECT_THROW(Workspace<double>(pb.net.layout(), 0), std::invalid_argument);
}

// Training steps write into the workspace's buffers, which stay where they are.
TEST(Workspace, BuffersStayPutAcrossBatchesOfAnySize) {
    Problem pb({3, 4, 2}, Activation::relu, Activation::softmax, 6, 4);
    Workspace<double> ws(pb.net.layout(), 6);
    const double* a0 = ws.activations(0);
    const double* d1 = ws.deltas(1);
    const double* g = ws.grads();
    for (std::size_t rows : {6u, 1u, 4u, 6u}) {
        pb.net.backprop({pb.X.data(), pb.y.data(), nullptr, rows}, 0.0, ws);
        EXPECT_EQ(ws.activations(0), a0);
        EXPECT_EQ(ws.deltas(1), d1);
        EXPECT_EQ(ws.grads(), g);
    }
}

// A gathered batch (sklearn's X[batch_idx]) gives the numbers of the same rows laid out by hand.
TEST(Workspace, GatheredRowsGiveTheNumbersOfTheSameRows) {
    Problem pb({3, 4, 2}, Activation::logistic, Activation::logistic, 6, 5);
    const std::vector<std::int64_t> idx{4, 0, 5};
    std::vector<double> X, y, sw;
    for (auto i : idx) {
        X.insert(X.end(), pb.X.begin() + i * 3, pb.X.begin() + i * 3 + 3);
        y.insert(y.end(), pb.y.begin() + i * 2, pb.y.begin() + i * 2 + 2);
        sw.push_back(pb.sw[i]);
    }
    Workspace<double> ws(pb.net.layout(), 3), ws2(pb.net.layout(), 3);
    const double expected = pb.net.backprop({X.data(), y.data(), sw.data(), 3}, 0.2, ws2);
    const Batch<double> b = ws.gather(pb.X.data(), pb.y.data(), nullptr, pb.sw.data(), idx.data(), 3);
    EXPECT_EQ(pb.net.backprop(b, 0.2, ws), expected);
    for (std::size_t i = 0; i < pb.net.n_params(); ++i) EXPECT_EQ(ws.grads()[i], ws2.grads()[i]);
    EXPECT_EQ(ws.gather(pb.X.data(), pb.y.data(), nullptr, nullptr, idx.data(), 3).sample_weight, nullptr);
}

// A deferred batch is copied by backprop, each thread copying the rows it computes: the bits of the
// batch gathered beforehand, on one thread and on two, with labels or a target matrix.
TEST(Workspace, DeferredRowsAreGatheredByBackpropOnEachThread) {
    const gradkit::ScopedThreads two(2);
    Problem pb({20, 64, 5}, Activation::tanh, Activation::softmax, 1001, 13);
    std::vector<std::int64_t> idx(pb.n), labels(pb.n);
    for (std::size_t i = 0; i < pb.n; ++i) {
        idx[i] = static_cast<std::int64_t>((i * 389) % pb.n);  // 389 is prime to 1001: a permutation
        labels[i] = static_cast<std::int64_t>(i % 5);  // the class Problem gives row i
    }
    for (int parts : {1, 2}) {
        Workspace<double> eager(pb.net.layout(), pb.n, true, parts), lazy(pb.net.layout(), pb.n, true, parts);
        ASSERT_EQ(pb.net.backprop_parts(pb.n, lazy), parts);
        for (bool use_labels : {false, true}) {
            const double* y = use_labels ? nullptr : pb.y.data();
            const std::int64_t* lab = use_labels ? labels.data() : nullptr;
            const Batch<double> b = eager.gather(pb.X.data(), y, lab, pb.sw.data(), idx.data(), pb.n);
            const double expected = pb.net.backprop(b, 0.3, eager);
            const Batch<double> d = lazy.defer_gather(pb.X.data(), y, lab, pb.sw.data(), idx.data(), pb.n);
            EXPECT_TRUE(d.deferred);
            EXPECT_EQ(pb.net.backprop(d, 0.3, lazy), expected) << parts;
            EXPECT_EQ(std::vector<double>(lazy.grads(), lazy.grads() + pb.net.n_params()),
                      std::vector<double>(eager.grads(), eager.grads() + pb.net.n_params()))
                << parts;
        }
    }
    // Rows of a batch another workspace deferred, or of a batch that was never deferred, are refused.
    Workspace<double> a(pb.net.layout(), 4), b(pb.net.layout(), 4);
    const Batch<double> d = a.defer_gather(pb.X.data(), pb.y.data(), nullptr, nullptr, idx.data(), 4);
    EXPECT_THROW(b.gather_rows(d, 0, 4), std::logic_error);
    EXPECT_THROW(a.gather_rows(pb.batch(false), 0, 4), std::logic_error);
    EXPECT_THROW(a.gather_rows(d, 2, 5), std::out_of_range);  // the batch has 4 rows
    EXPECT_THROW(a.gather_rows(d, 3, 2), std::out_of_range);
}

// A batch with enough work is cut into row ranges, one per thread, whose gradient sums are added:
// the numbers of one pass over all rows up to the order of those sums, the same bits on every call.
TEST(MLP, BackpropSplitAmongThreadsGivesTheOnePassGradient) {
    const gradkit::ScopedThreads two(2);
    for (Activation out : {Activation::softmax, Activation::identity}) {
        Problem pb({20, 64, 5}, Activation::tanh, out, 1001, 11);
        Workspace<double> one(pb.net.layout(), pb.n, true, 1), split(pb.net.layout(), pb.n, true, 2);
        ASSERT_EQ(pb.net.backprop_parts(pb.n, one), 1);
        ASSERT_EQ(pb.net.backprop_parts(pb.n, split), 2);
        EXPECT_EQ(pb.net.backprop_parts(10, split), 1);  // too little work for a second thread
        for (bool weighted : {false, true}) {
            const double expected = pb.net.backprop(pb.batch(weighted), 0.3, one);
            const double loss = pb.net.backprop(pb.batch(weighted), 0.3, split);
            EXPECT_NEAR(loss, expected, 1e-13 * std::abs(expected));
            const std::vector<double> first(split.grads(), split.grads() + pb.net.n_params());
            for (std::size_t i = 0; i < pb.net.n_params(); ++i)
                EXPECT_NEAR(first[i], one.grads()[i], 1e-12 * (1.0 + std::abs(one.grads()[i]))) << i;
            for (std::size_t l = 0; l < pb.net.layout().n_weight_layers(); ++l)
                for (std::size_t i = 0; i < pb.n * pb.net.layout().fan_out(l); ++i)
                    ASSERT_NEAR(split.activations(l)[i], one.activations(l)[i], 1e-12) << l << " " << i;
            pb.net.backprop(pb.batch(weighted), 0.3, split);
            EXPECT_EQ(std::vector<double>(split.grads(), split.grads() + pb.net.n_params()), first);
        }
    }
}

// Every buffer a product reads or writes starts on a 64-byte boundary: Eigen's one-column products
// (a one-output layer) round by where their rows start, so this is what gives the same bits in
// another process (an unpickled estimator going on with partial_fit).
TEST(MLP, ParametersAndWorkspacesStartOn64ByteBoundaries) {
    auto aligned = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; };
    for (int trial = 0; trial < 4; ++trial) {
        std::vector<char> shift(static_cast<std::size_t>(trial) * 24 + 8);  // moves the heap around
        Problem pb({3, 5, 1}, Activation::tanh, Activation::identity, 7 + trial, 3);
        Workspace<double> ws(pb.net.layout(), pb.n, true, 2);
        EXPECT_TRUE(aligned(pb.net.params()));
        EXPECT_TRUE(aligned(ws.grads()) && aligned(ws.part_grads(1)));
        for (std::size_t l = 0; l < 2; ++l) EXPECT_TRUE(aligned(ws.activations(l)) && aligned(ws.deltas(l)));
        const std::vector<std::int64_t> idx{1, 0};
        EXPECT_TRUE(aligned(ws.gather(pb.X.data(), pb.y.data(), nullptr, nullptr, idx.data(), 2).x));
    }
}

TEST(MLP, PredictGoesThroughAWorkspaceAtATime) {
    Problem pb({3, 4, 3}, Activation::tanh, Activation::softmax, 10, 6);
    Workspace<double> small(pb.net.layout(), 3), big(pb.net.layout(), 10);
    std::vector<double> out(10 * 3);
    pb.net.predict(pb.X.data(), 10, out.data(), small);
    const double* all = pb.net.forward(pb.X.data(), 10, big);
    // Eigen's kernels for a 3-row block and a 10-row one may round the last bits differently (seen
    // in the AVX-512 Debug build); the values are the same computation.
    for (std::size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], all[i], 1e-14);
}

TEST(MLP, ThreadedPredictGivesTheBitsOfOneThread) {
    // 3000 rows x 4110 parameters: enough work for product_threads to give it two threads.
    Problem pb({30, 100, 10}, Activation::relu, Activation::softmax, 3000, 8);
    const int saved = gradkit::max_threads();
    std::vector<double> threaded(3000 * 10), serial(3000 * 10);
    gradkit::set_max_threads(2);
    ASSERT_EQ(gradkit::product_threads(3000, pb.net.layout().size(), 1), 2);
    pb.net.predict(pb.X.data(), 3000, threaded.data());
    gradkit::set_max_threads(1);
    pb.net.predict(pb.X.data(), 3000, serial.data());
    gradkit::set_max_threads(saved);
    for (std::size_t i = 0; i < serial.size(); ++i) ASSERT_EQ(threaded[i], serial[i]) << i;
    // Each row is its own forward pass (a one-row product may round differently in the last bits).
    Workspace<double> one(pb.net.layout(), 1);
    for (std::size_t r : {std::size_t{0}, std::size_t{255}, std::size_t{256}, std::size_t{2999}}) {
        const double* row = pb.net.forward(pb.X.data() + r * 30, 1, one);
        for (std::size_t j = 0; j < 10; ++j) EXPECT_NEAR(row[j], threaded[r * 10 + j], 1e-12) << r;
    }
}

TEST(MLP, PredictOfNoRowsWritesNothing) {
    Problem pb({3, 4, 3}, Activation::tanh, Activation::softmax, 1, 6);
    double untouched = 7.0;
    pb.net.predict(pb.X.data(), 0, &untouched);
    EXPECT_EQ(untouched, 7.0);
}

TEST(Parallel, ProductThreadsKeepSmallProductsOnOneThread) {
    const int saved = gradkit::max_threads();
    gradkit::set_max_threads(2);
    EXPECT_EQ(gradkit::product_threads(200, 64, 100), 1);     // a digits minibatch
    EXPECT_EQ(gradkit::product_threads(200, 256, 128), 2);    // a wide layer's minibatch
    EXPECT_EQ(gradkit::product_threads(0, 64, 100), 1);
    {
        const gradkit::ScopedThreads one(1);
        EXPECT_EQ(gradkit::max_threads(), 1);
    }
    EXPECT_EQ(gradkit::max_threads(), 2);
    gradkit::set_max_threads(saved);
}

TEST(Parallel, BlocksRethrowTheFirstErrorAfterAllThreadsStop) {
    std::vector<int> seen(64, 0);
    EXPECT_THROW(gradkit::parallel_blocks(64, 2,
                                          [&](int, std::size_t b) {
                                              seen[b] = 1;
                                              if (b == 5) throw std::runtime_error("block 5");
                                          }),
                 std::runtime_error);
    int done = 0;
    for (int v : seen) done += v;
    EXPECT_EQ(done, 64);  // the other blocks still ran
}

TEST(MLP, Float32FollowsFloat64) {
    Problem pb({4, 6, 3}, Activation::tanh, Activation::softmax, 9, 7);
    MLP<float> net32({4, 6, 3}, Activation::tanh, Activation::softmax);
    for (std::size_t i = 0; i < pb.net.n_params(); ++i) net32.params()[i] = static_cast<float>(pb.net.params()[i]);
    std::vector<float> X(pb.X.begin(), pb.X.end()), y(pb.y.begin(), pb.y.end());
    Workspace<double> ws(pb.net.layout(), 9);
    Workspace<float> ws32(net32.layout(), 9);
    const double loss = pb.net.backprop(pb.batch(false), 0.1, ws);
    EXPECT_NEAR(net32.backprop({X.data(), y.data(), nullptr, 9}, 0.1, ws32), loss, 1e-5 * loss);
    for (std::size_t i = 0; i < pb.net.n_params(); ++i) EXPECT_NEAR(ws32.grads()[i], ws.grads()[i], 1e-5);
}

TEST(GlorotInit, BoundsAreSklearns) {
    EXPECT_DOUBLE_EQ(gradkit::nn::glorot_bound(4, 2, Activation::relu), 1.0);
    EXPECT_DOUBLE_EQ(gradkit::nn::glorot_bound(4, 4, Activation::logistic), 0.5);
}

// np.random.RandomState(0).uniform(-sqrt(2), sqrt(2), 3): coefficients (2 x 1), then the intercept.
TEST(GlorotInit, DrawsCoefsThenInterceptsFromNumPysRandomState) {
    MLP<double> net({2, 1}, Activation::tanh, Activation::identity);
    LegacyRandomState rs(0);
    gradkit::nn::glorot_uniform_init(net, rs);
    const double expected[] = {0.13806543856194997, 0.6086474408046969, 0.29065872031153117};
    for (int i = 0; i < 3; ++i) EXPECT_EQ(net.params()[i], expected[i]);

    MLP<float> net32({2, 1}, Activation::tanh, Activation::identity);
    LegacyRandomState rs32(0);
    gradkit::nn::glorot_uniform_init(net32, rs32);  // drawn in double, then rounded (astype)
    for (int i = 0; i < 3; ++i) EXPECT_EQ(net32.params()[i], static_cast<float>(expected[i]));
}

// ---------------------------------------------------------------- beyond sklearn

namespace {

using gradkit::nn::ActivationParams;
using gradkit::nn::Dropout;
using gradkit::nn::DropoutStep;
using gradkit::nn::Loss;
using gradkit::nn::LossFunction;

// pb's network with another hidden activation / loss, keeping its weights.
MLP<double> renetted(const Problem& pb, Activation hidden, Activation out, LossFunction loss, double slope = 0.01) {
    MLP<double> net(pb.net.layout().layer_units(), hidden, out, loss, ActivationParams{slope});
    net.set_params(pb.net.params());
    return net;
}

// max |backprop's gradient - central differences of its loss| relative to 1 + |gradient|.
double gradient_error(MLP<double>& net, const Batch<double>& batch, double alpha, const DropoutStep& dropout = {}) {
    Workspace<double> ws(net.layout(), batch.rows);
    net.backprop(batch, alpha, ws, dropout);
    const std::vector<double> grad(ws.grads(), ws.grads() + net.n_params());
    double worst = 0.0;
    for (std::size_t i = 0; i < net.n_params(); ++i) {
        const double keep = net.params()[i], h = 1e-6;
        net.params()[i] = keep + h;
        const double up = net.backprop(batch, alpha, ws, dropout);
        net.params()[i] = keep - h;
        const double down = net.backprop(batch, alpha, ws, dropout);
        net.params()[i] = keep;
        worst = std::max(worst, std::abs(grad[i] - (up - down) / (2 * h)) / (1 + std::abs(grad[i])));
    }
    return worst;
}

}  // namespace

TEST(MLP, NewHiddenActivationsGradientIsTheDerivativeOfTheLoss) {
    for (const char* name : {"leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus"})
        for (Activation out : {Activation::softmax, Activation::logistic}) {
            Problem pb({4, 5, 3, 3}, Activation::relu, out, 7, 11);
            MLP<double> net = renetted(pb, gradkit::nn::activation_from_name(name), out,
                                       LossFunction{gradkit::nn::loss_for_output(out)}, 0.2);
            EXPECT_LT(gradient_error(net, pb.batch(true), 0.3), 1e-6) << name;
        }
}

// The regression losses' gradient is the exact derivative of their loss (not k times it, as
// squared_error's), with sample weights, several outputs and the L2 term.
TEST(MLP, RegressionLossesGradientIsTheDerivativeOfTheLoss) {
    for (LossFunction loss : {LossFunction{Loss::absolute_error}, LossFunction{Loss::huber, 0.3},
                              LossFunction{Loss::huber, 5.0}, LossFunction{Loss::pinball, 1.0, 0.9},
                              LossFunction{Loss::pinball, 1.0, 0.2}})
        for (bool weighted : {false, true}) {
            Problem pb({4, 5, 3, 2}, Activation::tanh, Activation::identity, 9, 3);
            MLP<double> net = renetted(pb, Activation::tanh, Activation::identity, loss);
            EXPECT_LT(gradient_error(net, pb.batch(weighted), 0.3), 1e-6) << gradkit::nn::loss_name(loss.kind);
        }
}

TEST(MLP, RegressionLossesFollowOnlyAnIdentityOutput) {
    EXPECT_THROW(MLP<double>({3, 2, 2}, Activation::relu, Activation::softmax, LossFunction{Loss::huber}),
                 std::invalid_argument);
    EXPECT_THROW(MLP<double>({3, 2, 1}, Activation::relu, Activation::identity, LossFunction{Loss::poisson}),
                 std::invalid_argument);
    EXPECT_THROW(MLP<double>({3, 2, 1}, Activation::relu, Activation::identity, LossFunction{Loss::huber, 0.0}),
                 std::invalid_argument);
    EXPECT_THROW(MLP<double>({3, 2, 1}, Activation::relu, Activation::identity, LossFunction{Loss::pinball, 1.0, 1.0}),
                 std::invalid_argument);
    EXPECT_THROW(MLP<double>({3, 2, 1}, Activation::leaky_relu, Activation::identity, ActivationParams{-0.1}),
                 std::invalid_argument);
    EXPECT_NO_THROW(MLP<double>({3, 2, 1}, Activation::relu, Activation::identity, LossFunction{Loss::pinball, 1.0, 0.1}));
}

// With its masks fixed (one step of one seed), a dropped-out network's gradient is the derivative
// of its loss, also for an activation whose derivative reads the un-dropped output (logistic) or x (gelu).
TEST(MLP, DropoutGradientWithAFixedMaskIsTheDerivativeOfTheLoss) {
    const Dropout dropout({0.3, 0.5}, 42);
    for (Activation hidden : {Activation::logistic, Activation::gelu, Activation::relu}) {
        Problem pb({4, 6, 5, 3}, Activation::relu, Activation::softmax, 8, 5);
        MLP<double> net = renetted(pb, hidden, Activation::softmax, LossFunction{Loss::log_loss});
        EXPECT_LT(gradient_error(net, pb.batch(true), 0.3, DropoutStep{&dropout, 7}), 1e-6)
            << gradkit::nn::activation_name(hidden);
    }
}

TEST(MLP, DropoutOfZeroIsNoDropoutAndForwardNeverDrops) {
    Problem pb({6, 16, 8, 3}, Activation::tanh, Activation::softmax, 50, 2);
    Workspace<double> ws(pb.net.layout(), 50);
    const double plain = pb.net.backprop(pb.batch(true), 0.1, ws);
    const std::vector<double> g(ws.grads(), ws.grads() + pb.net.n_params());
    const Dropout zero({0.0, 0.0}, 9);
    EXPECT_EQ(pb.net.backprop(pb.batch(true), 0.1, ws, DropoutStep{&zero, 3}), plain);
    EXPECT_EQ(std::vector<double>(ws.grads(), ws.grads() + pb.net.n_params()), g);
    // A dropped-out step changes the loss; a forward pass afterwards is the plain network's.
    const Dropout half({0.5, 0.5}, 9);
    EXPECT_NE(pb.net.backprop(pb.batch(true), 0.1, ws, DropoutStep{&half, 3}), plain);
    Workspace<double> fresh(pb.net.layout(), 50);
    const double* p1 = pb.net.forward(pb.X.data(), 50, ws);
    const std::vector<double> out(p1, p1 + 150);
    const double* p2 = pb.net.forward(pb.X.data(), 50, fresh);
    EXPECT_EQ(out, std::vector<double>(p2, p2 + 150));
}

// About p of the units are dropped, the kept ones scaled by 1 / (1 - p); another step or seed draws
// other masks, the same step and seed the same ones.
TEST(MLP, DropoutDropsAboutItsRateAndScalesTheRest) {
    const std::size_t rows = 400, cols = 250;
    std::vector<double> a(rows * cols, 2.0), out(rows * cols), again(rows * cols), other(rows * cols);
    const Dropout d({0.3}, 1234);
    d.apply(0, 5, a.data(), out.data(), cols, 0, rows);
    std::size_t dropped = 0;
    for (double v : out) {
        if (v == 0.0) ++dropped;
        else EXPECT_EQ(v, 2.0 * (1.0 / 0.7));
    }
    EXPECT_NEAR(static_cast<double>(dropped) / static_cast<double>(out.size()), 0.3, 0.005);
    d.apply(0, 5, a.data(), again.data(), cols, 0, rows);
    EXPECT_EQ(out, again);
    d.apply(0, 6, a.data(), other.data(), cols, 0, rows);
    EXPECT_NE(out, other);
    // Rows computed in two ranges (two threads' parts) get the masks of one pass.
    std::vector<double> split(rows * cols);
    d.apply(0, 5, a.data(), split.data(), cols, 0, 123);
    d.apply(0, 5, a.data(), split.data(), cols, 123, rows);
    EXPECT_EQ(split, out);
    EXPECT_THROW(Dropout({1.0}, 0), std::invalid_argument);
    EXPECT_THROW(Dropout({-0.1}, 0), std::invalid_argument);
}

// backprop split among threads drops the same units as one pass: the masks are a function of the
// row's position in the batch, not of the thread computing it.
TEST(MLP, DropoutMasksDoNotDependOnHowBackpropSplitsTheBatch) {
    const gradkit::ScopedThreads two(2);
    Problem pb({20, 64, 5}, Activation::tanh, Activation::softmax, 1001, 11);
    Workspace<double> one(pb.net.layout(), pb.n, true, 1), split(pb.net.layout(), pb.n, true, 2);
    ASSERT_EQ(pb.net.backprop_parts(pb.n, split), 2);
    const Dropout d({0.4}, 77);
    const double expected = pb.net.backprop(pb.batch(true), 0.3, one, DropoutStep{&d, 11});
    const double loss = pb.net.backprop(pb.batch(true), 0.3, split, DropoutStep{&d, 11});
    EXPECT_NEAR(loss, expected, 1e-13 * std::abs(expected));
    for (std::size_t i = 0; i < pb.n * 64; ++i) ASSERT_EQ(split.dropped(0)[i] == 0.0, one.dropped(0)[i] == 0.0) << i;
    for (std::size_t i = 0; i < pb.net.n_params(); ++i)
        EXPECT_NEAR(split.grads()[i], one.grads()[i], 1e-12 * (1.0 + std::abs(one.grads()[i]))) << i;
}

TEST(DropoutStream, EachStepTakesTheNextMasksOnlyWhenSomethingIsDropped) {
    gradkit::nn::DropoutStream stream;
    EXPECT_FALSE(stream.next().on(0));
    EXPECT_EQ(stream.steps, 0u);
    stream.dropout = Dropout({0.0, 0.2}, 3);
    const DropoutStep first = stream.next(), second = stream.next();
    EXPECT_FALSE(first.on(0));
    EXPECT_TRUE(first.on(1));
    EXPECT_EQ(first.step, 0u);
    EXPECT_EQ(second.step, 1u);
    EXPECT_EQ(stream.steps, 2u);
}
