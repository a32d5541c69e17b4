# ngx_http_chatcompletions_module
#
#   make run    install what is missing, build, serve on $PORT (default 8000)
#   make test   install what is missing, build, run every test
#   make deb    install what is missing, build the Debian package
#               libnginx-mod-http-chatcompletions in build/deb/
#   make fuzz   install what is missing, run each libFuzzer harness of
#               t/fuzz/ for FUZZ_SECONDS (default 60)
#   make bench  the module against nginx relaying the same answer, in a few
#               minutes (BENCH_QUICK=1: a smoke run); README's Benchmark
#
# The module is built against Debian's packaged nginx (nginx-dev), and
# loads into the stock /usr/sbin/nginx.  NGINX_SRC=/path/to/nginx-x.y.z
# with `make build-upstream` builds it against an upstream source tree.

SHELL       := /bin/bash
TOP         := $(abspath .)
BUILD       := $(TOP)/build
NGX_DEV     := /usr/share/nginx/src
NGINX_BINARY ?= /usr/sbin/nginx
MODULE_SO   := $(BUILD)/debian/ngx_http_chatcompletions_module.so
PORT        ?= 8000
DOUBLE_PORT ?= 19090
BEDROCK     ?= auto
SRC_DIR     := ngx_http_chatcompletions_module
SOURCES     := $(wildcard $(SRC_DIR)/*.[ch] $(SRC_DIR)/cc/*.[ch]) config

# Debian packages the build and the tests need (Debian 12)
DEB_PKGS    := gcc make nginx nginx-dev libyajl-dev libssl-dev \
               libcurl4-openssl-dev libexpat1-dev libtest-base-perl \
               libtest-longstring-perl curl ca-certificates valgrind \
               prometheus clang libclang-rt-14-dev

# what `make deb` needs (debian/control's Build-Depends, and nginx for the
# build's `nginx -t`); nothing for the tests
DEB_BUILD_PKGS := make build-essential debhelper dpkg-dev nginx nginx-dev \
                  libyajl-dev libexpat1-dev libssl-dev

# the package; its version is debian/changelog's
DEB_PACKAGE := libnginx-mod-http-chatcompletions
DEB_VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
DEB_FILE    := $(BUILD)/deb/$(DEB_PACKAGE)_$(DEB_VERSION)_$(shell \
                   dpkg --print-architecture).deb
DEB_INPUTS  := $(SOURCES) README.md debian/source/format \
               $(filter-out debian/source,$(wildcard debian/*)) \
               $(wildcard /usr/share/nginx/src/debian/libnginx-mod.abisubstvars)

.PHONY: all deps build unit test test-nginx test-credentials \
        test-resilience test-keys test-sdk test-valgrind test-deb run \
        bench clean build-upstream style deb fuzz test-fuzz

all: build

# ---------------------------------------------------------------- deps

# installs, with apt-get (through sudo when not root), those of the Debian
# packages $(1) that are missing; $(2): more shell that adds to $$missing
define install_missing
	@missing=""; \
	for p in $(1); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	$(2) \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	        --no-install-recommends $$missing; \
	fi
	@mkdir -p $(BUILD) && touch $@
endef

deps: $(BUILD)/.deps
$(BUILD)/.deps:
	$(call install_missing,$(DEB_PKGS),\
	    command -v node >/dev/null 2>&1 || missing="$$missing nodejs npm";)

$(BUILD)/.deb-deps:
	$(call install_missing,$(DEB_BUILD_PKGS))

node-deps: $(BUILD)/.node-deps
$(BUILD)/.node-deps: t/bedrock/package-lock.json t/sdk/package-lock.json \
                     | $(BUILD)/.deps
	cd t/bedrock && npm ci --no-audit --no-fund --loglevel=error
	cd t/sdk && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# --------------------------------------------------------------- build

build: $(MODULE_SO)

$(MODULE_SO): $(SOURCES) | $(BUILD)/.deps
	@.ci/build-module

build-upstream: | $(BUILD)/.deps
	@test -n "$(NGINX_SRC)" || \
	    { echo "set NGINX_SRC to an nginx source tree"; exit 1; }
	cd $(NGINX_SRC) && c=./configure && { [ -x $$c ] || c=auto/configure; } \
	    && $$c --with-compat --with-http_ssl_module \
	    --add-dynamic-module=$(TOP) --builddir=$(BUILD)/upstream
	$(MAKE) -f $(BUILD)/upstream/Makefile -C $(NGINX_SRC) modules

# the Debian package, built from a copy in build/deb/ (.ci/build-deb)
deb: $(DEB_FILE)
	@echo $(DEB_FILE)

$(DEB_FILE): $(DEB_INPUTS) | $(BUILD)/.deb-deps
	@.ci/build-deb

# --------------------------------------------------------------- tests

test: style unit test-fuzz test-nginx test-credentials test-resilience \
      test-keys test-sdk test-valgrind test-deb

style:
	@t/style.sh

unit: | $(BUILD)/.deps
	$(MAKE) -C t/unit

# libFuzzer harnesses (t/fuzz/): `make fuzz` runs each for FUZZ_SECONDS,
# `test-fuzz` for TEST_FUZZ_SECONDS; a crash fails either (the input is
# in build/fuzz/artifacts/<harness>/)
FUZZ_SECONDS      ?= 60
TEST_FUZZ_SECONDS ?= 10

fuzz: | $(BUILD)/.deps
	$(MAKE) -C t/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

test-fuzz: | $(BUILD)/.deps
	$(MAKE) -C t/fuzz run FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

test-nginx: $(MODULE_SO) $(BUILD)/.node-deps
	@t/run-prove.sh $(MODULE_SO) $(DOUBLE_PORT)

# credentials that expire while streams run, across two workers
test-credentials: $(MODULE_SO) $(BUILD)/.node-deps
	@node t/creds/rotation.js $(MODULE_SO)

# retries and failover under load: throttled first attempts, a region down
test-resilience: $(MODULE_SO) $(BUILD)/.node-deps
	@node t/resil/load.js $(MODULE_SO)

# client keys and token budgets across two workers: a burst, the day's
# window, concurrency, a reload, no key in the logs, the rejection's timing
test-keys: $(MODULE_SO) $(BUILD)/.node-deps
	@node t/keys/load.js $(MODULE_SO)

test-sdk: $(MODULE_SO) $(BUILD)/.node-deps
	@t/sdk/run.sh $(MODULE_SO)

test-valgrind: $(MODULE_SO) $(BUILD)/.node-deps
	@t/valgrind.sh $(MODULE_SO)

# the package installed with apt-get, serving a stream, removed (t/deb.sh)
test-deb: $(DEB_FILE) $(BUILD)/.node-deps
	@t/deb.sh

# the doubles' own self-checks (t/bedrock: npm test); not part of `test`
.PHONY: test-double
test-double: $(BUILD)/.node-deps
	@cd t/bedrock && npm test --silent

# ----------------------------------------------------------------- run

run: $(MODULE_SO) $(BUILD)/.node-deps
	@PORT=$(PORT) DOUBLE_PORT=$(DOUBLE_PORT) NGINX_BINARY=$(NGINX_BINARY) \
	    BEDROCK=$(BEDROCK) \
	    conf/run.sh $(MODULE_SO)

bench: $(MODULE_SO) $(BUILD)/.node-deps
	@bench/run.sh $(MODULE_SO)

clean:
	rm -rf $(BUILD) t/servroot
	$(MAKE) -C t/unit clean
