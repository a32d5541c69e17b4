# chat_completions_metrics: the Prometheus text format from the shared
# zone every worker adds to.  Two workers serve a scripted set of
# requests; the scrape must count exactly what they did, and pass
# Debian's promtool (package prometheus) when it is installed.

use lib '.';
use t::ChatCompletions;
use t::SSE;

repeat_each(1);
workers(2);
master_on();

plan("no_plan");

our $Stream = "POST /v1/chat/completions\n"
              . '{"messages":[{"role":"user","content":"Hello"}]}';
our $Json = "POST /tool\n"
            . '{"stream":false,"model":"gpt-4o-mini","messages":[{"role":"user","content":"What loan options are available?"}]}';
our $Bad = "POST /v1/chat/completions\n" . '{"messages":';
our $Throttled = "POST /throttled\n"
                 . '{"messages":[{"role":"user","content":"Hello"}]}';

# the scrape's counters that are not 0, histograms by their _count only
sub counted {
    my ($body) = @_;
    my $out = '';
    for my $line (split /\n/, $body) {
        next if $line =~ /^#/ || $line =~ / 0$/ || $line =~ /_bucket\{/
                || $line =~ /_sum[{ ]/;
        $line =~ s/127\.0\.0\.1:\d+/127.0.0.1:PORT/g;
        $out .= "$line\n";
    }
    return $out;
}

add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;

    return if $dry_run;

    my $reqs = $block->request;
    return if $req_idx != (ref $reqs eq 'ARRAY' ? $#$reqs : 0);

    if (defined(my $want = $block->counted)) {
        Test::More::is(counted($body), $want, $block->name . " - counted");
    }

    if (defined $block->promtool) {
        if (system("command -v promtool >/dev/null 2>&1") != 0) {
            Test::More::fail($block->name . " - promtool is not installed "
                             . "(Debian package prometheus)");
            return;
        }

        open my $fh, '|-', 'promtool check metrics >/tmp/promtool.out 2>&1'
            or die $!;
        print $fh $body;
        close $fh;
        my $rc = $? >> 8;
        my $out = do { local (@ARGV, $/) = '/tmp/promtool.out'; <> } // '';
        Test::More::ok($rc == 0 && $out eq '',
                       $block->name . " - promtool check metrics")
            or Test::More::diag($out);
    }
});

run_tests();

__DATA__

=== TEST 1: streamed, JSON (an alias, a server-side tool), an invalid request and a throttled one: each counted once, across two workers; promtool accepts the scrape
--- http_config
    chat_completions_metrics_zone 1m;
    chat_completions_model_alias gpt-4o-mini amazon.nova-micro-v1:0;
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=3; usage=10,3";
        chat_completions;
    }

    location = /tool {
        set $double_scenario "tokens=3; usage=10,3; tool=get_loan_options";
        chat_completions_tool get_loan_options /_tools/loans "Loan options";
        chat_completions;
    }

    location = /throttled {
        set $double_scenario "status=ThrottlingException";
        chat_completions;
    }

    location = /_tools/loans {
        internal;
        default_type application/json;
        return 200 '{"loans":[{"name":"Personal loan","apr":"7.9%"}]}';
    }

    location = /metrics {
        chat_completions_metrics;
    }
--- request eval
[$main::Stream, $main::Stream, $main::Json, $main::Bad, $main::Throttled,
 "GET /metrics"]
--- error_code eval
[200, 200, 200, 400, 429, 200]
--- response_headers eval
["", "", "", "", "",
 "Content-Type: text/plain; version=0.0.4; charset=utf-8"]
--- counted
chat_completions_requests_total{location="/v1/chat/completions",model="amazon.nova-lite-v1:0",stream="true",status="200"} 2
chat_completions_requests_total{location="/v1/chat/completions",model="other",stream="false",status="400"} 1
chat_completions_requests_total{location="/tool",model="amazon.nova-micro-v1:0",stream="false",status="200"} 1
chat_completions_requests_total{location="/throttled",model="amazon.nova-lite-v1:0",stream="true",status="429"} 1
chat_completions_errors_total{code="invalid_json"} 1
chat_completions_errors_total{code="rate_limit_exceeded"} 1
chat_completions_bedrock_errors_total{name="ThrottlingException"} 1
chat_completions_tokens_total{model="amazon.nova-lite-v1:0",type="input"} 20
chat_completions_tokens_total{model="amazon.nova-lite-v1:0",type="output"} 6
chat_completions_tokens_total{model="amazon.nova-micro-v1:0",type="input"} 20
chat_completions_tokens_total{model="amazon.nova-micro-v1:0",type="output"} 6
chat_completions_time_to_first_token_seconds_count{location="/v1/chat/completions"} 2
chat_completions_request_duration_seconds_count{location="/v1/chat/completions"} 3
chat_completions_request_duration_seconds_count{location="/tool"} 1
chat_completions_request_duration_seconds_count{location="/throttled"} 1
chat_completions_inter_token_seconds_count 4
chat_completions_bedrock_attempts_total{target="127.0.0.1:PORT"} 5
chat_completions_tool_calls_total{tool="get_loan_options",outcome="ok"} 1
chat_completions_tool_duration_seconds_count{tool="get_loan_options"} 1
--- promtool
--- no_error_log
[alert]
[crit]



=== TEST 2: by client key: the requests of a key and their tokens
--- http_config
    chat_completions_metrics_zone 1m;
--- user_files
>>> api_keys
vapi 80b4d1754681a17845cebef7d01390ec240ea603c678e59fbc8dff3ddeb1178f
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=3; usage=10,3";
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        chat_completions;
    }

    location = /metrics {
        chat_completions_metrics;
    }
--- more_headers
Authorization: Bearer sk-test-right
--- request eval
[$main::Stream, "GET /metrics"]
--- error_code eval
[200, 200]
--- counted
chat_completions_requests_total{location="/v1/chat/completions",model="amazon.nova-lite-v1:0",stream="true",status="200"} 1
chat_completions_tokens_total{model="amazon.nova-lite-v1:0",type="input"} 10
chat_completions_tokens_total{model="amazon.nova-lite-v1:0",type="output"} 3
chat_completions_time_to_first_token_seconds_count{location="/v1/chat/completions"} 1
chat_completions_request_duration_seconds_count{location="/v1/chat/completions"} 1
chat_completions_inter_token_seconds_count 2
chat_completions_bedrock_attempts_total{target="127.0.0.1:PORT"} 1
chat_completions_key_requests_total{key="vapi"} 1
chat_completions_key_tokens_total{key="vapi",type="input"} 10
chat_completions_key_tokens_total{key="vapi",type="output"} 3
--- promtool
--- no_error_log
[alert]
[crit]
