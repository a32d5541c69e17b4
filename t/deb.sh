#!/usr/bin/env bash
# `make test-deb`: the Debian package, installed and removed for real.
# Installs build/deb/libnginx-mod-http-chatcompletions_*.deb with apt-get,
# checks what it put where (the .so, the load_module snippet, the
# modules-enabled link, the nginx-abi dependency), then runs the stock
# /usr/sbin/nginx with a minimal configuration in a temporary prefix that
# loads the module only through `include /etc/nginx/modules-enabled/*.conf;`
# (as Debian's nginx.conf does): `nginx -t`, then one streamed answer from
# the Bedrock double (t/bedrock/double.js).  Last, `apt-get remove --purge`
# and the files must be gone.  A package or processes left by an earlier
# run that failed are removed first.  TAP-like output; exits 1 on failure.
# Ports: TEST_DEB_PORT (nginx, default 19890) and the next (the double).
set -u
cd "$(dirname "$0")/.."
pkg=libnginx-mod-http-chatcompletions
so=/usr/lib/nginx/modules/ngx_http_chatcompletions_module.so
snippet=/usr/share/nginx/modules-available/mod-http-chatcompletions.conf
link=/etc/nginx/modules-enabled/50-mod-http-chatcompletions.conf
nginx=/usr/sbin/nginx
port=${TEST_DEB_PORT:-19890}
dport=$((port + 1))
dir=$PWD/build/test-deb
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
apt() {
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get "$@" \
        >>"$dir/apt.log" 2>&1
}

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {                  # not_ok "description" diagnostics...
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
    shift
    [ $# = 0 ] || printf '%s\n' "$@" | sed 's/^/#   /'
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() {                   # check "description" command...
    local what=$1; shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}
finish() {
    echo "1..$n"
    [ $failed = 0 ] || echo "# $failed of $n failed (logs in build/test-deb/)"
    [ $failed = 0 ]
    exit
}

# a process of an earlier run, by its pid file, if it is still that program
stop_pidfile() {            # stop_pidfile file signal what
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 0
    if [ -n "$pid" ] && grep -qa "$3" "/proc/$pid/cmdline" 2>/dev/null; then
        echo "# stopping $3 (pid $pid) of an earlier run"
        kill "-$2" "$pid" 2>/dev/null
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$1"
}

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" \
      = installed ]
}
known() {                   # installed, or its configuration files left
    case "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" in
        ''|not-installed) return 1 ;;
    esac
}

stop_pidfile "$dir/logs/nginx.pid" QUIT nginx
stop_pidfile "$dir/double.pid" TERM double.js
rm -rf "$dir"
mkdir -p "$dir/conf" "$dir/logs" "$dir/temp"

if known; then
    echo "# removing $pkg, left by an earlier run"
    apt remove -y --purge "$pkg"
fi

debs=(build/deb/"$pkg"_*.deb)
if [ ${#debs[@]} != 1 ] || [ ! -f "${debs[0]}" ]; then
    not_ok "one package in build/deb/ (make deb)" "found: ${debs[*]}"
    finish
fi
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)

# ------------------------------------------------------------ install

if apt install -y "./$deb" && installed; then
    ok "apt-get install ./$deb"
else
    not_ok "apt-get install ./$deb" "$(tail -5 "$dir/apt.log")"
    known && apt remove -y --purge "$pkg"
    finish
fi
check "version $version installed" \
    test "$(dpkg-query -W -f='${Version}' "$pkg")" = "$version"

abi=$(dpkg-query -W -f='${Depends}' "$pkg" | grep -o 'nginx-abi-[^ ,]*')
if [ -n "$abi" ] && dpkg-query -W -f='${Provides}' nginx | grep -qw -- "$abi"
then
    ok "depends on $abi, which the installed nginx provides"
else
    not_ok "depends on the installed nginx's ABI" \
        "Depends: $(dpkg-query -W -f='${Depends}' "$pkg")" \
        "nginx Provides: $(dpkg-query -W -f='${Provides}' nginx)"
fi
check "$so installed" test -f "$so"
check "$snippet loads it" \
    grep -qx "load_module $so;" "$snippet"
check "$link links to it" \
    test "$(readlink "$link")" = "$snippet"

# ------------------------------------------------ nginx with the module

# the module comes only from the modules-enabled include; temporary files
# in the prefix, so that nothing under /var/lib/nginx changes owner
cat >"$dir/conf/nginx.conf" <<_EOC_
include /etc/nginx/modules-enabled/*.conf;

worker_processes 1;
error_log logs/error.log notice;
pid logs/nginx.pid;

events {
    worker_connections 64;
}

http {
    access_log logs/access.log;
    client_body_temp_path temp/body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;

    chat_completions_endpoint http://127.0.0.1:$dport;
    chat_completions_region us-east-1;
    chat_completions_access_key_id AKIDEXAMPLE;
    chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
    chat_completions_model amazon.nova-lite-v1:0;

    server {
        listen 127.0.0.1:$port;

        location = /v1/chat/completions {
            chat_completions;
        }

        location = /_bedrock {
            internal;
            proxy_pass \$chat_completions_upstream_url;
            proxy_set_header Host \$chat_completions_bedrock_host;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Double-Scenario "tokens=40; chunk=3";
            proxy_buffering off;
            proxy_request_buffering off;
            proxy_connect_timeout 2s;
        }
    }
}
_EOC_

# no AWS variable of the caller's environment reaches nginx
run_nginx() {
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        "$nginx" -p "$dir/" -c conf/nginx.conf "$@"
}

if run_nginx -t >"$dir/nginx-t.log" 2>&1; then
    ok "nginx -t with the package's snippet"
else
    not_ok "nginx -t with the package's snippet" \
        "$(cat "$dir/nginx-t.log")"
fi

node t/bedrock/double.js --port "$dport" >"$dir/double.log" 2>&1 &
echo $! >"$dir/double.pid"
trap 'stop_pidfile "$dir/logs/nginx.pid" QUIT nginx >/dev/null;
      stop_pidfile "$dir/double.pid" TERM double.js >/dev/null' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$dport/__health" >/dev/null 2>&1 && break
    sleep 0.1
done

pid=
if run_nginx >"$dir/nginx-start.log" 2>&1; then
    for _ in $(seq 1 50); do
        pid=$(cat "$dir/logs/nginx.pid" 2>/dev/null) && [ -n "$pid" ] && break
        sleep 0.1
    done
fi
if [ -n "$pid" ]; then
    ok "nginx starts (pid $pid)"
else
    not_ok "nginx starts" "$(cat "$dir/nginx-start.log")"
fi

touch "$dir/headers" "$dir/body"
status=$(curl -sS -N --max-time 20 -D "$dir/headers" -o "$dir/body" \
              -w '%{http_code}' "http://127.0.0.1:$port/v1/chat/completions" \
              -H 'Content-Type: application/json' \
              -d '{"stream":true,"messages":[{"role":"user","content":"Hi"}]}' \
              2>"$dir/curl.log")
check "200 for a streamed request (got ${status:-none})" test "$status" = 200
check "Content-Type: text/event-stream" \
    grep -qi '^content-type: text/event-stream' "$dir/headers"

# the stream, whole: a role chunk, the 40 tokens in order, one
# finish_reason, one id, data: [DONE] last
verdict=$(perl -MJSON::PP -e '
    local $/; my $body = <STDIN>;
    my @events = grep { !/^:/ } split /\n\n/, $body;
    my ($text, $role, $finish, %ids, $chunks) = ("", "", "", ());
    die "no [DONE] at the end\n" unless $body =~ /\ndata: \[DONE\]\n\n\z/;
    pop @events;
    for my $e (@events) {
        $e =~ /^data: (\{.*\})\z/s or die "not a data event: $e\n";
        my $c = decode_json($1);
        die "error event: $1\n" if $c->{error};
        die "not a chunk: $1\n" unless $c->{object} eq "chat.completion.chunk";
        $ids{$c->{id}} = 1;
        $chunks++;
        my $ch = $c->{choices}[0] or next;
        $role .= $ch->{delta}{role} // "";
        $text .= $ch->{delta}{content} // "";
        $finish .= $ch->{finish_reason} // "";
    }
    my $want = join " ", map { "tok$_" } 1 .. 40;
    die "role \"$role\"\n" unless $role eq "assistant";
    die "text \"$text\"\n" unless $text eq $want;
    die "finish_reason \"$finish\"\n" unless $finish eq "stop";
    die keys(%ids) . " ids\n" unless keys %ids == 1;
    print "$chunks chunks\n";
' <"$dir/body" 2>&1)
if [ $? = 0 ]; then
    ok "one streamed answer, whole: $verdict, 40 tokens, data: [DONE]"
else
    not_ok "one streamed answer, whole" "$verdict" \
        "$(head -c 600 "$dir/body")"
fi

if [ -z "$pid" ]; then
    skip "nginx stops" "it did not start"
else
    if run_nginx -s quit 2>>"$dir/nginx-start.log"; then
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    check "nginx stops (nginx -s quit)" eval '! kill -0 "$pid" 2>/dev/null'
fi
stop_pidfile "$dir/double.pid" TERM double.js >/dev/null
bad=$(grep -E '\[(error|crit|alert|emerg)\]' "$dir/logs/error.log" | head -3)
if [ -z "$bad" ]; then
    ok "nothing at error level or above in the error log"
else
    not_ok "nothing at error level or above in the error log" "$bad"
fi

# ------------------------------------------------------------- remove

if apt remove -y --purge "$pkg" && ! known; then
    ok "apt-get remove --purge $pkg"
else
    not_ok "apt-get remove --purge $pkg" "$(tail -5 "$dir/apt.log")"
fi
check "$so gone" test ! -e "$so"
check "$snippet gone" test ! -e "$snippet"
check "$link gone" test ! -e "$link" -a ! -L "$link" -a ! -L "$link.removed"

finish
