# jazzrpc: `make demo` runs the example, `make test` runs every test.
# Both install what they need first (scripts/setup.sh, idempotent).

SHELL := /bin/bash
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
export NODE_PATH := /usr/share/nodejs
export DENO_NO_UPDATE_CHECK := 1

BUILD := build
WASM_OUT := js-glue/dist/jazzrpc.wasm

.PHONY: all setup native asan wasm test test-native test-asan test-node demo clean

all: native wasm

setup:
	@bash scripts/setup.sh

# ---- builds -----------------------------------------------------------------
native: setup
	@mkdir -p $(BUILD)
	@cmake -S . -B $(BUILD)/native -DCMAKE_BUILD_TYPE=Release > $(BUILD)/native.configure.log 2>&1 || (cat $(BUILD)/native.configure.log; false)
	@cmake --build $(BUILD)/native -j$(JOBS)

asan: setup
	@mkdir -p $(BUILD)
	@cmake -S . -B $(BUILD)/asan -DCMAKE_BUILD_TYPE=Debug -DJAZZRPC_SANITIZE=ON > $(BUILD)/asan.configure.log 2>&1 || (cat $(BUILD)/asan.configure.log; false)
	@cmake --build $(BUILD)/asan -j$(JOBS)

wasm: setup
	@mkdir -p $(BUILD) js-glue/dist
	@emcmake cmake -S . -B $(BUILD)/wasm -DCMAKE_BUILD_TYPE=MinSizeRel > $(BUILD)/wasm.configure.log 2>&1 || (cat $(BUILD)/wasm.configure.log; false)
	@cmake --build $(BUILD)/wasm -j$(JOBS)
	@cp $(BUILD)/wasm/jazzrpc.wasm $(WASM_OUT)
	@echo "wasm: $(WASM_OUT) $$(stat -c %s $(WASM_OUT)) bytes, $$(gzip -9c $(WASM_OUT) | wc -c) gzipped"

# ---- tests ------------------------------------------------------------------
test: test-native test-asan test-node
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

# ---- demo -------------------------------------------------------------------
demo: wasm
	@node scripts/demo/run.mjs

clean:
	rm -rf $(BUILD) $(WASM_OUT)
