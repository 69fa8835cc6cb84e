# dfukit: top-level entry points. `make demo` and `make test` work on a fresh Debian 12 machine
# as root: they install missing Debian packages first (scripts/deps.sh, prints what it installs).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local
FUZZ_SECONDS ?= 60

.PHONY: all deps build build-types install demo test test-unit test-asan cross footprint lint valgrind \
        bench fuzz clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# dfukit, its man page and bash completion, the public headers, the device-side static libraries
# and dfukit.pc under $(PREFIX) (DESTDIR is honoured).
install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

demo: build
	@bash scripts/demo.sh $(BUILD)

test-unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DDFU_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

# Every CMake build type with gcc and clang, warnings are errors (build-types/, no test run);
# the configuration of $(BUILD) (gcc RelWithDebInfo, also -Werror) is not built twice.
build-types: build
	@JOBS=$(JOBS) COVERED_BY=$(BUILD) bash scripts/build_types.sh build-types

cross: deps
	@bash scripts/cross_build.sh

footprint: cross
	@bash scripts/footprint.sh

lint: build
	@bash scripts/lint.sh $(BUILD)

valgrind: build
	@bash scripts/valgrind.sh $(BUILD)

# The whole suite: unit/integration tests (ctest), every build type with gcc and clang, the
# Cortex-M4 cross build and footprint budget, the suite again under ASan+UBSan, static analysis +
# format check, valgrind on the host tools; in CI (CI=true) also a 60 s smoke run of every fuzz
# target.
test: test-unit build-types cross footprint test-asan lint valgrind
	@if [ "$${CI:-}" = "true" ]; then $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=60; fi
	@echo "make test: all stages passed"

bench: build
	@bash scripts/bench.sh $(BUILD)

fuzz: deps
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-arm build-fuzz build-types
