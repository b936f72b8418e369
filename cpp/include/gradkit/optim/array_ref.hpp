// A non-owning view of a caller's contiguous buffer: how the core sees NumPy arrays without copying.
#pragma once

#include <cstddef>

namespace gradkit::optim {

template <typename T>
struct ArrayRef {
    T* data = nullptr;
    std::size_t size = 0;
};

}  // namespace gradkit::optim
