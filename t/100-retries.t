# Retries before the first byte and failover across Bedrock targets: the
# double listens on three ports standing for targets (the third signed
# for us-west-2), a fourth stays closed; per-port scenario overrides
# ("@PORT.key=value") and per-attempt ones ("fail_first=N") script each
# attempt.  Each block checks the client's bytes, which ports the double
# saw in which order with which status, and the module's warn lines.

use lib '.';
use HTTP::Tiny;
use JSON::PP ();
use t::ChatCompletions;
use t::SSE;

repeat_each(1);

plan("no_plan");

our $P1 = $t::ChatCompletions::BedrockPort;
our $P2 = $ENV{TEST_NGINX_BEDROCK_PORT2} || $P1 + 3;
our $P3 = $ENV{TEST_NGINX_BEDROCK_PORT3} || $P1 + 4;
our $Closed = $ENV{TEST_NGINX_CLOSED_PORT} || $P1 + 5;

$ENV{TEST_NGINX_BEDROCK_PORT2} = $P2;
$ENV{TEST_NGINX_BEDROCK_PORT3} = $P3;
$ENV{TEST_NGINX_CLOSED_PORT} = $Closed;

our $Chat = '{"messages":[{"role":"user","content":"Hello"}]}';
our $ChatRequest = "POST /v1/chat/completions\n$Chat";

our $Sse = t::SSE::sse_re(deltas => ['{"content":"tok1"}',
                                     '{"content":" tok2"}']);

# three targets: the first two signed for us-east-1, the third for
# us-west-2 with a cross-region inference profile
our $Targets = <<"_EOC_";
    chat_completions_target us-east-1 endpoint=http://127.0.0.1:$P1;
    chat_completions_target us-east-1 endpoint=http://127.0.0.1:$P2;
    chat_completions_target us-west-2 endpoint=http://127.0.0.1:$P3
                            model=us.amazon.nova-lite-v1:0;
_EOC_

sub double {
    my ($method, $path) = @_;
    my $res = HTTP::Tiny->new(timeout => 5)
              ->request($method, "http://127.0.0.1:$P1$path");
    die "$method $path: $res->{status}\n" unless $res->{success};
    return $res->{content} =~ /^[\[{]/
           ? JSON::PP::decode_json($res->{content}) : $res->{content};
}

sub reset_double {
    double('POST', '/__reset');
}

# each Bedrock call: the port, the model, the status (or "-": no answer)
sub calls_summary {
    my $out = '';
    for my $r (@{ double('GET', '/__requests') }) {
        next unless $r->{path} =~ m{^/model/([^/]+)/};
        my $model = $1;
        $model =~ s/%3A/:/g;
        my $port = $r->{port} == $P1 ? 'P1' : $r->{port} == $P2 ? 'P2'
                 : $r->{port} == $P3 ? 'P3' : $r->{port};
        $out .= "$port $model " . ($r->{status} // '-')
                . ($r->{aborted} ? " aborted" : "") . "\n";
    }
    return $out;
}

# the module's warn lines, without the time, pid and request context; the
# backoff's milliseconds as N
sub retry_log_lines {
    open my $fh, '<', $Test::Nginx::Util::ErrLogFile or return "";
    my $out = '';
    while (my $line = <$fh>) {
        next unless $line =~ /^\S+ \S+ \[(warn|error)\] \d+#\d+: (?:\*\d+ )?(.*)$/;
        my ($level, $msg) = ($1, $2);
        next unless $msg =~ /^chat_completions: Bedrock (?:attempt|target)/;
        $msg =~ s/(?: while [^,]*)?, client: .*//;
        $msg =~ s/ in [1-9]\d* ms$/ in N ms/;
        $msg =~ s/127\.0\.0\.1:$P1\b/P1/g;
        $msg =~ s/127\.0\.0\.1:$P2\b/P2/g;
        $msg =~ s/127\.0\.0\.1:$P3\b/P3/g;
        $msg =~ s/127\.0\.0\.1:$Closed\b/CLOSED/g;
        $msg =~ s/: \d+ of (\d+) ms/: N of $1 ms/;
        $out .= "[$level] $msg\n";
    }
    return $out;
}

# the Bedrock location every target's attempt goes through
our $BedrockLocation = <<'_EOC_';
    location = /_double_scenario {
        set $double_scenario "";
        return 404;
    }

    location = /_bedrock {
        internal;
        proxy_pass $chat_completions_upstream_url;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header X-Double-Scenario $double_scenario;
        proxy_buffering off;
        proxy_connect_timeout 1s;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("init", "main::reset_double();")
        unless defined $block->init;
    if (defined $block->config) {
        $block->set_value("config", $block->config . $BedrockLocation);
        $block->set_value("no_bedrock_location", 1);
    }
});

add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;
    my $name = $block->name;

    return if $dry_run;

    # after the block's last request
    my $reqs = $block->request;
    return if $req_idx != (ref $reqs eq 'ARRAY' ? $#$reqs : 0);

    # the lines nginx writes as it finishes the request (a client that
    # went away: what nginx then closes)
    select undef, undef, undef, defined $block->abort ? 0.5 : 0.1;

    if (defined(my $want = $block->calls)) {
        Test::More::is(calls_summary(), $want, "$name - calls");
    }

    if (defined(my $want = $block->retry_log)) {
        Test::More::is(retry_log_lines(), $want, "$name - retry_log");
    }

    # the loser's connection closed soon after the winner's first frame
    if (defined(my $max = $block->loser_closed_within_ms)) {
        my ($won, $lost);
        for my $r (@{ double('GET', '/__requests') }) {
            next unless $r->{path} =~ m{^/model/};
            if ($r->{aborted}) { $lost = $r } else { $won = $r }
        }
        my $gap = ($won && $lost && defined $lost->{closed_at}
                   && defined $won->{first_frame_at})
                  ? $lost->{closed_at} - $won->{first_frame_at} : undef;
        Test::More::ok(defined $gap && $gap >= 0 && $gap < $max,
                       "$name - the loser closed "
                       . (defined $gap ? sprintf("%.1f", $gap) : '?')
                       . " ms after the winner's first frame (< $max)");
    }
});

run_tests();

__DATA__

=== TEST 1: throttled once, then the same target answers: one clean stream; the attempt abandoned is logged at warn
--- http_config eval
"$main::Targets
    chat_completions_attempts 3;
    chat_completions_retry_backoff 20ms;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; fail_first=1; counter=t1";
        add_header X-Attempts $chat_completions_attempts always;
        add_header X-Target $chat_completions_target always;
        add_header X-Model $chat_completions_model always;
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- response_headers
X-Attempts: 2
X-Target: us-east-1
X-Model: amazon.nova-lite-v1:0
--- response_body_like eval
$main::Sse
--- calls
P1 amazon.nova-lite-v1:0 429
P1 amazon.nova-lite-v1:0 200
--- retry_log
[warn] chat_completions: Bedrock attempt 1 on P1 (model "amazon.nova-lite-v1:0") abandoned: throttled (429); attempt 2 on P1 in N ms
--- no_error_log
[error]



=== TEST 2: the first target keeps throttling: twice there, then the second target answers
--- http_config eval
"$main::Targets
    chat_completions_attempts 3;
    chat_completions_retry_backoff 20ms;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; @$TEST_NGINX_BEDROCK_PORT.status=ThrottlingException";
        add_header X-Attempts $chat_completions_attempts always;
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- response_headers
X-Attempts: 3
--- response_body_like eval
$main::Sse
--- calls
P1 amazon.nova-lite-v1:0 429
P1 amazon.nova-lite-v1:0 429
P2 amazon.nova-lite-v1:0 200
--- retry_log
[warn] chat_completions: Bedrock attempt 1 on P1 (model "amazon.nova-lite-v1:0") abandoned: throttled (429); attempt 2 on P1 in N ms
[warn] chat_completions: Bedrock attempt 2 on P1 (model "amazon.nova-lite-v1:0") abandoned: throttled (429); attempt 3 on P2 in 0 ms
--- no_error_log
[error]



=== TEST 3: failover to another region: signed for us-west-2, with the target's model; $chat_completions_target and $chat_completions_model say so
--- http_config eval
"$main::Targets
    chat_completions_attempts 5;
    chat_completions_retry_backoff 10ms;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; @$TEST_NGINX_BEDROCK_PORT.status=ServiceUnavailableException; @$TEST_NGINX_BEDROCK_PORT2.status=InternalServerException";
        add_header X-Attempts $chat_completions_attempts always;
        add_header X-Target $chat_completions_target always;
        add_header X-Model $chat_completions_model always;
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- response_headers
X-Attempts: 5
X-Target: us-west-2
X-Model: us.amazon.nova-lite-v1:0
--- response_body_like eval
$main::Sse
--- calls
P1 amazon.nova-lite-v1:0 503
P1 amazon.nova-lite-v1:0 503
P2 amazon.nova-lite-v1:0 500
P2 amazon.nova-lite-v1:0 500
P3 us.amazon.nova-lite-v1:0 200
--- no_error_log
[error]



=== TEST 4: every attempt fails: the client gets the last one's error, as without retries
--- http_config eval
"$main::Targets
    chat_completions_attempts 3;
    chat_completions_retry_backoff 10ms;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ThrottlingException";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- error_code: 429
--- response_headers
Retry-After: 1
--- response_body
{"error":{"message":"Too many requests, please wait before trying again.","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}
--- calls
P1 amazon.nova-lite-v1:0 429
P1 amazon.nova-lite-v1:0 429
P2 amazon.nova-lite-v1:0 429
--- error_log
upstream Bedrock answered 429 ThrottlingException



=== TEST 5: the retry budget: a backoff that would end after it is not waited for
--- http_config eval
"$main::Targets
    chat_completions_attempts 3;
    chat_completions_retry_backoff 2s;
    chat_completions_retry_budget 500ms;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ThrottlingException";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- error_code: 429
--- calls
P1 amazon.nova-lite-v1:0 429
--- retry_log
[warn] chat_completions: Bedrock attempt 1 on P1 failed (throttled (429)); no retry: N of 500 ms (chat_completions_retry_budget) spent
--- error_log
upstream Bedrock answered 429 ThrottlingException



=== TEST 6: a client error is never retried: 400 ValidationException
--- http_config eval
"$main::Targets
    chat_completions_attempts 3;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ValidationException";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- error_code: 400
--- calls
P1 amazon.nova-lite-v1:0 400
--- retry_log
--- error_log
upstream Bedrock answered 400 ValidationException



=== TEST 7: nor a model Bedrock does not know (404)
--- http_config eval
"$main::Targets
    chat_completions_attempts 3;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "status=ResourceNotFoundException";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- error_code: 404
--- calls
P1 amazon.nova-lite-v1:0 404
--- retry_log
--- error_log
upstream Bedrock answered 404 ResourceNotFoundException



=== TEST 8: nothing is retried once content reached the client: an exception after two deltas ends the stream
--- http_config eval
"$main::Targets
    chat_completions_attempts 3;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=4; exception=throttlingException; after=2";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- response_body_like eval
qr/"content":"tok1".*"content":" tok2".*data: \{"error":\{"message":"[^"]*","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"\}\}\n\ndata: \[DONE\]\n\n\z/s
--- calls
P1 amazon.nova-lite-v1:0 200
--- retry_log
--- error_log
upstream Bedrock stream failed: throttlingException



=== TEST 9: an exception before the first delta is retried: the client sees one role chunk and one stream
--- http_config eval
"$main::Targets
    chat_completions_attempts 3;
    chat_completions_retry_backoff 10ms;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; @$TEST_NGINX_BEDROCK_PORT.exception=serviceUnavailableException; @$TEST_NGINX_BEDROCK_PORT.after=0";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- response_body_like eval
$main::Sse
--- calls
P1 amazon.nova-lite-v1:0 200
P1 amazon.nova-lite-v1:0 200
P2 amazon.nova-lite-v1:0 200
--- retry_log
[warn] chat_completions: Bedrock attempt 1 on P1 (model "amazon.nova-lite-v1:0") abandoned: an exception before the first token; attempt 2 on P1 in N ms
[warn] chat_completions: Bedrock attempt 2 on P1 (model "amazon.nova-lite-v1:0") abandoned: an exception before the first token; attempt 3 on P2 in 0 ms
--- error_log
upstream Bedrock stream failed: serviceUnavailableException



=== TEST 10: a target that refuses connections: the next one at once, no backoff
--- http_config eval
"    chat_completions_target us-east-1 endpoint=http://127.0.0.1:$ENV{TEST_NGINX_CLOSED_PORT};
    chat_completions_target us-east-1 endpoint=http://127.0.0.1:$main::P2;
    chat_completions_attempts 2;
    chat_completions_retry_backoff 5s;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2";
        add_header X-Retry-Ms $chat_completions_retry_ms always;
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- response_headers_like
X-Retry-Ms: \d{1,3}
--- response_body_like eval
$main::Sse
--- calls
P2 amazon.nova-lite-v1:0 200
--- retry_log
[warn] chat_completions: Bedrock attempt 1 on CLOSED (model "amazon.nova-lite-v1:0") abandoned: unreachable; attempt 2 on P2 in 0 ms
--- error_log
connect() failed (111: Connection refused)



=== TEST 11: a target that stalls before its first token (chat_completions_read_timeout): the next target streams
--- http_config eval
"$main::Targets
    chat_completions_attempts 3;
    chat_completions_read_timeout 300ms;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; @$TEST_NGINX_BEDROCK_PORT.first_delay=3000";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- response_body_like eval
$main::Sse
--- calls
P1 amazon.nova-lite-v1:0 200 aborted
P1 amazon.nova-lite-v1:0 200 aborted
P2 amazon.nova-lite-v1:0 200
--- retry_log
[warn] chat_completions: Bedrock attempt 1 on P1 (model "amazon.nova-lite-v1:0") abandoned: stalled before the first token; attempt 2 on P1 in N ms
[warn] chat_completions: Bedrock attempt 2 on P1 (model "amazon.nova-lite-v1:0") abandoned: stalled before the first token; attempt 3 on P2 in 0 ms
--- error_log
sent nothing for 300 ms



=== TEST 12: a JSON answer is retried the same way, and carries the winner's usage
--- http_config eval
"$main::Targets
    chat_completions_attempts 2;
    chat_completions_retry_backoff 10ms;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; usage=7,2; fail_first=1; counter=t12";
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n" . '{"stream":false,"messages":[{"role":"user","content":"Hello"}]}'
--- response_body_like
^\{"id":"chatcmpl-[A-Za-z0-9]+","object":"chat.completion","created":\d+,"model":"amazon.nova-lite-v1:0","choices":\[\{"index":0,"message":\{"role":"assistant","content":"tok1 tok2","refusal":null\},"logprobs":null,"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9,"prompt_tokens_details":\{"cached_tokens":0\}\}\}$
--- calls
P1 amazon.nova-lite-v1:0 429
P1 amazon.nova-lite-v1:0 200
--- no_error_log
[error]



=== TEST 13: without chat_completions_attempts nothing is retried (the default is 1)
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; fail_first=1; counter=t13";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- error_code: 429
--- calls
P1 amazon.nova-lite-v1:0 429
--- retry_log
--- error_log
upstream Bedrock answered 429 ThrottlingException



=== TEST 14: chat_completions_cooldown: a target failing twice in a row is skipped by the next requests, then tried again once the cool-down is over
--- http_config eval
"$main::Targets
    chat_completions_attempts 3;
    chat_completions_retry_backoff 10ms;
    chat_completions_cooldown 1s failures=2;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; @$TEST_NGINX_BEDROCK_PORT.status=ThrottlingException";
        add_header X-Target-Port $chat_completions_bedrock_host always;
        chat_completions;
    }

    location = /pause {
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=1300;
    }
--- request eval
[$main::ChatRequest, $main::ChatRequest, "GET /pause", $main::ChatRequest]
--- response_body_like eval
[$main::Sse, $main::Sse, qr/"ms":1300/, $main::Sse]
--- calls
P1 amazon.nova-lite-v1:0 429
P1 amazon.nova-lite-v1:0 429
P2 amazon.nova-lite-v1:0 200
P2 amazon.nova-lite-v1:0 200
P1 amazon.nova-lite-v1:0 429
P1 amazon.nova-lite-v1:0 429
P2 amazon.nova-lite-v1:0 200
--- retry_log
[warn] chat_completions: Bedrock attempt 1 on P1 (model "amazon.nova-lite-v1:0") abandoned: throttled (429); attempt 2 on P1 in N ms
[warn] chat_completions: Bedrock target P1 (us-east-1) failed 2 times in a row: skipped for 1000 ms (chat_completions_cooldown)
[warn] chat_completions: Bedrock attempt 2 on P1 (model "amazon.nova-lite-v1:0") abandoned: throttled (429); attempt 3 on P2 in 0 ms
[warn] chat_completions: Bedrock attempt 1 on P1 (model "amazon.nova-lite-v1:0") abandoned: throttled (429); attempt 2 on P1 in N ms
[warn] chat_completions: Bedrock target P1 (us-east-1) failed 2 times in a row: skipped for 1000 ms (chat_completions_cooldown)
[warn] chat_completions: Bedrock attempt 2 on P1 (model "amazon.nova-lite-v1:0") abandoned: throttled (429); attempt 3 on P2 in 0 ms
--- no_error_log
[error]
[alert]



=== TEST 15: chat_completions_first_token_deadline: the first attempt stalls before its first token; a second one races it on the next target and wins; the first is cancelled at once
--- http_config eval
"$main::Targets
    chat_completions_attempts 2;
    chat_completions_first_token_deadline 300ms;
    chat_completions_read_timeout 10s;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; @$TEST_NGINX_BEDROCK_PORT.first_delay=3000";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- response_body_like eval
$main::Sse
--- calls
P1 amazon.nova-lite-v1:0 200 aborted
P2 amazon.nova-lite-v1:0 200
--- retry_log
[warn] chat_completions: Bedrock attempt on P1 (model "amazon.nova-lite-v1:0") abandoned: the racing attempt on P2 had its first token first
--- error_log
chat_completions: no first token from 127.0.0.1:
(chat_completions_first_token_deadline): attempt 2 races it on 127.0.0.1:
--- loser_closed_within_ms: 50
--- no_error_log
[error]



=== TEST 16: the first attempt's token comes before the racer's: the racer is cancelled, the first goes on
--- http_config eval
"$main::Targets
    chat_completions_attempts 2;
    chat_completions_first_token_deadline 200ms;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; @$TEST_NGINX_BEDROCK_PORT.first_delay=500; @$TEST_NGINX_BEDROCK_PORT2.first_delay=1500";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- response_body_like eval
$main::Sse
--- calls
P1 amazon.nova-lite-v1:0 200
P2 amazon.nova-lite-v1:0 200 aborted
--- error_log
racing Bedrock attempt on 127.0.0.1:
abandoned: the other attempt's first token came first
--- loser_closed_within_ms: 50
--- no_error_log
[error]



=== TEST 17: the racer fails (throttled) while the first attempt is slow: the first goes on and answers
--- http_config eval
"$main::Targets
    chat_completions_attempts 3;
    chat_completions_first_token_deadline 200ms;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; @$TEST_NGINX_BEDROCK_PORT.first_delay=600; @$TEST_NGINX_BEDROCK_PORT2.status=ThrottlingException";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- response_body_like eval
$main::Sse
--- calls
P1 amazon.nova-lite-v1:0 200
P2 amazon.nova-lite-v1:0 429
--- error_log
abandoned: Bedrock answered 429
--- no_error_log
[error]



=== TEST 18: the first attempt fails before its first token while the racer runs: the racer carries the stream
--- http_config eval
"$main::Targets
    chat_completions_attempts 2;
    chat_completions_first_token_deadline 200ms;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; @$TEST_NGINX_BEDROCK_PORT.first_delay=400; @$TEST_NGINX_BEDROCK_PORT.exception=serviceUnavailableException; @$TEST_NGINX_BEDROCK_PORT.after=0; @$TEST_NGINX_BEDROCK_PORT2.first_delay=600";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- response_body_like eval
$main::Sse
--- calls
P1 amazon.nova-lite-v1:0 200
P2 amazon.nova-lite-v1:0 200
--- error_log
failed before its first token; the racing attempt on 127.0.0.1:
--- no_error_log
[alert]



=== TEST 19: the client goes away while two attempts race: both upstream connections are closed
--- http_config eval
"$main::Targets
    chat_completions_attempts 2;
    chat_completions_first_token_deadline 200ms;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; first_delay=5000";
        chat_completions;
    }
--- request eval
$main::ChatRequest
--- timeout: 0.6
--- abort
--- ignore_response
--- calls
P1 amazon.nova-lite-v1:0 200 aborted
P2 amazon.nova-lite-v1:0 200 aborted
--- error_log
races it on 127.0.0.1:
--- no_error_log
[alert]
