# Everything a fresh clone needs: `make demo` and `make test` create the venv, build and install.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BUILD := build
SOURCES := $(shell find cpp python -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.py' -o -name '*.pyi' -o -name CMakeLists.txt \)) CMakeLists.txt pyproject.toml

.PHONY: demo demo-optimizers test test-cpp test-python test-sanitize test-tsan fuzz lint bench bench-mlp bench-all bench-untuned bench-features bench-reliability fixtures install clean

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

# The C++ tests also run under ASan+UBSan (about 10 more minutes on a clean 2-core build, see
# test-sanitize); where the compiler cannot build with them they are skipped with the reason.
test: test-cpp test-sanitize test-python

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

# The same C++ tests under AddressSanitizer and UBSan, skipped (with the reason) where the compiler
# cannot link a program with them.
SANITIZERS_WORK = $(shell printf 'int main(){return 0;}' | $${CXX:-c++} -x c++ -fsanitize=address,undefined -o /dev/null - 2>/dev/null && echo yes)
test-sanitize: $(VENV)/.installed ensure-gtest
	@if [ "$(SANITIZERS_WORK)" = yes ]; then :; else \
	  echo "SKIPPED sanitizer tests: $${CXX:-c++} cannot build with -fsanitize=address,undefined"; exit 0; fi
	$(if $(SANITIZERS_WORK),$(call run_cpp_tests,cpp-tests-asan,-DCMAKE_BUILD_TYPE=Debug -DGRADKIT_SANITIZE=ON))

# ThreadSanitizer on the tests that run OpenMP regions (the MLP's threaded backprop and predict, the epoch
# loop, the optimizers' parallel_chunks kernels, the thread limits), with 2 threads. Not part of `make test`
# (it needs clang); run it once per change to those kernels.
# With clang and LLVM's OpenMP runtime (Debian: apt-get install clang libomp-dev), Archer (libarcher.so,
# loaded through OMP_TOOL_LIBRARIES) tells TSan about OpenMP's fork/join and barriers, so every report is a
# real race and any report fails the target. Without clang: g++ and libgomp, which is not built with TSan,
# so the main thread's accesses around each region are reported against its workers (false positives):
# cpp/tests/tsan_triage.py counts those and fails only on a race between two workers (or a failed test).
TSAN_THREADS ?= 2
TSAN_CLANG ?= $(shell command -v clang++ 2>/dev/null)
TSAN_ARCHER = $(if $(TSAN_CLANG),$(wildcard $(dir $(realpath $(TSAN_CLANG)))../lib/libarcher.so))
test-tsan: $(VENV)/.installed ensure-gtest
ifneq ($(TSAN_ARCHER),)
	CXX=$(TSAN_CLANG) cmake -S . -B $(BUILD)/cpp-tests-tsan-clang -DGRADKIT_BUILD_PYTHON=OFF -DGRADKIT_BUILD_TESTS=ON \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRADKIT_TSAN=ON \
	  -DCMAKE_PREFIX_PATH="$(CMAKE_PREFIX)" -DPython_EXECUTABLE=$(abspath $(PY)) >/dev/null
	cmake --build $(BUILD)/cpp-tests-tsan-clang -j2 --target gradkit_tsan_tests
	OMP_NUM_THREADS=$(TSAN_THREADS) OMP_TOOL_LIBRARIES=$(TSAN_ARCHER) \
	  TSAN_OPTIONS="ignore_noninstrumented_modules=1 halt_on_error=0 exitcode=66" \
	  $(BUILD)/cpp-tests-tsan-clang/cpp/tests/gradkit_tsan_tests --gtest_brief=1
else
	@echo "clang++ with LLVM's OpenMP (libarcher.so) not found: g++ and libgomp, with triage of the reports"
	cmake -S . -B $(BUILD)/cpp-tests-tsan -DGRADKIT_BUILD_PYTHON=OFF -DGRADKIT_BUILD_TESTS=ON \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGRADKIT_TSAN=ON \
	  -DCMAKE_PREFIX_PATH="$(CMAKE_PREFIX)" -DPython_EXECUTABLE=$(abspath $(PY)) >/dev/null
	cmake --build $(BUILD)/cpp-tests-tsan -j2 --target gradkit_tsan_tests
	OMP_NUM_THREADS=$(TSAN_THREADS) TSAN_OPTIONS="ignore_noninstrumented_modules=1 halt_on_error=0 exitcode=0" \
	  $(BUILD)/cpp-tests-tsan/cpp/tests/gradkit_tsan_tests --gtest_brief=1 2>&1 | $(PY) cpp/tests/tsan_triage.py
endif

# Fuzzing with a large budget (>= 10,000 examples; `make test` runs the same tests with 25 each):
# writes benchmarks/results/fuzz.md. FUZZ_ARGS passes options, e.g. FUZZ_ARGS="--examples 1000".
fuzz: $(VENV)/.installed
	$(PY) benchmarks/fuzz_report.py $(FUZZ_ARGS)

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
