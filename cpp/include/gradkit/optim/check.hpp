// Hyperparameter checks with torch.optim's conditions and messages, shared by every optimizer.
#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gradkit::optim {

// Formats a double as Python's repr does, so that messages read like torch's f-strings: the shortest
// digits that round-trip, written positionally for exponents from -4 to 15 and as d.ddde-XX outside
// (1e-04 is "0.0001" there, 1e-05 "1e-05", 1e16 "1e+16").
inline std::string repr(double x) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
    const std::string s(buf, res.ptr);  // [-]d[.ddd]e(+|-)XX
    const std::size_t e = s.find('e');
    const bool negative = s[0] == '-';
    std::string digits;
    for (std::size_t i = negative ? 1 : 0; i < e; ++i)
        if (s[i] != '.') digits += s[i];
    const int exponent = std::stoi(s.substr(e + 1));
    std::string out = negative ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
        out += digits.substr(0, 1);
        if (digits.size() > 1) out += "." + digits.substr(1);
        out += exponent < 0 ? "e-" : "e+";
        const std::string magnitude = std::to_string(exponent < 0 ? -exponent : exponent);
        out += (magnitude.size() < 2 ? "0" : "") + magnitude;
    } else if (exponent < 0) {
        out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    } else {
        const auto point = static_cast<std::size_t>(exponent) + 1;
        if (digits.size() <= point)
            out += digits + std::string(point - digits.size(), '0') + ".0";
        else
            out += digits.substr(0, point) + "." + digits.substr(point);
    }
    return out;
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
