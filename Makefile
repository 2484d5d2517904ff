# jazzrpc: `make demo` runs the example, `make test` runs every test.
# Both install what they need first (scripts/setup.sh, idempotent).

SHELL := /bin/bash
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
export NODE_PATH := /usr/share/nodejs
export DENO_NO_UPDATE_CHECK := 1

BUILD := build
WASM_OUT := js-glue/dist/jazzrpc.wasm
WASM_CLIENT_OUT := js-glue/dist/jazzrpc-client.wasm

DENO := node_modules/.bin/deno
DENO_FLAGS := --no-check --allow-read --allow-write --allow-env --allow-run --allow-net=127.0.0.1 --unstable-kv

.PHONY: faults all setup setup-build native asan wasm test test-native test-asan test-node test-deno test-types test-workerd test-interop test-workerd-jazz test-fuzz fuzz pack test-consumers demo demo-node dev clean bench

all: native wasm

setup:
	@bash scripts/setup.sh

# ---- builds -----------------------------------------------------------------
# Configured once (a build re-runs CMake itself when CMakeLists.txt changes); a build
# with nothing changed rebuilds nothing, and the wasm is copied only when it differs.
native: setup
	@mkdir -p $(BUILD)
	@test -f $(BUILD)/native/CMakeCache.txt || cmake -S . -B $(BUILD)/native -DCMAKE_BUILD_TYPE=Release > $(BUILD)/native.configure.log 2>&1 || (cat $(BUILD)/native.configure.log; false)
	@cmake --build $(BUILD)/native -j$(JOBS)

asan: setup
	@mkdir -p $(BUILD)
	@cmake -S . -B $(BUILD)/asan -DCMAKE_BUILD_TYPE=Debug -DJAZZRPC_SANITIZE=ON > $(BUILD)/asan.configure.log 2>&1 || (cat $(BUILD)/asan.configure.log; false)
	@cmake --build $(BUILD)/asan -j$(JOBS)

wasm: setup
	@mkdir -p $(BUILD) js-glue/dist
	@test -f $(BUILD)/wasm/CMakeCache.txt || emcmake cmake -S . -B $(BUILD)/wasm -DCMAKE_BUILD_TYPE=Release > $(BUILD)/wasm.configure.log 2>&1 || (cat $(BUILD)/wasm.configure.log; false)
	@cmake --build $(BUILD)/wasm -j$(JOBS)
	@cmp -s $(BUILD)/wasm/jazzrpc.wasm $(WASM_OUT) || cp $(BUILD)/wasm/jazzrpc.wasm $(WASM_OUT)
	@echo "wasm: $(WASM_OUT) $$(stat -c %s $(WASM_OUT)) bytes, $$(gzip -9c $(WASM_OUT) | wc -c) gzipped"
	@# The browser core (CMakeLists.txt, JAZZRPC_WASM_CLIENT): the client's exports, optimised for size but libsodium.
	@test -f $(BUILD)/wasm-client/CMakeCache.txt || emcmake cmake -S . -B $(BUILD)/wasm-client -DCMAKE_BUILD_TYPE=Release -DJAZZRPC_WASM_CLIENT=ON -DJAZZRPC_WASM_COLD_FLAGS=-Oz > $(BUILD)/wasm-client.configure.log 2>&1 || (cat $(BUILD)/wasm-client.configure.log; false)
	@cmake --build $(BUILD)/wasm-client -j$(JOBS)
	@cmp -s $(BUILD)/wasm-client/jazzrpc-client.wasm $(WASM_CLIENT_OUT) || cp $(BUILD)/wasm-client/jazzrpc-client.wasm $(WASM_CLIENT_OUT)
	@echo "wasm: $(WASM_CLIENT_OUT) $$(stat -c %s $(WASM_CLIENT_OUT)) bytes, $$(gzip -9c $(WASM_CLIENT_OUT) | wc -c) gzipped"

# ---- tests ------------------------------------------------------------------
test: test-native test-asan test-node test-deno test-types test-workerd test-interop test-workerd-jazz test-fuzz test-consumers
	@echo "make test: all suites passed"

test-native: native
	@echo "== Catch2, native build"
	@$(BUILD)/native/jazzrpc_tests

test-asan: asan
	@echo "== Catch2, AddressSanitizer + UBSan"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $(BUILD)/asan/jazzrpc_tests

test-node: wasm
	@echo "== node:test, wasm core"
	@node --test tests/node/

test-deno: wasm
	@echo "== deno test, the same API scenarios (memory and Deno KV guards, deno bundle)"
	@NO_COLOR=1 $(DENO) test $(DENO_FLAGS) tests/deno/

test-interop: wasm
	@echo "== node:test, wire compatibility with jazz-tools 0.20.19 (tests/interop)"
	@cd tests/interop && node --preserve-symlinks --test --test-force-exit --test-concurrency=1 interop.test.mjs attacks.test.mjs rate-limit.test.mjs

# The jazz-tools path in workerd (Miniflare, offline): jazz-tools 0.20.19 with load-edge-wasm,
# jazzrpc/jazz and the Durable Object guard, bundled by wrangler; where jazz-tools stops without the loader.
test-workerd-jazz: wasm
	@echo "== workerd (Miniflare): the jazz-tools path (jazz-tools/load-edge-wasm, jazzrpc/jazz, Durable Object guard)"
	@node --test tests/workerd-jazz/

test-types: setup
	@echo "== tsc --noEmit over a typed example"
	@node_modules/.bin/tsc -p tests/types && echo "types: ok"

# workerd through Miniflare, offline: the shared API scenarios, the replay guard
# object, workers-example (bundled by wrangler deploy --dry-run) and its size.
test-workerd: wasm
	@echo "== workerd (Miniflare): jazzrpc/cloudflare, the replay-guard Durable Object, workers-example"
	@node --test tests/workerd/
	@node_modules/.bin/tsc -p tests/workerd/types && echo "cloudflare types: ok"

# The packed npm package, as users install it: each consumer (tests/consumers/README.md) is a
# fresh project in a temp dir outside the repository that installs this tarball.
# pack needs only the wasm build: setup-build installs its Debian packages and libsodium's
# sources (no npm, nothing under tests/), and `-o setup` keeps the wasm target from running the
# whole setup. scripts/pack.mjs stages the package under build/ (no tracked file changes), with
# the repository's README, its relative links made absolute links to the repository, and LICENSE.
PACK_DIR := $(BUILD)/pack
setup-build:
	@bash scripts/setup.sh --build

pack: setup-build
	@$(MAKE) --no-print-directory -o setup wasm
	@node scripts/pack.mjs $(PACK_DIR)

test-consumers: setup pack
	@echo "== consumers of the packed tarball: fresh projects in temp dirs (tests/consumers)"
	@node --test --test-concurrency=1 tests/consumers/

# libFuzzer (clang 14) with ASan + UBSan over every core entry that reads untrusted bytes
# (tests/fuzz/README.md). test-fuzz: replays tests/fuzz/regressions, then each target for
# FUZZ_SMOKE_SECONDS from the committed seeds. fuzz: each target for FUZZ_SECONDS, one after
# another, into a corpus kept in build/fuzz/corpus. Both fail on any finding.
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 4
test-fuzz: setup
	@echo "== libFuzzer smoke run, ASan + UBSan ($(FUZZ_SMOKE_SECONDS) s a target)"
	@FUZZ_JOBS=$(if $(filter 1,$(JOBS)),1,2) bash tests/fuzz/run.sh --smoke --seconds $(FUZZ_SMOKE_SECONDS)

fuzz: setup
	@echo "== libFuzzer, ASan + UBSan ($(FUZZ_SECONDS) s a target)"
	@FUZZ_JOBS=$(if $(filter 1,$(JOBS)),1,2) bash tests/fuzz/run.sh --seconds $(FUZZ_SECONDS)

# The surely-once fault suite at full size: 200 clients through a chaos proxy while server
# processes are killed (tests/node/faults/surely-once.test.mjs; make test runs it with 40).
faults: wasm
	@echo "== the surely-once fault suite, $${FAULTS_CLIENTS:-200} clients"
	@FAULTS_CLIENTS=$${FAULTS_CLIENTS:-200} node --test tests/node/faults/surely-once.test.mjs

# ---- demo -------------------------------------------------------------------
# The documentation's scenario on Workers, in workerd (workers-example/); stops by itself.
demo: wasm
	@node workers-example/scripts/demo.mjs

# The same scenario on a Node server.
demo-node: wasm
	@node scripts/demo/run.mjs

# wrangler dev serving workers-example on 127.0.0.1:$(PORT) until interrupted;
# book from another shell with: node workers-example/client.mjs --url http://127.0.0.1:$(PORT)
PORT ?= 8787
dev: wasm
	@node workers-example/scripts/dev.mjs $(PORT)

clean:
	rm -rf $(BUILD) $(WASM_OUT)

# ---- benchmarks (not part of make test) --------------------------------------------
# jazzrpc against its peers in one run: bench/results.json and a Markdown table.
# Its npm packages (jazz-tools, libsodium-wrappers, @noble/ed25519…) come from
# bench/package-lock.json, apart from the root's (npm install, as for tests/interop:
# npm ci refuses jazz-tools' lock, which names native packages for other platforms
# that the registry does not serve). QUICK=1: the quick run (< 2 min).
bench: native wasm
	@if [ ! -f bench/node_modules/.jazzrpc-lock-stamp ] || ! cmp -s bench/package-lock.json bench/node_modules/.jazzrpc-lock-stamp; then \
	  echo "bench: npm install (the locked versions of bench/package-lock.json)"; \
	  (cd bench && npm install --no-audit --no-fund --loglevel=error) && cp bench/package-lock.json bench/node_modules/.jazzrpc-lock-stamp; \
	fi
	@QUICK=$(if $(filter-out 0,$(QUICK)),1,) node bench/run.mjs
