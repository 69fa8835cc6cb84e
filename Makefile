# dfukit: top-level entry points. `make demo` and `make test` work on a fresh Debian 12 machine
# as root: they install missing Debian packages first (scripts/deps.sh, prints what it installs).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local
FUZZ_SECONDS ?= 60
# Public (or private) key the firmware's bootloader accepts: `make firmware KEY=pub.pem`.
KEY        ?= firmware/keys/dev-ecdsa-p256.pem
# The bootloader's downgrade prevention: `make firmware DOWNGRADE=version` (off|version|seccnt).
DOWNGRADE  ?= off

.PHONY: all deps build build-types install demo test test-unit test-asan cross footprint lint valgrind \
        bench fuzz clean dfukit firmware demo-qemu test-qemu

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

# Just the dfukit tool (firmware signing and key extraction need it).
dfukit: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target dfukit

# The QEMU reference port (ports/qemu-mps2-an386): build-fw/boot.elf, build-fw/app.bin (confirms
# itself at boot), build-fw/app-noconfirm.bin (never does); the bootloader trusts KEY.
firmware: dfukit
	@DFUKIT=$(BUILD)/dfukit bash scripts/firmware.sh --key $(KEY) --downgrade $(DOWNGRADE)

# Sign v1 and v2, install v1, boot it in QEMU, `dfukit update` to v2 over tcp:, list, stop.
demo-qemu: firmware
	@bash scripts/demo_qemu.sh $(BUILD)

# The firmware in QEMU: update/revert, power cuts during a swap, wrong key, stacks.
test-qemu: firmware
	@python3 tests/qemu/test_qemu.py --dfukit $(BUILD)/dfukit --fw build-fw

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

footprint: cross dfukit
	@DFUKIT=$(BUILD)/dfukit bash scripts/footprint.sh

lint: build
	@bash scripts/lint.sh $(BUILD)

valgrind: build
	@bash scripts/valgrind.sh $(BUILD)

# The whole suite: unit/integration tests (ctest), every build type with gcc and clang, the
# Cortex-M4 cross build and footprint budget of the linked firmware, the firmware in QEMU, the
# suite again under ASan+UBSan, static analysis + format check, valgrind on the host tools; in CI
# (CI=true) also a 60 s smoke run of every fuzz target.
test: test-unit build-types cross footprint test-qemu test-asan lint valgrind
	@if [ "$${CI:-}" = "true" ]; then $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=60; fi
	@echo "make test: all stages passed"

bench: build
	@bash scripts/bench.sh $(BUILD)

fuzz: deps
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-arm build-fuzz build-types build-fw
