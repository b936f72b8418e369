// A std::vector whose buffer starts on a 64-byte boundary (a cache line, an AVX-512 register).
//
// Why: Eigen computes a product whose result is one column (a one-output layer) as dot products,
// vectorised with a peel that depends on where the rows start, so the same numbers at another
// address can round differently. With every buffer the network and its workspaces own starting on
// the same boundary, a fit gives the same bits in any process, e.g. after pickling.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace gradkit {

inline constexpr std::size_t kBufferAlignment = 64;

template <typename T>
struct AlignedAllocator {
    using value_type = T;

    AlignedAllocator() noexcept = default;
    template <typename U>
    AlignedAllocator(const AlignedAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kBufferAlignment}));
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{kBufferAlignment}); }

    template <typename U>
    bool operator==(const AlignedAllocator<U>&) const noexcept {
        return true;
    }
    template <typename U>
    bool operator!=(const AlignedAllocator<U>&) const noexcept {
        return false;
    }
};

template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

}  // namespace gradkit
