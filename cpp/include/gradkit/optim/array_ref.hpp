// A non-owning view of a caller's contiguous buffer: how the core sees NumPy arrays without copying.
#pragma once

#include <cstddef>

namespace gradkit::optim {

template <typename T>
struct ArrayRef {
    T* data = nullptr;
    std::size_t size = 0;
    // The shape, as far as any algorithm reads it. An array with two or more dimensions is a stack of
    // size / (rows * cols) matrices of rows x cols, its last two dimensions, one after the other (C order):
    // what Adafactor factors and Muon orthogonalises. ndim 0 and 1 leave rows and cols 0. A view made as
    // {data, size} is a 1-D array, as the element-wise algorithms see every parameter.
    int ndim = 1;
    std::size_t rows = 0, cols = 0;

    bool is_matrix_stack() const { return ndim >= 2; }
    std::size_t matrices() const { return is_matrix_stack() && rows * cols != 0 ? size / (rows * cols) : 0; }
};

}  // namespace gradkit::optim
