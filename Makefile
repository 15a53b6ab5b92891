# chimerad — one Makefile: build, run, test, asan, coverage, bench.
# Flags come from pkg-config; generated sources live under build/.

PKGS    := libmicrohttpd jansson libjwt libsodium libcrypto sqlite3 libpq zlib libcurl \
           libxml-2.0 libzip
# Headers only: opened at first use with dlopen (src/util/dynlib.h), so they cost a server
# that never reads a PDF or runs the local model nothing.
DL_PKGS := poppler-glib openblas
CC      ?= cc
BUILD   ?= build
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wcast-qual
HARDEN  := -fstack-protector-strong -D_FORTIFY_SOURCE=2
OPT     ?= -O2 -g
# Library headers as system headers: -Werror applies to our code, not to glib's.
CFLAGS  += $(WARN) $(OPT) $(HARDEN) -D_GNU_SOURCE -Isrc -I$(BUILD)/gen \
           $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PKGS) $(DL_PKGS) 2>/dev/null))
LDFLAGS += -Wl,--as-needed
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl -lpthread -lm
PYTHON  := /usr/bin/python3
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

SRC      := $(shell find src -name '*.c' | sort)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
MIGR     := $(sort $(wildcard src/db/migrations/*.sql))
GEN      := $(BUILD)/gen/migrations_data.c
OBJ      := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN:%.c=%.o)
UNIT_SRC := $(shell find tests/unit -name 'test_*.c' | sort)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
# libFuzzer targets (fuzz_main.c is the corpus replayer for builds without clang).
FUZZ_SRC := $(filter-out tests/fuzz/fuzz_main.c,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/bin/%)
FUZZ_OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
            -fno-sanitize-recover=undefined
FUZZ_SECONDS ?= 60

# Builds run in parallel by default (make JOBS=1 for one job at a time).
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build deps test-deps run test unit api cluster deploy-check asan coverage bench clean \
        api-doc fuzz fuzz-bins fuzz-smoke fuzz-replay soak faults faults-run
all: deps
	@$(MAKE) --no-print-directory -j$(JOBS) build

build: $(BUILD)/chimerad

# Installs missing Debian packages when run as root (no-op otherwise): what the
# build needs for `all` and `run`, and the test tools too for the test targets.
deps:
	@scripts/deps.sh build

test-deps:
	@scripts/deps.sh test

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo '  CC    $<'
	@$(CC) $(CFLAGS) -DCHIMERA_VERSION='"$(VERSION)"' -MMD -MP -c $< -o $@

$(GEN): $(MIGR) scripts/embed-migrations.sh
	@mkdir -p $(dir $@)
	@echo '  GEN   $@'
	@scripts/embed-migrations.sh $(MIGR) > $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libchimera.a: $(OBJ)
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/chimerad: $(BUILD)/src/main.o $(BUILD)/libchimera.a
	@echo '  LINK  $@'
	@$(CC) $(CFLAGS) $^ $(LDFLAGS) $(LDLIBS) -o $@

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libchimera.a
	@mkdir -p $(dir $@)
	@echo '  TEST  $@'
	@$(CC) $(CFLAGS) -Wno-missing-prototypes -Itests/unit $< $(BUILD)/libchimera.a \
	  $(LDFLAGS) $(LDLIBS) -lcmocka -o $@

# A fuzz target: the whole library built by clang with libFuzzer's instrumentation
# (BUILD=build/fuzz, see `fuzz`), the target, and libFuzzer's main.
$(BUILD)/bin/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/libchimera.a
	@mkdir -p $(dir $@)
	@echo '  FUZZ  $@'
	@$(CC) $(CFLAGS) -Wno-missing-prototypes -fsanitize=fuzzer $< $(BUILD)/libchimera.a \
	  $(LDFLAGS) $(LDLIBS) -o $@

# The README's first command: build, migrate, serve on SQLite in development mode.
run: all
	$(BUILD)/chimerad serve

unit: all test-deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(UNIT_BIN)
	@scripts/run-unit.sh $(UNIT_BIN)

# The API suite against SQLite and against a throw-away PostgreSQL cluster.
api: all test-deps
	@scripts/run-api.sh $(BUILD)/chimerad

# Three nodes on one PostgreSQL behind nginx: the cluster-relevant API tests.
cluster: all test-deps
	@scripts/run-cluster.sh $(BUILD)/chimerad

# The deployment files of docs/deploy, read by systemd-analyze and nginx -t.
deploy-check: all test-deps
	@scripts/check-deploy.sh $(BUILD)/chimerad

# docs/API.md, the API reference, from the OpenAPI document the declarations build
# (src/api/routes.def, schemas.def, operations.def); the API suite fails when it is stale.
api-doc: all
	@$(BUILD)/chimerad openapi | $(PYTHON) scripts/api-doc.py > docs/API.md.tmp
	@mv docs/API.md.tmp docs/API.md
	@echo '  DOC   docs/API.md'


# Every parser under libFuzzer + ASan + UBSan for FUZZ_SECONDS each (default 60;
# bench/RESULTS.md records a long run). Findings fail the run; see tests/fuzz/run.sh.
fuzz: test-deps
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/fuzz CC=clang OPT='$(FUZZ_OPT)' fuzz-bins
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_REPORT)

fuzz-bins: $(FUZZ_BIN)

# The short run `make test` includes.
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=5

# Every fuzz target replayed over its committed seeds by tests/fuzz/fuzz_main.c in this
# build (no libFuzzer): how `make coverage` counts what the seeds reach.
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/replay/%)
$(BUILD)/replay/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_main.c $(BUILD)/libchimera.a
	@mkdir -p $(dir $@)
	@echo '  REPLAY $@'
	@$(CC) $(CFLAGS) -Wno-missing-prototypes $< tests/fuzz/fuzz_main.c $(BUILD)/libchimera.a \
	  $(LDFLAGS) $(LDLIBS) -o $@

fuzz-replay: all
	@$(MAKE) --no-print-directory -j$(JOBS) $(REPLAY_BIN)
	@for b in $(REPLAY_BIN); do $$b tests/fuzz/corpus/$${b##*/fuzz_} || exit 1; done

# Fault injection: a separate build (build/faults: -DCHIMERA_FAULTS, ASan + UBSan; the
# release binary has none of it) and the driver tests/api/test_faults.py on both engines
# (FAULT_KINDS="alloc" for one kind).
FAULTS_OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined -DCHIMERA_FAULTS
# -u: the wrappers (util/fault.c) are linked even where nothing else of fault.c is used
# (unit tests; libgcov's own allocations are wrapped too).
FAULTS_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup \
               -Wl,-u,__wrap_malloc
FAULTS_BIN ?= build/faults/chimerad
faults: test-deps
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/faults OPT='$(FAULTS_OPT)' \
	  LDFLAGS='-fsanitize=address,undefined $(FAULTS_WRAP)' build
	@$(MAKE) --no-print-directory faults-run

faults-run:
	@CHIMERA_FAULT_BUILD=1 CHIMERA_PYTEST_ARGS="tests/api/test_faults.py -q $(FAULTS_ARGS)" \
	  scripts/run-api.sh $(FAULTS_BIN)

# The README's second command: every test, both engines, the cluster, the deploy files,
# a short fuzz run, fault injection.
test: unit api cluster deploy-check fuzz-smoke faults

asan:
	$(MAKE) BUILD=build/asan OPT='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined' \
	  LDFLAGS='-fsanitize=address,undefined' test

# Line and branch coverage of src/ over the whole suite: the test build (fault injection
# compiled in, as `make faults` has it) at -O0 runs what `make test` runs (its API suite
# runs the fault driver's journeys: CHIMERA_FAULT_BUILD=1), and the fuzz targets replayed
# over their seeds. The per-file table is
# build/cov/coverage.txt; the files below the bar (90 % lines, 85 % branches) are listed
# at the end.
coverage:
	rm -rf build/cov
	CHIMERA_FAULT_BUILD=1 $(MAKE) BUILD=build/cov \
	  OPT='-O0 -g --coverage -fprofile-update=atomic -DCHIMERA_FAULTS' \
	  LDFLAGS='--coverage $(FAULTS_WRAP)' unit api cluster deploy-check fuzz-replay
	gcovr --root . --object-directory build/cov --filter src/ --exclude-unreachable-branches \
	  --gcov-ignore-parse-errors --sort-uncovered \
	  --print-summary --txt build/cov/coverage.txt --html-details build/cov/index.html \
	  --json-summary build/cov/summary.json
	@$(PYTHON) scripts/coverage-below.py build/cov/summary.json 90 85

bench: all
	@scripts/deps.sh bench
	$(PYTHON) bench/bench.py $(BUILD)/chimerad

# The soak alone (also the last part of `make bench`): SOAK_MINUTES=1 SOAK_SAMPLE=10
# is a smoke check that only prints its table.
SOAK_MINUTES ?= 30
SOAK_SAMPLE ?= 60
soak: all
	$(PYTHON) bench/soak.py $(BUILD)/chimerad $(SOAK_MINUTES) $(SOAK_SAMPLE)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
