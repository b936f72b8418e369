#include <gtest/gtest.h>

#include <Eigen/SVD>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradkit/optim/bfloat16.hpp"
#include "gradkit/optim/muon.hpp"
#include "gradkit/optim/param_group.hpp"

using gradkit::optim::ArrayRef;
using gradkit::optim::matrix_ref;
using gradkit::optim::Muon;
using gradkit::optim::ParamGroup;
using gradkit::optim::round_bf16;

namespace {

std::uint32_t bits_of(float x) {
    std::uint32_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

std::vector<double> random_values(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<double> v(n);
    for (double& x : v) x = normal(gen);
    return v;
}

template <typename C>
using Matrix = Muon::Matrix<C>;

// The singular values of an m x n matrix, largest first.
Eigen::VectorXd singular_values(const Matrix<double>& X) {
    return Eigen::JacobiSVD<Eigen::MatrixXd>(Eigen::MatrixXd(X)).singularValues();
}

}  // namespace

// ---------------------------------------------------------------- bfloat16 rounding

TEST(Bfloat16, KnownValuesRoundToNearestEven) {
    EXPECT_EQ(round_bf16(1.0f), 1.0f);
    EXPECT_EQ(round_bf16(-2.5f), -2.5f);                            // already a bfloat16
    EXPECT_EQ(round_bf16(3.14159265f), 3.140625f);                  // pi: 8 significant bits
    EXPECT_EQ(round_bf16(0.1f), 0.10009765625f);
    EXPECT_EQ(round_bf16(1.0f + 0x1p-8f), 1.0f);                    // a tie: to the even 1.0
    EXPECT_EQ(round_bf16(1.0f + 3 * 0x1p-8f), 1.0f + 0x1p-6f);      // a tie: to the even 1 + 2^-6
    EXPECT_EQ(round_bf16(1.0f + 0x1p-8f + 0x1p-20f), 1.0f + 0x1p-7f);  // above the tie: up
    EXPECT_EQ(round_bf16(1.0f + 0x1p-8f - 0x1p-20f), 1.0f);            // below it: down
    EXPECT_EQ(round_bf16(1000.0f), 1000.0f);                        // 250 * 4: bfloat16's spacing is 4 here
    EXPECT_EQ(round_bf16(1001.0f), 1000.0f);
    EXPECT_EQ(round_bf16(1002.0f), 1000.0f);                        // the tie 1000 | 1004: to 250 * 4, even
    EXPECT_EQ(round_bf16(1006.0f), 1008.0f);                        // the tie 1004 | 1008: to 252 * 4, even
    EXPECT_EQ(bits_of(round_bf16(-0.0f)), bits_of(-0.0f));
    EXPECT_EQ(round_bf16(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
    EXPECT_EQ(round_bf16(std::numeric_limits<float>::max()), std::numeric_limits<float>::infinity());
    EXPECT_EQ(bits_of(round_bf16(std::numeric_limits<float>::quiet_NaN())), 0x7FC00000u);  // torch's NaN
    EXPECT_EQ(bits_of(round_bf16(-std::numeric_limits<float>::quiet_NaN())), 0x7FC00000u);
    // Every result has its low 16 bits zero.
    for (float x : {0.3f, -7.77f, 1e-30f, 6.1e5f}) EXPECT_EQ(bits_of(round_bf16(x)) & 0xFFFFu, 0u) << x;
}

// torch converts a double to bfloat16 through float32: two roundings, which can land on a tie.
TEST(Bfloat16, DoublesRoundThroughFloat32AsTorchs) {
    const double just_above_tie = 1.0 + 0x1p-8 + 0x1p-30;  // rounds up if rounded once
    EXPECT_EQ(static_cast<float>(just_above_tie), 1.0f + 0x1p-8f);  // ... but float32 drops the 2^-30
    EXPECT_EQ(round_bf16(just_above_tie), 1.0f);                       // and the tie goes to even
    EXPECT_EQ(round_bf16(0.1), 0.10009765625f);
}

// ---------------------------------------------------------------- Newton–Schulz

// With the cubic Newton–Schulz coefficients (1.5, -0.5, 0) the iteration converges to the orthogonal
// polar factor U V^T of the input (its SVD U S V^T): every singular value goes to 1.
TEST(MuonNewtonSchulz, CubicCoefficientsConvergeToThePolarFactor) {
    const auto v = random_values(20 * 50, 1);
    Matrix<double> X = Eigen::Map<const Matrix<double>>(v.data(), 20, 50);
    const Eigen::JacobiSVD<Eigen::MatrixXd> svd(Eigen::MatrixXd(X), Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Eigen::MatrixXd polar = svd.matrixU() * svd.matrixV().transpose();
    Muon::Hyper h;
    h.ns_coefficients = {1.5, -0.5, 0.0};
    h.ns_steps = 40;
    Muon::newton_schulz<double, false>(h, X);
    const Eigen::VectorXd s = singular_values(X);
    EXPECT_NEAR(s.maxCoeff(), 1.0, 1e-12);
    EXPECT_NEAR(s.minCoeff(), 1.0, 1e-12);
    EXPECT_LT((Eigen::MatrixXd(X) - polar).cwiseAbs().maxCoeff(), 1e-12);
}

// torch's quintic coefficients trade convergence for speed: five steps leave every singular value near 1,
// in roughly [0.7, 1.2] (Keller Jordan's "Uniform(0.5, 1.5)" is the bound), in each arithmetic.
TEST(MuonNewtonSchulz, DefaultCoefficientsBringSingularValuesNearOne) {
    const Muon::Hyper h;  // (3.4445, -4.7750, 2.0315), 5 steps
    for (unsigned seed = 0; seed < 5; ++seed) {
        const auto v = random_values(32 * 48, seed);
        Matrix<double> X64 = Eigen::Map<const Matrix<double>>(v.data(), 32, 48);
        Matrix<float> X32 = X64.cast<float>();
        Matrix<float> Xbf = X64.unaryExpr([](double x) { return round_bf16(x); }).cast<float>();
        Muon::newton_schulz<double, false>(h, X64);
        Muon::newton_schulz<float, false>(h, X32);
        Muon::newton_schulz<float, true>(h, Xbf);
        for (const Matrix<double>& X : {X64, Matrix<double>(X32.cast<double>()), Matrix<double>(Xbf.cast<double>())}) {
            const Eigen::VectorXd s = singular_values(X);
            EXPECT_GT(s.minCoeff(), 0.6) << "seed " << seed;
            EXPECT_LT(s.maxCoeff(), 1.25) << "seed " << seed;
        }
        // bfloat16 keeps 8 significant bits: every element of its result is a bfloat16, near float64's.
        for (Eigen::Index i = 0; i < Xbf.size(); ++i) EXPECT_EQ(Xbf.data()[i], round_bf16(Xbf.data()[i]));
        EXPECT_LT((Xbf.cast<double>() - X64).cwiseAbs().maxCoeff(), 0.05);
        EXPECT_LT((X32.cast<double>() - X64).cwiseAbs().maxCoeff(), 1e-5);
    }
}

// A zero update stays zero (the norm is clamped at eps instead of dividing by 0), as in torch.
TEST(MuonNewtonSchulz, AZeroMatrixStaysZero) {
    Matrix<float> X = Matrix<float>::Zero(3, 4);
    Muon::newton_schulz<float, true>(Muon::Hyper{}, X);
    EXPECT_EQ(X.cwiseAbs().maxCoeff(), 0.0f);
}

// ---------------------------------------------------------------- the step

namespace {

// One step of a Muon group over the given matrices (momentum 0 and no decay unless h says otherwise).
template <typename T>
void step_once(const Muon::Hyper& h, std::vector<std::vector<T>>& params, const std::vector<std::vector<T>>& grads,
               const std::vector<std::pair<std::size_t, std::size_t>>& shapes) {
    ParamGroup<Muon, T> group(h);
    std::vector<const T*> g;
    for (std::size_t i = 0; i < params.size(); ++i) {
        group.add_param(matrix_ref(params[i].data(), shapes[i].first, shapes[i].second));
        g.push_back(grads[i].data());
    }
    group.step(g.data());
}

}  // namespace

// A 4 x 1 column, orthogonalised (cubic coefficients, converged), is its unit vector; its step is
// -lr * sqrt(max(1, A / B)) times it, with A, B = 4, 1 as torch reads (out, in), or 1, 4 when the rows
// are inputs; "match_rms_adamw" scales by 0.2 sqrt(max(A, B)) = 0.4 either way.
TEST(Muon, TheLearningRateFollowsTheShapeAsTorchsAdjustLr) {
    const std::vector<double> g{3.0, 0.0, -4.0, 0.0};  // unit vector (0.6, 0, -0.8, 0)
    auto step_of = [&](std::optional<std::string> fn, bool rows_are_inputs) {
        Muon::Hyper h;
        h.lr = 0.1;
        h.momentum = 0.0;
        h.weight_decay = 0.0;
        h.ns_dtype = "float64";
        h.ns_coefficients = {1.5, -0.5, 0.0};
        h.ns_steps = 30;
        h.adjust_lr_fn = std::move(fn);
        h.rows_are_inputs = rows_are_inputs;
        std::vector<std::vector<double>> p{std::vector<double>(4, 0.0)};
        step_once<double>(h, p, {g}, {{4, 1}});
        return p[0];
    };
    const auto original = step_of(std::nullopt, false);
    EXPECT_NEAR(original[0], -0.1 * 2.0 * 0.6, 1e-15);
    EXPECT_NEAR(original[2], -0.1 * 2.0 * -0.8, 1e-15);
    EXPECT_EQ(step_of(std::string("original"), false), original);
    const auto inputs = step_of(std::nullopt, true);
    EXPECT_NEAR(inputs[0], -0.1 * 0.6, 1e-15);
    const auto rms = step_of(std::string("match_rms_adamw"), false);
    EXPECT_NEAR(rms[0], -0.1 * 0.4 * 0.6, 1e-15);
    EXPECT_EQ(step_of(std::string("match_rms_adamw"), true), rms);
}

// The transpose of a matrix steps to the transpose of its step, bit for bit, in every arithmetic, when the
// transpose is declared rows_are_inputs (the same adjusted lr): torch orthogonalises the wide orientation.
TEST(Muon, ATransposedMatrixStepsAsTheTransposeWithRowsAreInputs) {
    for (const char* dtype : {"bfloat16", "float32", "float64"}) {
        const std::size_t rows = 7, cols = 11;
        std::vector<float> w(rows * cols), wt(rows * cols), g(rows * cols), gt(rows * cols);
        const auto v = random_values(2 * rows * cols, 3);
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < cols; ++c) {
                w[r * cols + c] = wt[c * rows + r] = static_cast<float>(v[r * cols + c]);
                g[r * cols + c] = gt[c * rows + r] = static_cast<float>(v[rows * cols + r * cols + c]);
            }
        Muon::Hyper h;
        h.lr = 0.05;
        h.ns_dtype = dtype;
        ParamGroup<Muon, float> a(h);
        a.add_param(matrix_ref(w.data(), rows, cols));
        h.rows_are_inputs = true;
        ParamGroup<Muon, float> b(h);
        b.add_param(matrix_ref(wt.data(), cols, rows));
        for (int step = 0; step < 3; ++step) {
            const float* ga = g.data();
            const float* gb = gt.data();
            a.step(&ga);
            b.step(&gb);
        }
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < cols; ++c) ASSERT_EQ(w[r * cols + c], wt[c * rows + r]) << dtype;
    }
}

// Decoupled weight decay first: p * (1 - lr * wd), then the orthogonalised step.
TEST(Muon, WeightDecayMultipliesBeforeTheStep) {
    Muon::Hyper h;
    h.lr = 0.1;
    h.weight_decay = 0.5;
    h.momentum = 0.0;
    h.ns_dtype = "float64";
    h.ns_coefficients = {1.5, -0.5, 0.0};
    h.ns_steps = 30;
    std::vector<std::vector<double>> p{{2.0, 2.0}};
    step_once<double>(h, p, {{1.0, 0.0}}, {{1, 2}});  // unit row (1, 0); ratio sqrt(max(1, 1/2)) = 1
    EXPECT_NEAR(p[0][0], 2.0 * (1 - 0.05) - 0.1, 1e-15);
    EXPECT_EQ(p[0][1], 2.0 * (1 - 0.05));
}

// torch's momentum: buf.lerp_(g, 1 - mu) at every step, from zeros.
TEST(Muon, TheMomentumBufferIsTorchsLerp) {
    Muon::Hyper h;
    h.momentum = 0.9;
    h.ns_dtype = "float32";
    ParamGroup<Muon, float> group(h);
    std::vector<float> p{0.0f, 0.0f};
    group.add_param(matrix_ref(p.data(), 1, 2));
    std::vector<float> g{1.0f, -2.0f};
    const float* gp = g.data();
    group.step(&gp);
    group.step(&gp);
    const auto& buf = group.states()[0]->momentum_buffer;
    const float w = static_cast<float>(1.0 - 0.9);
    const float first = gradkit::optim::lerp(0.0f, 1.0f, w);
    EXPECT_EQ(buf[0], gradkit::optim::lerp(first, 1.0f, w));
}

// Matrices only: a 1-D array (the trainer's flat buffer) or a stack of matrices is refused with the
// parameter's index and shape and what to do instead, before it joins the group.
TEST(Muon, RefusesAnythingButAMatrix) {
    ParamGroup<Muon, double> group(Muon::Hyper{});
    std::vector<double> w(6);
    group.add_param(matrix_ref(w.data(), 2, 3));
    std::vector<double> flat(5);
    try {
        group.add_param({flat.data(), flat.size()});
        FAIL() << "a 1-D parameter was accepted";
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("params[1] has shape (5,)"), std::string::npos) << what;
        EXPECT_NE(what.find("use Muon for 2-D weight matrices and AdamW for biases/other parameters"),
                  std::string::npos) << what;
    }
    ArrayRef<double> stack{w.data(), 6};
    stack.ndim = 3;
    stack.rows = 1;
    stack.cols = 3;
    EXPECT_THROW(group.add_param(stack), std::invalid_argument);
    ArrayRef<double> inconsistent = matrix_ref(w.data(), 2, 3);
    inconsistent.size = 5;
    EXPECT_THROW(group.add_param(inconsistent), std::invalid_argument);
    EXPECT_EQ(group.params().size(), 1u);
}

TEST(Muon, ValidatesWithTorchsMessages) {
    auto message = [](auto edit) {
        Muon::Hyper h;
        edit(h);
        try {
            Muon::validate(h);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_EQ(message([](Muon::Hyper&) {}), "");
    EXPECT_EQ(message([](Muon::Hyper& h) { h.lr = -0.1; }), "Learning rate should be >= 0 but is: -0.1");
    EXPECT_EQ(message([](Muon::Hyper& h) { h.momentum = -1; }), "momentum should be >= 0 but is: -1.0");
    EXPECT_EQ(message([](Muon::Hyper& h) { h.weight_decay = -0.1; }), "weight decay should be >= 0 but is: -0.1");
    EXPECT_EQ(message([](Muon::Hyper& h) { h.adjust_lr_fn = "sqrt"; }),
              "Adjust learning rate function sqrt is not supported");
    EXPECT_EQ(message([](Muon::Hyper& h) { h.ns_coefficients = {1.0, 2.0}; }),
              "Coefficients must be a tuple of exactly 3 values");
    EXPECT_EQ(message([](Muon::Hyper& h) { h.ns_steps = 100; }),
              "Number of steps must be less than 100 for computational efficiency");
    EXPECT_EQ(message([](Muon::Hyper& h) { h.ns_dtype = "float16"; }),
              "ns_dtype must be 'bfloat16', 'float32' or 'float64', got 'float16'");
}
