#!/usr/bin/env bash
# Memory check: nginx with the module runs under valgrind (memcheck) while
# requests take every path of the module once: a split stream, corrupt,
# truncated and stalled streams, an in-stream exception, a Bedrock error,
# the tool loop streamed and not, a slow tool, clients that go away
# mid-stream and while a tool runs, AWS credentials fetched (instance
# metadata, a role assumed on top, a hanging source that times out), a
# retried attempt, a client gone during a retry's backoff, a racing
# attempt that wins, a client gone while two race, Claude's reasoning
# through a tool round with prompt caching, response_format's forced
# tool, and the Bedrock features (a guardrail's intervention, an image,
# a tier and metadata, one tool call of two, the models endpoint).  Any
# invalid read or write fails.
set -u
cd "$(dirname "$0")/.."
so=$(readlink -f "$1")
dport=${VALGRIND_DOUBLE_PORT:-19691}
port=${VALGRIND_PORT:-19692}
dir=build/valgrind
rm -rf "$dir" && mkdir -p "$dir/conf" "$dir/logs"

node t/bedrock/double.js --port "$dport" >"$dir/double.log" 2>&1 &
double=$!
vg=
trap 'kill $double ${vg:-} 2>/dev/null' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$dport/__health" >/dev/null 2>&1 && break
    sleep 0.1
done

# a client key with a budget: sk-valgrind (tpm=5 tpd=1000)
printf 'vg %s tpm=5 tpd=1000\none %s concurrency=1\n' \
    "$(printf %s sk-valgrind | sha256sum | cut -d' ' -f1)" \
    "$(printf %s sk-one | sha256sum | cut -d' ' -f1)" >"$dir/conf/api_keys"

cat >"$dir/conf/nginx.conf" <<_EOC_
load_module $so;
error_log logs/error.log info;
master_process off;
daemon off;
events {}
http {
    access_log off;
    chat_completions_endpoint http://127.0.0.1:$dport;
    chat_completions_access_key_id AKIDEXAMPLE;
    chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
    chat_completions_keepalive_interval 100ms;
    chat_completions_metrics_zone 1m;
    chat_completions_read_timeout 500ms;
    server {
        listen 127.0.0.1:$port sndbuf=8k;
        location = /split { set \$s "tokens=50; split=7"; chat_completions; }
        location = /corrupt {
            set \$s "tokens=4; corrupt=message; after=2"; chat_completions;
        }
        location = /trunc {
            set \$s "tokens=4; truncate=1; after=2"; chat_completions;
        }
        location = /stall {
            set \$s "tokens=4; stall=1; after=2"; chat_completions;
        }
        location = /exception {
            set \$s "tokens=4; exception=throttlingException; after=1";
            chat_completions;
        }
        location = /throttle {
            set \$s "status=ThrottlingException"; chat_completions;
        }
        location = /slow { set \$s "tokens=30; delay=50"; chat_completions; }
        location = /big {
            set \$s "tokens=3000; coalesce=1"; chat_completions;
        }
        location = /bigquiet {
            set \$s "tokens=3000; coalesce=1";
            chat_completions_keepalive_interval 0;
            chat_completions;
        }
        location = /tools {
            set \$s "";
            chat_completions_tool get_loan_options /_tools/loans "Loans";
            chat_completions_tool get_credit_card_summary /_tools/card
                                  "Card balance by phone" phone;
            chat_completions;
        }
        # Bedrock features: Claude thinking through a server tool round,
        # prompt caching; response_format's forced tool
        location = /features {
            set \$s "tool=get_loan_options; tool_id=vg_f1; reasoning=Think%20first.; redacted=QUJD; final_text=Done.; cache=5,6";
            chat_completions_model us.anthropic.claude-sonnet-4-5-20250929-v1:0;
            chat_completions_reasoning_effort low;
            chat_completions_prompt_cache system tools;
            chat_completions_system_prompt "Be brief.";
            chat_completions_tool get_loan_options /_tools/loans "Loans";
            chat_completions;
        }
        location = /structured {
            set \$s "json=%7B%22a%22%3A1%7D; pre_text=Sure.";
            chat_completions;
        }
        location = /metrics { chat_completions_metrics; }
        location = /guard {
            set \$s "guardrail=intervene";
            chat_completions_guardrail gr1 1 trace=enabled stream=async;
            chat_completions_service_tier_allow flex;
            chat_completions_request_metadata on;
            chat_completions;
        }
        location = /twotools {
            set \$s "tool=get_weather,get_time; args=%7B%7D";
            chat_completions;
        }
        location /v1/models {
            chat_completions_model_alias gpt-4o-mini amazon.nova-micro-v1:0;
            chat_completions_models;
        }
        location = /keyslow {
            set \$s "tokens=3; first_delay=1500";
            chat_completions_read_timeout 5s;
            chat_completions_api_keys api_keys;
            chat_completions;
        }
        location = /keyed {
            set \$s "tokens=3";
            chat_completions_api_keys api_keys;
            chat_completions;
        }
        location = /_tools/loans {
            internal;
            default_type application/json;
            return 200 '{"loans":[{"name":"Personal loan","apr":"7.9%"}]}';
        }
        location = /_tools/card {
            internal;
            proxy_pass http://127.0.0.1:$dport/__slow?ms=300;
        }
        # a throttled attempt tried again; a client gone during a backoff
        location = /retry {
            set \$s "tokens=3; fail_first=1; counter=vg-retry";
            chat_completions_attempts 2;
            chat_completions_retry_backoff 50ms;
            chat_completions;
        }
        location = /retrygone {
            set \$s "status=ThrottlingException";
            chat_completions_attempts 2;
            chat_completions_retry_backoff 5s;
            chat_completions_retry_budget 20s;
            chat_completions;
        }
        # a first token late: a second attempt races the first and wins;
        # a client gone while two attempts race
        location = /hedge {
            set \$s "tokens=3; first_delay=2000; first_delay_first=1; counter=vg-hedge";
            chat_completions_attempts 2;
            chat_completions_first_token_deadline 200ms;
            chat_completions;
        }
        location = /hedgegone {
            set \$s "tokens=3; first_delay=3000";
            chat_completions_attempts 2;
            chat_completions_first_token_deadline 100ms;
            chat_completions;
        }
        # the chain instead of the keys: instance metadata (the double)
        location = /imds {
            set \$s "";
            chat_completions_access_key_id "";
            chat_completions_secret_access_key "";
            chat_completions_credentials_timeout 300ms;
            chat_completions;
        }
        location = /role {
            set \$s "";
            chat_completions_assume_role
                arn:aws:iam::222222222222:role/bedrock-cross-account
                external_id=fintalk-external-id session_name=valgrind;
            chat_completions;
        }
        location = /_aws_credentials {
            internal;
            proxy_pass \$chat_completions_credentials_url;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location = /_bedrock {
            internal;
            proxy_pass http://127.0.0.1:$dport\$chat_completions_bedrock_uri;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_set_header X-Double-Scenario \$s;
        }
    }
}
_EOC_

env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
    -u AWS_BEARER_TOKEN_BEDROCK -u AWS_WEB_IDENTITY_TOKEN_FILE \
    -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
    -u AWS_CONTAINER_CREDENTIALS_FULL_URI -u AWS_EC2_METADATA_DISABLED \
    AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent \
    AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$dport" \
    AWS_ENDPOINT_URL_STS="http://127.0.0.1:$dport" \
    valgrind --error-exitcode=3 --log-file="$dir/valgrind.log" \
    /usr/sbin/nginx -p "$PWD/$dir" -c conf/nginx.conf &
vg=$!
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
    sleep 0.2
done

url="http://127.0.0.1:$port"
loans='{"messages":[{"role":"user","content":"What loan options are available?"}]}'
card='{"messages":[{"role":"user","content":"My card balance? 555 010 0199"}]}'

for loc in split corrupt trunc stall exception throttle tools; do
    curl -s -o /dev/null "$url/$loc" -d "$loans"
done
curl -s -o /dev/null "$url/tools" -d "$card"
curl -s -o /dev/null "$url/tools" \
    -d '{"stream":false,"messages":[{"role":"user","content":"card balance 555 010 0199"}]}'
timeout 0.3 curl -s -o /dev/null "$url/slow" -d "$loans"

# the Bedrock features: a guardrail that intervenes (streamed and not,
# with an image, a tier and metadata), one tool call of two, the models
img='{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="}}'
for stream in true false; do
    curl -s -o /dev/null "$url/guard" -d '{"stream":'$stream',"service_tier":"flex","metadata":{"a":"b"},"user":"u","messages":[{"role":"user","content":[{"type":"text","text":"x"},'"$img"']}]}'
    curl -s -o /dev/null "$url/twotools" -d '{"stream":'$stream',"parallel_tool_calls":false,"messages":[{"role":"user","content":"Weather and time?"}]}'
done
curl -s -o /dev/null "$url/guard" -d '{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}'
for m in "" /gpt-4o-mini /nope; do
    curl -s -o /dev/null "$url/v1/models$m"
done
# reasoning, signatures and cache counts through a tool round, streamed
# and not; the forced tool's input as the content
for stream in true false; do
    curl -s -o "$dir/features.out" "$url/features" \
        -d '{"stream":'$stream',"messages":[{"role":"user","content":"Loans?"}]}'
    if ! grep -q '"reasoning_signature":' "$dir/features.out" \
       || ! grep -q 'Done\.' "$dir/features.out"; then
        echo "valgrind: no reasoning or answer from /features:"
        cat "$dir/features.out"
        exit 1
    fi
done
for stream in true false; do
    curl -s -o "$dir/structured.out" "$url/structured" \
        -d '{"stream":'$stream',"response_format":{"type":"json_object"},"messages":[{"role":"user","content":"JSON"}]}'
    if ! grep -q '"content":"{\\"a\\":1}"' "$dir/structured.out"; then
        echo "valgrind: /structured did not answer the tool's input:"
        cat "$dir/structured.out"
        exit 1
    fi
done

# a client slower than Bedrock: the module holds Bedrock's bytes back
# instead of buffering the answer, and nothing is lost
curl -s --limit-rate 64k -o "$dir/big.out" "$url/big" -d "$loans"
n=$(grep -c '^data: {.*"delta":{"content":' "$dir/big.out")
if [ "$n" != 3000 ] || [ "$(tail -c 14 "$dir/big.out" | od -An -c | tr -d " ")" != "data:[DONE]\\n\\n" ]
then
    echo "valgrind: the slow client got $n of 3000 deltas"
    exit 1
fi
timeout 0.15 curl -s -o /dev/null "$url/tools" -d "$card"
curl -s -o "$dir/retry.out" "$url/retry" -d "$loans"
if [ "$(tail -c 14 "$dir/retry.out" | od -An -c | tr -d " ")" != "data:[DONE]\\n\\n" ]; then
    echo "valgrind: the retried stream did not end well:"; cat "$dir/retry.out"
    exit 1
fi
timeout 1 curl -s -o /dev/null "$url/retrygone" -d "$loans"
curl -s -o "$dir/hedge.out" "$url/hedge" -d "$loans"
if [ "$(grep -c '"delta":{"content":' "$dir/hedge.out")" != 3 ] \
   || [ "$(tail -c 14 "$dir/hedge.out" | od -An -c | tr -d " ")" != "data:[DONE]\\n\\n" ]; then
    echo "valgrind: the hedged stream is not whole:"; cat "$dir/hedge.out"
    exit 1
fi
timeout 0.6 curl -s -o /dev/null "$url/hedgegone" -d "$loans"

# credentials: a hanging metadata endpoint (503 after the wait, the fetch
# stopped), then instance metadata and a role assumed on top of the keys
creds() {
    curl -s -o /dev/null "http://127.0.0.1:$dport/__creds" \
         -H 'Content-Type: application/json' -d "$1"
}
creds '{"faults":{"imds":"hang"}}'
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/imds" -d "$loans")
creds '{"faults":{"imds":"ok"}}'
sleep 1.5
for loc in imds role; do
    curl -s -o "$dir/$loc.out" "$url/$loc" -d "$loans"
    if [ "$code" != 503 ] || [ "$(tail -c 14 "$dir/$loc.out" | od -An -c | tr -d " ")" != "data:[DONE]\\n\\n" ]
    then
        echo "valgrind: credentials: 503 expected while the source hangs" \
             "(got $code), then a whole stream from /$loc:"
        cat "$dir/$loc.out"
        exit 1
    fi
done
# a client that stops reading for a while, then reads on: the stream must
# resume by itself (no keepalive comment to wake it), not stall
got=$(perl -MIO::Socket::INET -MSocket -e '
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:'"$port"'") or die;
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4096);
    my $b = q({"messages":[{"role":"user","content":"hi"}]});
    print $s "POST /bigquiet HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             . "Content-Length: " . length($b) . "\r\n\r\n$b";
    my ($all, $buf) = ("", "");
    sysread($s, $buf, 4096); $all .= $buf;
    sleep 2;
    local $SIG{ALRM} = sub { print "stalled\n"; exit };
    alarm 20;
    while (sysread($s, $buf, 65536)) { $all .= $buf }
    my $n = () = $all =~ /"delta":\{"content":/g;
    print "$n\n";')
if [ "$got" != 3000 ]; then
    echo "valgrind: a client that paused got \"$got\" of 3000 deltas"
    exit 1
fi

# client keys: a wrong one, a right one, then its budget spent
curl -s -o /dev/null -H 'Authorization: Bearer nope' "$url/keyed" -d "$loans"
curl -s -o /dev/null -H 'Authorization: Bearer sk-valgrind' "$url/keyed" -d "$loans"
code=$(curl -s -o /dev/null -w '%{http_code}' \
       -H 'Authorization: Bearer sk-valgrind' "$url/keyed" -d "$loans")
if [ "$code" != 429 ]; then
    echo "valgrind: a spent key budget answered $code, not 429"
    exit 1
fi

# one answer at a time for this key: a second one meanwhile is refused
curl -s -o "$dir/one.out" -H 'Authorization: Bearer sk-one' \
     "$url/keyslow" -d "$loans" &
one=$!
sleep 0.5
code=$(curl -s -o /dev/null -w '%{http_code}' \
       -H 'Authorization: Bearer sk-one' "$url/keyslow" -d "$loans")
wait $one
again=$(curl -s -o /dev/null -w '%{http_code}' \
       -H 'Authorization: Bearer sk-one' "$url/keyslow" -d "$loans")
if [ "$code" != 429 ] || [ "$again" != 200 ] \
   || ! grep -q 'data: \[DONE\]' "$dir/one.out"
then
    echo "valgrind: concurrency=1 answered $code meanwhile and $again after"
    exit 1
fi

# every path above counted: the scrape reads it all
if ! curl -s "$url/metrics" | grep -q '^chat_completions_requests_total{location="/split"'
then
    echo "valgrind: the metrics do not count the requests"
    exit 1
fi

sleep 1

kill -QUIT $vg
wait $vg
rc=$?
vg=

if [ $rc -ne 0 ] || ! grep -q "ERROR SUMMARY: 0 errors" "$dir/valgrind.log"
then
    echo "valgrind: errors (exit $rc):"
    cat "$dir/valgrind.log"
    exit 1
fi

# the requests really took the paths they were meant to
for line in "corrupt eventstream frame" "ended before its metadata event" \
            "sent nothing for" "Bedrock stream failed" \
            "answered 429" "prematurely closed connection while tools ran" \
            "AWS credentials from instance_metadata, valid until" \
            "AWS credentials from configuration+assume_role, valid until" \
            "instance metadata: no answer within 300 ms" \
            "abandoned: throttled (429); attempt 2" \
            "closed connection while the next Bedrock attempt was due" \
            "had its first token first" "races it on" \
            "guardrail intervened, finish_reason content_filter"
do
    if ! grep -q "$line" "$dir/logs/error.log"; then
        echo "valgrind: no \"$line\" in the error log:"
        cat "$dir/logs/error.log"
        exit 1
    fi
done

echo "valgrind: 0 errors in $(grep -c . "$dir/logs/error.log") log lines"
