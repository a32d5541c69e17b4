#!/bin/sh
# A new client API key: the key on standard error (give it to the client;
# it is stored nowhere), the line for the chat_completions_api_keys file
# on standard output.
#
#   conf/api-key.sh vapi models=gpt-4o-mini tpm=200000 >> conf/api_keys
set -eu
name=${1:?usage: conf/api-key.sh NAME [models=a,b] [tpm=N] [tpd=N] [concurrency=N]}
shift
key="sk-cc-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
hash=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
echo "key for $name: $key" >&2
echo "$name $hash${*:+ $*}"
