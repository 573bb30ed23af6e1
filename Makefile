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
        nlohmann-json3-dev catch2 libssl-dev libcrypt-dev libnats-dev python3

# Fuzzing (fuzz/): clang with libFuzzer and ASan/UBSan, in its own build dir.
FUZZ_BUILD   ?= build-fuzz
FUZZ_OUT     ?= fuzz-out
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?= -max_len=4096 -timeout=10 -rss_limit_mb=2048
# The fuzz programs; their CMake targets are gnatsd_<name>.
FUZZERS      := parser_fuzz conf_fuzz

# Soak test (tools/soak): an in-process server under mixed load.
SOAK_SECONDS ?= 60

# make buildtypes: each BUILDTYPES x each compiler builds with -Werror (CI: Release only).
BUILDTYPES ?= Release

.PHONY: all deps deps-clang configure build run test clean asan tsan tsa fuzz soak buildtypes install-check mixed-mesh

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
	cmake --build build-tsa -j $(JOBS) --target gnatsd_server gnatsd

# Runs each fuzzer for FUZZ_SECONDS on a copy of its committed corpus (the
# repo is never written to). Fails, naming the input, if one finds a crash.
fuzz: deps deps-clang
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=clang++ -DGNATSD_FUZZ=ON -DGNATSD_TESTS=OFF -DGNATSD_WERROR=$(WERROR)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix gnatsd_,$(FUZZERS))
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

# What an outside user does: a Release build (no tests unless INSTALL_TESTS=ON:
# CI reuses the Release build it tested, INSTALL_BUILD=build-Release-gcc) installed into
# $(INSTALL_BUILD)/prefix, then examples/embed built against that tree only,
# with CMake (find_package(gnatsd): static gnatsd::server, then
# gnatsd::server_shared) and with
# pkg-config (g++ ... $$(pkg-config --cflags --libs gnatsd), the shared
# library), and each run: it embeds a server, round-trips a message with
# libnats, and passes messages and a request between its in-process
# connection and libnats, through the installed API (include/gnatsd/) only.
# Also checked: readelf finds the shared library's SONAME, nm that it exports
# the API and no internal symbol; nothing but
# include/gnatsd/*.h is installed as headers, and each of them compiles
# alone without nlohmann/json (NLOHMANN_JSON_VERSION_MAJOR stays undefined).
# GNUInstallDirs may pick lib/ or lib/<multiarch>/ (it does for
# CMAKE_ARGS=-DCMAKE_INSTALL_PREFIX=/usr on Debian): both are found.
INSTALL_BUILD ?= build-install
INSTALL_TESTS ?= OFF
INSTALL_DIR    = $(abspath $(INSTALL_BUILD))
EMBED_WFLAGS   = -Wall -Wextra $(if $(filter ON on 1 TRUE true YES yes,$(WERROR)),-Werror)
install-check: deps
	cmake -S . -B $(INSTALL_BUILD) -DCMAKE_BUILD_TYPE=Release -DGNATSD_TESTS=$(INSTALL_TESTS) -DGNATSD_WERROR=$(WERROR) $(CMAKE_ARGS)
	cmake --build $(INSTALL_BUILD) -j $(JOBS)
	rm -rf $(INSTALL_DIR)/prefix $(INSTALL_DIR)/embed-cmake $(INSTALL_DIR)/embed-cmake-shared $(INSTALL_DIR)/embed-pkgconfig
	cmake --install $(INSTALL_BUILD) --prefix $(INSTALL_DIR)/prefix
	@set -e; prefix=$(INSTALL_DIR)/prefix; \
	echo "== only the API is installed: include/gnatsd/*.h, nothing else under include/"; \
	others=$$(find $$prefix/include -mindepth 1 ! -path "$$prefix/include/gnatsd" ! -path "$$prefix/include/gnatsd/*.h"); \
	[ -z "$$others" ] || { echo "!! installed besides include/gnatsd/*.h:"; echo "$$others"; exit 1; }; \
	echo "== every #include \"...\" of an installed header resolves inside $$prefix/include"; \
	bad=0; for h in $$(find $$prefix/include/gnatsd -name '*.h'); do \
	  for inc in $$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' $$h); do \
	    [ -f "$$prefix/include/$$inc" ] || { echo "!! $$h includes \"$$inc\", not installed"; bad=1; }; \
	  done; \
	done; [ $$bad = 0 ]; \
	echo "== each installed header compiles alone, without nlohmann/json, Boost or a using namespace"; \
	! grep -nE 'using namespace|include *[<"](nlohmann|boost|server|conf|pse)/' $$prefix/include/gnatsd/*.h || \
	  { echo "!! an installed header has a using namespace or includes internals"; exit 1; }; \
	for h in $$prefix/include/gnatsd/*.h; do \
	  printf '#include "gnatsd/%s"\n#ifdef NLOHMANN_JSON_VERSION_MAJOR\n#error "%s brings in nlohmann/json"\n#endif\n' \
	    $$(basename $$h) $$(basename $$h) > $(INSTALL_DIR)/header-check.cpp; \
	  g++ -std=c++20 $(EMBED_WFLAGS) -fsyntax-only -I$$prefix/include $(INSTALL_DIR)/header-check.cpp || \
	    { echo "!! $$h does not compile alone, or brings in nlohmann/json"; exit 1; }; \
	done; \
	$$prefix/bin/gnatsd --version; \
	echo "== the shared library's SONAME is libgnatsd-server.so.1 (the ABI major)"; \
	so=$$(find $$prefix -name 'libgnatsd-server.so' | head -n 1); [ -n "$$so" ] || { echo "!! no libgnatsd-server.so under $$prefix"; exit 1; }; \
	soname=$$(readelf -d $$so | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p'); echo "SONAME: $$soname"; \
	[ "$$soname" = libgnatsd-server.so.1 ] || { echo "!! $$so has SONAME '$$soname', expected libgnatsd-server.so.1"; exit 1; }; \
	[ -e "$$(dirname $$so)/$$soname" ] || { echo "!! $$soname is not installed beside $$so"; exit 1; }; \
	echo "== the shared library exports the API (gnatsd::Server, ...) and none of the internals"; \
	syms=$$(nm -DC --defined-only $$so); echo "$$(echo "$$syms" | grep -c 'gnatsd::') gnatsd:: symbols exported"; \
	! echo "$$syms" | grep -E 'gnatsd::(server|conf|logger|pse)::|gnatsd::(Mutex|RWMutex|MutexLock|CondVar)' | head -n 5 | grep . || \
	  { echo "!! $$so exports internal symbols (cmake/libgnatsd-server.map)"; exit 1; }; \
	for f in 'gnatsd::Server::New(' 'gnatsd::Server::Start()' 'gnatsd::Options::FromFile(' 'gnatsd::InProcessConn::Drain(' 'typeinfo for gnatsd::ConfigError'; do \
	  echo "$$syms" | grep -qF "$$f" || { echo "!! $$so does not export $$f"; exit 1; }; \
	done; \
	echo "== examples/embed with add_subdirectory(this tree), configured only: gnatsd::server, no gnatsd tests, no install rules"; \
	rm -rf $(INSTALL_DIR)/embed-subdir; \
	cmake -S examples/embed -B $(INSTALL_DIR)/embed-subdir -DGNATSD_SOURCE_DIR=$(CURDIR) > $(INSTALL_DIR)/embed-subdir.log || \
	  { cat $(INSTALL_DIR)/embed-subdir.log; echo "!! add_subdirectory of this tree does not configure"; exit 1; }; \
	targets=$$(cmake --build $(INSTALL_DIR)/embed-subdir --target help); \
	echo "$$targets" | grep -qx '\.\.\. gnatsd_server' || { echo "!! no gnatsd_server target under add_subdirectory"; exit 1; }; \
	! echo "$$targets" | grep -E 'gnatsd_.*_tests' || { echo "!! test suites built under add_subdirectory"; exit 1; }; \
	! grep -E 'gnatsd-server|gnatsd\.pc|include/gnatsd' $(INSTALL_DIR)/embed-subdir/gnatsd/cmake_install.cmake || \
	  { echo "!! install rules under add_subdirectory (GNATSD_INSTALL is off there)"; exit 1; }; \
	echo "== examples/embed with CMake: find_package(gnatsd), gnatsd::server"; \
	cmake -S examples/embed -B $(INSTALL_DIR)/embed-cmake -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_PREFIX_PATH=$$prefix -DCMAKE_CXX_FLAGS="$(EMBED_WFLAGS)"; \
	grep -q "^gnatsd_DIR:PATH=$$prefix/" $(INSTALL_DIR)/embed-cmake/CMakeCache.txt || \
	  { echo "!! find_package(gnatsd) did not find $$prefix"; exit 1; }; \
	cmake --build $(INSTALL_DIR)/embed-cmake -j $(JOBS); \
	timeout 60 $(INSTALL_DIR)/embed-cmake/embed-example; \
	echo "== examples/embed with CMake, -DEMBED_SHARED=ON: gnatsd::server_shared"; \
	cmake -S examples/embed -B $(INSTALL_DIR)/embed-cmake-shared -DCMAKE_BUILD_TYPE=Release -DEMBED_SHARED=ON \
	  -DCMAKE_PREFIX_PATH=$$prefix -DCMAKE_CXX_FLAGS="$(EMBED_WFLAGS)"; \
	cmake --build $(INSTALL_DIR)/embed-cmake-shared -j $(JOBS); \
	timeout 60 $(INSTALL_DIR)/embed-cmake-shared/embed-example; \
	echo "== examples/embed with pkg-config: libgnatsd-server.so"; \
	pc=$$(find $$prefix -name gnatsd.pc); [ -n "$$pc" ] || { echo "!! no gnatsd.pc under $$prefix"; exit 1; }; \
	export PKG_CONFIG_PATH=$$(dirname $$pc); mkdir -p $(INSTALL_DIR)/embed-pkgconfig; \
	echo "PKG_CONFIG_PATH=$$PKG_CONFIG_PATH"; \
	set -x; \
	g++ -std=c++20 $(EMBED_WFLAGS) -o $(INSTALL_DIR)/embed-pkgconfig/embed-example examples/embed/main.cpp \
	  $$(pkg-config --cflags --libs gnatsd) -lnats -lcrypto -Wl,-rpath,$$(pkg-config --variable=libdir gnatsd); \
	timeout 60 $(INSTALL_DIR)/embed-pkgconfig/embed-example; \
	set +x; echo "install-check: installed tree in $$prefix builds and runs examples/embed (CMake and pkg-config)"

# The mixed-mesh tests (test/mixed_cluster_test.cpp, tag [mixed]): gnatsd-cpp
# servers routed with a gnatsd 1.0.0 binary built from the Go source's v1.0.0
# tag (README.md, "Clustering"). Without the binary the tests only warn that
# they were skipped, so this target insists on it.
GNATSD_1_0_0_BIN ?=
mixed-mesh: configure
	@[ -n "$(GNATSD_1_0_0_BIN)" ] && [ -x "$(GNATSD_1_0_0_BIN)" ] || \
	  { echo "mixed-mesh: GNATSD_1_0_0_BIN='$(GNATSD_1_0_0_BIN)' is not a gnatsd 1.0.0 binary (README.md, Clustering)"; exit 1; }
	cmake --build $(BUILD) -j $(JOBS) --target gnatsd_server_tests
	GNATSD_1_0_0_BIN="$(abspath $(GNATSD_1_0_0_BIN))" ./$(BUILD)/server_tests "[mixed]"

# Runs tools/soak against an in-process server for SOAK_SECONDS
# (CI: make soak SOAK_SECONDS=20).
soak: configure
	cmake --build $(BUILD) -j $(JOBS) --target gnatsd_soak
	./$(BUILD)/soak --seconds $(SOAK_SECONDS)

# Builds every target (tests included, not run) for each of BUILDTYPES with
# g++ and with clang, warnings as errors, one build dir each (build-<type>-<cc>):
# the optimizer's warnings differ by level and compiler (g++ 12 at -O3 gave
# -Wrestrict false positives that -O2 never showed).
# The clang builds also run -Wthread-safety over everything (what `make tsa`
# checks for the library alone).
# Whole matrix: make buildtypes BUILDTYPES="Release Debug RelWithDebInfo MinSizeRel"
buildtypes: deps deps-clang
	@set -e; for t in $(BUILDTYPES); do for cc in gcc clang; do \
	  if [ $$cc = gcc ]; then cxx=g++; tsa=OFF; else cxx=clang++; tsa=ON; fi; \
	  dir=build-$$t-$$cc; echo "== $$t, $$cxx ($$dir)"; \
	  CC=$$cc CXX=$$cxx cmake -S . -B $$dir -DCMAKE_BUILD_TYPE=$$t -DGNATSD_WERROR=ON -DGNATSD_THREAD_SAFETY=$$tsa; \
	  cmake --build $$dir -j $(JOBS); \
	done; done; echo "buildtypes: $(BUILDTYPES) built with g++ and clang++, -Werror"

clean:
	rm -rf build build-asan build-tsan build-tsa $(FUZZ_BUILD) $(FUZZ_OUT) $(INSTALL_BUILD) \
	  $(foreach t,Release Debug RelWithDebInfo MinSizeRel,build-$(t)-gcc build-$(t)-clang)
