// The shape of an optimizer's state buffer, relative to its parameter's. Most buffers are shaped like the
// parameter (torch's zeros_like); a few are not, and a State's visit names those with a third argument:
//   v("row_var", row_var, BufferShape::row_factor);
// so that state dicts give them the reference's shapes and check loaded ones against them.
#pragma once

#include <cstddef>
#include <vector>

namespace gradkit::optim {

enum class BufferShape {
    like_param,  // the parameter's shape
    flat,        // 1-D, of its own length (Prodigy's sliced s and p0)
    row_factor,  // shape[:-1] + (1,): one value per row of each matrix (Adafactor's row_var)
    col_factor,  // shape[:-2] + (1, shape[-1]): one value per column (Adafactor's col_var)
};

// The shape a buffer of kind `kind` and `size` elements has beside a parameter of shape `param`.
inline std::vector<std::size_t> buffer_shape(BufferShape kind, const std::vector<std::size_t>& param, std::size_t size) {
    switch (kind) {
        case BufferShape::flat:
            return {size};
        case BufferShape::row_factor: {
            std::vector<std::size_t> s = param;
            if (!s.empty()) s.back() = 1;
            return s;
        }
        case BufferShape::col_factor: {
            std::vector<std::size_t> s = param;
            if (s.size() >= 2) s[s.size() - 2] = 1;
            return s;
        }
        case BufferShape::like_param:
        default:
            return param;
    }
}

}  // namespace gradkit::optim
