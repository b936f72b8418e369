// gradkit._core.nn: the network's pieces (cpp/include/gradkit/nn) outside a trainer. NumPy's legacy
// RandomState, which the estimators draw their initial weights and minibatch order from; sklearn's
// `_backprop` for given weights and its Glorot initialisation, which the tests compare with sklearn's.
// Conversion only.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "gradkit/nn/glorot_init.hpp"
#include "gradkit/nn/legacy_random_state.hpp"
#include "gradkit/nn/mlp.hpp"

namespace gradkit::bindings {

namespace {

using nn::LegacyRandomState;

// A C-contiguous array of dtype T and the given shape (-1: any length), read in place.
template <typename T>
const T* input_array(py::handle obj, const char* name, std::vector<py::ssize_t> shape) {
    std::string need = std::string("a C-contiguous ") + dtype_name<T>() + " array of shape (";
    for (std::size_t i = 0; i < shape.size(); ++i)
        need += (i ? ", " : "") + (shape[i] < 0 ? std::string("n") : std::to_string(shape[i]));
    need += shape.size() == 1 ? ",)" : ")";
    if (!py::isinstance<py::array>(obj))
        throw py::type_error(std::string(name) + ": expected " + need + ", got " + describe(obj));
    auto arr = py::reinterpret_borrow<py::array>(obj);
    if (!arr.dtype().equal(py::dtype::of<T>()))
        throw py::type_error(std::string(name) + ": expected " + need + ", got " + describe(obj));
    bool ok = (arr.flags() & py::array::c_style) && arr.ndim() == static_cast<py::ssize_t>(shape.size());
    for (std::size_t i = 0; ok && i < shape.size(); ++i) ok = shape[i] < 0 || arr.shape(i) == shape[i];
    if (!ok) throw py::value_error(std::string(name) + ": expected " + need + ", got " + describe(obj));
    return static_cast<const T*>(arr.data());
}

template <typename T>
py::array_t<T> copy_out(const T* data, std::vector<py::ssize_t> shape) {
    py::array_t<T> out(shape);
    std::copy(data, data + out.size(), out.mutable_data());
    return out;
}

std::vector<std::size_t> units_from(const std::vector<py::ssize_t>& layer_units) {
    std::vector<std::size_t> units;
    for (std::size_t i = 0; i < layer_units.size(); ++i) {
        if (layer_units[i] < 1)
            throw py::value_error("layer_units[" + std::to_string(i) + "] must be at least 1, got " +
                                  std::to_string(layer_units[i]));
        units.push_back(static_cast<std::size_t>(layer_units[i]));
    }
    return units;
}

// The network's options beyond its layer sizes and activations, and one dropout step's masks.
struct NetworkOptions {
    nn::ActivationParams hidden_params;
    nn::LossFunction loss;
    nn::Dropout dropout;
    std::uint64_t dropout_step = 0;
};

template <typename T>
py::tuple backprop(const nn::Layout& layout, nn::Activation hidden, nn::Activation output, py::handle params,
                   py::handle X, py::handle y, py::handle sample_weight, double alpha, const NetworkOptions& o) {
    nn::MLP<T> net(layout.layer_units(), hidden, output, o.loss, o.hidden_params);
    net.set_params(input_array<T>(params, "params", {static_cast<py::ssize_t>(layout.size())}));
    const T* x = input_array<T>(X, "X", {-1, static_cast<py::ssize_t>(layout.n_features())});
    const auto n = py::reinterpret_borrow<py::array>(X).shape(0);
    if (n == 0) throw py::value_error("X: expected at least one row, got 0");
    nn::Batch<T> batch{x, input_array<T>(y, "y", {n, static_cast<py::ssize_t>(layout.n_outputs())}), nullptr,
                       static_cast<std::size_t>(n)};
    if (!sample_weight.is_none()) batch.sample_weight = input_array<T>(sample_weight, "sample_weight", {n});
    nn::Workspace<T> ws(layout, batch.rows);
    const nn::DropoutStep masks = o.dropout.any() ? nn::DropoutStep{&o.dropout, o.dropout_step} : nn::DropoutStep{};
    double loss;
    {
        py::gil_scoped_release release;
        loss = net.backprop(batch, alpha, ws, masks);
    }
    py::list activations;
    for (std::size_t l = 0; l < layout.n_weight_layers(); ++l) {
        const T* a = masks.on(l) ? ws.dropped(l) : ws.activations(l);  // what the next layer read
        activations.append(copy_out(a, {n, static_cast<py::ssize_t>(layout.fan_out(l))}));
    }
    return py::make_tuple(loss, copy_out(ws.grads(), {static_cast<py::ssize_t>(layout.size())}), activations);
}

template <typename T>
py::array glorot_init(const std::vector<std::size_t>& units, nn::Activation hidden, LegacyRandomState& rs) {
    nn::MLP<T> net(units, hidden, nn::Activation::identity);
    nn::glorot_uniform_init(net, rs);
    return copy_out(net.params(), {static_cast<py::ssize_t>(net.n_params())});
}

bool is_float32(py::handle obj) {
    return py::isinstance<py::array>(obj) &&
           py::reinterpret_borrow<py::array>(obj).dtype().equal(py::dtype::of<float>());
}

}  // namespace

void register_nn(py::module_& m) {
    // The class first, so that the functions' signatures name it (gradkit._core.nn.LegacyRandomState).
    py::class_<LegacyRandomState>(m, "LegacyRandomState",
                                  "NumPy's legacy RandomState (MT19937) in the core: the same draws, and a state "
                                  "that moves to and from RandomState.get_state()/set_state().")
        .def(py::init<std::uint32_t>(), py::arg("seed"))
        .def(
            "set_state",
            [](LegacyRandomState& rs, py::handle key, int pos) {
                auto k = py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast>::ensure(key);
                if (!k || k.ndim() != 1 || k.shape(0) != LegacyRandomState::kStateLength)
                    throw py::value_error("key: expected 624 unsigned 32-bit words, got " + describe(key));
                LegacyRandomState::Key words;
                std::copy(k.data(), k.data() + words.size(), words.begin());
                rs.set_state(words, pos);
            },
            py::arg("key"), py::arg("pos"))
        .def("get_state",
             [](const LegacyRandomState& rs) {
                 return py::make_tuple(copy_out(rs.key().data(), {LegacyRandomState::kStateLength}), rs.pos());
             })
        .def(
            "uniform",
            [](LegacyRandomState& rs, double low, double high, py::ssize_t size) {
                if (size < 0) throw py::value_error("size: expected a non-negative count");
                py::array_t<double> out(size);
                for (py::ssize_t i = 0; i < size; ++i) out.mutable_data()[i] = rs.uniform(low, high);
                return out;
            },
            py::arg("low"), py::arg("high"), py::arg("size"))
        .def(
            "shuffle",
            [](LegacyRandomState& rs, py::handle x) {
                const auto flags = py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_ |
                                   py::detail::npy_api::NPY_ARRAY_ALIGNED_ | py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
                if (!py::isinstance<py::array_t<std::int64_t>>(x) ||
                    (py::reinterpret_borrow<py::array>(x).flags() & flags) != flags ||
                    py::reinterpret_borrow<py::array>(x).ndim() != 1)
                    throw py::type_error("x: expected a writeable C-contiguous 1-d int64 array, got " + describe(x));
                auto arr = py::reinterpret_borrow<py::array>(x);
                rs.shuffle(static_cast<std::int64_t*>(arr.mutable_data()), static_cast<std::size_t>(arr.size()));
            },
            py::arg("x"), "Shuffles a writeable C-contiguous int64 array in place, as RandomState.shuffle.");

    m.def(
        "mlp_backprop",
        [](const std::vector<py::ssize_t>& layer_units, const std::string& hidden, const std::string& output,
           py::handle params, py::handle X, py::handle y, py::handle sample_weight, double alpha, double negative_slope,
           std::optional<std::string> loss, double huber_delta, double quantile, std::optional<std::vector<double>> dropout,
           std::uint64_t dropout_seed, std::uint64_t dropout_step) {
            const nn::Layout layout(units_from(layer_units));
            const auto h = nn::activation_from_name(hidden), o = nn::activation_from_name(output);
            NetworkOptions opts;
            opts.hidden_params.negative_slope = negative_slope;
            opts.loss = {loss ? nn::loss_from_name(*loss) : nn::loss_for_output(o), huber_delta, quantile};
            if (dropout) {
                if (dropout->size() != layout.n_weight_layers() - 1)
                    throw py::value_error("dropout: expected one rate per hidden layer (" +
                                          std::to_string(layout.n_weight_layers() - 1) + "), got " +
                                          std::to_string(dropout->size()));
                opts.dropout = nn::Dropout(*dropout, dropout_seed);
            }
            opts.dropout_step = dropout_step;
            if (is_float32(params)) return backprop<float>(layout, h, o, params, X, y, sample_weight, alpha, opts);
            return backprop<double>(layout, h, o, params, X, y, sample_weight, alpha, opts);
        },
        py::arg("layer_units"), py::arg("hidden_activation"), py::arg("out_activation"), py::arg("params"),
        py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("alpha"), py::kw_only(),
        py::arg("negative_slope") = 0.01, py::arg("loss") = py::none(), py::arg("huber_delta") = 1.0,
        py::arg("quantile") = 0.5, py::arg("dropout") = py::none(), py::arg("dropout_seed") = 0,
        py::arg("dropout_step") = 0,
        "sklearn's _backprop on all rows of X for the packed params (coefs then intercepts): returns "
        "(loss, packed gradient, [each layer's activations]). Beyond sklearn: leaky_relu's negative_slope, "
        "the loss (default: the output's) with huber_delta / quantile, and dropout (one rate per hidden "
        "layer) with the masks of step dropout_step of dropout_seed; a hidden layer's activations are then "
        "its output after dropout.");

    m.def(
        "mlp_glorot_init",
        [](const std::vector<py::ssize_t>& layer_units, const std::string& hidden, LegacyRandomState& rs,
           const std::string& dtype) {
            const auto units = units_from(layer_units);
            const auto h = nn::activation_from_name(hidden);
            if (dtype == "float32") return glorot_init<float>(units, h, rs);
            if (dtype == "float64") return glorot_init<double>(units, h, rs);
            throw py::value_error("dtype: expected 'float32' or 'float64', got '" + dtype + "'");
        },
        py::arg("layer_units"), py::arg("hidden_activation"), py::arg("random_state"), py::arg("dtype"),
        "sklearn's initial weights drawn from random_state, packed (coefs then intercepts).");
}

}  // namespace gradkit::bindings
