# chat_completions_resolve: an upstream block's server names followed
# while nginx runs, through the http level's resolver (here the DNS double
# of t/bedrock), with its keepalive pool.  The double listens on 127.0.0.1
# and 127.0.0.2 and records where each call arrived; the DNS double's
# answer for "localhost" changes between requests.

use lib '.';
use HTTP::Tiny;
use JSON::PP ();
use t::ChatCompletions;
use t::SSE;

repeat_each(1);

plan("no_plan");

our $Port = $t::ChatCompletions::BedrockPort;
our $Dns = $ENV{TEST_NGINX_DNS_PORT} || $Port + 6;

$ENV{TEST_NGINX_DNS_PORT} = $Dns;

our $Chat = '{"stream":false,"messages":[{"role":"user","content":"Hello"}]}';
our $ChatRequest = "POST /v1/chat/completions\n$Chat";
our $Json = qr/^\{"id":"chatcmpl-[A-Za-z0-9]+","object":"chat\.completion",.*"content":"tok1 tok2"/;

sub double {
    my ($method, $path, $body) = @_;
    my $res = HTTP::Tiny->new(timeout => 5)->request($method,
                "http://127.0.0.1:$Port$path",
                $body ? { content => $body,
                          headers => { 'Content-Type' => 'application/json' } }
                      : {});
    die "$method $path: $res->{status}\n" unless $res->{success};
    return $res->{content} =~ /^[\[{]/
           ? JSON::PP::decode_json($res->{content}) : $res->{content};
}

sub reset_double {
    double('POST', '/__reset');
    double('POST', '/__dns/reset');
}

# where each Bedrock call arrived, in order
sub arrivals {
    my $out = '';
    for my $r (@{ double('GET', '/__requests') }) {
        next unless $r->{path} =~ m{^/model/};
        $out .= "$r->{local_address} " . ($r->{status} // '-') . "\n";
    }
    return $out;
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("init", "main::reset_double();")
        unless defined $block->init;
    $block->set_value("no_bedrock_location", 1);
});

add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;

    return if $dry_run;

    my $reqs = $block->request;
    return if $req_idx != (ref $reqs eq 'ARRAY' ? $#$reqs : 0);

    if (defined(my $want = $block->arrivals)) {
        Test::More::is(arrivals(), $want, $block->name . " - arrivals");
    }

    # the whole log of the block (error_log is checked per request)
    if (defined(my $want = $block->log_has)) {
        my $log = do {
            local $/;
            open my $fh, '<', $Test::Nginx::Util::ErrLogFile or die $!;
            <$fh>;
        };
        for my $line (grep { length } split /\n/, $want) {
            Test::More::ok(index($log, $line) >= 0,
                           $block->name . " - the log has \"$line\"");
        }
    }
});

our $Config = <<'_EOC_';
    location = /v1/chat/completions {
        set $double_scenario "tokens=2";
        chat_completions;
    }

    location = /_double_scenario {
        set $double_scenario "";
        return 404;
    }

    location = /_bedrock {
        internal;
        proxy_pass http://bedrock_runtime$chat_completions_bedrock_uri;
        proxy_set_header Host $chat_completions_bedrock_host;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header X-Double-Scenario $double_scenario;
        proxy_buffering off;
    }

    # the DNS double's answer, changed by a request of the block
    location = /dns {
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__dns;
        proxy_set_header Content-Type application/json;
    }

    location = /pause {
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=2500;
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: the DNS answer changes while requests flow: the upstream's peer follows it, no request fails, keepalive connections are kept
--- http_config eval
"    resolver 127.0.0.1:$main::Dns valid=1s ipv6=off;
    upstream bedrock_runtime {
        server localhost:$main::Port;
        keepalive 8;
        chat_completions_resolve interval=1s;
    }
    chat_completions_endpoint http://localhost:$main::Port;
    chat_completions_region us-east-1;
    chat_completions_access_key_id AKIDEXAMPLE;
    chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
    chat_completions_keepalive_interval 0;"
--- config eval
$main::Config
--- request eval
[$main::ChatRequest, $main::ChatRequest,
 "POST /dns\n" . '{"name":"localhost","a":["127.0.0.2"],"ttl":1}',
 "GET /pause",
 $main::ChatRequest, $main::ChatRequest]
--- response_body_like eval
[$main::Json, $main::Json, qr/127\.0\.0\.2/, qr/"ms":2500/, $main::Json,
 $main::Json]
--- arrivals
127.0.0.1 200
127.0.0.1 200
127.0.0.2 200
127.0.0.2 200
--- no_error_log
[error]
[alert]



=== TEST 2: the name cannot be resolved any more: the address in use stays, and requests go on
--- http_config eval
"    resolver 127.0.0.1:$main::Dns valid=1s ipv6=off;
    resolver_timeout 500ms;
    upstream bedrock_runtime {
        server localhost:$main::Port;
        keepalive 8;
        chat_completions_resolve interval=1s;
    }
    chat_completions_endpoint http://localhost:$main::Port;
    chat_completions_region us-east-1;
    chat_completions_access_key_id AKIDEXAMPLE;
    chat_completions_secret_access_key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
    chat_completions_keepalive_interval 0;"
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2";
        chat_completions;
    }

    location = /_double_scenario {
        set $double_scenario "";
        return 404;
    }

    location = /_bedrock {
        internal;
        proxy_pass http://bedrock_runtime$chat_completions_bedrock_uri;
        proxy_set_header Host $chat_completions_bedrock_host;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header X-Double-Scenario $double_scenario;
        proxy_buffering off;
    }

    location = /dns {
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__dns;
        proxy_set_header Content-Type application/json;
    }

    location = /pause {
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__slow?ms=2500;
    }
--- request eval
[$main::ChatRequest,
 "POST /dns\n" . '{"name":"localhost","delete":true}',
 "GET /pause",
 $main::ChatRequest]
--- response_body_like eval
[$main::Json, qr/./, qr/"ms":2500/, $main::Json]
--- arrivals
127.0.0.1 200
127.0.0.1 200
--- log_has
[warn]
chat_completions_resolve: "localhost:
could not be resolved (3: Host not found); its addresses stay
--- no_error_log
[alert]
