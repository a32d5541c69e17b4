#!/usr/bin/env bash
# `make bench`: the module against a baseline, on this machine, in one run.
#
# Both nginx instances (the same /usr/sbin/nginx, one worker each) receive
# the same Bedrock double stream (TOKENS deltas):
#   module    POST /v1/chat/completions: signs, calls the double through the
#             subrequest, decodes the eventstream and writes SSE chunks;
#   baseline  POST /raw: a plain proxy_pass of the same eventstream, the
#             bytes relayed untouched (the double accepts it unsigned only
#             in this mode, DOUBLE_ALLOW_UNSIGNED=1).
# A third instance is the module with its metrics (a zone): metrics_*
# compare it with the module without (the cost of counting).
# Reported: ratios module/baseline of requests per second, time to first
# byte and total time (medians), the nginx worker's CPU time for the run
# (the module's own cost: the double is the same for both and, being one
# Node.js process, is usually the bottleneck of the timings), and worker
# memory (VmHWM) after the run.
set -euo pipefail
cd "$(dirname "$0")/.."
so=$(readlink -f "$1")
out=build/bench
mkdir -p "$out"
requests=${BENCH_REQUESTS:-2000}
concurrency=${BENCH_CONCURRENCY:-20}
tokens=${BENCH_TOKENS:-200}
dport=${BENCH_DOUBLE_PORT:-19591}

gcc -std=c99 -D_DEFAULT_SOURCE -O2 -Wall -Wextra -Werror bench/bench.c \
    -lcurl -o "$out/bench"

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for d in module metrics baseline; do
        [ -f "$out/$d/logs/nginx.pid" ] &&
            kill "$(cat "$out/$d/logs/nginx.pid")" 2>/dev/null || true
    done
}
trap cleanup EXIT

DOUBLE_ALLOW_UNSIGNED=1 node t/bedrock/double.js --port "$dport" \
    >"$out/double.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$dport/__health" >/dev/null 2>&1 && break
    sleep 0.1
done

conf() {   # name port load_module location [http level]
    mkdir -p "$out/$1/conf" "$out/$1/logs"
    cat >"$out/$1/conf/nginx.conf" <<_EOC_
$3
worker_processes 1;
error_log logs/error.log warn;
pid logs/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
${5:-}
    upstream double { server 127.0.0.1:$dport; keepalive 64; }
    server {
        listen $2;
$4
    }
}
_EOC_
    /usr/sbin/nginx -p "$PWD/$out/$1" -c conf/nginx.conf
}

conf module 19592 "load_module $so;" "
        chat_completions_endpoint http://127.0.0.1:$dport;
        chat_completions_access_key_id AKIDEXAMPLE;
        chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
        chat_completions_keepalive_interval 0;
        location = /v1/chat/completions { chat_completions; }
        location = /_bedrock {
            internal;
            proxy_pass http://double\$chat_completions_bedrock_uri;
            proxy_set_header Host 127.0.0.1:$dport;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header X-Double-Scenario \"tokens=$tokens\";
            proxy_buffering off;
        }"

conf metrics 19594 "load_module $so;" "
        chat_completions_endpoint http://127.0.0.1:$dport;
        chat_completions_access_key_id AKIDEXAMPLE;
        chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
        chat_completions_keepalive_interval 0;
        location = /v1/chat/completions { chat_completions; }
        location = /_bedrock {
            internal;
            proxy_pass http://double\$chat_completions_bedrock_uri;
            proxy_set_header Host 127.0.0.1:$dport;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header X-Double-Scenario \"tokens=$tokens\";
            proxy_buffering off;
        }" \
    "    chat_completions_metrics_zone 1m;"

conf baseline 19593 "" "
        location = /raw {
            proxy_pass http://double/model/amazon.nova-lite-v1%3A0/converse-stream;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header X-Double-Scenario \"tokens=$tokens\";
            proxy_buffering off;
        }"

sleep 0.3
body='{"messages":[{"role":"user","content":"What loan options are available?"}]}'
# the baseline sends what the module would send: a Converse body
raw='{"messages":[{"role":"user","content":[{"text":"What loan options are available?"}]}]}'

worker() {
    pgrep -P "$(cat "$out/$1/logs/nginx.pid")" | head -1
}

cpu() {   # worker CPU time in microseconds (schedstat: nanoseconds on CPU)
    awk '{printf "%d\n", $1 / 1000}' "/proc/$(worker "$1")/schedstat"
}

tck=$(getconf CLK_TCK)
user() {  # worker CPU time in user mode (nginx and the module, no kernel), ms
    awk -v t="$tck" '{printf "%d\n", $14 * 1000 / t}' \
        "/proc/$(worker "$1")/stat"
}

# warm them up, then measure
"$out/bench" http://127.0.0.1:19592/v1/chat/completions "$body" 50 5 >/dev/null
"$out/bench" http://127.0.0.1:19594/v1/chat/completions "$body" 50 5 >/dev/null
"$out/bench" http://127.0.0.1:19593/raw "$raw" 50 5 >/dev/null
c0=$(cpu module)
u0=$(user module)
m=$("$out/bench" http://127.0.0.1:19592/v1/chat/completions "$body" \
    "$requests" "$concurrency")
mc=$(( $(cpu module) - c0 ))
mu=$(( $(user module) - u0 ))
c0=$(cpu metrics)
u0=$(user metrics)
x=$("$out/bench" http://127.0.0.1:19594/v1/chat/completions "$body" \
    "$requests" "$concurrency")
xc=$(( $(cpu metrics) - c0 ))
xu=$(( $(user metrics) - u0 ))
c0=$(cpu baseline)
u0=$(user baseline)
b=$("$out/bench" http://127.0.0.1:19593/raw "$raw" "$requests" \
    "$concurrency")
bc=$(( $(cpu baseline) - c0 ))
bu=$(( $(user baseline) - u0 ))

hwm() {   # worker VmHWM in kB
    awk '/VmHWM/ {print $2}' "/proc/$(worker "$1")/status"
}
mm=$(hwm module)
bm=$(hwm baseline)

echo "module:   $m"
echo "baseline: $b"
node -e '
const m = JSON.parse(process.argv[1]), b = JSON.parse(process.argv[2]);
const r = (x, y) => (x / y).toFixed(2);
console.log(JSON.stringify({
  tokens: +process.argv[5], requests: m.requests, concurrency: m.concurrency,
  rps_ratio: +r(m.rps, b.rps),
  ttfb_p50_ratio: +r(m.ttfb_p50_us, b.ttfb_p50_us),
  total_p50_ratio: +r(m.total_p50_us, b.total_p50_us),
  total_p95_ratio: +r(m.total_p95_us, b.total_p95_us),
  worker_cpu_ms: [Math.round(process.argv[6] / 1000),
                  Math.round(process.argv[7] / 1000)],
  worker_cpu_ratio: +r(+process.argv[6], Math.max(+process.argv[7], 1)),
  worker_user_ms: [+process.argv[8], +process.argv[9]],
  worker_user_ratio: +r(+process.argv[8], Math.max(+process.argv[9], 1)),
  worker_hwm_ratio: +r(+process.argv[3], +process.argv[4]),
  metrics_worker_cpu_ms: Math.round(process.argv[10] / 1000),
  metrics_cpu_ratio: +r(+process.argv[10], Math.max(+process.argv[6], 1)),
  metrics_user_ratio: +r(+process.argv[11], Math.max(+process.argv[8], 1)),
}));' "$m" "$b" "$mm" "$bm" "$tokens" "$mc" "$bc" "$mu" "$bu" "$xc" "$xu" \
    | tee "$out/result.json"
