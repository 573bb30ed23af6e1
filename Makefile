# gnatsd-cpp: a thin front over CMake. `make run` and `make test` are all a
# new machine needs (Debian 12): both install missing packages first.

BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?=
# Warnings as errors: ON for CI and developers (`make test WERROR=ON`); OFF
# by default so a release build on a newer compiler is not stopped by a
# warning our compilers never showed. Passed on to the sub-makes below.
WERROR     ?= OFF
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 packages the build and the tests need.
DEPS := build-essential cmake pkg-config \
        libboost-thread-dev libboost-program-options-dev \
        nlohmann-json3-dev catch2 libssl-dev libcrypt-dev libnats-dev

# Fuzzing (fuzz/): clang with libFuzzer and ASan/UBSan, in its own build dir.
FUZZ_BUILD   ?= build-fuzz
FUZZ_OUT     ?= fuzz-out
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?= -max_len=4096 -timeout=10 -rss_limit_mb=2048
FUZZERS      := parser_fuzz conf_fuzz

# Soak test (tools/soak): an in-process server under mixed load.
SOAK_SECONDS ?= 60

# make buildtypes: each BUILDTYPES x each compiler builds with -Werror (CI: Release only).
BUILDTYPES ?= Release

.PHONY: all deps deps-clang configure build run test clean asan tsan tsa fuzz soak buildtypes

all: build

deps:
	@missing=""; for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DGNATSD_WERROR=$(WERROR) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Starts gnatsd on 0.0.0.0:4222 with its built-in defaults; Ctrl-C stops it.
run: build
	./$(BUILD)/gnatsd $(ARGS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The whole suite under AddressSanitizer+UBSan (leaks included) and under
# ThreadSanitizer. The 10,000-connection test runs in the normal build only:
# TSan cannot track that many live threads, and ASan makes it crawl.
SANITIZER_CTEST := -E TestTenThousandConnections
asan:
	$(MAKE) test BUILD=build-asan BUILD_TYPE=Debug CMAKE_ARGS="-DGNATSD_SANITIZE=address" \
	  CTEST_ARGS="$(SANITIZER_CTEST) $(CTEST_ARGS)"

# libnats drives one SSL object from its read loop and its flusher thread at
# once, which TSan reports inside libssl, in the client's threads. So the
# libnats TLS tests run under ASan only; the server's side of TLS runs under
# TSan in test/tls_test.cpp (plain OpenSSL clients, one thread each).
tsan:
	$(MAKE) test BUILD=build-tsan BUILD_TYPE=Debug CMAKE_ARGS="-DGNATSD_SANITIZE=thread" \
	  CTEST_ARGS="-E 'TestTenThousandConnections|interop:CNatsTLS' $(CTEST_ARGS)"

deps-clang:
	@for p in clang libclang-rt-14-dev; do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# clang's -Wthread-safety over the lock-annotated code (server/mutex.h),
# always as errors: that is the point of this target.
tsa: deps deps-clang
	CC=clang CXX=clang++ cmake -S . -B build-tsa -DCMAKE_BUILD_TYPE=Debug \
	  -DGNATSD_THREAD_SAFETY=ON -DGNATSD_TESTS=OFF -DGNATSD_WERROR=ON
	cmake --build build-tsa -j $(JOBS) --target server gnatsd

# Runs each fuzzer for FUZZ_SECONDS on a copy of its committed corpus (the
# repo is never written to). Fails, naming the input, if one finds a crash.
fuzz: deps deps-clang
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DGNATSD_FUZZ=ON -DGNATSD_TESTS=OFF -DGNATSD_WERROR=$(WERROR)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZERS)
	@root=$$(pwd); failed=""; \
	for f in $(FUZZERS); do \
	  name=$${f%_fuzz}; work=$$root/$(FUZZ_OUT)/$$name; \
	  rm -rf $$work; mkdir -p $$work/artifacts $$work/tmp; cp -r fuzz/corpus/$$name $$work/corpus; \
	  echo "== $$f: $(FUZZ_SECONDS)s from a copy of fuzz/corpus/$$name (log: $$work/log)"; \
	  (cd $$work/corpus && TMPDIR=$$work/tmp $$root/$(FUZZ_BUILD)/$$f -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) \
	     -print_final_stats=1 -artifact_prefix=$$work/artifacts/ .) > $$work/log 2>&1; rc=$$?; \
	  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^Done ' $$work/log; \
	  if [ $$rc -ne 0 ] || [ -n "$$(ls -A $$work/artifacts)" ]; then \
	    failed="$$failed $$f"; \
	    echo "!! $$f failed (exit $$rc); last lines of $$work/log:"; tail -n 60 $$work/log; \
	    for a in $$work/artifacts/*; do [ -f "$$a" ] || continue; \
	      echo "!! crash input: $$a"; od -A d -c "$$a" | head -n 40; done; \
	  fi; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: FAILED:$$failed"; exit 1; fi; echo "fuzz: no crash"

# Runs tools/soak against an in-process server for SOAK_SECONDS
# (CI: make soak SOAK_SECONDS=20).
soak: configure
	cmake --build $(BUILD) -j $(JOBS) --target soak
	./$(BUILD)/soak --seconds $(SOAK_SECONDS)

# Builds every target (tests included, not run) for each of BUILDTYPES with
# g++ and with clang, warnings as errors, one build dir each (build-<type>-<cc>):
# the optimizer's warnings differ by level and compiler (g++ 12 at -O3 gave
# -Wrestrict false positives that -O2 never showed).
# Whole matrix: make buildtypes BUILDTYPES="Release Debug RelWithDebInfo MinSizeRel"
buildtypes: deps deps-clang
	@set -e; for t in $(BUILDTYPES); do for cc in gcc clang; do \
	  if [ $$cc = gcc ]; then cxx=g++; else cxx=clang++; fi; \
	  dir=build-$$t-$$cc; echo "== $$t, $$cxx ($$dir)"; \
	  CC=$$cc CXX=$$cxx cmake -S . -B $$dir -DCMAKE_BUILD_TYPE=$$t -DGNATSD_WERROR=ON; \
	  cmake --build $$dir -j $(JOBS); \
	done; done; echo "buildtypes: $(BUILDTYPES) built with g++ and clang++, -Werror"

clean:
	rm -rf build build-asan build-tsan build-tsa $(FUZZ_BUILD) $(FUZZ_OUT) \
	  $(foreach t,Release Debug RelWithDebInfo MinSizeRel,build-$(t)-gcc build-$(t)-clang)
