# vi:filetype=perl

# The AWS credential provider chain end to end: nginx finds its credentials
# in the environment, a web identity token, the shared files, the container
# endpoint or instance metadata (IMDSv2), possibly assumes a role on top,
# and signs the Bedrock calls with them; the credential doubles of
# t/bedrock (on the Bedrock double's port) issue the sets and record who
# asked what.
#
# Every block starts from a reset double (--- init) and, after its last
# request, compares what the double recorded with its own sections:
#
#   --- double_creds     GET /__creds as lines: the hits, every issued set
#                        (#1, #2, ... in order of issue), tokens received
#   --- double_requests  GET /__requests: each Bedrock call and the set
#                        that signed it (#N, or "static AKID")
#   --- creds_log        the whole error log's lines of the module and its
#                        errors, as "[level] message", exactly; <expires #N>
#                        stands for the Expiration the double gave set #N
#   --- secrets_not_logged   (at debug level) none of the secrets the
#                        double issued or the tokens it saw is in the log
#
# nginx's environment is the test's, minus every variable of the chain;
# each block names what it sets, and gets by default (unless it names
# them) shared files that do not exist and instance metadata disabled.
# In a block's config, "#chat" stands for the chat location (with the
# credentials' source in X-Credentials-Source) and /pause, "#credentials"
# for the shipped conf/aws_credentials.conf, and "#relay" for a container
# endpoint on nginx itself that answers as localhost and [::1].

use lib '.';
use Cwd ();
use HTTP::Tiny;
use Time::HiRes ();
use JSON::PP ();
use t::ChatCompletions;
use t::SSE;

# the credentials live in nginx's shared zone: a second repetition against
# the same nginx would find them there and fetch nothing
repeat_each(1);

plan("no_plan");

our $Port = $t::ChatCompletions::BedrockPort;
our $Chat = '{"messages":[{"role":"user","content":"Hello"}]}';
our $ChatRequest = "POST /v1/chat/completions\n$Chat";

# the answer to $Chat with "tokens=1"
our $Sse = t::SSE::sse_re(deltas => ['{"content":"tok1"}']);

# a 503 no_credentials body
sub no_credentials {
    my ($reason) = @_;
    $reason =~ s/(["\\])/\\$1/g;
    return '{"error":{"message":"No AWS credentials could be obtained for '
           . "Amazon Bedrock: $reason.\",\"type\":\"server_error\","
           . '"param":null,"code":"no_credentials"}}';
}

our @ChainEnv = qw(
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    AWS_BEARER_TOKEN_BEDROCK AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN
    AWS_ROLE_SESSION_NAME AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE
    AWS_CONFIG_FILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
    AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_EC2_METADATA_SERVICE_ENDPOINT
    AWS_EC2_METADATA_DISABLED AWS_ENDPOINT_URL_STS AWS_ENDPOINT_URL
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME AWS_REGION AWS_DEFAULT_REGION
);

delete @ENV{@ChainEnv};

# the shipped configuration files the blocks include
$ENV{TEST_NGINX_CONF_DIR} = Cwd::abs_path('conf');

our %EnvDefaults = (
    AWS_SHARED_CREDENTIALS_FILE => '/nonexistent/credentials',
    AWS_CONFIG_FILE => '/nonexistent/config',
    AWS_EC2_METADATA_DISABLED => 'true',
);

our $HttpConfig = <<"_EOC_";
    chat_completions_endpoint http://127.0.0.1:$Port;
    chat_completions_region us-east-1;
    chat_completions_keepalive_interval 0;
    chat_completions_ecs_endpoint http://127.0.0.1:$Port;
_EOC_

# the chat location every block has: where its credentials came from in
# a header, and the location the fetches go through, as shipped
our $ChatLocation = <<"_EOC_";
    location = /v1/chat/completions {
        add_header X-Credentials-Source \$chat_completions_credentials_source
                   always;
        set \$double_scenario "tokens=1";
        chat_completions;
    }

    # the double answers after ?ms=N: a pause between requests
    location = /pause {
        proxy_pass http://127.0.0.1:$Port/__slow\$is_args\$args;
    }
_EOC_

our $CredentialsLocation =
    "    include \$TEST_NGINX_CONF_DIR/aws_credentials.conf;\n";

# a container endpoint on nginx itself, as localhost and [::1]: it passes
# the fetches on to the double
our $Relay = <<"_EOC_";
    listen [::1]:\$TEST_NGINX_SERVER_PORT;

    location = /v1/credentials {
        proxy_pass http://127.0.0.1:$Port;
    }

    # the upstream a variable proxy_pass to localhost:PORT finds (there is
    # no resolver)
    location = /localhost-upstream {
        internal;
        proxy_pass http://localhost:\$TEST_NGINX_SERVER_PORT;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    my $main = $block->main_config // '';
    for my $name (sort keys %EnvDefaults) {
        $main = "    env $name=$EnvDefaults{$name};\n$main"
            unless $main =~ /\benv $name\b/;
    }
    $block->set_value("main_config", $main);

    $block->set_value("http_config", $HttpConfig)
        unless defined $block->http_config;

    if (defined $block->config) {
        my $config = $block->config;
        $config =~ s/^ *#chat\n/$ChatLocation/m;
        $config =~ s/^ *#credentials\n/$CredentialsLocation/m;
        $config =~ s/^ *#relay\n/$Relay/m;
        $block->set_value("config", $config);
    }
});

# --------------------------------------------------------------- the double

our $Http = HTTP::Tiny->new(timeout => 5);

sub double {
    my ($method, $path, $body) = @_;
    my $res = $Http->request($method, "http://127.0.0.1:$Port$path",
                             defined $body ? { content => $body } : {});
    die "double: $method $path: $res->{status} $res->{content}\n"
        unless $res->{success};
    return $res->{content} =~ /^[\[{]/
        ? JSON::PP::decode_json($res->{content}) : $res->{content};
}

# --- init: a fresh double, and optionally its /__creds settings
sub reset_double {
    my ($settings) = @_;
    double('POST', '/__reset');
    double('POST', '/__creds/reset');
    double('POST', '/__creds', JSON::PP::encode_json($settings)) if $settings;
}

# sleeps until just after the start of the next second
sub at_second_start {
    my $t = Time::HiRes::time();
    Time::HiRes::sleep(int($t) + 1.02 - $t);
}

our @HitKeys = qw(imds_token imds_role imds_credentials imds_region
                  imds_other container sts_web_identity sts_assume_role
                  sts_other);

our %Label;     # access key id -> "#N", from the last creds_summary()
our @Expires;   # the Expiration of #1, #2, ...

sub creds_summary {
    my ($c) = @_;
    my @out;

    %Label = ();
    @Expires = ();

    for my $what (qw(hits failures)) {
        my @n = map { "$_=$c->{$what}{$_}" } grep { $c->{$what}{$_} } @HitKeys;
        push @out, "$what: @n" if @n || $what eq 'hits';
        $out[-1] .= 'none' if $what eq 'hits' && !@n;
    }

    my @faults = map { "$_=$c->{faults}{$_}" }
                 grep { $c->{faults}{$_} ne 'ok' } sort keys %{ $c->{faults} };
    push @out, "faults: @faults" if @faults;

    my $n = 0;
    for my $i (@{ $c->{issued} }) {
        $Label{ $i->{access_key_id} } = '#' . ++$n;
        push @Expires, $i->{expires};
        my $line = "issued #$n: $i->{source} $i->{principal}";
        for my $k (qw(session_name external_id duration_seconds region)) {
            $line .= " $k=" . ($i->{$k} // 'null') if exists $i->{$k};
        }
        if (my $by = $i->{signed_by}) {
            $line .= ' signed_by='
                     . ($Label{ $by->{access_key_id} }
                        // "$by->{source} $by->{access_key_id}");
        }
        push @out, $line;
    }

    for my $k (qw(web_identity_tokens container_tokens imds_token_ttls)) {
        push @out, "$k: @{ $c->{$k} }" if @{ $c->{$k} };
    }

    return join '', map { "$_\n" } @out;
}

sub requests_summary {
    my ($reqs) = @_;
    my $out = '';

    for my $r (@$reqs) {
        my $c = $r->{credential};
        $out .= "$r->{method} $r->{path} $r->{status} " . ($r->{auth} // '-')
                . ' ' . (!$c ? '-' : $Label{ $c->{access_key_id} }
                                     // "$c->{source} $c->{access_key_id}");
        $out .= ' token' if exists $r->{headers}{'x-amz-security-token'};
        $out .= " $r->{error}" if $r->{error};
        $out .= "\n";
    }

    return $out;
}

# the module's lines and every error, warning or worse, without the
# time, the pid and the request's context
sub creds_log_lines {
    open my $fh, '<', $Test::Nginx::Util::ErrLogFile or return "";
    my $out = '';
    while (my $line = <$fh>) {
        next unless $line =~ /^\S+ \S+ \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$/;
        my ($level, $msg) = ($1, $2);
        next unless $msg =~ /^chat_completions/
                    || $level =~ /^(?:warn|error|crit|alert|emerg)$/;
        $msg =~ s/(?: while [^,]*)?, client: .*//;
        $out .= "[$level] $msg\n";
    }
    return $out;
}

sub have_ipv6 {
    require IO::Socket::IP;
    return !!IO::Socket::IP->new(LocalHost => '::1', Listen => 1);
}

# every secret the double issued or received since its reset
sub secrets {
    my $s = double('GET', '/__creds/secrets');
    my $c = double('GET', '/__creds');
    return (map({ ($_->{secret_access_key}, $_->{session_token}) }
                @{ $s->{issued} }),
            @{ $s->{imds_tokens} }, @{ $c->{web_identity_tokens} },
            @{ $c->{container_tokens} });
}

add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;
    my $name = $block->name;

    return if $dry_run;

    my $reqs = $block->request;
    return if $req_idx != (ref $reqs eq 'ARRAY' ? $#$reqs : 0);

    # the lines nginx writes as it finishes the request
    select undef, undef, undef, 0.1;

    my $creds = creds_summary(double('GET', '/__creds'));

    if (defined(my $want = $block->double_creds)) {
        ref $want ? Test::More::like($creds, $want, "$name - double_creds")
                  : Test::More::is($creds, $want, "$name - double_creds");
    }

    if (defined(my $want = $block->double_requests)) {
        Test::More::is(requests_summary(double('GET', '/__requests')), $want,
                       "$name - double_requests");
    }

    if (defined(my $want = $block->creds_log)) {
        $want =~ s/<expires #(\d+)>/$Expires[$1 - 1] \/\/ "(no set #$1)"/ge;
        Test::More::is(creds_log_lines(), $want, "$name - creds_log");
    }

    if (defined(my $known = $block->secrets_not_logged)) {
        my @secrets = eval { secrets() };
        if ($@) {
            Test::More::fail("$name - the double's secrets: $@(start it "
                             . "with DOUBLE_EXPOSE_SECRETS=1, as "
                             . "t/run-prove.sh does)");
            return;
        }
        push @secrets, grep { length } split /\n/, $known;
        my $log = do {
            local $/;
            open my $fh, '<', $Test::Nginx::Util::ErrLogFile or die $!;
            <$fh>;
        };
        my @found = grep { index($log, $_) >= 0 } @secrets;
        Test::More::ok(@secrets && !@found && length $log > 10000,
                       "$name - none of the " . scalar(@secrets)
                       . " secrets is in the " . length($log)
                       . " bytes of the debug log")
            or Test::More::diag("in the log: @found");
    }
});

run_tests();

__DATA__

=== TEST 1: environment keys with a session token sign the calls (source "environment"); the rest of the chain, though configured, is not asked
--- main_config
    env AWS_ACCESS_KEY_ID=AKIDEXAMPLE;
    env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
    env AWS_SESSION_TOKEN=FwoGZXIvYXdzEnvironmentSessionToken;
    env AWS_WEB_IDENTITY_TOKEN_FILE=$TEST_NGINX_SERVER_ROOT/html/web-identity-token;
    env AWS_ROLE_ARN=arn:aws:iam::111111111111:role/fintalk-irsa;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> web-identity-token
web-identity-token-1
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: notice
--- request eval
[$main::ChatRequest, $main::ChatRequest]
--- response_headers eval
["X-Credentials-Source: environment", "X-Credentials-Source: environment"]
--- response_body_like eval
[$main::Sse, $main::Sse]
--- double_creds
hits: none
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 static AKIDEXAMPLE token
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 static AKIDEXAMPLE token
--- creds_log
[notice] chat_completions: AWS credentials from environment
--- no_error_log
[error]



=== TEST 2: a Bedrock API key in the environment wins over the keys (source "api_key")
--- main_config
    env AWS_BEARER_TOKEN_BEDROCK=test-bedrock-api-key;
    env AWS_ACCESS_KEY_ID=AKIDEXAMPLE;
    env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: api_key
--- response_body_like eval
$main::Sse
--- double_creds
hits: none
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 bearer -
--- no_error_log
[error]



=== TEST 3: web identity: STS AssumeRoleWithWebIdentity with the token file's token, the role and the session name (source "web_identity"), told once at notice
--- main_config
    env AWS_WEB_IDENTITY_TOKEN_FILE=$TEST_NGINX_SERVER_ROOT/html/web-identity-token;
    env AWS_ROLE_ARN=arn:aws:iam::111111111111:role/fintalk-irsa;
    env AWS_ROLE_SESSION_NAME=fintalk-irsa-session;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> web-identity-token
web-identity-token-1
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: notice
--- request eval
[$main::ChatRequest, $main::ChatRequest]
--- response_headers eval
["X-Credentials-Source: web_identity", "X-Credentials-Source: web_identity"]
--- response_body_like eval
[$main::Sse, $main::Sse]
--- double_creds
hits: sts_web_identity=1
issued #1: web_identity arn:aws:iam::111111111111:role/fintalk-irsa session_name=fintalk-irsa-session duration_seconds=null
web_identity_tokens: web-identity-token-1
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
--- creds_log
[notice] chat_completions: AWS credentials from web_identity, valid until <expires #1>
--- no_error_log
[error]



=== TEST 4: web identity: the token file is read again at the refresh (a rotated token), the new set signs once fetched; the refresh is logged at info only
--- main_config
    env AWS_WEB_IDENTITY_TOKEN_FILE=$TEST_NGINX_SERVER_ROOT/html/web-identity-token;
    env AWS_ROLE_ARN=arn:aws:iam::111111111111:role/fintalk-irsa;
    env AWS_ROLE_SESSION_NAME=fintalk-irsa-session;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> web-identity-token
web-identity-token-1
--- config
    #chat
    #credentials

    # the token rotates: written again by a PUT
    location = /web-identity-token {
        root html;
        dav_methods PUT;
    }
--- init
# 6 s: the refresh is due 4 s before the Expiration, the set serves until
# 2 s before it
main::reset_double({ttl => 6});
--- log_level: info
--- request eval
[$main::ChatRequest,
 "PUT /web-identity-token\nweb-identity-token-2",
 "GET /pause?ms=2000",
 $main::ChatRequest,
 "GET /pause?ms=300",
 $main::ChatRequest]
--- error_code eval
[200, 204, 200, 200, 200, 200]
--- response_body_like eval
[$main::Sse, '^$', '^\{"ms":2000,', $main::Sse, '^\{"ms":300,', $main::Sse]
--- double_creds
hits: sts_web_identity=2
issued #1: web_identity arn:aws:iam::111111111111:role/fintalk-irsa session_name=fintalk-irsa-session duration_seconds=null
issued #2: web_identity arn:aws:iam::111111111111:role/fintalk-irsa session_name=fintalk-irsa-session duration_seconds=null
web_identity_tokens: web-identity-token-1 web-identity-token-2
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #2 token
--- creds_log
[notice] chat_completions: AWS credentials from web_identity, valid until <expires #1>
[info] chat_completions: AWS credentials from web_identity refreshed, valid until <expires #2>
--- no_error_log
[error]



=== TEST 5: web identity: a token STS refuses is a 503 no_credentials naming STS's error
--- main_config
    env AWS_WEB_IDENTITY_TOKEN_FILE=$TEST_NGINX_SERVER_ROOT/html/web-identity-token;
    env AWS_ROLE_ARN=arn:aws:iam::111111111111:role/fintalk-irsa;
    env AWS_ROLE_SESSION_NAME=fintalk-irsa-session;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> web-identity-token
web-identity-token-stolen
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_headers
Content-Type: application/json
!X-Credentials-Source
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: STS AssumeRoleWithWebIdentity answered 400: InvalidIdentityToken: The ID token provided is not a valid JWT. (You may see this error if you sent an Access Token).","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: sts_web_identity=1
failures: sts_web_identity=1
web_identity_tokens: web-identity-token-stolen
--- double_requests
--- creds_log
[error] chat_completions: cannot get AWS credentials: STS AssumeRoleWithWebIdentity answered 400: InvalidIdentityToken: The ID token provided is not a valid JWT. (You may see this error if you sent an Access Token)
[error] chat_completions: no AWS credentials for Bedrock: STS AssumeRoleWithWebIdentity answered 400: InvalidIdentityToken: The ID token provided is not a valid JWT. (You may see this error if you sent an Access Token)
--- no_error_log
[alert]
[crit]



=== TEST 6: web identity: a token file that cannot be read is a 503 that says so; STS is not called
--- main_config
    env AWS_WEB_IDENTITY_TOKEN_FILE=/nonexistent/web-identity-token;
    env AWS_ROLE_ARN=arn:aws:iam::111111111111:role/fintalk-irsa;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: the token file \"/nonexistent/web-identity-token\" cannot be read (2: No such file or directory).","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- double_requests
--- error_log
chat_completions: cannot get AWS credentials: the token file "/nonexistent/web-identity-token" cannot be read
--- no_error_log
[alert]
[crit]



=== TEST 7: web identity without AWS_ROLE_SESSION_NAME: a session name of the module's; STS at AWS_ENDPOINT_URL
--- main_config
    env AWS_WEB_IDENTITY_TOKEN_FILE=$TEST_NGINX_SERVER_ROOT/html/web-identity-token;
    env AWS_ROLE_ARN=arn:aws:iam::111111111111:role/fintalk-irsa;
    env AWS_ENDPOINT_URL=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/;
--- user_files
>>> web-identity-token
web-identity-token-2
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- response_body_like eval
$main::Sse
--- double_creds eval
qr/^hits: sts_web_identity=1
issued #1: web_identity arn:aws:iam::111111111111:role\/fintalk-irsa session_name=nginx-chatcompletions-\d{10} duration_seconds=null
web_identity_tokens: web-identity-token-2
\z/
--- no_error_log
[error]



=== TEST 8: shared files: the default profile's static keys (source "profile"); nothing fetched
--- main_config
    env AWS_SHARED_CREDENTIALS_FILE=$TEST_NGINX_SERVER_ROOT/html/credentials;
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> credentials
[other]
aws_access_key_id = AKIDOTHER
aws_secret_access_key = other-secret

[default]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: notice
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: profile
--- response_body_like eval
$main::Sse
--- double_creds
hits: none
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 static AKIDEXAMPLE
--- creds_log
[notice] chat_completions: AWS credentials from profile, valid with no expiry
--- no_error_log
[error]



=== TEST 9: shared files: AWS_PROFILE picks a profile of the config file, with a session token
--- main_config
    env AWS_PROFILE=fintalk;
    env AWS_SHARED_CREDENTIALS_FILE=$TEST_NGINX_SERVER_ROOT/html/credentials;
    env AWS_CONFIG_FILE=$TEST_NGINX_SERVER_ROOT/html/config;
--- user_files
>>> credentials
[default]
aws_access_key_id = AKIDOTHER
aws_secret_access_key = other-secret
>>> config
[default]
region = us-east-1

[profile fintalk]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
aws_session_token = FwoGZXIvYXdzProfileSessionToken
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: profile
--- response_body_like eval
$main::Sse
--- double_creds
hits: none
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 static AKIDEXAMPLE token
--- no_error_log
[error]



=== TEST 10: shared files: AWS_PROFILE naming a profile that is in neither file is a 503; the chain goes no further
--- main_config
    env AWS_PROFILE=nowhere;
    env AWS_SHARED_CREDENTIALS_FILE=$TEST_NGINX_SERVER_ROOT/html/credentials;
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> credentials
[default]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: profile \"nowhere\" (AWS_PROFILE) is in neither shared file.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- double_requests
--- error_log
chat_completions: no AWS credentials for Bedrock: profile "nowhere" (AWS_PROFILE) is in neither shared file
--- no_error_log
[alert]
[crit]



=== TEST 11: shared files: role_arn with source_profile: STS AssumeRole signed by the source profile's keys, with the profile's external_id, role_session_name and duration_seconds
--- main_config
    env AWS_PROFILE=cross;
    env AWS_SHARED_CREDENTIALS_FILE=$TEST_NGINX_SERVER_ROOT/html/credentials;
    env AWS_CONFIG_FILE=$TEST_NGINX_SERVER_ROOT/html/config;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> credentials
[base]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
>>> config
[profile cross]
role_arn = arn:aws:iam::222222222222:role/bedrock-cross-account
source_profile = base
external_id = fintalk-external-id
role_session_name = fintalk-profile
duration_seconds = 1800
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: notice
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: profile
--- response_body_like eval
$main::Sse
--- double_creds
hits: sts_assume_role=1
issued #1: assume_role arn:aws:iam::222222222222:role/bedrock-cross-account session_name=fintalk-profile external_id=fintalk-external-id duration_seconds=1800 region=us-east-1 signed_by=static AKIDEXAMPLE
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
--- creds_log
[notice] chat_completions: AWS credentials from profile, valid until <expires #1>
--- no_error_log
[error]



=== TEST 12: shared files: the cross-account role with a wrong external_id is a 503 naming STS's AccessDenied
--- main_config
    env AWS_PROFILE=cross;
    env AWS_SHARED_CREDENTIALS_FILE=$TEST_NGINX_SERVER_ROOT/html/credentials;
    env AWS_CONFIG_FILE=$TEST_NGINX_SERVER_ROOT/html/config;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> credentials
[base]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
>>> config
[profile cross]
role_arn = arn:aws:iam::222222222222:role/bedrock-cross-account
source_profile = base
external_id = not-the-external-id
role_session_name = fintalk-profile
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: STS AssumeRole answered 403: AccessDenied: User: arn:aws:iam::111111111111:user/fintalk-static is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/bedrock-cross-account.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: sts_assume_role=1
failures: sts_assume_role=1
--- double_requests
--- error_log
chat_completions: cannot get AWS credentials: STS AssumeRole answered 403: AccessDenied: User: arn:aws:iam::111111111111:user/fintalk-static is not authorized
--- no_error_log
[alert]
[crit]



=== TEST 13: shared files: the cross-account role without its external_id is a 503 naming AccessDenied
--- main_config
    env AWS_PROFILE=cross;
    env AWS_CONFIG_FILE=$TEST_NGINX_SERVER_ROOT/html/config;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> config
[profile cross]
role_arn = arn:aws:iam::222222222222:role/bedrock-cross-account
source_profile = cross
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: STS AssumeRole answered 403: AccessDenied: User: arn:aws:iam::111111111111:user/fintalk-static is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/bedrock-cross-account.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: sts_assume_role=1
failures: sts_assume_role=1
--- double_requests
--- error_log
chat_completions: no AWS credentials for Bedrock: STS AssumeRole answered 403: AccessDenied
--- no_error_log
[alert]
[crit]



=== TEST 14: shared files: credential_source = Environment: the role assumed with the environment's keys, since AWS_PROFILE chose that profile
--- main_config
    env AWS_PROFILE=from-env;
    env AWS_CONFIG_FILE=$TEST_NGINX_SERVER_ROOT/html/config;
    env AWS_ACCESS_KEY_ID=AKIDEXAMPLE;
    env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> config
[profile from-env]
role_arn = arn:aws:iam::111111111111:role/fintalk-bedrock
credential_source = Environment
role_session_name = fintalk-from-env
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: profile
--- response_body_like eval
$main::Sse
--- double_creds
hits: sts_assume_role=1
issued #1: assume_role arn:aws:iam::111111111111:role/fintalk-bedrock session_name=fintalk-from-env external_id=null duration_seconds=null region=us-east-1 signed_by=static AKIDEXAMPLE
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
--- no_error_log
[error]



=== TEST 15: shared files: credential_source = Environment with no keys in the environment is a 503 that says so
--- main_config
    env AWS_PROFILE=from-env;
    env AWS_CONFIG_FILE=$TEST_NGINX_SERVER_ROOT/html/config;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> config
[profile from-env]
role_arn = arn:aws:iam::111111111111:role/fintalk-bedrock
credential_source = Environment
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: profile \"from-env\": credential_source Environment, and no keys in the environment.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- error_log
chat_completions: no AWS credentials for Bedrock: profile "from-env": credential_source Environment, and no keys in the environment
--- no_error_log
[alert]
[crit]



=== TEST 16: shared files: credential_source = EcsContainer: the container's set signs the AssumeRole
--- main_config
    env AWS_PROFILE=from-task;
    env AWS_CONFIG_FILE=$TEST_NGINX_SERVER_ROOT/html/config;
    env AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/task-1;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> config
[profile from-task]
role_arn = arn:aws:iam::111111111111:role/fintalk-bedrock
credential_source = EcsContainer
role_session_name = fintalk-from-task
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: profile
--- response_body_like eval
$main::Sse
--- double_creds
hits: container=1 sts_assume_role=1
issued #1: container arn:aws:iam::111111111111:role/fintalk-task-role
issued #2: assume_role arn:aws:iam::111111111111:role/fintalk-bedrock session_name=fintalk-from-task external_id=null duration_seconds=null region=us-east-1 signed_by=#1
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #2 token
--- no_error_log
[error]



=== TEST 17: shared files: credential_source = Ec2InstanceMetadata: the instance's set signs the AssumeRole
--- main_config
    env AWS_PROFILE=from-instance;
    env AWS_CONFIG_FILE=$TEST_NGINX_SERVER_ROOT/html/config;
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> config
[profile from-instance]
role_arn = arn:aws:iam::222222222222:role/bedrock-cross-account
credential_source = Ec2InstanceMetadata
external_id = fintalk-external-id
role_session_name = fintalk-from-instance
duration_seconds = 900
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: profile
--- response_body_like eval
$main::Sse
--- double_creds
hits: imds_token=1 imds_role=1 imds_credentials=1 sts_assume_role=1
issued #1: imds fintalk-bedrock-role
issued #2: assume_role arn:aws:iam::222222222222:role/bedrock-cross-account session_name=fintalk-from-instance external_id=fintalk-external-id duration_seconds=900 region=us-east-1 signed_by=#1
imds_token_ttls: 21600
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #2 token
--- no_error_log
[error]



=== TEST 18: container (ECS): AWS_CONTAINER_CREDENTIALS_RELATIVE_URI under chat_completions_ecs_endpoint, no Authorization (source "container")
--- main_config
    env AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/task-1;
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: notice
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: container
--- response_body_like eval
$main::Sse
--- double_creds
hits: container=1
issued #1: container arn:aws:iam::111111111111:role/fintalk-task-role
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
--- creds_log
[notice] chat_completions: AWS credentials from container, valid until <expires #1>
--- no_error_log
[error]



=== TEST 19: container (EKS Pod Identity): AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN
--- main_config
    env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/v1/credentials;
    env AWS_CONTAINER_AUTHORIZATION_TOKEN=container-auth-token-1;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: container
--- response_body_like eval
$main::Sse
--- double_creds
hits: container=1
issued #1: container arn:aws:iam::111111111111:role/fintalk-task-role
container_tokens: container-auth-token-1
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
--- no_error_log
[error]



=== TEST 20: container: an authorization token the endpoint refuses is a 503 naming its status
--- main_config
    env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/v1/credentials;
    env AWS_CONTAINER_AUTHORIZATION_TOKEN=container-auth-token-expired;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: container: the credentials request answered 401.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: container=1
failures: container=1
container_tokens: container-auth-token-expired
--- double_requests
--- error_log
chat_completions: cannot get AWS credentials: container: the credentials request answered 401
--- no_error_log
[alert]
[crit]



=== TEST 21: container: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is read again at each refresh (a rotated token); FULL_URI on localhost
--- main_config
    env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://localhost:$TEST_NGINX_SERVER_PORT/v1/credentials;
    env AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TEST_NGINX_SERVER_ROOT/html/container-token;
--- user_files
>>> container-token
container-auth-token-2
--- config
    #chat
    #credentials
    #relay

    location = /container-token {
        root html;
        dav_methods PUT;
    }
--- init
main::reset_double({ttl => 6});
--- log_level: info
--- request eval
[$main::ChatRequest,
 "PUT /container-token\ncontainer-auth-token-1",
 "GET /pause?ms=2000",
 $main::ChatRequest,
 "GET /pause?ms=300",
 $main::ChatRequest]
--- error_code eval
[200, 204, 200, 200, 200, 200]
--- response_body_like eval
[$main::Sse, '^$', '^\{"ms":2000,', $main::Sse, '^\{"ms":300,', $main::Sse]
--- double_creds
hits: container=2
issued #1: container arn:aws:iam::111111111111:role/fintalk-task-role
issued #2: container arn:aws:iam::111111111111:role/fintalk-task-role
container_tokens: container-auth-token-2 container-auth-token-1
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #2 token
--- creds_log
[notice] chat_completions: AWS credentials from container, valid until <expires #1>
[info] chat_completions: AWS credentials from container refreshed, valid until <expires #2>
--- no_error_log
[error]



=== TEST 22: container: FULL_URI on [::1] is accepted too
--- skip_eval: 6: !main::have_ipv6()
--- main_config
    env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://[::1]:$TEST_NGINX_SERVER_PORT/v1/credentials;
    env AWS_CONTAINER_AUTHORIZATION_TOKEN=container-auth-token-2;
--- config
    #chat
    #credentials
    #relay
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: container
--- response_body_like eval
$main::Sse
--- double_creds
hits: container=1
issued #1: container arn:aws:iam::111111111111:role/fintalk-task-role
container_tokens: container-auth-token-2
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
--- no_error_log
[error]



=== TEST 23: instance metadata (IMDSv2): a token PUT with its TTL, the role, its credentials (source "instance_metadata"), once for several requests
--- main_config
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: notice
--- request eval
[$main::ChatRequest, $main::ChatRequest]
--- response_headers eval
["X-Credentials-Source: instance_metadata",
 "X-Credentials-Source: instance_metadata"]
--- response_body_like eval
[$main::Sse, $main::Sse]
--- double_creds
hits: imds_token=1 imds_role=1 imds_credentials=1
issued #1: imds fintalk-bedrock-role
imds_token_ttls: 21600
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
--- creds_log
[notice] chat_completions: AWS credentials from instance_metadata, valid until <expires #1>
--- no_error_log
[error]



=== TEST 24: instance metadata: the metadata token is kept for the next refresh; only the role and its credentials are asked again
--- main_config
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double({ttl => 6});
--- request eval
[$main::ChatRequest, "GET /pause?ms=2000", $main::ChatRequest,
 "GET /pause?ms=300", $main::ChatRequest]
--- response_body_like eval
[$main::Sse, '^\{"ms":2000,', $main::Sse, '^\{"ms":300,', $main::Sse]
--- double_creds
hits: imds_token=1 imds_role=2 imds_credentials=2
issued #1: imds fintalk-bedrock-role
issued #2: imds fintalk-bedrock-role
imds_token_ttls: 21600
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #2 token
--- no_error_log
[error]



=== TEST 25: instance metadata: a metadata token that stopped working (401) is replaced once, and the refresh goes on
--- main_config
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials

    # the double forgets its metadata tokens and the sets it issued
    location = /double-forget {
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__creds/reset;
    }

    location = /double-reset {
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__reset;
    }
--- init
main::reset_double({ttl => 6});
--- request eval
[$main::ChatRequest, "POST /double-forget", "POST /double-reset",
 "GET /pause?ms=2000", $main::ChatRequest, "GET /pause?ms=300",
 $main::ChatRequest]
--- error_code eval
[200, 200, 200, 200, 502, 200, 200]
--- response_body_like eval
[$main::Sse, '"hits"', '^ok$', '^\{"ms":2000,',
 '^\{"error":\{"message":"Amazon Bedrock refused the gateway\'s credentials: The security token included in the request is invalid\.","type":"server_error","param":null,"code":"upstream_auth_failed"\}\}$',
 '^\{"ms":300,', $main::Sse]
--- double_creds
hits: imds_token=1 imds_role=2 imds_credentials=1
failures: imds_role=1
issued #1: imds fintalk-bedrock-role
imds_token_ttls: 21600
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 403 - - token UnrecognizedClientException
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
--- no_error_log
[alert]
[crit]



=== TEST 26: instance metadata disabled (AWS_EC2_METADATA_DISABLED=true) and nothing else: a 503 naming what was tried; the endpoint is not asked
--- main_config
    env AWS_EC2_METADATA_DISABLED=true;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: no source is configured (environment, web identity, profile \"default\", container; instance metadata is disabled by AWS_EC2_METADATA_DISABLED).","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- double_requests
--- creds_log
[error] chat_completions: cannot get AWS credentials: no source is configured (environment, web identity, profile "default", container; instance metadata is disabled by AWS_EC2_METADATA_DISABLED)
[error] chat_completions: no AWS credentials for Bedrock: no source is configured (environment, web identity, profile "default", container; instance metadata is disabled by AWS_EC2_METADATA_DISABLED)
--- no_error_log
[alert]
[crit]



=== TEST 27: chat_completions_assume_role on top of the environment's keys: AssumeRole signed by them with the external id, session name and duration (source "environment+assume_role")
--- main_config
    env AWS_ACCESS_KEY_ID=AKIDEXAMPLE;
    env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    chat_completions_assume_role
        arn:aws:iam::222222222222:role/bedrock-cross-account
        external_id=fintalk-external-id session_name=fintalk-gateway
        duration=1h;
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: notice
--- request eval
[$main::ChatRequest, $main::ChatRequest]
--- response_headers eval
["X-Credentials-Source: environment+assume_role",
 "X-Credentials-Source: environment+assume_role"]
--- response_body_like eval
[$main::Sse, $main::Sse]
--- double_creds
hits: sts_assume_role=1
issued #1: assume_role arn:aws:iam::222222222222:role/bedrock-cross-account session_name=fintalk-gateway external_id=fintalk-external-id duration_seconds=3600 region=us-east-1 signed_by=static AKIDEXAMPLE
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
--- creds_log
[notice] chat_completions: AWS credentials from environment+assume_role, valid until <expires #1>
--- no_error_log
[error]



=== TEST 28: chat_completions_assume_role on top of instance metadata: the instance's set signs the AssumeRole; no session name or duration given
--- main_config
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    chat_completions_assume_role arn:aws:iam::111111111111:role/fintalk-bedrock;
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: notice
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: instance_metadata+assume_role
--- response_body_like eval
$main::Sse
--- double_creds eval
qr/^hits: imds_token=1 imds_role=1 imds_credentials=1 sts_assume_role=1
issued #1: imds fintalk-bedrock-role
issued #2: assume_role arn:aws:iam::111111111111:role\/fintalk-bedrock session_name=nginx-chatcompletions-\d{10} external_id=null duration_seconds=null region=us-east-1 signed_by=#1
imds_token_ttls: 21600
\z/
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #2 token
--- creds_log
[notice] chat_completions: AWS credentials from instance_metadata, valid until <expires #1>
[notice] chat_completions: AWS credentials from instance_metadata+assume_role, valid until <expires #2>
--- no_error_log
[error]



=== TEST 29: chat_completions_assume_role with a wrong external id: a 503 naming AccessDenied
--- main_config
    env AWS_ACCESS_KEY_ID=AKIDEXAMPLE;
    env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    chat_completions_assume_role
        arn:aws:iam::222222222222:role/bedrock-cross-account
        external_id=guessed-external-id;
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: STS AssumeRole answered 403: AccessDenied: User: arn:aws:iam::111111111111:user/fintalk-static is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/bedrock-cross-account.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: sts_assume_role=1
failures: sts_assume_role=1
--- double_requests
--- creds_log
[error] chat_completions: cannot get AWS credentials: STS AssumeRole answered 403: AccessDenied: User: arn:aws:iam::111111111111:user/fintalk-static is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/bedrock-cross-account
[error] chat_completions: no AWS credentials for Bedrock: STS AssumeRole answered 403: AccessDenied: User: arn:aws:iam::111111111111:user/fintalk-static is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/bedrock-cross-account
--- no_error_log
[alert]
[crit]



=== TEST 30: source down: instance metadata answers 503, a 503 no_credentials naming it
--- main_config
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double({faults => {imds => 'down'}});
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: instance metadata: the token request answered 503.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: imds_token=1
failures: imds_token=1
faults: imds=down
--- double_requests
--- creds_log
[error] chat_completions: cannot get AWS credentials: instance metadata: the token request answered 503
[error] chat_completions: no AWS credentials for Bedrock: instance metadata: the token request answered 503
--- no_error_log
[alert]
[crit]



=== TEST 31: source down: STS answers 503 to AssumeRoleWithWebIdentity
--- main_config
    env AWS_WEB_IDENTITY_TOKEN_FILE=$TEST_NGINX_SERVER_ROOT/html/web-identity-token;
    env AWS_ROLE_ARN=arn:aws:iam::111111111111:role/fintalk-irsa;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> web-identity-token
web-identity-token-1
--- config
    #chat
    #credentials
--- init
main::reset_double({faults => {sts => 'down'}});
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: STS AssumeRoleWithWebIdentity answered 503: ServiceUnavailable: Service is unavailable (credential double fault: down).","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: sts_web_identity=1
failures: sts_web_identity=1
faults: sts=down
--- double_requests
--- error_log
chat_completions: no AWS credentials for Bedrock: STS AssumeRoleWithWebIdentity answered 503: ServiceUnavailable
--- no_error_log
[alert]
[crit]



=== TEST 32: source down: the container endpoint closes the connection without an answer
--- main_config
    env AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/task-1;
--- config
    #chat
    #credentials
--- init
main::reset_double({faults => {container => 'refuse'}});
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: container: the credentials request answered 502.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: container=1
failures: container=1
faults: container=refuse
--- double_requests
--- creds_log
[error] upstream prematurely closed connection
[error] chat_completions: cannot get AWS credentials: container: the credentials request answered 502
[error] chat_completions: no AWS credentials for Bedrock: container: the credentials request answered 502
--- no_error_log
[alert]
[crit]



=== TEST 33: a hanging source with chat_completions_credentials_timeout 1s: 503 after about 1 s; the next request at once gets the reason kept; once the source is back, answers again
--- main_config
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    chat_completions_credentials_timeout 1s;
    #chat
    #credentials

    location = /double-creds {
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__creds;
    }
--- init
main::reset_double({faults => {imds => 'hang'}});
# the module's backoff counts whole seconds: its 1 s after the first
# failure must not end between the first two requests
main::at_second_start();
--- timeout: 2
--- request eval
[$main::ChatRequest, $main::ChatRequest,
 "POST /double-creds\n" . '{"faults":{"imds":"ok"}}',
 "GET /pause?ms=1500",
 $main::ChatRequest]
--- error_code eval
[503, 503, 200, 200, 200]
--- response_body_like eval
['^' . quotemeta(main::no_credentials('they were not obtained in time (chat_completions_credentials_timeout)')) . '$',
 '^' . quotemeta(main::no_credentials('instance metadata: no answer within 1000 ms (chat_completions_credentials_timeout)')) . '$',
 '"imds": "ok"',
 '^\{"ms":1500,',
 $main::Sse]
--- double_creds
hits: imds_token=2 imds_role=1 imds_credentials=1
failures: imds_token=1
issued #1: imds fintalk-bedrock-role
imds_token_ttls: 21600
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
--- creds_log
[error] chat_completions: cannot get AWS credentials: instance metadata: no answer within 1000 ms (chat_completions_credentials_timeout)
[error] chat_completions: no AWS credentials for Bedrock: they were not obtained in time (chat_completions_credentials_timeout)
[error] upstream timed out (110: Connection timed out)
[error] chat_completions: no AWS credentials for Bedrock: instance metadata: no answer within 1000 ms (chat_completions_credentials_timeout)
--- no_error_log
[alert]
[crit]



=== TEST 34: source down while a set is in hand: the refresh fails (logged at error), the set keeps serving
--- main_config
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials

    location = /double-creds {
        proxy_pass http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/__creds;
    }
--- init
main::reset_double({ttl => 6});
--- log_level: info
--- request eval
[$main::ChatRequest,
 "POST /double-creds\n" . '{"faults":{"imds":"down"}}',
 "GET /pause?ms=2000",
 $main::ChatRequest,
 "GET /pause?ms=300"]
--- response_body_like eval
[$main::Sse, '"imds": "down"', '^\{"ms":2000,', $main::Sse, '^\{"ms":300,']
--- double_creds
hits: imds_token=1 imds_role=2 imds_credentials=1
failures: imds_role=1
faults: imds=down
issued #1: imds fintalk-bedrock-role
imds_token_ttls: 21600
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
--- creds_log
[notice] chat_completions: AWS credentials from instance_metadata, valid until <expires #1>
[error] chat_completions: cannot refresh the AWS credentials from instance_metadata: instance metadata: the role request answered 503; the current ones stay in use until <expires #1>
--- no_error_log
[alert]
[crit]



=== TEST 35: chat_completions_credentials_location names another location; $chat_completions_credentials_url is the fetch's URL
--- main_config
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    chat_completions_credentials_location /_fetch;
    #chat

    location = /_fetch {
        internal;
        proxy_pass $chat_completions_credentials_url;
    }
--- init
main::reset_double();
--- log_level: notice
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: instance_metadata
--- response_body_like eval
$main::Sse
--- double_creds
hits: imds_token=1 imds_role=1 imds_credentials=1
issued #1: imds fintalk-bedrock-role
imds_token_ttls: 21600
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 #1 token
--- creds_log
[notice] chat_completions: AWS credentials from instance_metadata, valid until <expires #1>
--- no_error_log
[error]



=== TEST 36: at debug level, instance metadata and a role on top: no secret key, session token or metadata token in the log
--- main_config
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    chat_completions_assume_role
        arn:aws:iam::222222222222:role/bedrock-cross-account
        external_id=fintalk-external-id session_name=fintalk-gateway;
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: debug
--- request eval
$main::ChatRequest
--- response_body_like eval
$main::Sse
--- double_creds
hits: imds_token=1 imds_role=1 imds_credentials=1 sts_assume_role=1
issued #1: imds fintalk-bedrock-role
issued #2: assume_role arn:aws:iam::222222222222:role/bedrock-cross-account session_name=fintalk-gateway external_id=fintalk-external-id duration_seconds=null region=us-east-1 signed_by=#1
imds_token_ttls: 21600
--- secrets_not_logged
--- error_log
chatcompletions credentials: PUT http://127.0.0.1:
chatcompletions credentials: POST http://127.0.0.1:
--- no_error_log
Signature=
X-Amz-Security-Token
X-aws-ec2-metadata-token:
Authorization:
[error]



=== TEST 37: at debug level, web identity: neither the web identity token nor the set STS issued is in the log
--- main_config
    env AWS_WEB_IDENTITY_TOKEN_FILE=$TEST_NGINX_SERVER_ROOT/html/web-identity-token;
    env AWS_ROLE_ARN=arn:aws:iam::111111111111:role/fintalk-irsa;
    env AWS_ROLE_SESSION_NAME=fintalk-irsa-session;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> web-identity-token
web-identity-token-1
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: debug
--- request eval
$main::ChatRequest
--- response_body_like eval
$main::Sse
--- double_creds
hits: sts_web_identity=1
issued #1: web_identity arn:aws:iam::111111111111:role/fintalk-irsa session_name=fintalk-irsa-session duration_seconds=null
web_identity_tokens: web-identity-token-1
--- secrets_not_logged
--- no_error_log
web-identity-token-
WebIdentityToken
Signature=
X-Amz-Security-Token
[error]



=== TEST 38: at debug level, the container endpoint with a token file: neither the authorization token nor the set is in the log
--- main_config
    env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT/v1/credentials;
    env AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TEST_NGINX_SERVER_ROOT/html/container-token;
--- user_files
>>> container-token
container-auth-token-1
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: debug
--- request eval
$main::ChatRequest
--- response_body_like eval
$main::Sse
--- double_creds
hits: container=1
issued #1: container arn:aws:iam::111111111111:role/fintalk-task-role
container_tokens: container-auth-token-1
--- secrets_not_logged
--- no_error_log
container-auth-token-
Authorization:
Signature=
X-Amz-Security-Token
[error]



=== TEST 39: at debug level, a profile's keys and session token sign an AssumeRole: none of them, nor the role's set, is in the log
--- main_config
    env AWS_PROFILE=cross;
    env AWS_SHARED_CREDENTIALS_FILE=$TEST_NGINX_SERVER_ROOT/html/credentials;
    env AWS_CONFIG_FILE=$TEST_NGINX_SERVER_ROOT/html/config;
    env AWS_ENDPOINT_URL_STS=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- user_files
>>> credentials
[base]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
aws_session_token = FwoGZXIvYXdzProfileSessionTokenNotToBeLogged
>>> config
[profile cross]
role_arn = arn:aws:iam::222222222222:role/bedrock-cross-account
source_profile = base
external_id = fintalk-external-id
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: debug
--- request eval
$main::ChatRequest
--- response_body_like eval
$main::Sse
--- double_creds eval
qr/^hits: sts_assume_role=1
issued #1: assume_role arn:aws:iam::222222222222:role\/bedrock-cross-account session_name=nginx-chatcompletions-\d+ external_id=fintalk-external-id duration_seconds=null region=us-east-1 signed_by=static AKIDEXAMPLE
\z/
--- secrets_not_logged
wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
FwoGZXIvYXdzProfileSessionTokenNotToBeLogged
--- no_error_log
wJalrXUtnFEMI
FwoGZXIvYXdzProfileSessionToken
Signature=
X-Amz-Security-Token
[error]



=== TEST 40: at debug level, the environment's keys and session token: not in the log
--- main_config
    env AWS_ACCESS_KEY_ID=AKIDEXAMPLE;
    env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
    env AWS_SESSION_TOKEN=FwoGZXIvYXdzEnvironmentSessionTokenNotToBeLogged;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- log_level: debug
--- request eval
$main::ChatRequest
--- response_body_like eval
$main::Sse
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 static AKIDEXAMPLE token
--- secrets_not_logged
wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
FwoGZXIvYXdzEnvironmentSessionTokenNotToBeLogged
--- no_error_log
wJalrXUtnFEMI
FwoGZXIvYXdzEnvironmentSessionToken
Signature=
X-Amz-Security-Token
[error]



=== TEST 41: AWS_ENDPOINT_URL_BEDROCK_RUNTIME end to end: the shipped Bedrock location (proxy_pass $chat_completions_upstream_url) reaches the double, not AWS
--- http_config
    # chat_completions_endpoint is not set (which this comment also tells
    # t::ChatCompletions, so that it adds neither its endpoint nor its
    # keys): AWS_ENDPOINT_URL_BEDROCK_RUNTIME names the double
    chat_completions_region us-east-1;
    chat_completions_keepalive_interval 0;
--- main_config
    env AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
    env AWS_ACCESS_KEY_ID=AKIDEXAMPLE;
    env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
--- config
    location = /v1/chat/completions {
        chat_completions;
    }

    include $TEST_NGINX_CONF_DIR/bedrock_aws.conf;
--- no_bedrock_location
--- init
main::reset_double();
--- request eval
"POST /v1/chat/completions\n" . '{"messages":[{"role":"user","content":"Hi there"}]}'
--- response_body_like eval
t::SSE::sse_re(deltas => [map { '{"content":"' . $_ . '"}' } 'You', ' said:', ' Hi', ' there.', ' I', ' am', ' the', ' local', ' Bedrock', ' emulator;', ' set', ' AWS', ' credentials', ' to', ' talk', ' to', ' Amazon', ' Bedrock.'])
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 static AKIDEXAMPLE
--- no_error_log
[error]



=== TEST 42: a FULL_URI that is not http(s) is a 503 saying so; instance metadata, next in the chain, is not asked
--- main_config
    env AWS_CONTAINER_CREDENTIALS_FULL_URI=ftp://x/creds;
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- creds_log
[error] chat_completions: cannot get AWS credentials: container: AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL
[error] chat_completions: no AWS credentials for Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL
--- no_error_log
[alert]
[crit]



=== TEST 43: a FULL_URI over http whose host only starts like a loopback address (127.0.0.1.nip.io) is refused; instance metadata is not asked
--- main_config
    env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1.nip.io/creds;
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- creds_log
[error] chat_completions: cannot get AWS credentials: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host
[error] chat_completions: no AWS credentials for Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host
--- no_error_log
[alert]
[crit]



=== TEST 44: a FULL_URI over http on a host that only starts like "localhost" (localhost.example:80) is refused
--- main_config
    env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://localhost.example:80/creds;
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- creds_log
[error] chat_completions: cannot get AWS credentials: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host
[error] chat_completions: no AWS credentials for Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host
--- no_error_log
[alert]
[crit]



=== TEST 45: a FULL_URI over http on 169.254.170.20 (not the ECS or EKS address) is refused
--- main_config
    env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.20/creds;
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- creds_log
[error] chat_completions: cannot get AWS credentials: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host
[error] chat_completions: no AWS credentials for Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host
--- no_error_log
[alert]
[crit]



=== TEST 46: a FULL_URI over http on 127.1 (a short form, not a literal loopback address) is refused
--- main_config
    env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.1/creds;
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- creds_log
[error] chat_completions: cannot get AWS credentials: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host
[error] chat_completions: no AWS credentials for Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host
--- no_error_log
[alert]
[crit]



=== TEST 47: a FULL_URI over http on 169.254.170.9 (in the container range, but neither ECS's .2 nor EKS's .23) is refused
--- main_config
    env AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.9/creds;
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- creds_log
[error] chat_completions: cannot get AWS credentials: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host
[error] chat_completions: no AWS credentials for Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host
--- no_error_log
[alert]
[crit]



=== TEST 48: a FULL_URI whose scheme is written HTTP is plain http too: another host is refused
--- main_config
    env AWS_CONTAINER_CREDENTIALS_FULL_URI=HTTP://container-creds.example/creds;
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host.","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- creds_log
[error] chat_completions: cannot get AWS credentials: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host
[error] chat_completions: no AWS credentials for Bedrock: container: AWS_CONTAINER_CREDENTIALS_FULL_URI over http must name a loopback or container host
--- no_error_log
[alert]
[crit]



=== TEST 49: no credentials location in the server: a 503 saying that the location answered without reaching the source (405: nginx's static files refuse the metadata token's PUT), and how to fix it
--- main_config
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: instance metadata: the credentials location \"/_aws_credentials\" answered 405 without reaching the source (include conf/aws_credentials.conf or set chat_completions_credentials_location).","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- creds_log
[error] chat_completions: cannot get AWS credentials: instance metadata: the credentials location "/_aws_credentials" answered 405 without reaching the source (include conf/aws_credentials.conf or set chat_completions_credentials_location)
[error] chat_completions: no AWS credentials for Bedrock: instance metadata: the credentials location "/_aws_credentials" answered 405 without reaching the source (include conf/aws_credentials.conf or set chat_completions_credentials_location)
--- no_error_log
[alert]
[crit]



=== TEST 50: no credentials location in the server, container endpoint: the GET finds no file (404), a 503 saying the source was not reached
--- main_config
    env AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/task-1;
--- config
    #chat
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 503
--- response_body
{"error":{"message":"No AWS credentials could be obtained for Amazon Bedrock: container: the credentials location \"/_aws_credentials\" answered 404 without reaching the source (include conf/aws_credentials.conf or set chat_completions_credentials_location).","type":"server_error","param":null,"code":"no_credentials"}}
--- double_creds
hits: none
--- error_log
chat_completions: no AWS credentials for Bedrock: container: the credentials location "/_aws_credentials" answered 404 without reaching the source (include conf/aws_credentials.conf or set chat_completions_credentials_location)
--- no_error_log
[alert]
[crit]



=== TEST 51: no region configured: the profile's region (AWS_PROFILE of an "env" directive, read at configuration load) signs the calls; the double, in us-east-1, refuses the scope
--- http_config eval
"    chat_completions_endpoint http://127.0.0.1:$main::Port;
    chat_completions_keepalive_interval 0;"
--- main_config
    env AWS_ACCESS_KEY_ID=AKIDEXAMPLE;
    env AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY;
    env AWS_CONFIG_FILE=$TEST_NGINX_SERVER_ROOT/html/config;
    env AWS_SHARED_CREDENTIALS_FILE=$TEST_NGINX_SERVER_ROOT/html/credentials;
    env AWS_PROFILE=fintalk;
--- user_files
>>> config
[default]
region = ap-south-1

[profile fintalk]
region = eu-west-3
credential_source = Environment
>>> credentials
[fintalk]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
--- config
    #chat
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- error_code: 502
--- response_body
{"error":{"message":"Amazon Bedrock refused the gateway's credentials: Credential should be scoped to a valid region.","type":"server_error","param":null,"code":"upstream_auth_failed"}}
--- error_log
upstream Bedrock answered 403 InvalidSignatureException for model "amazon.nova-lite-v1:0"
--- no_error_log
[alert]
[crit]



=== TEST 52: AWS_REGION of an "env" directive wins over the profile's region
--- http_config eval
"    chat_completions_endpoint http://127.0.0.1:$main::Port;
    chat_completions_keepalive_interval 0;"
--- main_config
    env AWS_CONFIG_FILE=$TEST_NGINX_SERVER_ROOT/html/config;
    env AWS_SHARED_CREDENTIALS_FILE=$TEST_NGINX_SERVER_ROOT/html/credentials;
    env AWS_REGION=us-east-1;
--- user_files
>>> config
[default]
region = eu-west-3
>>> credentials
[default]
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
--- config
    #chat
--- init
main::reset_double();
--- request eval
$main::ChatRequest
--- response_headers
X-Credentials-Source: profile
--- response_body_like eval
$main::Sse
--- double_requests
POST /model/amazon.nova-lite-v1%3A0/converse-stream 200 sigv4 static AKIDEXAMPLE
--- no_error_log
[error]



=== TEST 53: a source handing out a set about to expire (a skewed clock): a failure with its backoff, not a fetch per request
--- main_config
    env AWS_EC2_METADATA_DISABLED=false;
    env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$TEST_NGINX_BEDROCK_PORT;
--- config
    #chat
    #credentials
--- init
main::reset_double({ttl => 3});
--- request eval
[$main::ChatRequest, $main::ChatRequest, $main::ChatRequest,
 $main::ChatRequest]
--- error_code eval
[503, 503, 503, 503]
--- response_body_like eval
[qr/^\{"error":\{"message":"No AWS credentials could be obtained for Amazon Bedrock: the set from instance_metadata expires in [1-3] s, too soon to use \(is the clock right\?\)\.","type":"server_error","param":null,"code":"no_credentials"\}\}\n\z/,
 qr/too soon to use/, qr/too soon to use/, qr/too soon to use/]
--- double_creds eval
# the backoff counts whole seconds: a second fetch when the requests
# straddle one; a storm would be one per request
qr/\Ahits: imds_token=1 imds_role=[12] imds_credentials=[12]\n/
--- no_error_log
[alert]
[crit]
