# Everything a fresh clone needs: `make demo` and `make test` create the venv, build and install.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BUILD := build
SOURCES := $(shell find cpp python -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.py' -o -name '*.pyi' -o -name CMakeLists.txt \)) CMakeLists.txt pyproject.toml

.PHONY: demo demo-optimizers test test-cpp test-python test-sanitize lint bench bench-mlp bench-all bench-untuned bench-features bench-reliability fixtures install clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The package, built for this machine, with what the tests need.
$(VENV)/.installed: $(VENV)/bin/python $(SOURCES)
	$(PY) -m pip install --quiet ".[test]"
	touch $@

install: $(VENV)/.installed

# The main job: gradkit's MLPClassifier beside scikit-learn's on digits (times, accuracy, curves PNG).
demo: $(VENV)/.installed
	$(PY) benchmarks/digits_demo.py

# The seeds' linear regression with every optimizer.
demo-optimizers: $(VENV)/.installed
	$(PY) benchmarks/linear_regression_demo.py

test: test-cpp test-python

lint: $(VENV)/.installed
	$(PY) -m ruff check python tests benchmarks && $(PY) -m ruff format --check python tests benchmarks
	$(PY) -m mypy python/gradkit

test-python: $(VENV)/.installed lint
	$(PY) -m pytest -q tests --doctest-modules \
	  $$($(PY) -c "import gradkit, os; print(os.path.dirname(gradkit.__file__))")

# GoogleTest comes from Debian's libgtest-dev; where apt cannot install it the C++ tests are skipped.
GTEST_READY := $(shell test -f /usr/include/gtest/gtest.h && echo yes)
ensure-gtest:
	@if [ ! -f /usr/include/gtest/gtest.h ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libgtest-dev >/dev/null) \
	      || echo "apt-get could not install libgtest-dev"; \
	  fi; \
	fi

CMAKE_PREFIX := $$($(PY) -c "import os, sys; print(next((os.path.join(p, 'cmeel.prefix') for p in sys.path if os.path.isdir(os.path.join(p, 'cmeel.prefix'))), ''))")

define run_cpp_tests
	@if [ -f /usr/include/gtest/gtest.h ]; then \
	  cmake -S . -B $(BUILD)/$(1) -DGRADKIT_BUILD_PYTHON=OFF -DGRADKIT_BUILD_TESTS=ON $(2) \
	    -DCMAKE_PREFIX_PATH="$(CMAKE_PREFIX)" -DPython_EXECUTABLE=$(abspath $(PY)) >/dev/null && \
	  cmake --build $(BUILD)/$(1) -j2 && \
	  ctest --test-dir $(BUILD)/$(1) --output-on-failure; \
	else \
	  echo "SKIPPED C++ tests: GoogleTest (Debian's libgtest-dev) is not installed and apt-get could not install it"; \
	fi
endef

test-cpp: $(VENV)/.installed ensure-gtest
	$(call run_cpp_tests,cpp-tests,-DCMAKE_BUILD_TYPE=Release)

# The same C++ tests under AddressSanitizer and UBSan.
test-sanitize: $(VENV)/.installed ensure-gtest
	$(call run_cpp_tests,cpp-tests-asan,-DCMAKE_BUILD_TYPE=Debug -DGRADKIT_SANITIZE=ON)

# torch's columns need torch in the venv (.venv/bin/pip install torch); without it they are left out.
bench: $(VENV)/.installed
	@$(PY) -c "import torch" 2>/dev/null || echo "torch is not installed in $(VENV): its columns are left out"
	$(PY) benchmarks/optimizer_step.py

# gradkit's MLPClassifier vs scikit-learn's (and a PyTorch loop when torch is in the venv); BENCH_ARGS
# passes options, e.g. `make bench-mlp BENCH_ARGS="--memory"` (the 1 GB peak-memory fit) or "--quick".
bench-mlp: $(VENV)/.installed
	@$(PY) -c "import sklearn" 2>/dev/null || $(PY) -m pip install --quiet scikit-learn
	@$(PY) -c "import torch" 2>/dev/null || echo "torch is not installed in $(VENV): its column is left out"
	$(PY) benchmarks/mlp_vs_sklearn.py $(BENCH_ARGS)

# Every optimizer at its defaults against scikit-learn's default adam (benchmarks/untuned.py): writes
# benchmarks/results/untuned.md and the README's table of it.
bench-untuned: $(VENV)/.installed
	$(PY) benchmarks/untuned.py $(BENCH_ARGS)

# class_weight='balanced' against scikit-learn's sample_weight workaround, and dropout on digits.
bench-features: $(VENV)/.installed
	$(PY) benchmarks/estimator_features.py $(BENCH_ARGS)

# Resource stability (1,000 fit/predict/pickle cycles), determinism on 1 vs 2 threads and faults
# (benchmarks/reliability.py): writes benchmarks/results/reliability.md and the README's table of it.
bench-reliability: $(VENV)/.installed
	$(PY) benchmarks/reliability.py $(BENCH_ARGS)

# Every benchmark, one after another, into benchmarks/results.md and the README's results block
# (torch's columns need torch in the venv: .venv/bin/pip install torch==2.13.0). BENCH_ARGS as above.
bench-all: $(VENV)/.installed
	@$(PY) -c "import sklearn" 2>/dev/null || $(PY) -m pip install --quiet scikit-learn
	@$(PY) -c "import torch" 2>/dev/null || echo "torch is not installed in $(VENV): its columns are left out"
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

# Regenerates tests/fixtures from torch and scikit-learn (installs them; not part of `make test`).
fixtures: $(VENV)/.installed
	$(PY) -m pip install --quiet torch==2.13.0 lion-pytorch==0.2.5 schedulefree==1.4.1 torch-optimizer==0.3.0 \
		prodigyopt==1.1.2
	$(PY) tests/fixtures/make_optim_fixtures.py
	$(PY) tests/fixtures/make_clip_fixtures.py
	$(PY) tests/fixtures/make_activation_fixtures.py
	$(PY) tests/fixtures/make_schedule_fixtures.py
	$(PY) -m pip install --quiet scikit-learn==1.9.1
	$(PY) tests/fixtures/make_mlp_fixtures.py
	$(PY) tests/fixtures/make_adaptive_fixtures.py
	$(PY) tests/fixtures/make_estimator_fixtures.py
	$(PY) tests/fixtures/make_lbfgs_fixtures.py

clean:
	rm -rf $(BUILD) $(VENV)
