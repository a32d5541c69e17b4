#!/usr/bin/env bash
# `make run`: serves conf/nginx.conf (with the Fintalk assistant of
# conf/fintalk/) in the foreground on $PORT with the freshly built module.
# With AWS credentials in the environment it talks to Amazon Bedrock;
# without, it starts the bundled Bedrock emulator (t/bedrock/double.js)
# and says so.
set -eu
cd "$(dirname "$0")/.."
so=$(readlink -f "$1")
port=${PORT:-8000}
dport=${DOUBLE_PORT:-19090}
region=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}
nginx=${NGINX_BINARY:-/usr/sbin/nginx}   # not $NGINX: nginx reads that one (inherited sockets)
run=build/run
mkdir -p "$run/conf" "$run/logs"

cp conf/*.conf "$run/conf/"
# the Fintalk assistant: prompt, tool schemas, demo data (fresh each time)
rm -rf "$run/conf/fintalk"
cp -r conf/fintalk "$run/conf/fintalk"
sed -i -e "s#^load_module .*#load_module $so;#" \
       -e "s#^pid .*#pid $PWD/$run/logs/nginx.pid;#" \
       -e "s#us-east-1#$region#g" "$run/conf/nginx.conf"
sed -i -e "s#listen 8000;#listen $port;#" \
       -e "s#us-east-1#$region#g" "$run/conf/chat_completions_server.conf"
sed -i "s#127.0.0.1:19090#127.0.0.1:$dport#g" "$run/conf/bedrock_emulator.conf"

log() { printf '%s [run] %s\n' "$(date '+%Y/%m/%d %H:%M:%S')" "$*" >&2; }

if [ -n "${AWS_BEARER_TOKEN_BEDROCK:-}" ] \
   || { [ -n "${AWS_ACCESS_KEY_ID:-}" ] && [ -n "${AWS_SECRET_ACCESS_KEY:-}" ]; }
then
    log "AWS credentials found: talking to Amazon Bedrock in $region"
else
    log "no AWS credentials in the environment: starting the bundled" \
        "Bedrock emulator on 127.0.0.1:$dport (t/bedrock/double.js);" \
        "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY to use Amazon Bedrock"
    sed -i "s#include bedrock_aws.conf;#include bedrock_emulator.conf;#" \
        "$run/conf/chat_completions_server.conf"
    # the AWS upstream block is unused here, and nginx would resolve its
    # host name at start (which fails offline)
    sed -i '/^    upstream bedrock_runtime {/,/^    }/d' "$run/conf/nginx.conf"
    node t/bedrock/double.js --port "$dport" > >(sed 's/^/[emulator] /' >&2) 2>&1 &
    emulator=$!
    trap 'kill $emulator 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$dport/__health" >/dev/null 2>&1 && break
        sleep 0.1
    done
fi

log "Fintalk assistant: tools get_loan_options, get_credit_card_summary," \
    "block_credit_card; demo customers +15550100199, +15550100142" \
    "(conf/fintalk/)"
log "serving http://127.0.0.1:$port/api/chat/completions/ (Ctrl-C stops)"
"$nginx" -p "$PWD/$run" -c conf/nginx.conf -t -q
"$nginx" -p "$PWD/$run" -c conf/nginx.conf -g 'daemon off;' &
ngx=$!
trap 'kill $ngx 2>/dev/null; kill ${emulator:-} 2>/dev/null || true' EXIT INT TERM
wait $ngx
