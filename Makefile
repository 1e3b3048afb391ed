# kbnet: a thin front door over meson.  Each target installs what is missing
# and prepares hugepages itself, so a fresh Debian 12 machine needs only
#   make demo     # two VMs talking TCP through kbswitch
#   make test     # every test, ending with "N passed, N failed"

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
PREFIX     ?= /usr/local

.PHONY: all deps hugepages build build-asan fuzz test demo bench install clean help

all: build

help:
	@echo "make demo | test | bench | build | build-asan | fuzz | install | clean"

deps:
	@scripts/install-deps.sh

hugepages:
	@scripts/hugepages.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

build-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

# libFuzzer targets (tests/fuzz), clang with ASan+UBSan, each for
# FUZZ_SECONDS; FUZZ_TARGETS="conf tcp" picks some.
$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args='-fsanitize=fuzzer-no-link -fno-sanitize-recover=all'

fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) fuzzers
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(FUZZ_TARGETS)

test: build build-asan hugepages
	tests/run $(FILTER)

demo: build hugepages
	scripts/demo.sh

bench: build hugepages
	@scripts/install-deps.sh --bench
	bench/run

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
