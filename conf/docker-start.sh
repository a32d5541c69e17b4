#!/bin/sh
# The Docker image's command: the client API keys checked, the region of
# AWS_REGION in the shipped configuration, the system's nameserver as
# nginx's resolver (for
# chat_completions_resolve and endpoints without an upstream block), then
# nginx in the foreground.
set -eu
dir=/etc/nginx/chatcompletions
# who may call: the client API keys, mounted from the host (compose.yaml)
if [ ! -s "$dir/api_keys" ]; then
    echo "no client API keys in $dir/api_keys: make one with" \
         "conf/api-key.sh NAME > api_keys (README.md," \
         "\"chat_completions_api_keys\") and mount it there" >&2
    exit 1
fi
region=$(printf %s "${AWS_REGION:-us-east-1}" | tr -cd a-z0-9-)
sed -i "s/us-east-1/$region/g" "$dir"/*.conf
ns=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null || true)
case "$ns" in *:*) ns="[$ns]" ;; esac
if [ -n "$ns" ] && ! grep -q '^    resolver ' "$dir/nginx.conf"; then
    sed -i "s#^    include chat_completions_server.conf;#    resolver $ns valid=30s;\n&#" \
        "$dir/nginx.conf"
elif [ -z "$ns" ]; then
    sed -i '/chat_completions_resolve/d' "$dir/nginx.conf"
fi
exec nginx -c "$dir/nginx.conf" -g 'daemon off;'
