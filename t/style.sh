#!/usr/bin/env bash
# The nginx code style gate: no tabs, no lines over 80 columns, no "//"
# comments and no trailing spaces in the C sources.
set -u
cd "$(dirname "$0")/.."
rc=0
files=$(ls ngx_http_chatcompletions_module/*.[ch] \
           ngx_http_chatcompletions_module/cc/*.[ch] t/unit/*.[ch] \
           t/fuzz/*.[ch] 2>/dev/null)
for f in $files; do
    if grep -nP '\t' "$f" | head -3 | grep .; then
        echo "$f: tab characters"; rc=1
    fi
    if awk 'length($0) > 80 { printf "%s:%d: %d columns\n", FILENAME, NR, length($0); bad=1 } END { exit bad }' "$f"; then :; else rc=1; fi
    if grep -nE '[[:space:]]+$' "$f" | head -3 | grep .; then
        echo "$f: trailing spaces"; rc=1
    fi
    if grep -nE '(^[[:space:]]*|[;{})][[:space:]]*)//' "$f" | head -3 | grep .; then
        echo "$f: // comments"; rc=1
    fi
done
[ $rc = 0 ] && echo "style: ok"
exit $rc
