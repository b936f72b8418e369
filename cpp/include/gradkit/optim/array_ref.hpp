// A non-owning view of a caller's contiguous buffer: how the core sees NumPy arrays without copying.
#pragma once

#include <cstddef>
#include <string>

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

// A view of one rows x cols matrix stored row after row (C order): how a caller that holds matrices in
// its own buffers (the trainer's layers) gives them to an algorithm that reads shapes (Muon).
template <typename T>
ArrayRef<T> matrix_ref(T* data, std::size_t rows, std::size_t cols) {
    ArrayRef<T> ref{data, rows * cols};
    ref.ndim = 2;
    ref.rows = rows;
    ref.cols = cols;
    return ref;
}

// The shape as Python writes it, as far as the view knows it: "()", "(5,)", "(3, 4)", and "(..., 3, 4)"
// for a stack of matrices (only the last two dimensions are kept).
template <typename T>
std::string shape_string(const ArrayRef<T>& ref) {
    if (ref.ndim <= 0) return "()";
    if (ref.ndim == 1) return "(" + std::to_string(ref.size) + ",)";
    return std::string(ref.ndim > 2 ? "(..., " : "(") + std::to_string(ref.rows) + ", " + std::to_string(ref.cols) + ")";
}

}  // namespace gradkit::optim
