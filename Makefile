# gnatsd-cpp: a thin front over CMake. `make run` and `make test` are all a
# new machine needs (Debian 12): both install missing packages first.

BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?=
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian 12 packages the build and the tests need.
DEPS := build-essential cmake pkg-config \
        libboost-thread-dev libboost-program-options-dev \
        nlohmann-json3-dev catch2 libssl-dev libcrypt-dev libnats-dev

.PHONY: all deps configure build run test clean asan tsan

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
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Starts gnatsd on 0.0.0.0:4222 with its built-in defaults; Ctrl-C stops it.
run: build
	./$(BUILD)/gnatsd $(ARGS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

asan:
	$(MAKE) test BUILD=build-asan BUILD_TYPE=Debug CMAKE_ARGS="-DGNATSD_SANITIZE=address"

tsan:
	$(MAKE) test BUILD=build-tsan BUILD_TYPE=Debug CMAKE_ARGS="-DGNATSD_SANITIZE=thread"

clean:
	rm -rf build build-asan build-tsan
