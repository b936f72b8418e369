// bfloat16 rounding, as torch's CPU kernels round: a bfloat16 is a float32 with its low 16 bits zero,
// so "computing in bfloat16" is computing in float32 and rounding the result to the nearest bfloat16
// (ties to even). The core never stores bfloat16: it keeps bfloat16 values in floats (exactly) and rounds
// after each operation that torch does in bfloat16 (muon.hpp says which).
#pragma once

#include <cstdint>
#include <cstring>

namespace gradkit::optim {

// The float32 nearest to x with 8 significant bits (round to nearest, ties to even): c10::BFloat16's
// round_to_nearest_even, which is also what oneDNN's vcvtneps2bf16 gives for normal numbers. NaN gives
// torch's quiet NaN (0x7FC0 in bfloat16); infinities stay, and values beyond bfloat16's largest round to
// infinity. Subnormal floats are rounded, not flushed (c10 does the same; oneDNN's bfloat16 instructions
// flush them to zero, a difference only below 1.2e-38). Branch-free, so that loops of it vectorise.
inline float round_bf16(float x) {
    std::uint32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    const std::uint32_t rounded = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
    const bool nan = (bits & 0x7FFFFFFFu) > 0x7F800000u;
    const std::uint32_t out = nan ? 0x7FC00000u : rounded;
    float y;
    std::memcpy(&y, &out, sizeof y);
    return y;
}

// A double to bfloat16 as torch's Tensor.bfloat16() converts one: to float32 first, then to bfloat16 (two
// roundings; a double just above a bfloat16 midpoint can fall onto it in float32 and then round to even).
inline float round_bf16(double x) { return round_bf16(static_cast<float>(x)); }

}  // namespace gradkit::optim
