package Test::Nginx::Socket;

# Compact stand-in for openresty/test-nginx's Test::Nginx::Socket, built on
# Debian's Test::Base.  Used only when the real module is not installed
# (see t/compat/README.md); the t/*.t files are written for the real one.
#
# This file holds the HTTP side: turning --- request / raw_request /
# pipelined_requests into bytes, a select()-driven client with the real
# module's timeout semantics, response parsing (with chunked decoding), and
# the per-section checks, with the real module's test names and counts.
# Test::Nginx::Util holds the nginx side (config, process, logs, run loop).

use v5.10.1;
use Test::Base -base;    # -base (not -Base): no Spiffy source filter here

use Digest::MD5 ();
use Digest::SHA ();
use Encode ();
use IO::Socket::INET ();
use JSON::PP ();
use List::Util qw(min);
use Test::LongString;
use Time::HiRes qw(sleep time);

use Test::Nginx::Util;

our $VERSION = '0.33';

# Same export list as the real module; Test::Base adds Test::More's
# functions (is, like, plan, ...) and blocks().  Subclasses made with
# "use Test::Nginx::Socket -Base;" re-export all of it (Spiffy).
our @EXPORT = qw( env_to_nginx is_str plan run_tests run_test
  repeat_each config_preamble worker_connections
  master_process_enabled
  no_long_string workers master_on master_off
  log_level no_shuffle no_root_location use_hup
  server_name
  server_addr server_root html_dir server_port server_port_for_client
  timeout no_nginx_manager check_accum_error_log
  add_block_preprocessor bail_out add_test_cleanup_handler add_cleanup_handler
  add_response_body_check
);

# Pause between the pieces of a multi-packet request when the block has no
# --- raw_request_middle_delay (the real module sends them back to back).
our $DefaultMiddleDelay = 0.01;

our @ResponseBodyChecks;

$Test::Nginx::Util::RunTestHelper         = \&run_test_helper;
$Test::Nginx::Util::CheckErrorLog         = \&check_error_log;
$Test::Nginx::Util::CheckShutdownErrorLog = \&check_shutdown_error_log;

sub set_http_config_filter ($) {
    $Test::Nginx::Util::FilterHttpConfig = shift;
}

sub add_response_body_check ($) {
    push @ResponseBodyChecks, shift;
}

# ===========================================================================
# Requests
# ===========================================================================

# Mark the run as failed even if the plan count ends up matching.
sub no_ending () { Test::More->builder->no_ending(1) }

# "Name: value" lines of --- more_headers -> (CRLF header block, chunked?).
sub parse_more_headers ($) {
    my $in = shift;
    my ($out, $is_chunked) = ('', 0);
    for my $header (split /\n+/, $in) {
        next if $header =~ /^\s*#/;
        my ($key, $val) = split /:\s*/, $header, 2;
        $val //= '';
        $is_chunked = 1 if lc($key) eq 'transfer-encoding' && $val eq 'chunked';
        $out .= "$key: $val\r\n";
    }
    return ($out, $is_chunked);
}

# Where original offset $x of a request lands in the rewritten request.
# @$segs is a list of [original length, replacement]; a cut at the end of a
# segment keeps the insertions that follow (the headers) in the earlier
# packet, as the real module does.
sub map_offset ($$) {
    my ($segs, $x) = @_;
    my ($o, $n) = (0, 0);
    for my $s (@$segs) {
        my ($len, $val) = @$s;
        if ($o + $len <= $x) {
            $o += $len;
            $n += length $val;
            next;
        }
        return $n + min($x - $o, length $val);
    }
    return $n;
}

# Turn "METHOD [URI [VERSION]]\n[body]" (possibly split into packets) into a
# full HTTP request: default URI "/" and version HTTP/1.1, Host and
# Connection headers unless given, --- more_headers, and Content-Length
# (the body is then trimmed) unless given or chunked.  Returns the packets.
sub build_request_from_packets ($$$$$) {
    my ($name, $more_headers, $is_chunked, $conn_header, $packets) = @_;
    my $raw = join '', @$packets;
    my ($first, $content) = $raw =~ /\A([^\n]*\n?)(.*)\z/s;
    bail_out("$name - Request line should be non-empty") if $first eq '';
    $first =~ /^(\s*)(\S+)( *)((\S+)( *))?((\S+)( *))?(\s*)$/
        or bail_out("$name - Request line is not valid. Should be "
                    . "'meth [url [version]]' but got \"$first\".");
    my $len = sub { defined $_[0] ? length $_[0] : 0 };
    my @segs = (
        [$len->($1), ''],
        [$len->($2), "$2 "],
        [$len->($3), ''],
        [$len->($5), ($5 // '/') . ' '],
        [$len->($6), ''],
        [$len->($8), ($8 // 'HTTP/1.1') . "\r\n"],
        [$len->($9) + $len->($10), ''],
    );

    my ($new_content, $len_header) = ($content, '');
    if (!$is_chunked && $content ne ''
        && $more_headers !~ /(?:^|\n)Content-Length:/)
    {
        $new_content =~ s/^\s+|\s+$//gs;
        $len_header = "Content-Length: " . length($new_content) . "\r\n";
    }
    $more_headers =~ s/(?<!\r)\n/\r\n/gs;
    my $headers = '';
    $headers .= "Host: $ServerName\r\n"
        if $more_headers !~ /(?:^|\n)Host:/msi;
    $headers .= "Connection: $conn_header\r\n"
        if $more_headers !~ /(?:^|\n)Connection/msi;
    $headers .= "$more_headers$len_header\r\n";
    push @segs, [0, $headers], [length $content, $new_content];

    my $new = join '', map { $_->[1] } @segs;
    return [$new] if @$packets <= 1;

    # Re-split at the packet boundaries of the original.
    my ($pos, $prev, @out) = (0, 0);
    for my $p (@$packets[0 .. $#$packets - 1]) {
        $pos += length $p;
        my $cut = map_offset(\@segs, $pos);
        push @out, substr($new, $prev, $cut - $prev);
        $prev = $cut;
    }
    push @out, substr($new, $prev);
    return \@out;
}

# Headers for the $i-th request: --- more_headers may be an array (eval).
sub more_headers_for ($$) {
    my ($block, $i) = @_;
    my $more = $block->more_headers // '';
    if (ref $more eq 'ARRAY') {
        $more = $more->[$i];
        bail_out("--- more_headers lacks data for the request $i")
            unless defined $more;
    }
    return parse_more_headers($more);
}

# The list of requests of a block; each request is a list of packets
# { value => bytes, delay_before => seconds (optional) }.
sub get_req_from_block ($) {
    my $block = shift;
    my $name = $block->name;

    if (defined(my $raw = $block->raw_request)) {
        # Sent verbatim, no $TEST_NGINX_* expansion (like the real module).
        return [[map { { value => $_ } } ref $raw eq 'ARRAY' ? @$raw : $raw]];
    }

    if (my $reqs = $block->pipelined_requests) {
        bail_out("$name - invalid entries in --- pipelined_requests")
            unless ref $reqs eq 'ARRAY';
        my $all = '';
        for my $i (0 .. $#$reqs) {
            my $req = expand_env_in_text($reqs->[$i], $name,
                                         $Test::Nginx::Util::RandPorts);
            my ($hdr, $chunked) = more_headers_for($block, $i);
            my $conn = $i == $#$reqs ? 'close' : 'keep-alive';
            $all .= build_request_from_packets($name, $hdr, $chunked, $conn,
                                               [$req])->[0];
        }
        return [[{ value => $all }]];
    }

    my $request;
    if (defined $block->request_eval) {
        diag "$name - request_eval DEPRECATED. Use request eval instead.";
        $request = eval $block->request_eval;
        warn $@ if $@;
    } else {
        $request = $block->request;
        # Leading blank lines and "# comment" lines are dropped.
        if (defined $request && !ref $request) {
            1 while $request =~ s/^\s*\#[^\n]+\s+|^\s+//gs;
        }
    }
    bail_out("$name - request empty") unless defined $request;

    my @list;
    my @reqs = ref $request eq 'ARRAY' ? @$request : ($request);
    bail_out("$name - invalid --- request: MUST be string or array of "
             . "requests") if ref $request && ref $request ne 'ARRAY';
    for my $i (0 .. $#reqs) {
        my $one = $reqs[$i];
        my ($hdr, $chunked) = more_headers_for($block, $i);
        if (!ref $one) {
            my $r = build_request_from_packets($name, $hdr, $chunked, 'close',
                                               [$one]);
            push @list, [{ value => $r->[0] }];
        } elsif (ref $one eq 'ARRAY') {
            # One request given as packets: strings or { value, delay_before }.
            my @orig = map { ref $_ eq 'HASH' ? {%$_} : { value => $_ } } @$one;
            my $r = build_request_from_packets($name, $hdr, $chunked, 'close',
                                               [map { $_->{value} } @orig]);
            $orig[$_]{value} = $r->[$_] for 0 .. $#orig;
            push @list, \@orig;
        } else {
            bail_out("$name - Invalid syntax. $one should be a string or "
                     . "an array of packets.");
        }
    }
    return \@list;
}

# ===========================================================================
# The HTTP client
# ===========================================================================

# Send one request (a list of packets) and read the response until the
# server closes.  The timeout applies between two I/O events, not to the
# whole exchange.  On timeout the socket is closed and, unless --- abort,
# a test fails with "ERROR: client socket timed out".  Returns
# (raw response, is-HEAD) or () when we could not connect.
sub send_request ($$$$) {
    my ($req, $middle_delay, $timeout, $block) = @_;
    my $name = $block->name;
    my @bits = @$req;
    my $head_req = (join '', map { $_->{value} } @bits) =~ /^\s*HEAD\s+/
                   ? 1 : 0;
    $middle_delay //= $DefaultMiddleDelay;

    my $addr = $block->server_addr_for_client // $ServerAddr;
    my $sock;
    for (my $try = 1; ; $try++) {
        $sock = IO::Socket::INET->new(PeerAddr => $addr,
                                      PeerPort => $ServerPortForClient,
                                      Proto => 'tcp', Timeout => $timeout);
        last if $sock;
        if ($try >= 50) {
            no_ending;
            fail("$name - Can't connect to $addr:$ServerPortForClient: $! "
                 . "(aborted)\n");
            return;
        }
        sleep min(1, 0.01 * $try);
    }
    $sock->blocking(0);
    local $SIG{PIPE} = 'IGNORE';

    my $fd = fileno $sock;
    my ($resp, $writing) = ('', 1);
    my $pkt = shift @bits;
    my ($wbuf, $woff) = ($pkt->{value} // '', 0);

    while (1) {
        my ($rin, $win) = ('', '');
        vec($rin, $fd, 1) = 1;
        vec($win, $fd, 1) = 1 if $writing;
        my $nfound = select(my $rout = $rin, my $wout = $win, undef, $timeout);
        if ($nfound < 0) {
            next if $!{EINTR};
            warn "WARNING: $name - select() failed: $!\n";
            last;
        }
        if ($nfound == 0) {
            close $sock;
            if (!defined $block->abort) {
                no_ending;
                fail("ERROR: client socket timed out - $name\n");
            } else {
                sleep 0.005;
            }
            return ($resp, $head_req);
        }

        if (vec($rout, $fd, 1)) {
            my $done;
            while (1) {
                my $n = sysread($sock, my $chunk, 4096);
                if (!defined $n) {
                    last if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
                    warn "WARNING: $name - HTTP response read failure: $!\n";
                    $done = 1;
                    last;
                }
                if ($n == 0) {    # the server closed the connection
                    $done = 1;
                    last;
                }
                $resp .= $chunk;
            }
            last if $done;
        }

        if ($writing && vec($wout, $fd, 1)) {
            my $n = syswrite($sock, $wbuf, length($wbuf) - $woff, $woff);
            if (!defined $n) {
                next if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
                # Keep reading: nginx may have answered before closing.
                warn "write failed: $!\n";
                $writing = 0;
                next;
            }
            $woff += $n;
            next if $woff < length $wbuf;
            if (my $next = shift @bits) {
                my $delay = $next->{delay_before} // $middle_delay;
                sleep $delay if $delay;
                ($wbuf, $woff) = ($next->{value} // '', 0);
            } else {
                $writing = 0;
                my $how = $block->shutdown;
                if (defined $how) {
                    shutdown($sock, $how =~ /^\s*$/ ? 1 : $how);
                }
            }
        }
    }
    close $sock;
    return ($resp, $head_req);
}

# ===========================================================================
# Responses
# ===========================================================================

{
    # The bits of HTTP::Response the checks (and add_response_body_check
    # users) need: code, header (case-insensitive, repeated headers joined
    # with ", "), content.
    package Test::Nginx::Socket::Response;

    sub new {
        my ($class, %args) = @_;
        return bless { headers => [], %args }, $class;
    }
    sub code    { my $s = shift; $s->{code} = shift if @_; $s->{code} }
    sub message { $_[0]{message} }
    sub content { my $s = shift; $s->{content} = shift if @_; $s->{content} }
    sub header {
        my ($s, $name) = @_;
        my @v = map { $_->[1] } grep { lc $_->[0] eq lc $name }
                @{ $s->{headers} };
        return @v if wantarray;
        return @v ? join(', ', @v) : undef;
    }
}

# Raw bytes -> (response, raw header block, bytes left after this response).
# Chunked bodies are decoded; malformed chunked data fails a test and
# returns ().  A Content-Length body is cut at its length (the rest is left
# for the next pipelined response).
sub parse_response ($$$) {
    my ($name, $raw, $head_req) = @_;
    my $raw_headers = $raw =~ /(.*?\r\n)\r\n/s ? $1 : '';

    # Status line, then "Name: value" lines up to the first line that is not
    # a header (normally the empty line), like HTTP::Response->parse.
    my $str = $raw;
    my $status_line = $str;
    if ($str =~ s/^(.*)\n//) {
        $status_line = $1;
    } else {
        $str = '';
    }
    $status_line =~ s/\r\z//;
    my @headers;
    while (1) {
        if ($str =~ s/^([^\s:]+)[ \t]*: ?(.*)\n?//) {
            my ($k, $v) = ($1, $2);
            $v =~ s/\r\z//;
            push @headers, [$k, $v];
        } elsif (@headers && $str =~ s/^([ \t].*)\n?//) {
            (my $cont = $1) =~ s/\r\z//;
            $headers[-1][1] .= "\n$cont";
        } else {
            $str =~ s/^\r?\n//;
            last;
        }
    }
    my ($code, $message) = $status_line =~ /^\d{3} /
        ? split(' ', $status_line, 2)
        : (split(' ', $status_line, 3))[1, 2];
    undef $code if defined $code && $code !~ /^\d+$/;

    my $res = Test::Nginx::Socket::Response->new(
        code => $code, message => $message, headers => \@headers,
        content => $str);
    return ($res, $raw_headers) if $code && ($code == 304 || $code == 101);

    my $left;
    my $enc = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');
    my @trailers = $res->header('Trailer');

    if (defined $enc && $enc eq 'chunked') {
        my $body = $res->content;
        my $decoded = '';
        my $bad = sub { no_ending; fail("$name - $_[0]"); return };
        while (1) {
            if (!@trailers && $body =~ /\G 0 [\ \t]* \r\n \r\n /gcsx) {
                $left = $1 if $body =~ /\G (.+) /gcsx;
                last;
            }
            if (@trailers && $body =~ /\G 0 [\ \t]* \r\n /gcsx) {
                for my $t (@trailers) {
                    return $bad->("invalid trailer data received "
                                  . "(expected $t).")
                        if $body !~ /\G(\Q$t\E:\ [^\n]*\r\n)/gcs;
                }
                return $bad->("invalid chunked data received "
                              . "(expected CRLF).")
                    if $body !~ /\G\r\n/gcs;
                $left = $1 if $body =~ /\G (.+) /gcsx;
                last;
            }
            if ($body =~ /\G [\ \t]* ([A-Fa-f0-9]+) [\ \t]* \r\n /gcsx) {
                my $size = hex $1;
                my $pos = pos $body;
                return $bad->("invalid chunked data received (not enought "
                              . "octets for the data section)")
                    if length($body) - $pos < $size;
                $decoded .= substr $body, $pos, $size;
                pos($body) = $pos + $size;
                return $bad->("invalid chunked data received "
                              . "(expected CRLF).")
                    if $body !~ /\G\r\n/gcs;
            } elsif ($body =~ /\G.+/gcs) {
                return $bad->("invalid chunked body received: $&");
            } else {
                return $bad->("no last chunk found - $body");
            }
        }
        $res->content($decoded);

    } elsif (defined $len && $len =~ /^\s*\d+\s*$/) {
        my $body = $res->content;
        if (length $body < $len) {
            warn "WARNING: $name - response body truncated: $len expected, "
                 . "but got " . length($body) . "\n" unless $head_req;
        } elsif (length $body > $len) {
            $left = substr $body, $len;
            $res->content(substr $body, 0, $len);
        }
    }
    return ($res, $raw_headers, $left);
}

# ===========================================================================
# Running one block (one repetition)
# ===========================================================================

sub run_test_helper ($$$) {
    my ($block, $dry_run, $repeated_req_idx) = @_;
    my $name = $block->name;

    my $reqs = get_req_from_block($block);
    bail_out("$name - request empty") unless @$reqs;

    my $timeout = parse_time($block->timeout) // timeout();
    my ($res, $n, $need_array);
    my $req_idx = 0;

    for my $one_req (@$reqs) {
        my ($raw_resp, $head_req) = $dry_run
            ? ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0)
            : send_request($one_req, $block->raw_request_middle_delay,
                           $timeout, $block);

        if ($block->pipelined_requests) {
            $n = @{ $block->pipelined_requests };
            $need_array = 1;
        } else {
            $need_array = @$reqs > 1;
        }

        # One pass per response; pipelined responses come from one buffer.
        while (1) {
            $raw_resp //= '';
            my ($raw_headers, $left);
            if (!defined $block->ignore_response) {
                if (defined $block->http09) {
                    $res = Test::Nginx::Socket::Response->new(
                        code => 200, content => $raw_resp);
                    $raw_headers = '';
                } else {
                    ($res, $raw_headers, $left) =
                        parse_response($name, $raw_resp, $head_req);
                }
            }

            if (!$n) {
                if (defined $left && length $left) {
                    (my $l = $left)
                        =~ s/([\0-\037\200-\377])/sprintf('\x{%02x}', ord $1)/eg;
                    warn "WARNING: $name - unexpected extra bytes after last "
                         . "chunk in response: \"$l\"\n";
                }
            } else {
                $raw_resp = $left;
                $n--;
            }

            if (!defined $block->ignore_response) {
                check_error_code($block, $res, $dry_run, $req_idx, $need_array);
                check_raw_response_headers($block, $raw_headers, $dry_run,
                                           $req_idx, $need_array);
                check_response_headers($block, $res, $raw_headers, $dry_run,
                                       $req_idx, $need_array);
                transform_response_body($block, $res, $req_idx);
                check_response_body($block, $res, $dry_run, $req_idx,
                                    $repeated_req_idx, $need_array);
            }

            # Between requests of a multi-request block the logs are checked
            # too (so error_log patterns are counted once per request).
            if ($n || $req_idx < @$reqs - 1) {
                sleep $block->wait if $block->wait;
                check_error_log($block, $res, $dry_run, $repeated_req_idx,
                                $need_array);
                check_access_log($block, $dry_run, $repeated_req_idx)
                    unless defined $block->ignore_response;
            }
            $req_idx++;
            last unless $n;
        }
    }

    sleep $block->wait if $block->wait;
    test_stap($block, $dry_run);
    check_error_log($block, $res, $dry_run, $repeated_req_idx, $need_array);
    check_access_log($block, $dry_run, $repeated_req_idx)
        unless defined $block->ignore_response;
}

# --- stap needs systemtap: always one skipped test, as the real module
# does without TEST_NGINX_USE_STAP.
sub test_stap ($$) {
    my ($block, $dry_run) = @_;
    return unless $block->{stap};
    my $name = $block->name;
    SKIP: {
        skip "$name - stap_out - tests skipped due to env TEST_NGINX_USE_STAP "
             . "is not set", 1;
    }
}

# The number of tests a block would produce (for skipping a block whose
# sections this runner does not support, so that plans still add up).
sub estimate_tests ($) {
    my $block = shift;
    my $count = sub {
        my $v = shift;
        return 0 unless defined $v;
        return scalar @$v if ref $v eq 'ARRAY';
        return 1 if ref $v;
        return scalar grep { /\S/ } split /\n/, $v;
    };
    my $nreqs = 1;
    if (my $p = $block->pipelined_requests) {
        $nreqs = ref $p eq 'ARRAY' ? @$p : 1;
    } elsif (ref $block->request eq 'ARRAY') {
        $nreqs = @{ $block->request };
    }
    my $per_req = 0;
    if (!defined $block->ignore_response) {
        $per_req += 1;    # status code
        $per_req += 1 if defined $block->raw_response_headers_like;
        $per_req += 1 if defined $block->raw_response_headers_unlike;
        my $h = $block->response_headers // $block->response_headers_like;
        $h = $h->[0] if ref $h eq 'ARRAY';
        $per_req += scalar keys %{ parse_headers($h) } if defined $h;
        $per_req += 1 if defined $block->response_body
                         || defined $block->response_body_eval
                         || defined $block->response_body_like
                         || defined $block->response_body_unlike;
    }
    my $per_check = $count->($block->error_log)
                  + $count->($block->no_error_log)
                  + (defined $block->grep_error_log ? 1 : 0);
    $per_check += $count->($block->access_log) + $count->($block->no_access_log)
        unless defined $block->ignore_response;
    my $stap = $block->{stap} ? 1 : 0;
    return repeat_each() * ($nreqs * ($per_req + $per_check) + $stap);
}

# ===========================================================================
# Checks (names and counts as in the real module)
# ===========================================================================

# Section value for request $req_idx: multi-request blocks need arrays.
sub get_indexed_value ($$$$) {
    my ($name, $value, $req_idx, $need_array) = @_;
    if ($need_array) {
        return $value->[$req_idx] if ref $value eq 'ARRAY';
        bail_out("$name - You asked for many requests, the expected results "
                 . "should be arrays as well.");
    }
    return $value->[0] if ref $value eq 'ARRAY';
    return $value;
}

sub check_error_code ($$$$$) {
    my ($block, $res, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;
    my $got = ($res && $res->code) || '';
    SKIP: {
        skip "$name - tests skipped due to $dry_run", 1 if $dry_run;
        if (defined $block->error_code_like) {
            my $val = get_indexed_value($name, $block->error_code_like,
                                        $req_idx, $need_array);
            like($got, qr/$val/sm, "$name - status code ok");
        } elsif (defined $block->error_code) {
            is($got, get_indexed_value($name, $block->error_code, $req_idx,
                                       $need_array), "$name - status code ok");
        } else {
            is($got, 200, "$name - status code ok");
        }
    }
}

sub check_raw_response_headers ($$$$$) {
    my ($block, $raw_headers, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;
    $raw_headers //= '';
    for my $kind (qw(like unlike)) {
        my $sec = "raw_response_headers_$kind";
        next unless defined $block->$sec;
        SKIP: {
            skip "$name - $sec - tests skipped due to $dry_run", 1 if $dry_run;
            my $pat = get_indexed_value($name, $block->$sec, $req_idx,
                                        $need_array);
            if ($kind eq 'like') {
                like($raw_headers, qr/$pat/s, "$name - raw resp headers like");
            } else {
                unlike($raw_headers, qr/$pat/s,
                       "$name - raw resp headers unlike");
            }
        }
    }
}

# --- response_headers: exact values, "!Name" = absent from the raw headers.
# --- response_headers_like: values must match ^pattern$.  (Only the first
# of the two sections is used when both are given, like the real module.)
sub check_response_headers ($$$$$$) {
    my ($block, $res, $raw_headers, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;
    $raw_headers //= '';
    if (defined $block->response_headers) {
        my $headers = parse_headers(get_indexed_value(
            $name, $block->response_headers, $req_idx, $need_array));
        for my $key (sort keys %$headers) {
            my $val = $headers->{$key};
            SKIP: {
                skip "$name - response_headers - tests skipped due to "
                     . "$dry_run", 1 if $dry_run;
                if (!defined $val) {
                    unlike($raw_headers, qr/^\s*\Q$key\E\s*:/ms,
                           "$name - header $key not present in the raw "
                           . "headers");
                } else {
                    $val =~ s/\$ServerPort\b/$ServerPort/g;
                    $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
                    my $actual = $res ? $res->header($key) : undef;
                    is($actual // '', $val, "$name - header $key ok");
                }
            }
        }
    } elsif (defined $block->response_headers_like) {
        my $headers = parse_headers(get_indexed_value(
            $name, $block->response_headers_like, $req_idx, $need_array));
        for my $key (sort keys %$headers) {
            my $val = $headers->{$key} // '';
            my $actual = $res ? $res->header($key) : undef;
            SKIP: {
                skip "$name - response_headers_like - tests skipped due to "
                     . "$dry_run", 1 if $dry_run;
                like($actual // '', qr/^$val$/, "$name - header $key like ok");
            }
        }
    }
}

# Built-in --- response_body_filters.
my %BodyFilters = (
    md5_hex  => \&Digest::MD5::md5_hex,
    sha1_hex => \&Digest::SHA::sha1_hex,
    uc       => sub { uc $_[0] },
    lc       => sub { lc $_[0] },
    ucfirst  => sub { ucfirst $_[0] },
    lcfirst  => sub { lcfirst $_[0] },
    length   => sub { length $_[0] },
);

sub run_filter_helper ($$$) {
    my ($block, $filter, $content) = @_;
    my $name = $block->name;
    return $filter->($content) if ref $filter eq 'CODE';
    bail_out("$name - the --- response_body_filters section only supports "
             . "subroutine reference values and string values") if ref $filter;
    my $f = $BodyFilters{$filter}
        or bail_out("$name - unknown filter, \"$filter\", specified in the "
                    . "--- response_body_filters section");
    return $f->($content);
}

sub transform_response_body ($$$) {
    my ($block, $res, $req_idx) = @_;
    return unless $res && defined $res->content;
    my $filters = $block->response_body_filters;
    return unless defined $filters;
    my $name = $block->name;

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//gs;
        $filters = [split /\s+/, $filters];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }
    if (ref $filters->[0] eq 'ARRAY') {    # one list per request
        $filters = $filters->[$req_idx];
        bail_out("$name - the ---response_body_filters two-dimensional array "
                 . "unmatch the specified request($req_idx)")
            unless defined $filters;
    }
    my $new = $res->content;
    $new = run_filter_helper($block, $_, $new) for @$filters;
    $res->content($new);
}

sub check_response_body ($$$$$$) {
    my ($block, $res, $dry_run, $req_idx, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;
    my $content = $res ? $res->content : undef;

    if (defined(my $file = $block->write_resp_body_file)) {
        if ($res) {
            open my $out, '>', $file
                or bail_out("$name - failed to write to file '$file': $!");
            print $out $content // '';
            close $out;
        }
    }

    if (defined $block->response_body || defined $block->response_body_eval) {
        if (defined $block->response_body_json_sort && defined $content) {
            my $js = JSON::PP->new->canonical(1);
            my $obj = eval { $js->loose(1)->decode($content) };
            $content = $js->encode($obj) . "\n" if defined $obj;
        }

        my $expected;
        if ($block->response_body_eval) {
            diag "$name - response_body_eval is DEPRECATED. Use "
                 . "response_body eval instead.";
            $expected = eval get_indexed_value($name,
                $block->response_body_eval, $req_idx, $need_array);
            warn $@ if $@;
        } else {
            $expected = get_indexed_value($name, $block->response_body,
                                          $req_idx, $need_array);
        }
        Encode::from_to($expected, 'UTF-8', $block->charset)
            if $block->charset;
        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            $expected = expand_env_in_text($expected, $name,
                                           $Test::Nginx::Util::RandPorts);
        }

        my $which = "(repeated req $repeated_req_idx, req $req_idx)";
        SKIP: {
            skip "$name - response_body - tests skipped due to $dry_run", 1
                if $dry_run;
            if (ref $expected) {
                like($content, $expected, "$name - response_body - like $which");
            } elsif ($NoLongString) {
                is($content, $expected,
                   "$name - response_body - response is expected $which");
            } else {
                is_string($content, $expected,
                          "$name - response_body - response is expected $which");
            }
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        # Not anchored: the real module matches qr/$pattern/s.
        my $type = defined $block->response_body_like ? 'like' : 'unlike';
        my $sec = "response_body_$type";
        my $pat = get_indexed_value($name, $block->$sec, $req_idx,
                                    $need_array);
        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        my $summary = trim($content) // '';
        SKIP: {
            skip "$name - $sec - tests skipped due to $dry_run", 1 if $dry_run;
            my $desc = "$name - $sec - response is expected ($summary)";
            if ($type eq 'like') {
                like($content, qr/$pat/s, $desc);
            } else {
                unlike($content, qr/$pat/s, $desc);
            }
        }
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $content, $req_idx, $repeated_req_idx, $dry_run);
    }
}

# ---------------------------------------------------------------------------
# Log checks
# ---------------------------------------------------------------------------

sub fmt_str ($) {
    my $str = shift;
    chomp $str;
    $str =~ s/"/\\"/g;
    $str =~ s/\r/\\r/g;
    $str =~ s/\n/\\n/g;
    return $str;
}

# Does a section value (string, regex or array of them) mention $pat?
sub value_contains ($$);
sub value_contains ($$) {
    my ($val, $pat) = @_;
    return $val =~ /\Q$pat\E/ if !ref $val || ref $val eq 'Regexp';
    if (ref $val eq 'ARRAY') {
        for my $v (@$val) {
            return 1 if value_contains($v, $pat);
        }
    }
    return undef;
}

# Section value -> a fresh list of patterns (one per non-empty line, or
# the eval'd regex / array).
sub pattern_list ($) {
    my $pats = shift;
    if (!ref $pats) {
        chomp $pats;
        return [split /\n+/, $pats];
    }
    return [$pats] if ref $pats eq 'Regexp';
    return [@$pats];
}

sub line_matches ($$) {
    my ($line, $pat) = @_;
    return ref $pat ? $line =~ /$pat/ : $line =~ /\Q$pat\E/;
}

# Every pattern must match some line: one test per pattern.
sub check_patterns_present {
    my ($name, $lines, $pats, $file, $sec, $dry_run, $suffix) = @_;
    for my $line (@$lines) {
        for my $pat (@$pats) {
            next unless defined $pat;
            next unless line_matches($line, $pat);
            SKIP: {
                skip "$name - $sec - tests skipped due to $dry_run", 1
                    if $dry_run;
                pass("$name - pattern \"$pat\" matches a line in $file$suffix");
            }
            undef $pat;
        }
    }
    for my $pat (grep { defined } @$pats) {
        SKIP: {
            skip "$name - $sec - tests skipped due to $dry_run", 1 if $dry_run;
            fail("$name - pattern \"$pat\" should match a line in "
                 . "$file$suffix");
        }
    }
}

# No pattern may match: one failure per matching line, else one pass per
# pattern.
sub check_patterns_absent {
    my ($name, $lines, $pats, $file, $sec, $dry_run, $suffix) = @_;
    my %found;
    for my $i (0 .. $#$lines) {
        my $line = $lines->[$i];
        for my $pat (@$pats) {
            next unless defined $pat && line_matches($line, $pat);
            no_ending if $found{$pat}++;
            SKIP: {
                skip "$name - $sec - tests skipped due to $dry_run ($line)", 1
                    if $dry_run;
                my @more = @$lines[$i + 1 .. min($i + 9, $#$lines - 1)];
                fail("$name - pattern \"" . fmt_str($pat) . "\" should not "
                     . "match any line in $file but matches line \""
                     . fmt_str($line) . "\"$suffix\n" . join('', @more));
            }
        }
    }
    for my $pat (@$pats) {
        next if !defined $pat || $found{$pat};
        SKIP: {
            skip "$name - $sec - tests skipped due to $dry_run", 1 if $dry_run;
            pass("$name - pattern \"" . fmt_str($pat) . "\" does not match a "
                 . "line in $file$suffix");
        }
    }
}

sub check_error_log ($$$$$) {
    my ($block, $res, $dry_run, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;
    my $suffix = " (req $repeated_req_idx)";
    my $lines;
    my %warn_on = ('[alert]' => 1, '[crit]' => 1, '[emerg]' => 1);

    # --- grep_error_log + --- grep_error_log_out
    my $grep_pat = $block->grep_error_log;
    $grep_pat = $grep_pat->[$repeated_req_idx] if ref $grep_pat eq 'ARRAY';
    if (!defined $grep_pat && defined $block->grep_error_log_out) {
        bail_out("$name - No --- grep_error_log defined but "
                 . "--- grep_error_log_out is defined");
    }
    if (defined $grep_pat) {
        my $expected = $block->grep_error_log_out;
        bail_out("$name - No --- grep_error_log_out defined but "
                 . "--- grep_error_log is defined") unless defined $expected;
        $expected = expand_env_in_text($expected, $name,
                                       $Test::Nginx::Util::RandPorts);
        $expected = $expected->[$repeated_req_idx] if ref $expected eq 'ARRAY';
        SKIP: {
            skip "$name - error_log - tests skipped due to $dry_run", 1
                if $dry_run;
            $lines ||= error_log_data();
            my $matched = '';
            for my $line (@$lines) {
                if (ref $grep_pat && $line =~ /$grep_pat/
                    || $line =~ /\Q$grep_pat\E/)
                {
                    $matched .= "$&\n" if $& !~ /\n/;
                }
            }
            my $desc = "$name - grep_error_log_out$suffix";
            if (ref $expected eq 'Regexp') {
                like($matched, $expected, $desc);
            } elsif ($NoLongString) {
                is($matched, $expected, $desc);
            } else {
                is_string($matched, $expected, $desc);
            }
        }
    }

    # --- error_log / --- no_error_log
    for my $sec (qw(error_log no_error_log)) {
        my $pats = $block->$sec;
        next unless defined $pats;
        for my $level (keys %warn_on) {
            # "[alert" etc.: a section that mentions a level checks it
            delete $warn_on{$level}
                if value_contains($pats, substr $level, 0, -1);
        }
        $lines ||= error_log_data();
        if ($sec eq 'error_log') {
            check_patterns_present($name, $lines, pattern_list($pats),
                                   'error.log', $sec, $dry_run, $suffix);
        } else {
            check_patterns_absent($name, $lines, pattern_list($pats),
                                  'error.log', $sec, $dry_run, $suffix);
        }
    }

    # Unchecked [alert]/[crit]/[emerg] lines are only warned about.
    if (%warn_on && !$dry_run) {
        $lines ||= error_log_data();
        for my $line (@$lines) {
            for my $level (keys %warn_on) {
                warn "WARNING: $name - " . fmt_str($line) . "\n"
                    if index($line, $level) >= 0;
            }
        }
    }

    # Failed C assertions logged by nginx always fail the test.
    for my $line (@{ $lines || [] }) {
        if ($line =~ /\bAssertion .*?failed\b/) {
            no_ending;
            chomp(my $l = $line);
            fail("$name - $l\n");
        }
    }
}

sub check_access_log ($$$) {
    my ($block, $dry_run, $repeated_req_idx) = @_;
    my $name = $block->name;
    my $suffix = " (req $repeated_req_idx)";
    my $lines;
    if (defined $block->access_log) {
        $lines ||= access_log_data();
        check_patterns_present($name, $lines, pattern_list($block->access_log),
                               'access.log', 'access_log', $dry_run, $suffix);
    }
    if (defined $block->no_access_log) {
        $lines ||= access_log_data();
        check_patterns_absent($name, $lines,
                              pattern_list($block->no_access_log),
                              'access.log', 'no_access_log', $dry_run, $suffix);
    }
}

# Run when the nginx that served $block has been stopped.
sub check_shutdown_error_log ($$) {
    my ($block, $dry_run) = @_;
    my $name = $block->name;
    my $lines;
    if (defined $block->shutdown_error_log) {
        $lines ||= error_log_data();
        check_patterns_present($name, $lines,
                               pattern_list($block->shutdown_error_log),
                               'error.log', 'shutdown_error_log',
                               $dry_run ? 'dry_run' : 0, '');
    }
    if (defined $block->no_shutdown_error_log) {
        $lines ||= error_log_data();
        check_patterns_absent($name, $lines,
                              pattern_list($block->no_shutdown_error_log),
                              'error.log', 'no_shutdown_error_log',
                              $dry_run ? 'dry_run' : 0, '');
    }
}

1;
