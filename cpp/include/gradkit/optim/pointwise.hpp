// Element-wise operations written the way torch's CPU kernels compute them, so results round alike.
#pragma once

namespace gradkit::optim {

// torch.lerp with a scalar weight: start + w * (end - start) for |w| < 0.5, else counted from end
// (at::lerp picks the form with the smaller error). w is the weight cast to T, one_minus_w = 1 - w in T.
template <typename T>
inline T lerp(T start, T end, T w, T one_minus_w, bool small_weight) {
    return small_weight ? start + w * (end - start) : end - (end - start) * one_minus_w;
}

template <typename T>
inline bool lerp_weight_is_small(T w) {
    return (w < T(0) ? -w : w) < T(0.5);
}

// torch.maximum: NaN in either argument gives NaN.
template <typename T>
inline T maximum(T a, T b) {
    return (a < b || b != b) ? b : a;
}

}  // namespace gradkit::optim
