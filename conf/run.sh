#!/usr/bin/env bash
# `make run`: serves conf/nginx.conf (with the Fintalk assistant of
# conf/fintalk/) in the foreground on $PORT with the freshly built module.
# Where the AWS credential chain finds credentials (the environment, web
# identity, the shared files, a container endpoint, instance metadata) it
# talks to Amazon Bedrock and says from which source; elsewhere it starts
# the bundled Bedrock emulator (t/bedrock/double.js) and says so.
# BEDROCK=aws or BEDROCK=emulator forces either.
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
# a development server: on 127.0.0.1 only, and so without client API keys
sed -i -e "s#listen 8000;#listen 127.0.0.1:$port;#" \
       -e "s#^    chat_completions_api_keys .*#    chat_completions_api_keys off;#" \
       -e "s#us-east-1#$region#g" "$run/conf/chat_completions_server.conf"
sed -i "s#127.0.0.1:19090#127.0.0.1:$dport#g" "$run/conf/bedrock_emulator.conf"

log() { printf '%s [run] %s\n' "$(date '+%Y/%m/%d %H:%M:%S')" "$*" >&2; }

# Where would the AWS credential chain find credentials?  The module looks
# for itself when it runs (and logs the source it used); this only decides
# between Amazon Bedrock and the emulator, in the module's order.
aws_source() {
    local profile=${AWS_PROFILE:-default} imds token
    if [ -n "${AWS_BEARER_TOKEN_BEDROCK:-}" ]; then
        echo "a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK)"; return
    fi
    # AWS_PROFILE names the profile: the keys are at most its source
    if [ -z "${AWS_PROFILE:-}" ] && [ -n "${AWS_ACCESS_KEY_ID:-}" ] \
       && [ -n "${AWS_SECRET_ACCESS_KEY:-}" ]
    then
        echo "the environment (AWS_ACCESS_KEY_ID)"; return
    fi
    if [ -n "${AWS_WEB_IDENTITY_TOKEN_FILE:-}" ] && [ -n "${AWS_ROLE_ARN:-}" ]
    then
        echo "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)"; return
    fi
    if grep -Eqs "^[[:space:]]*\[[[:space:]]*(profile[[:space:]]+)?$profile[[:space:]]*\]" \
        "${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}" \
        "${AWS_CONFIG_FILE:-$HOME/.aws/config}"
    then
        echo "the shared files (profile $profile)"; return
    fi
    if [ -n "${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}" ] \
       || [ -n "${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}" ]
    then
        echo "the container endpoint"; return
    fi
    case "${AWS_EC2_METADATA_DISABLED:-}" in [Tt][Rr][Uu][Ee]) return;; esac
    imds=${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}
    token=$(curl -fs -m 1 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
            "${imds%/}/latest/api/token" 2>/dev/null) || return 0
    if curl -fs -m 1 -H "X-aws-ec2-metadata-token: $token" \
        "${imds%/}/latest/meta-data/iam/security-credentials/" >/dev/null 2>&1
    then
        echo "the instance metadata service (IMDSv2)"
    fi
}

# BEDROCK=aws or BEDROCK=emulator forces one; the default looks
case "${BEDROCK:-auto}" in
    aws)      source=$(aws_source); mode=aws
              [ -n "$source" ] || source="nothing found yet (BEDROCK=aws)" ;;
    emulator) mode=emulator ;;
    auto)     source=$(aws_source)
              if [ -n "$source" ]; then mode=aws; else mode=emulator; fi ;;
    *)        echo "BEDROCK must be aws, emulator or auto" >&2; exit 2 ;;
esac

if [ "$mode" = aws ]; then
    log "AWS credentials from $source: talking to Amazon Bedrock in $region"
    # an endpoint of AWS_ENDPOINT_URL_BEDROCK_RUNTIME (or of STS) that is not
    # the name of an upstream block is looked up with the system's resolver
    ns=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null)
    case "$ns" in *:*) ns="[$ns]" ;; esac
    if [ -n "$ns" ]; then
        sed -i "s#^    include chat_completions_server.conf;#    resolver $ns valid=30s;\n&#" \
            "$run/conf/nginx.conf"
    else
        log "no nameserver in /etc/resolv.conf: Bedrock's addresses are" \
            "looked up only at start"
        sed -i '/chat_completions_resolve/d' "$run/conf/nginx.conf"
    fi
else
    log "no AWS credentials found (environment, web identity, shared" \
        "files, container, instance metadata): starting the bundled" \
        "Bedrock emulator on 127.0.0.1:$dport (t/bedrock/double.js);" \
        "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where a role" \
        "is available, to use Amazon Bedrock (BEDROCK=aws|emulator forces" \
        "either)"
    sed -i "s#include bedrock_aws.conf;#include bedrock_emulator.conf;#" \
        "$run/conf/chat_completions_server.conf"
    # the AWS upstream blocks are unused here, and nginx would resolve
    # their host names at start (which fails offline)
    sed -i '/^    upstream [a-z0-9.-]*amazonaws\.com {/,/^    }/d' \
        "$run/conf/nginx.conf"
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
log "client API keys are off: this development server listens on" \
    "127.0.0.1 only (the production configurations, conf/aws/ and the" \
    "Docker image, check keys: README.md, \"chat_completions_api_keys\")"
log "serving http://127.0.0.1:$port/api/chat/completions/ (Ctrl-C stops)"
"$nginx" -p "$PWD/$run" -c conf/nginx.conf -t -q
"$nginx" -p "$PWD/$run" -c conf/nginx.conf -g 'daemon off;' &
ngx=$!
trap 'kill $ngx 2>/dev/null; kill ${emulator:-} 2>/dev/null || true' EXIT INT TERM
wait $ngx
