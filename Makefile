# ngx_http_chatcompletions_module
#
#   make run    install what is missing, build, serve on $PORT (default 8000)
#   make test   install what is missing, build, run every test
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
               prometheus

.PHONY: all deps build unit test test-nginx test-credentials \
        test-resilience test-sdk test-valgrind run \
        bench clean build-upstream style

all: build

# ---------------------------------------------------------------- deps

deps: $(BUILD)/.deps
$(BUILD)/.deps:
	@missing=""; \
	for p in $(DEB_PKGS); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	        --no-install-recommends $$missing; \
	fi
	@mkdir -p $(BUILD) && touch $@

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

# --------------------------------------------------------------- tests

test: style unit test-nginx test-credentials test-resilience test-sdk \
      test-valgrind

style:
	@t/style.sh

unit: | $(BUILD)/.deps
	$(MAKE) -C t/unit

test-nginx: $(MODULE_SO) $(BUILD)/.node-deps
	@t/run-prove.sh $(MODULE_SO) $(DOUBLE_PORT)

# credentials that expire while streams run, across two workers
test-credentials: $(MODULE_SO) $(BUILD)/.node-deps
	@node t/creds/rotation.js $(MODULE_SO)

# retries and failover under load: throttled first attempts, a region down
test-resilience: $(MODULE_SO) $(BUILD)/.node-deps
	@node t/resil/load.js $(MODULE_SO)

test-sdk: $(MODULE_SO) $(BUILD)/.node-deps
	@t/sdk/run.sh $(MODULE_SO)

test-valgrind: $(MODULE_SO) $(BUILD)/.node-deps
	@t/valgrind.sh $(MODULE_SO)

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
