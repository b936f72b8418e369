// Element-wise helpers that round like the ATen CPU kernels torch.optim calls, shared by the optimizers.
// One known gap: torch's CPU sqrt (MKL's vector sqrt) is within 1 ulp but not always correctly rounded,
// unlike std::sqrt, so optimizers taking a square root may differ from torch in the last bit.
#pragma once

#include <cmath>

namespace gradkit::optim {

// torch's CPU kernels (its AVX2 and later builds) fuse `a + alpha * b` (add with alpha, addcmul, lerp)
// into one multiply-add with a single rounding; std::fma rounds the same way.
template <typename T>
inline T fmadd(T a, T b, T c) {
    return std::fma(a, b, c);
}

// a + b, rounded once, with a and b each rounded before. torch (and Python, for the per-step scalars)
// round every operation, but GCC fuses a product into the addition it feeds (-ffp-contract=fast is its
// default for C++, even across statements); a product passed to std::fma as a factor stays rounded.
// Without hardware FMA nothing is fused, and a plain addition is the same number.
template <typename T>
inline T plus(T a, T b) {
#if defined(__FP_FAST_FMA) || defined(__FP_FAST_FMAF)
    return std::fma(b, T(1), a);
#else
    return a + b;
#endif
}

// torch.lerp(self, end, weight): the formula switches at |weight| = 0.5 to stay accurate near both ends,
// self + weight (end - self) below and end + (weight - 1)(end - self) from there on. Written as one
// multiply-add of selected operands rather than two guarded by a branch: in a loop the weight is fixed, and a
// loop GCC would have to unswitch on it (which it declines for large bodies) does not vectorise.
template <typename T>
inline T lerp(T self, T end, T weight) {
    const bool small = std::abs(weight) < T(0.5);
    const T weight_minus_1 = weight - T(1);
    return fmadd(small ? weight : weight_minus_1, end - self, small ? self : end);
}

// torch's grad.add(param, alpha=weight_decay), which torch calls only when weight_decay != 0: with no decay,
// an infinite parameter leaves the gradient as it is instead of adding 0 * inf = NaN. A select of two
// values rather than a branch, so that the loop still vectorises.
template <typename T>
inline T coupled_decay(T grad, T weight_decay, T param) {
    const T decayed = fmadd(weight_decay, param, grad);
    return weight_decay != T(0) ? decayed : grad;
}

// torch.maximum: NaN in either argument gives NaN.
template <typename T>
inline T maximum(T a, T b) {
    return (a < b || b != b) ? b : a;
}

// torch.sign as an int: -1, 0 or 1, and 0 for NaN.
template <typename T>
inline int isgn(T x) {
    return (T(0) < x) - (x < T(0));
}

// torch.sign: -1, 0 or 1, and 0 for NaN.
template <typename T>
inline T sgn(T x) {
    return static_cast<T>(isgn(x));
}

// torch.clamp(x, lo, hi) = min(max(x, lo), hi): NaN passes through, and hi wins when lo > hi.
template <typename T>
inline T clamp(T x, T lo, T hi) {
    const T y = x < lo ? lo : x;
    return y > hi ? hi : y;
}

}  // namespace gradkit::optim
