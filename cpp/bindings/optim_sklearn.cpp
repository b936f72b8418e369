#include "bind_optimizer.hpp"
#include "gradkit/optim/sklearn_adam.hpp"
#include "gradkit/optim/sklearn_sgd.hpp"

namespace gradkit::bindings {

// scikit-learn's MLP update rules, as core param groups (SklearnSGD_float64, ...): for the estimators'
// 'sgd' and 'adam' solvers and for tests against sklearn; no Python optimizer class wraps them.
void register_sklearn_rules(py::module_& m) {
    bind_algorithm<optim::SklearnSGD>(m);
    bind_algorithm<optim::SklearnAdam>(m);
}

}  // namespace gradkit::bindings
