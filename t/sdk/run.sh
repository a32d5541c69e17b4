#!/usr/bin/env bash
# Compatibility suite with the official openai SDK (`make test-sdk`).
#
#   t/sdk/run.sh build/debian/ngx_http_chatcompletions_module.so
#
# Starts the Bedrock double (t/bedrock/double.js) and an nginx that loads
# the given module with the locations of t/sdk/nginx.conf.template, runs
# the node:test files t/sdk/*.test.mjs against it, then stops both.  On a
# failure it prints nginx's error log and the double's log, and exits
# non-zero.
#
# Environment: SDK_NGINX_PORT and SDK_DOUBLE_PORT (default: free ports),
# NGINX (default /usr/sbin/nginx), SDK_TEST_FLAGS (extra `node --test`
# flags, e.g. --test-name-pattern=tool).
set -u
cd "$(dirname "$0")/../.."
top=$PWD

if [ $# -lt 1 ] || [ ! -f "$1" ]; then
    echo "usage: $0 path/to/ngx_http_chatcompletions_module.so" >&2
    exit 2
fi
so=$(readlink -f "$1")
nginx=${NGINX:-/usr/sbin/nginx}
prefix=$top/build/sdk

if [ ! -d t/sdk/node_modules/openai ] || [ ! -d t/bedrock/node_modules ]; then
    echo "node modules missing: run \`make node-deps\`" \
         "(npm ci in t/bedrock and t/sdk)" >&2
    exit 2
fi

rm -rf "$prefix"
mkdir -p "$prefix/logs" "$prefix/tmp"

double=
ngx=
status=1

cleanup() {
    if [ -n "$ngx" ]; then
        kill -TERM "$ngx" 2>/dev/null
        wait "$ngx" 2>/dev/null
    fi
    if [ -n "$double" ]; then
        kill -TERM "$double" 2>/dev/null
        wait "$double" 2>/dev/null
    fi
    if [ "$status" != 0 ]; then
        echo "---- nginx error log ($prefix/logs/error.log)" >&2
        cat "$prefix/logs/error.log" >&2 2>/dev/null
        echo "---- Bedrock double log ($prefix/double.log)" >&2
        cat "$prefix/double.log" >&2 2>/dev/null
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# a port nobody listens on now (the kernel's choice)
free_port() {
    node -e 'const s = require("net").createServer();
             s.listen(0, "127.0.0.1", () => {
                 console.log(s.address().port); s.close(); });'
}

# --------------------------------------------------------- the double

node t/bedrock/double.js --port "${SDK_DOUBLE_PORT:-0}" \
    >"$prefix/double.log" 2>&1 &
double=$!

dport=
for _ in $(seq 1 100); do
    dport=$(sed -n 's/^bedrock double listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
            "$prefix/double.log")
    [ -n "$dport" ] && break
    kill -0 "$double" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$dport" ] \
   || ! curl -fs "http://127.0.0.1:$dport/__health" >/dev/null 2>&1; then
    echo "the Bedrock double did not start" >&2
    exit 1
fi

# -------------------------------------------------------------- nginx

port=${SDK_NGINX_PORT:-$(free_port)}
sed -e "s#@MODULE@#$so#g" -e "s#@PREFIX@#$prefix#g" \
    -e "s#@PORT@#$port#g" -e "s#@DPORT@#$dport#g" \
    t/sdk/nginx.conf.template >"$prefix/nginx.conf"
cp t/sdk/api-keys "$prefix/api-keys"

if ! "$nginx" -p "$prefix" -c nginx.conf -t -q \
        2>>"$prefix/logs/error.log"; then
    echo "nginx -t failed for $prefix/nginx.conf" >&2
    exit 1
fi

# daemon off in the config: $ngx is the master's pid
"$nginx" -p "$prefix" -c nginx.conf 2>>"$prefix/logs/error.log" &
ngx=$!

up=
for _ in $(seq 1 100); do
    if curl -fs -o /dev/null "http://127.0.0.1:$port/__ready" 2>/dev/null
    then
        up=1
        break
    fi
    kill -0 "$ngx" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$up" ]; then
    echo "nginx did not start on 127.0.0.1:$port" >&2
    exit 1
fi

# -------------------------------------------------------------- tests

echo "# nginx on 127.0.0.1:$port, Bedrock double on 127.0.0.1:$dport," \
     "openai $(node -p 'require("./t/sdk/node_modules/openai/package.json").version')"

start=$(date +%s.%N)
(
    cd t/sdk &&
    SDK_BASE="http://127.0.0.1:$port" DOUBLE_BASE="http://127.0.0.1:$dport" \
        node --test --test-reporter=spec ${SDK_TEST_FLAGS:-} ./*.test.mjs
)
status=$?

# a worker that crashed or a leak nginx noticed fails the run, even when
# every request got its answer
if grep -E '\[(alert|crit|emerg)\]' "$prefix/logs/error.log" >&2; then
    echo "not ok: nginx logged alert/crit/emerg lines (above)" >&2
    status=1
fi
awk -v a="$start" -v b="$(date +%s.%N)" \
    'BEGIN { printf "# node tests took %.1f s\n", b - a }'

exit $status
