// Hyperparameter checks with torch.optim's conditions and messages, shared by every optimizer.
#pragma once

#include <array>
#include <charconv>
#include <stdexcept>
#include <string>

namespace gradkit::optim {

// Formats a double the way Python's repr does (shortest round-trip), so messages read like torch's.
inline std::string repr(double x) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, x);
    std::string s(buf, res.ptr);
    if (s == "inf" || s == "-inf" || s == "nan") return s;
    if (s.find_first_of(".en") == std::string::npos) s += ".0";
    return s;
}

[[noreturn]] inline void invalid(const std::string& message) { throw std::invalid_argument(message); }

// Raises "Invalid <what>: <value>" unless 0 <= value (NaN fails too, as in torch).
inline void require_nonnegative(double value, const char* what) {
    if (!(0.0 <= value)) invalid(std::string("Invalid ") + what + ": " + repr(value));
}

// Raises "Invalid <what>: <value>" unless lo <= value <= hi (NaN fails too).
inline void require_between(double value, double lo, double hi, const char* what) {
    if (!(lo <= value && value <= hi)) invalid(std::string("Invalid ") + what + ": " + repr(value));
}

inline void require_betas(const std::array<double, 2>& betas) {
    for (int i = 0; i < 2; ++i)
        if (!(0.0 <= betas[i] && betas[i] < 1.0))
            invalid("Invalid beta parameter at index " + std::to_string(i) + ": " + repr(betas[i]));
}

// Rprop's (etaminus, etaplus): shrink below 1, grow above it.
inline void require_etas(const std::array<double, 2>& etas) {
    if (!(0.0 < etas[0] && etas[0] < 1.0 && 1.0 < etas[1]))
        invalid("Invalid eta values: " + repr(etas[0]) + ", " + repr(etas[1]));
}

}  // namespace gradkit::optim
