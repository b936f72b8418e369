// A compile-time list of types, and a loop over it: the registries (optim/registry.hpp,
// schedules/registry.hpp) are such lists, so that every place that must know all optimizers or all
// schedules (the bindings, the trainer's factories, the tests) iterates one list instead of keeping its own.
#pragma once

#include <type_traits>
#include <utility>

namespace gradkit {

template <class... Ts>
struct TypeList {};

// Stands for the type T as a value, so that a generic lambda can receive it: f(TypeTag<T>{}).
template <class T>
struct TypeTag {
    using type = T;
};

template <class... Ts, class F>
void for_each_type(TypeList<Ts...>, F&& f) {
    (f(TypeTag<Ts>{}), ...);
}

template <class... Lists>
struct Concat;
template <class... As>
struct Concat<TypeList<As...>> {
    using type = TypeList<As...>;
};
template <class... As, class... Bs, class... Rest>
struct Concat<TypeList<As...>, TypeList<Bs...>, Rest...> {
    using type = typename Concat<TypeList<As..., Bs...>, Rest...>::type;
};
template <class... Lists>
using concat_t = typename Concat<Lists...>::type;

// List without the types of Excluded, in List's order.
template <class List, class Excluded>
struct Without;
template <class... Excluded>
struct Without<TypeList<>, TypeList<Excluded...>> {
    using type = TypeList<>;
};
template <class T, class... Ts, class... Excluded>
struct Without<TypeList<T, Ts...>, TypeList<Excluded...>> {
    using rest = typename Without<TypeList<Ts...>, TypeList<Excluded...>>::type;
    using type = std::conditional_t<(std::is_same_v<T, Excluded> || ...), rest,
                                    typename Concat<TypeList<T>, rest>::type>;
};
template <class List, class Excluded>
using without_t = typename Without<List, Excluded>::type;

template <class List>
struct Size;
template <class... Ts>
struct Size<TypeList<Ts...>> {
    static constexpr std::size_t value = sizeof...(Ts);
};

}  // namespace gradkit
