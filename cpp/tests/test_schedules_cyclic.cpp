#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradkit/schedules/cosine_annealing_warm_restarts.hpp"
#include "gradkit/schedules/cyclic_lr.hpp"
#include "gradkit/schedules/one_cycle_lr.hpp"

namespace gs = gradkit::schedules;

namespace {

template <class F>
std::string invalid_argument_of(F&& f) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(no exception)";
}

}  // namespace

TEST(CosineAnnealingWarmRestarts, RestartsAndGrowsTheCycle) {
    using W = gs::CosineAnnealingWarmRestarts;
    const W::Args a{2, 2, 0.0};
    std::vector<double> c(8);
    gs::curve_warm_restarts(a, 8, 1.0, c.data());
    // T_i = 2, then 4, then 8: restarts (lr back to 1) at steps 2 and 6.
    EXPECT_EQ(c[0], 1.0);
    EXPECT_DOUBLE_EQ(c[1], 0.5);
    EXPECT_EQ(c[2], 1.0);
    EXPECT_DOUBLE_EQ(c[4], 0.5);
    EXPECT_EQ(c[6], 1.0);
    const W::State s = W::at_epoch(a, 10.0);  // n = 2: T_cur = 10 - 2 * 3, T_i = 8
    EXPECT_EQ(s.T_cur, 4.0);
    EXPECT_EQ(s.T_i, 8);
    const W::State f = W::at_epoch(W::Args{5, 1, 0.0}, 12.25);
    EXPECT_EQ(f.T_cur, 2.25);
    EXPECT_EQ(f.T_i, 5);
}

TEST(CosineAnnealingWarmRestarts, TorchsMessages) {
    using W = gs::CosineAnnealingWarmRestarts;
    EXPECT_EQ(invalid_argument_of([] { W::validate(W::Args{0, 1, 0.0}); }), "Expected positive integer T_0, but got 0");
    EXPECT_EQ(invalid_argument_of([] { W::validate(W::Args{3, 0, 0.0}); }), "Expected integer T_mult >= 1, but got 0");
}

TEST(CyclicLR, TriangleBetweenBaseAndMax) {
    using C = gs::CyclicLR;
    const C::Sizes sz = C::sizes(2.0, 2.0);
    const C::Args a{sz.total_size, sz.step_ratio, C::triangular, 1.0};
    std::vector<double> c(6);
    gs::curve_cyclic(a, 6, 0.0, 1.0, c.data());
    EXPECT_EQ(c, (std::vector<double>{0.0, 0.5, 1.0, 0.5, 0.0, 0.5}));
    const auto p = C::position(a, 5);
    EXPECT_EQ(p.cycle, 2);
    EXPECT_EQ(C::momentum(0.8, 0.9, 1.0, 1.0), 0.8);
    const C::Args halving{sz.total_size, sz.step_ratio, C::triangular2, 1.0};
    EXPECT_EQ(C::builtin_scale(halving, 3.0), 0.25);
    EXPECT_THROW(C::sizes(0.0, 0.0), gs::zero_division);
}

TEST(OneCycleLR, PhasesAndTheErrorPastTotalSteps) {
    using O = gs::OneCycleLR;
    const O::Args a{5, 0.4, true, false};  // linear; phase ends at steps 1 and 4
    EXPECT_EQ(O::lr(a, 0, 0.04, 1.0, 4e-6), 0.04);
    EXPECT_EQ(O::lr(a, 1, 0.04, 1.0, 4e-6), 1.0);
    EXPECT_EQ(O::lr(a, 4, 0.04, 1.0, 4e-6), (4e-6 - 1.0) * 1.0 + 1.0);  // torch: (end - start) * pct + start
    EXPECT_EQ(O::momentum(a, 1, 0.85, 0.95), 0.85);
    EXPECT_EQ(invalid_argument_of([&] { O::lr(a, 6, 0.04, 1.0, 4e-6); }),
              "Tried to step 6 times. The specified number of total steps is 5");
    const O::Args three{10, 0.3, false, true};  // ends at 2, 4, 9
    EXPECT_DOUBLE_EQ(O::lr(three, 4, 0.1, 1.0, 0.001), 0.1);
    EXPECT_DOUBLE_EQ(O::momentum(three, 9, 0.85, 0.95), 0.95);
    EXPECT_EQ(invalid_argument_of([] { O::validate(O::Args{0, 0.3, false, false}); }),
              "Expected positive integer total_steps, but got 0");
}
