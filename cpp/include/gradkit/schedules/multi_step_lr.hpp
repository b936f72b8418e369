// MultiStepLR: lr * gamma at each milestone, as torch.optim.lr_scheduler.MultiStepLR.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct MultiStepLR {
    static constexpr const char* name = "MultiStepLR";

    struct Args {
        // In any order; a milestone given n times multiplies by gamma**n there (torch keeps a Counter).
        std::vector<std::int64_t> milestones;
        double gamma = 0.1;

        template <class V>
        void visit(V&& v) {
            v("milestones", milestones);
            v("gamma", gamma);
        }
    };

    // torch checks nothing (not even the order); an empty list would silently be a constant rate.
    static void validate(const Args& a) {
        if (a.milestones.empty()) optim::invalid("milestones must not be empty");
        require_decay_factor(a.gamma);
    }

    static double next_lr(const Args& a, std::int64_t last_epoch, double, double lr, bool = false) {
        int n = 0;
        for (std::int64_t m : a.milestones) n += (m == last_epoch);
        if (n == 0) return lr;
        return lr * std::pow(a.gamma, static_cast<double>(n));
    }

    // torch: gamma ** bisect_right(sorted(milestones), last_epoch), i.e. milestones <= last_epoch.
    static double closed_form(const Args& a, std::int64_t last_epoch, double base_lr) {
        int n = 0;
        for (std::int64_t m : a.milestones) n += (m <= last_epoch);
        return base_lr * std::pow(a.gamma, static_cast<double>(n));
    }
};

}  // namespace gradkit::schedules
