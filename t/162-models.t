# vi:filetype=perl

# chat_completions_models: GET /v1/models and /v1/models/{id} in OpenAI's
# format, from the location's model and aliases; a client key restricted
# to models sees only those.

use lib '.';
use t::ChatCompletions;

repeat_each(1);

plan("no_plan");

# sk-test-right (all models) and sk-test-other (gpt-4o-mini only)
our $Keys = <<'_EOF_';
vapi     80b4d1754681a17845cebef7d01390ec240ea603c678e59fbc8dff3ddeb1178f
other    a2702a64e6ba677c16d0d10ecaaf5cac603158ea18941d26ca9dd3b97a8cb8e2 models=gpt-4o-mini
_EOF_

our $Models = <<'_EOC_';
    chat_completions_model amazon.nova-lite-v1:0;
    chat_completions_model_alias gpt-4o-mini amazon.nova-micro-v1:0;
    chat_completions_model_alias claude us.anthropic.claude-sonnet-4-20250514-v1:0;
    chat_completions_model_alias nova-lite amazon.nova-lite-v1:0;
_EOC_

sub model {
    my ($id, $owner) = @_;
    return '\{"id":"' . quotemeta($id) . '","object":"model","created":\d+,'
           . '"owned_by":"' . $owner . '"\}';
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("user_files", ">>> api_keys\n$Keys")
        unless defined $block->user_files;
    $block->set_value("http_config", $Models)
        unless defined $block->http_config;
});

run_tests();

__DATA__

=== TEST 1: the list: the default model, then the aliases, owned by the provider of the model behind each
--- config
    location /v1/models {
        chat_completions_models;
    }
--- request
GET /v1/models
--- response_headers
Content-Type: application/json
--- response_body_like eval
'^\{"object":"list","data":\[' . CORE::join(',', main::model('amazon.nova-lite-v1:0', 'amazon'), main::model('gpt-4o-mini', 'amazon'), main::model('claude', 'anthropic'), main::model('nova-lite', 'amazon')) . '\]\}\n\z'



=== TEST 2: one model by its id, an alias by its name
--- config
    location /v1/models {
        chat_completions_models;
    }
--- pipelined_requests eval
["GET /v1/models/amazon.nova-lite-v1:0", "GET /v1/models/claude"]
--- response_body_like eval
['^' . main::model('amazon.nova-lite-v1:0', 'amazon') . '\n\z',
 '^' . main::model('claude', 'anthropic') . '\n\z']



=== TEST 3: an unknown id: 404 model_not_found, as OpenAI answers
--- config
    location /v1/models {
        chat_completions_models;
    }
--- request
GET /v1/models/gpt-5
--- error_code: 404
--- response_body
{"error":{"message":"The model 'gpt-5' does not exist","type":"invalid_request_error","param":"model","code":"model_not_found"}}



=== TEST 4: another method: 405 with Allow
--- config
    location /v1/models {
        chat_completions_models;
    }
--- request
POST /v1/models
{}
--- error_code: 405
--- response_headers
Allow: GET, HEAD
--- response_body
{"error":{"message":"Method POST is not allowed here; use GET.","type":"invalid_request_error","param":null,"code":"method_not_allowed"}}



=== TEST 5: with client keys, a key is required
--- config
    location /v1/models {
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        chat_completions_models;
    }
--- request
GET /v1/models
--- error_code: 401
--- response_body
{"error":{"message":"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}



=== TEST 6: a key of any model sees them all
--- config
    location /v1/models {
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        chat_completions_models;
    }
--- more_headers
Authorization: Bearer sk-test-right
--- request
GET /v1/models
--- response_body_like eval
'^\{"object":"list","data":\[' . CORE::join(',', main::model('amazon.nova-lite-v1:0', 'amazon'), main::model('gpt-4o-mini', 'amazon'), main::model('claude', 'anthropic'), main::model('nova-lite', 'amazon')) . '\]\}\n\z'



=== TEST 7: a key restricted to gpt-4o-mini sees only it, and not the others by id
--- config
    location /v1/models {
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        chat_completions_models;
    }
--- more_headers
Authorization: Bearer sk-test-other
--- pipelined_requests eval
["GET /v1/models", "GET /v1/models/gpt-4o-mini", "GET /v1/models/claude"]
--- error_code eval
[200, 200, 404]
--- response_body_like eval
['^\{"object":"list","data":\[' . main::model('gpt-4o-mini', 'amazon') . '\]\}\n\z',
 '^' . main::model('gpt-4o-mini', 'amazon') . '\n\z',
 '^\{"error":\{"message":"The model \'claude\' does not exist","type":"invalid_request_error","param":"model","code":"model_not_found"\}\}\n\z']



=== TEST 8: a wrong key: 401
--- config
    location /v1/models {
        chat_completions_api_keys $TEST_NGINX_SERVER_ROOT/html/api_keys;
        chat_completions_models;
    }
--- more_headers
Authorization: Bearer sk-test-wrong
--- request
GET /v1/models/gpt-4o-mini
--- error_code: 401
--- response_body
{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}



=== TEST 9: no aliases: the default model alone; a trailing slash lists too
--- http_config
--- config
    location /v1/models {
        chat_completions_models;
    }
--- request
GET /v1/models/
--- response_body_like eval
'^\{"object":"list","data":\[' . main::model('amazon.nova-lite-v1:0', 'amazon') . '\]\}\n\z'
