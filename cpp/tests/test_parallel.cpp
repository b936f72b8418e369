// The thread count the core's loops use: set_max_threads bounds every thread, ScopedThreads only its own.
#include <gtest/gtest.h>

#include <thread>

#include "gradkit/parallel.hpp"

namespace {

int max_threads_in_another_thread() {
    int seen = 0;
    std::thread other([&seen] { seen = gradkit::max_threads(); });
    other.join();
    return seen;
}

// Puts back the limit and the calling thread's team size a test changed.
class ParallelTest : public ::testing::Test {
protected:
    void TearDown() override {
        gradkit::thread_limit().store(limit_);
        gradkit::set_omp_threads(omp_);
    }

private:
    int limit_ = gradkit::thread_limit().load();
    int omp_ = gradkit::omp_threads();
};

TEST_F(ParallelTest, SetMaxThreadsBoundsThreadsStartedAfterIt) {
    gradkit::set_max_threads(1);
    EXPECT_EQ(gradkit::max_threads(), 1);
    // omp_set_num_threads alone sets the calling thread's team size only.
    EXPECT_EQ(max_threads_in_another_thread(), 1);
}

TEST_F(ParallelTest, ScopedThreadsChangesOnlyItsThreadAndScope) {
#ifndef _OPENMP
    GTEST_SKIP() << "built without OpenMP";
#endif
    gradkit::set_max_threads(2);
    {
        const gradkit::ScopedThreads one(1);
        EXPECT_EQ(gradkit::max_threads(), 1);
        EXPECT_EQ(gradkit::thread_limit().load(), 2);
    }
    EXPECT_EQ(gradkit::max_threads(), 2);
}

}  // namespace
