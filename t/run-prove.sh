#!/usr/bin/env bash
# Runs t/*.t against the built module: starts the Bedrock double once for
# the whole run (one nginx serves the run, so no prove -j), then prove.
# With the real Test::Nginx installed it is used; otherwise the compatible
# runner in t/compat.
set -u
cd "$(dirname "$0")/.."
so=$(readlink -f "$1")
port=${2:-19090}
log=build/double.log
mkdir -p build

# DOUBLE_EXPOSE_SECRETS: t/090-credentials.t looks for the issued secrets
# in nginx's debug log.  Two more ports stand for Bedrock targets (the
# second in us-west-2) and one stays closed (t/100-retries.t); every port
# also listens on 127.0.0.2, and a DNS double answers on UDP port + 6
# (t/110-resolve.t).
port2=$((port + 3))
port3=$((port + 4))
closed=$((port + 5))
dns=$((port + 6))
DOUBLE_EXPOSE_SECRETS=1 DOUBLE_PORT_REGIONS="$port3=us-west-2" \
    node t/bedrock/double.js --port "$port" --extra-ports "$port2,$port3" \
    --hosts 127.0.0.1,127.0.0.2 --dns-port "$dns" --dns-names localhost=127.0.0.1 \
    >"$log" 2>&1 &
double=$!
trap 'kill $double 2>/dev/null; wait $double 2>/dev/null' EXIT

for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/__health" >/dev/null 2>&1 && break
    sleep 0.1
done
if ! curl -fs "http://127.0.0.1:$port/__health" >/dev/null 2>&1; then
    echo "the Bedrock double did not start:"; cat "$log"; exit 1
fi

inc=(-I .)
perl -MTest::Nginx::Socket -e1 2>/dev/null || inc+=(-I t/compat)

export TEST_NGINX_LOAD_MODULES="$so"
export TEST_NGINX_BINARY=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
export TEST_NGINX_BEDROCK_PORT=$port
export TEST_NGINX_BEDROCK_PORT2=$port2 TEST_NGINX_BEDROCK_PORT3=$port3
export TEST_NGINX_CLOSED_PORT=$closed TEST_NGINX_DNS_PORT=$dns
prove "${inc[@]}" ${PROVE_FLAGS:-} t/*.t
