# chat_completions_api_keys: who may call.  Keys are kept as SHA-256
# hashes; a request's key is hashed and compared with every key's.

use lib '.';
use HTTP::Tiny;
use JSON::PP ();
use t::ChatCompletions;
use t::SSE;

repeat_each(1);

plan("no_plan");

our $Body = '{"messages":[{"role":"user","content":"Hello"}]}';
our $Sse = t::SSE::sse_re(deltas => ['{"content":"tok1"}']);

# sk-test-right and sk-test-other
our $Keys = <<'_EOF_';
# name   sha256                                                            models
vapi     80b4d1754681a17845cebef7d01390ec240ea603c678e59fbc8dff3ddeb1178f
other    a2702a64e6ba677c16d0d10ecaaf5cac603158ea18941d26ca9dd3b97a8cb8e2 models=gpt-4o-mini
_EOF_

sub err401 {
    my ($msg) = @_;
    return '{"error":{"message":"' . $msg . '","type":"invalid_request_error",'
           . '"param":null,"code":"invalid_api_key"}}' . "\n";
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("user_files", ">>> api_keys\n$Keys")
        unless defined $block->user_files;
});

# what the double received: no header of any call holds the client's key
add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;

    return if $dry_run || !defined $block->key_not_sent;

    my $key = $block->key_not_sent;
    $key =~ s/\s+$//;

    my $res = HTTP::Tiny->new->get("http://127.0.0.1:"
                                   . $t::ChatCompletions::BedrockPort
                                   . "/__requests");
    my $reqs = JSON::PP::decode_json($res->{content});
    my @calls = grep { $_->{path} =~ m{^/model/} } @$reqs;
    my @leaks = grep { index(JSON::PP::encode_json($_->{headers} // {}),
                             $key) >= 0 } @calls;

    Test::More::ok(@calls && !@leaks, $block->name . " - the double saw "
                   . scalar(@calls) . " call(s), none with the client's key");
});

run_tests();

__DATA__

=== TEST 1: the right key: answered; $chat_completions_key_name names it
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        add_header X-Key-Name $chat_completions_key_name always;
        chat_completions;
    }
--- more_headers
Authorization: Bearer sk-test-right
--- request eval
"POST /v1/chat/completions\n$main::Body"
--- response_headers
X-Key-Name: vapi
--- response_body_like eval
$main::Sse



=== TEST 2: a wrong key: 401 invalid_api_key, the key not in the log
--- config
    location = /v1/chat/completions {
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        chat_completions;
    }
--- more_headers
Authorization: Bearer sk-test-wrong-key-1234
--- request eval
"POST /v1/chat/completions\n$main::Body"
--- error_code: 401
--- response_body eval
main::err401("Incorrect API key provided.")
--- log_level: info
--- error_log
client API key refused: Incorrect API key provided.
--- no_error_log
sk-test-wrong-key-1234



=== TEST 3: no key
--- config
    location = /v1/chat/completions {
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        chat_completions;
    }
--- request eval
"POST /v1/chat/completions\n$main::Body"
--- error_code: 401
--- response_body eval
main::err401("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")



=== TEST 4: two Authorization headers, one of them right: refused (nginx itself answers 400 to a duplicate Authorization)
--- config
    location = /v1/chat/completions {
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        chat_completions;
    }
--- more_headers
Authorization: Bearer sk-test-right
Authorization: Bearer sk-test-wrong
--- request eval
"POST /v1/chat/completions\n$main::Body"
--- error_code: 400
--- response_body_like: <title>400 Bad Request</title>



=== TEST 5: a key of another model: 404 model_not_found, as OpenAI answers for a model the key may not use
--- config
    location = /v1/chat/completions {
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        chat_completions_model_alias gpt-4o-mini amazon.nova-micro-v1:0;
        chat_completions;
    }
--- more_headers
Authorization: Bearer sk-test-other
--- request eval
"POST /v1/chat/completions\n$main::Body"
--- error_code: 404
--- response_body
{"error":{"message":"The model `amazon.nova-lite-v1:0` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}



=== TEST 6: the same key with its model (an alias): answered
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        chat_completions_model_alias gpt-4o-mini amazon.nova-micro-v1:0;
        add_header X-Key-Name $chat_completions_key_name always;
        chat_completions;
    }
--- more_headers
Authorization: Bearer sk-test-other
--- request eval
"POST /v1/chat/completions\n" . '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'
--- response_headers
X-Key-Name: other
--- response_body_like eval
t::SSE::sse_re(model => 'gpt-4o-mini', deltas => ['{"content":"tok1"}'])



=== TEST 7: header=: the key in a header of its own, without "Bearer "
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys header=X-Api-Key;
        chat_completions;
    }
--- more_headers
X-Api-Key: sk-test-right
--- request eval
"POST /v1/chat/completions\n$main::Body"
--- response_body_like eval
$main::Sse



=== TEST 8: the client's key never reaches Bedrock or a tool: the double sees only the gateway's signature
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=1";
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        chat_completions;
    }
--- more_headers
Authorization: Bearer sk-test-right
--- request eval
"POST /v1/chat/completions\n$main::Body"
--- response_body_like eval
$main::Sse
--- key_not_sent: sk-test-right



=== TEST 9: tokens per minute: the first request spends the budget (charged when it ends), the next gets OpenAI's 429 with the x-ratelimit headers, before any Bedrock call
--- user_files
>>> api_keys
budget   b99b33e303aff4781bea85c292d6cf9351885c2cde97f3e0fc3da203a7fb2bd8 tpm=10 tpd=10
--- config
    location = /v1/chat/completions {
        set $double_scenario "tokens=2; usage=7,5";
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        chat_completions;
    }
--- more_headers
Authorization: Bearer sk-test-budget
--- request eval
["POST /v1/chat/completions\n$main::Body", "POST /v1/chat/completions\n$main::Body"]
--- error_code eval
[200, 429]
--- response_headers eval
["", "x-ratelimit-limit-tokens: 10\nx-ratelimit-remaining-tokens: 0"]
--- response_headers_like eval
["", "Retry-After: \\d+\nx-ratelimit-reset-tokens: \\d+s"]
--- response_body_like eval
[qr/data: \[DONE\]/, qr/^\{"error":\{"message":"Rate limit reached for tokens per (?:min|day): Limit 10, Used 12\. Please try again in \d+s\.","type":"tokens","param":null,"code":"rate_limit_exceeded"\}\}$/]
