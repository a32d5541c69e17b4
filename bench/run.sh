#!/usr/bin/env bash
# `make bench`: what the module costs next to nginx relaying the same
# answer untouched, on this machine, in one run.
#
# One cheap upstream (bench/upstream.c: epoll, keep-alive, no signature
# check) serves recorded bodies, so that the upstream is not what is
# measured.  They are recorded at the start of the run: ConverseStream
# eventstreams of 5, 100 and 20 tokens from the Bedrock double
# (DOUBLE_ALLOW_UNSIGNED=1), then the SSE the module makes of each.  The
# same answer (the same SSE bytes, the same number of chunks) then goes
# through three paths:
#   direct  the client reads the SSE from the upstream (no gateway);
#   relay   a plain nginx proxy_pass of that SSE (proxy_buffering off);
#   module  the module: SigV4, the subrequest, eventstream decoding,
#           translation, SSE.
# Each nginx has one worker; its CPU time is read from
# /proc/PID/schedstat, its memory from VmRSS.  Phases:
#   memory   BENCH_STREAMS streams of 100 tokens paced (BENCH_PACE_US
#            between events) held open at once on a fresh worker:
#            (RSS with them open - RSS idle) / streams at their first
#            token and again at their 91st (what grows with the answer),
#            and the CPU per 1,000 chunks when each event arrives on its
#            own;
#   c=1      BENCH_REQUESTS sequential requests of 5 tokens: worker CPU
#            per request, time to first token (p50, p99), total (p50);
#   burst    BENCH_BURST_REQUESTS requests of 100 tokens,
#            BENCH_CONCURRENCY at a time, unpaced: CPU per 1,000 chunks;
#            both in BENCH_ROUNDS rounds, the paths in turn (medians,
#            and the median of each round's module - relay or
#            module / relay, which pairs measures taken close together);
#   scale    the module alone, BENCH_SCALE streams (1000 5000 10000) of
#            20 tokens paced at BENCH_SCALE_PACE_US, all open at once, on
#            fresh workers each time (BENCH_SCALE_WORKERS, one per core:
#            see below): failures, CPU, memory per stream.
#   instructions  the same c=1 requests, 5 and 100 tokens, under
#            callgrind: user-space instructions per request and per
#            chunk, which the machine's load does not move.
# BENCH_QUICK=1: a smoke run (small counts).  The tables go to
# build/bench/table.md (and result.json) and are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
so=$(readlink -f "$1")
out=build/bench
mkdir -p "$out/bodies"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
    requests=${BENCH_REQUESTS:-200}
    burst=${BENCH_BURST_REQUESTS:-200}
    streams=${BENCH_STREAMS:-50}
    scale=${BENCH_SCALE:-200 500}
else
    requests=${BENCH_REQUESTS:-4000}
    burst=${BENCH_BURST_REQUESTS:-4000}
    streams=${BENCH_STREAMS:-100}
    scale=${BENCH_SCALE:-1000 5000 10000}
fi
concurrency=${BENCH_CONCURRENCY:-100}
rounds=${BENCH_ROUNDS:-8}
pace=${BENCH_PACE_US:-20000}
late=90             # the memory phase measures again at the 91st token
scale_pace=${BENCH_SCALE_PACE_US:-500000}
scale_workers=${BENCH_SCALE_WORKERS:-$(nproc)}
port=${BENCH_PORT:-19590}          # uses port .. port + 3
dport=$port uport=$((port + 1)) rport=$((port + 2)) mport=$((port + 3))

cflags="-D_GNU_SOURCE -std=gnu99 -O2 -Wall -Wextra -Werror"
gcc $cflags bench/bench.c -lcurl -o "$out/bench"
gcc $cflags bench/upstream.c -o "$out/upstream"

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for d in module relay scale cgmodule cgrelay; do
        [ -f "$out/$d/logs/nginx.pid" ] &&
            kill "$(cat "$out/$d/logs/nginx.pid")" 2>/dev/null || true
    done
}
trap cleanup EXIT

wait_port() {
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$1/__health" && return 0
        sleep 0.1
    done
    echo "bench: nothing listens on $1" >&2
    return 1
}

# ---------------------------------------------------------- recording

DOUBLE_ALLOW_UNSIGNED=1 node t/bedrock/double.js --port "$dport" \
    >"$out/double.log" 2>&1 &
dpid=$!
pids+=($dpid)
wait_port "$dport"

converse='{"messages":[{"role":"user","content":[{"text":"What loan options are available?"}]}]}'
for t in 5 20 100; do
    curl -sf -o "$out/bodies/es$t.es" -H 'Content-Type: application/json' \
        -H "X-Double-Scenario: tokens=$t" --data "$converse" \
        "http://127.0.0.1:$dport/model/amazon.nova-lite-v1%3A0/converse-stream"
done
kill "$dpid"

upstream() {    # (re)starts the upstream with the bodies there are
    [ -n "${upid:-}" ] && kill "$upid" 2>/dev/null && wait "$upid" || true
    local b=()
    for f in "$out"/bodies/*; do b+=("$(basename "$f")=$f"); done
    "$out/upstream" "$uport" "${b[@]}" 2>>"$out/upstream.log" &
    upid=$!
    pids+=($upid)
    wait_port "$uport"
}
: >"$out/upstream.log"
upstream

# a worker may raise its descriptors up to the hard limit, no further
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536

# an nginx instance: name port load_module server-level locations
# [workers [listen options]]
conf() {
    mkdir -p "$out/$1/conf" "$out/$1/logs"
    cat >"$out/$1/conf/nginx.conf" <<_EOC_
$3
worker_processes ${5:-1};
worker_rlimit_nofile $nofile;
error_log logs/error.log warn;
pid logs/nginx.pid;
events { worker_connections $((nofile - 16)); }
http {
    access_log off;
    upstream up { server 127.0.0.1:$uport; keepalive 1024; }
    server {
        listen $2 backlog=4096 ${6:-};
        keepalive_requests 100000;
        location = /__health { return 204; }
$4
    }
}
_EOC_
}

start() {
    /usr/sbin/nginx -p "$PWD/$out/$1" -c conf/nginx.conf
    for _ in $(seq 1 50); do
        worker "$1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
}

stop() {
    local p
    p=$(cat "$out/$1/logs/nginx.pid")
    kill -QUIT "$p"
    while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
}

worker() {
    pgrep -P "$(cat "$out/$1/logs/nginx.pid")" | head -1
}

workers() {
    pgrep -P "$(cat "$out/$1/logs/nginx.pid")" | paste -sd' '
}

# a location that asks the upstream for a body, paced:
# location proxy_pass body pace [internal]
ploc() {
    cat <<_EOC_
        location = $1 {
            ${5:-}
            proxy_pass $2;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Bench-Body $3;
            proxy_set_header X-Bench-Pace-Us $4;
            proxy_buffering off;
        }
_EOC_
}

# the module: /m/NAME calls /_b/NAME for the eventstream BODY
mloc() {    # name body pace
    cat <<_EOC_
        location = /m/$1 {
            chat_completions;
            chat_completions_bedrock_location /_b/$1;
        }
_EOC_
    ploc "/_b/$1" "http://up\$chat_completions_bedrock_uri" "$2" "$3" \
        "internal;"
}

# the relay: /r/NAME relays the SSE BODY
rloc() {    # name body pace
    ploc "/r/$1" http://up/sse "$2" "$3"
}

mconf="
        chat_completions_endpoint http://127.0.0.1:$uport;
        chat_completions_access_key_id AKIDEXAMPLE;
        chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
        chat_completions_keepalive_interval 0;
$(mloc 5 es5.es 0)
$(mloc 100 es100.es 0)
$(mloc 100p es100.es "$pace")
$(mloc 20p es20.es "$scale_pace")
$(mloc 20 es20.es 0)"
conf module "$mport" "load_module $so;" "$mconf"

# scale: a stream holds two descriptors in a worker (the client's, the
# upstream's) and a process may not have more than the hard limit
# (ulimit -Hn; 20000 here, which worker_rlimit_nofile cannot raise
# without CAP_SYS_RESOURCE): one worker per core, SO_REUSEPORT
conf scale "$mport" "load_module $so;" "$mconf" "$scale_workers" reuseport

conf relay "$rport" "" "
$(rloc 5 sse5 0)
$(rloc 100 sse100 0)
$(rloc 100p sse100 "$pace")"

start module

body='{"stream":true,"messages":[{"role":"user","content":"What loan options are available?"}]}'
for t in 5 20 100; do
    curl -sf -o "$out/bodies/sse$t" -H 'Content-Type: application/json' \
        --data "$body" "http://127.0.0.1:$mport/m/$t"
done
upstream

events() {      # SSE events in a recorded answer (blank lines)
    grep -c '^$' "$out/bodies/$1"
}
e5=$(events sse5) e20=$(events sse20) e100=$(events sse100)

# ---------------------------------------------------------- measuring

cpu() {     # processes' CPU time in microseconds (schedstat: ns)
    local p s=0
    for p in $1; do
        s=$(( s + $(awk '{printf "%d", $1 / 1000}' "/proc/$p/schedstat") ))
    done
    echo $s
}

rss() {     # processes' resident memory in kB
    local p s=0
    for p in $1; do
        s=$(( s + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status") ))
    done
    echo $s
}

# a command for -o: the RSS of processes into $out/rss.${2:-at}
rss_cmd() {
    echo "cat $(for p in $1; do printf '/proc/%s/status ' "$p"; done)" \
         "| awk '/^VmRSS/ {s += \$2} END {print s}' >$out/rss.${2:-at}"
}

run() {     # url events [bench options]: the load generator's JSON line
    local u=$1 e=$2
    shift 2
    "$out/bench" -d "$body" -H 'Content-Type: application/json' -e "$e" \
        -t tok1 "$@" "$u" || true      # failures are counted, not fatal
}

jget() {    # key json: a number from the load generator's line
    sed -n "s/.*\"$1\":\([-0-9.]*\).*/\1/p" <<<"$2"
}

declare -A R

# the memory phase: on a fresh worker, streams paced, held open
memory() {  # name url worker-pid
    local w=$3 idle c0 c1 j
    run "$2" "$e100" -n 3 -c 1 >/dev/null
    idle=$(rss "$w")
    c0=$(cpu "$w")
    j=$(run "$2" "$e100" -n "$streams" -c "$streams" -o "$(rss_cmd "$w")" \
            -O "$(rss_cmd "$w" late)" -w $((late * pace)))
    c1=$(cpu "$w")
    R[$1.mem_kb]=$(awk -v a="$(cat "$out/rss.at")" -v i="$idle" \
                       -v n="$streams" 'BEGIN {printf "%.1f", (a - i) / n}')
    R[$1.mem_late_kb]=$(awk -v a="$(cat "$out/rss.late")" -v i="$idle" \
                       -v n="$streams" 'BEGIN {printf "%.1f", (a - i) / n}')
    R[$1.mem_per_token_b]=$(awk -v a="$(cat "$out/rss.late")" \
        -v b="$(cat "$out/rss.at")" -v n="$streams" -v t="$late" \
        'BEGIN {printf "%.0f", (a - b) * 1024 / n / t}')
    R[$1.paced_cpu_ms_per_1k]=$(awk -v c=$((c1 - c0)) -v n="$streams" \
        -v e="$e100" 'BEGIN {printf "%.2f", c / 1000 / (n * e) * 1000}')
    R[$1.paced_failed]=$(jget failed "$j")
}

# the c=1 and burst phases run in BENCH_ROUNDS rounds, the three paths
# in turn in each, so that they share the machine's moods; each figure is
# the median of the rounds', failures their sum
declare -A L

add() {     # key value: one round's figure
    L[$1]="${L[$1]:-} $2"
}

median() {  # key
    tr ' ' '\n' <<<"${L[$1]}" | grep . | sort -g |
        awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}

# the median of the rounds' a - b (op -) or a / b (op /), over divisor:
# each round measures both paths within a few seconds, so the pairs
# share the machine's moods better than two medians do
paired() {  # key-a key-b op divisor format
    paste <(tr ' ' '\n' <<<"${L[$1]}" | grep .) \
          <(tr ' ' '\n' <<<"${L[$2]}" | grep .) |
        awk -v op="$3" -v d="$4" '{
            if (op == "-") print ($1 - $2) / d;
            else if ($2 + 0 > 0) print $1 / $2 }' |
        sort -g | awk -v f="$5" '{a[NR] = $1}
            END {if (NR) printf f, a[int((NR + 1) / 2)]; else print "-"}'
}

one() {     # name kind url events requests concurrency pid [options]
    local c0 j
    c0=$(cpu "$7")
    j=$(run "$3" "$4" -n "$5" -c "$6" "${@:8}")
    add "$1.$2_cpu" $(( $(cpu "$7") - c0 ))
    add "$1.$2_failed" "$(jget failed "$j")"
    add "$1.$2_ttft_p50" "$(jget ttft_p50_us "$j")"
    add "$1.$2_ttft_p99" "$(jget ttft_p99_us "$j")"
    add "$1.$2_total_p50" "$(jget total_p50_us "$j")"
    add "$1.$2_rps" "$(jget rps "$j")"
}

load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
R[load.start]=$(load_avg)

# the module's instance served the recording: a fresh worker for memory
stop module
start module
start relay

memory module "http://127.0.0.1:$mport/m/100p" "$(worker module)"
memory relay "http://127.0.0.1:$rport/r/100p" "$(worker relay)"
R[direct.mem_kb]="-"
R[direct.paced_cpu_ms_per_1k]="-"

declare -A U P H
U[direct]="http://127.0.0.1:$uport/sse" P[direct]=$upid
U[relay]="http://127.0.0.1:$rport/r/" P[relay]=$(worker relay)
U[module]="http://127.0.0.1:$mport/m/" P[module]=$(worker module)

url() {     # path tokens: the URL, and the header the direct path needs
    if [ "$1" = direct ]; then
        echo "${U[direct]} -H X-Bench-Body:sse$2"
    else
        echo "${U[$1]}$2"
    fi
}

per=$(( requests / rounds )) bper=$(( burst / rounds ))
for p in direct relay module; do
    set -- $(url $p 5)
    run "$1" "$e5" -n 200 -c 1 "${@:2}" >/dev/null
    set -- $(url $p 100)
    run "$1" "$e100" -n 100 -c "$concurrency" "${@:2}" >/dev/null
done
for _ in $(seq 1 "$rounds"); do
    for p in direct relay module; do
        set -- $(url $p 5)
        one "$p" c1 "$1" "$e5" "$per" 1 "${P[$p]}" "${@:2}"
    done
done
for _ in $(seq 1 "$rounds"); do
    for p in direct relay module; do
        set -- $(url $p 100)
        one "$p" burst "$1" "$e100" "$bper" "$concurrency" "${P[$p]}" "${@:2}"
    done
done
R[paired.req_cpu_us]=$(paired module.c1_cpu relay.c1_cpu - "$per" "%+.0f")
R[paired.burst_ratio]=$(paired module.burst_cpu relay.burst_cpu / 1 "%.2f")
for p in direct relay module; do
    R[$p.req_cpu_us]=$(( $(median "$p.c1_cpu") / per ))
    R[$p.burst_cpu_ms_per_1k]=$(awk -v c="$(median "$p.burst_cpu")" \
        -v n="$bper" -v e="$e100" \
        'BEGIN {printf "%.2f", c / 1000 / (n * e) * 1000}')
    for k in c1 burst; do
        for f in ttft_p50 ttft_p99 total_p50 rps; do
            R[$p.${k}_$f]=$(median "$p.${k}_$f")
        done
        R[$p.${k}_failed]=$(tr ' ' '\n' <<<"${L[$p.${k}_failed]}" |
                            awk '{s += $1} END {print s + 0}')
    done
done
stop relay
stop module

# scale: the module alone, fresh workers per step
: >"$out/scale.err"
for n in $scale; do
    start scale
    sleep 0.5       # every worker up
    w=$(workers scale)
    run "http://127.0.0.1:$mport/m/20" "$e20" -n 20 -c 4 >/dev/null
    idle=$(rss "$w")
    c0=$(cpu "$w")
    j=$(run "http://127.0.0.1:$mport/m/20p" "$e20" -n "$n" -c "$n" \
            -o "$(rss_cmd "$w")" 2>>"$out/scale.err")
    R[scale$n.cpu_s]=$(awk -v c=$(($(cpu "$w") - c0)) \
                           'BEGIN {printf "%.2f", c / 1e6}')
    R[scale$n.cpu_ms_per_1k]=$(awk -v c=$(($(cpu "$w") - c0)) -v n="$n" \
        -v e="$e20" 'BEGIN {printf "%.2f", c / 1000 / (n * e) * 1000}')
    R[scale$n.failed]=$(jget failed "$j")
    R[scale$n.open_max]=$(jget open_max "$j")
    R[scale$n.ttft_p99_ms]=$(( $(jget ttft_p99_us "$j") / 1000 ))
    if [ "$(jget open_max "$j")" = "$n" ]; then
        R[scale$n.mem_kb]=$(awk -v a="$(cat "$out/rss.at")" -v i="$idle" \
            -v n="$n" 'BEGIN {printf "%.1f", (a - i) / n}')
    else
        R[scale$n.mem_kb]="-"
    fi
    rm -f "$out/rss.at"
    stop scale
done

R[load.end]=$(load_avg)

# instructions: the times above move with the machine's load; the
# instructions a worker runs in user space (valgrind's callgrind, one
# process with master_process off) do not.  Per request: the difference
# between two counts of c=1 requests over the difference in requests;
# per chunk: what a 100-token answer costs more than a 5-token one, per
# chunk more.  BENCH_CALLGRIND=0 skips it.
cg_count() {    # instance url events requests: the Ir count
    local f="$out/cg-$1-$4.out" vp
    valgrind --tool=callgrind --callgrind-out-file="$f" /usr/sbin/nginx \
        -p "$PWD/$out/$1" -c conf/nginx.conf 2>/dev/null &
    vp=$!
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$mport/__health" && break
        sleep 0.1
    done
    run "$2" "$3" -n "$4" -c 1 >/dev/null
    kill -QUIT "$vp"
    wait "$vp" || true
    sed -n 's/^summary: //p' "$f"
    rm -f "$f"
}

cg_per() {      # instance url events: Ir per request
    local a b
    a=$(cg_count "$1" "$2" "$3" 20)
    b=$(cg_count "$1" "$2" "$3" $((20 + cg_n)))
    echo $(( (b - a) / cg_n ))
}

cg_n=${BENCH_CALLGRIND_REQUESTS:-200}
if [ "${BENCH_CALLGRIND:-1}" = 1 ] && command -v valgrind >/dev/null; then
    single="master_process off; daemon off;"
    conf cgmodule "$mport" "load_module $so; $single" "$mconf"
    conf cgrelay "$mport" "$single" "
$(rloc 5 sse5 0)
$(rloc 100 sse100 0)"
    for p in module relay; do
        i=cg$p
        u="http://127.0.0.1:$mport/${p:0:1}"
        R[$p.ir_req]=$(cg_per "$i" "$u/5" "$e5")
        R[$p.ir_req100]=$(cg_per "$i" "$u/100" "$e100")
        R[$p.ir_chunk]=$(( (R[$p.ir_req100] - R[$p.ir_req]) / (e100 - e5) ))
    done
fi

# ---------------------------------------------------------- the table

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {
    if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
diff_() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+d", a - b }'; }

{
    echo "make bench, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores," \
         "load average ${R[load.start]} at the start, ${R[load.end]} at" \
         "the end"
    echo
    echo "| figure | direct | relay | module | module/relay |"
    echo "|---|---|---|---|---|"
    echo "| c=1, $e5 chunks: worker CPU per request, us (direct: the" \
         "upstream's) | ${R[direct.req_cpu_us]} | ${R[relay.req_cpu_us]}" \
         "| ${R[module.req_cpu_us]} |" \
         "$(ratio "${R[module.req_cpu_us]}" "${R[relay.req_cpu_us]}")" \
         "($(diff_ "${R[module.req_cpu_us]}" "${R[relay.req_cpu_us]}") us) |"
    echo "| the same, module - relay in each round (median of $rounds" \
         "rounds), us | | | | ${R[paired.req_cpu_us]} us |"
    for f in ttft_p50 ttft_p99 total_p50; do
        echo "| c=1: ${f/_/ } us | ${R[direct.c1_$f]} | ${R[relay.c1_$f]}" \
             "| ${R[module.c1_$f]} |" \
             "$(ratio "${R[module.c1_$f]}" "${R[relay.c1_$f]}")" \
             "($(diff_ "${R[module.c1_$f]}" "${R[relay.c1_$f]}") us) |"
    done
    echo "| c=$concurrency, $e100 chunks unpaced: CPU per 1,000 chunks," \
         "ms | ${R[direct.burst_cpu_ms_per_1k]} |" \
         "${R[relay.burst_cpu_ms_per_1k]} |" \
         "${R[module.burst_cpu_ms_per_1k]} |" \
         "$(ratio "${R[module.burst_cpu_ms_per_1k]}" \
                  "${R[relay.burst_cpu_ms_per_1k]}") |"
    echo "| the same, module / relay in each round (median of $rounds" \
         "rounds) | | | | ${R[paired.burst_ratio]} |"
    echo "| c=$concurrency: requests per second | ${R[direct.burst_rps]}" \
         "| ${R[relay.burst_rps]} | ${R[module.burst_rps]} |" \
         "$(ratio "${R[module.burst_rps]}" "${R[relay.burst_rps]}") |"
    echo "| $streams streams paced ${pace} us: CPU per 1,000 chunks, ms" \
         "| - | ${R[relay.paced_cpu_ms_per_1k]} |" \
         "${R[module.paced_cpu_ms_per_1k]} |" \
         "$(ratio "${R[module.paced_cpu_ms_per_1k]}" \
                  "${R[relay.paced_cpu_ms_per_1k]}") |"
    echo "| $streams streams open, at their first token: memory per" \
         "stream, KB | - | ${R[relay.mem_kb]} | ${R[module.mem_kb]} |" \
         "$(ratio "${R[module.mem_kb]}" "${R[relay.mem_kb]}") |"
    echo "| the same at token $((late + 1)): memory per stream," \
         "KB | - | ${R[relay.mem_late_kb]} | ${R[module.mem_late_kb]} |" \
         "$(ratio "${R[module.mem_late_kb]}" "${R[relay.mem_late_kb]}") |"
    echo "| growth per token and stream, bytes | - |" \
         "${R[relay.mem_per_token_b]} | ${R[module.mem_per_token_b]} | |"
    if [ -n "${R[module.ir_req]:-}" ]; then
        echo "| c=1, $e5 chunks: instructions per request (user space," \
             "callgrind) | - | ${R[relay.ir_req]} | ${R[module.ir_req]} |" \
             "$(ratio "${R[module.ir_req]}" "${R[relay.ir_req]}") |"
        echo "| instructions per chunk more (a $e100-chunk answer against" \
             "a $e5-chunk one) | - | ${R[relay.ir_chunk]} |" \
             "${R[module.ir_chunk]} |" \
             "$(ratio "${R[module.ir_chunk]}" "${R[relay.ir_chunk]}") |"
    fi
    f=0
    for p in direct relay module; do
        f=$(( f + ${R[$p.c1_failed]} + ${R[$p.burst_failed]} ))
    done
    f=$(( f + ${R[relay.paced_failed]} + ${R[module.paced_failed]} ))
    echo "| failures (all of the above) | | | | $f |"
    echo
    echo "| module ($scale_workers workers), streams open at once" \
         "($e20 chunks, paced $scale_pace us) | failures | most open | worker CPU, s |" \
         "CPU per 1,000 chunks, ms | memory per stream, KB |"
    echo "|---|---|---|---|---|---|"
    for n in $scale; do
        echo "| $n | ${R[scale$n.failed]} | ${R[scale$n.open_max]} |" \
             "${R[scale$n.cpu_s]} | ${R[scale$n.cpu_ms_per_1k]} |" \
             "${R[scale$n.mem_kb]} |"
    done
} | tee "$out/table.md"

for k in "${!R[@]}"; do printf '"%s": "%s"\n' "$k" "${R[$k]}"; done |
    sort | paste -sd, | sed 's/^/{/; s/$/}/' >"$out/result.json"
