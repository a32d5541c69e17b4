package Test::Nginx::Util;

# Compact stand-in for openresty/test-nginx's Test::Nginx::Util.
#
# It owns everything that is not HTTP: settings from the preamble and the
# environment, $TEST_NGINX_* expansion, the server root, nginx.conf, the
# nginx process (start, stop, restart per block), reading the logs, and the
# per-block run loop.  The HTTP client and the section checks live in
# Test::Nginx::Socket, which plugs in through $RunTestHelper and friends.
#
# The behaviour follows the real module (version 0.33) where a .t file can
# observe it: test names and counts, defaults, restart policy, what the
# error_log checks see.  See t/compat/README.md for the differences.

use strict;
use warnings;

use Carp ();
use Exporter 'import';
use Config ();
use Cwd ();
use File::Path qw(make_path remove_tree);
use File::Spec ();
use IO::Socket::INET ();
use List::Util qw(shuffle);
use POSIX qw(SIGQUIT SIGTERM SIGKILL WNOHANG);
use Test::More ();
use Test::LongString;
use Time::HiRes qw(sleep time);

our $VERSION = '0.33';

# ---------------------------------------------------------------------------
# Settings.  Same names, defaults and environment variables as the real
# module; the preamble functions below change them.
# ---------------------------------------------------------------------------

our $NginxBinary       = $ENV{TEST_NGINX_BINARY} || find_nginx();
our $Workers           = 1;
our $WorkerConnections = 64;
our $LogLevel          = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled     = 'on';
our $ServerPort        = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                         || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
our $ServerAddr        = '127.0.0.1';
our $ServerName        = 'localhost';
our $NoRootLocation    = 0;
our $TestNginxSleep    = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $Timeout           = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $RepeatEach        = 1;
our $NoShuffle         = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoNginxManager    = $ENV{TEST_NGINX_NO_NGINX_MANAGER} || 0;
our $CheckAccumErrLog  = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $LoadModules       = $ENV{TEST_NGINX_LOAD_MODULES};
our $Verbose           = $ENV{TEST_NGINX_VERBOSE};
our $ForceRestartOnTest = defined $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST}
                          ? $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} : 1;
our $NoLongString;
our $ConfigPreamble    = '';
our $FilterHttpConfig;
our $UseHup            = 0;    # accepted, but we always restart nginx
our $PostponeOutput    = $ENV{TEST_NGINX_POSTPONE_OUTPUT};
our $EventType         = $ENV{TEST_NGINX_EVENT_TYPE};
our $WorkerUser        = $ENV{TEST_NGINX_WORKER_USER};
our (@BlockPreprocessors, @EnvToNginx, @CleanupHandlers, @TestCleanupHandlers);

# Hooks filled in by Test::Nginx::Socket.
our ($RunTestHelper, $CheckErrorLog, $CheckShutdownErrorLog);

# Per-run state.
our ($NginxVersion, $NginxRawVersion, $OpenSSLVersion);
our ($PrevConfig, $PrevBlock, $RandPorts);
our $ErrLogFilePos = 0;
our $InSubprocess;             # set in forked children: their END is a no-op
our $MainPid = $$;             # ditto for children forked by a .t file

# Features of the real module this runner does not implement: warn once.
for my $env (qw(TEST_NGINX_USE_VALGRIND TEST_NGINX_USE_STAP TEST_NGINX_USE_RR
                TEST_NGINX_USE_HTTP2 TEST_NGINX_USE_HTTP3 TEST_NGINX_CHECK_LEAK
                TEST_NGINX_BENCHMARK TEST_NGINX_USE_HUP TEST_NGINX_RANDOMIZE))
{
    if ($ENV{$env}) {
        warn "WARNING: $env is not supported by the t/compat Test::Nginx "
             . "runner and is ignored\n";
    }
}

# Server root layout (absolute paths, like the real module).
our $ServRoot   = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot');
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;
our $LogDir     = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";
our $PidFile    = "$LogDir/nginx.pid";
our $CacheDir   = "$ServRoot/cache";
our $StartLog   = "$LogDir/nginx-start.out";   # stdout+stderr of "nginx"

our @EXPORT = qw(
    expand_env_in_text env_to_nginx is_str check_accum_error_log is_running
    $NoLongString no_long_string $ServerAddr server_addr $ServerName
    server_name parse_time verbose sleep_time bail_out add_cleanup_handler
    add_test_cleanup_handler access_log_data error_log_data
    setup_server_root write_config_file get_canon_version get_nginx_version
    trim show_all_chars parse_headers run_tests run_test
    get_pid_from_pidfile $ServerPortForClient $ServerPort $NginxVersion
    $PidFile $ServRoot $ConfFile $RunTestHelper $CheckErrorLog
    $CheckShutdownErrorLog $FilterHttpConfig $NoNginxManager $RepeatEach
    add_block_preprocessor timeout worker_connections workers master_on
    master_off config_preamble repeat_each master_process_enabled log_level
    no_shuffle no_root_location html_dir server_root server_port
    server_port_for_client no_nginx_manager use_hup
    is_tcp_port_used
);

# ---------------------------------------------------------------------------
# Preamble functions (getters without arguments, setters with one).
# ---------------------------------------------------------------------------

sub repeat_each (@)        { $RepeatEach = shift if @_; $RepeatEach }
sub workers (@)            { $Workers = shift if @_; $Workers }
sub worker_connections (@) {
    $WorkerConnections = shift if @_;
    $WorkerConnections;
}
sub log_level (@)          { $LogLevel = shift if @_; $LogLevel }
sub timeout (@)            { $Timeout = shift if @_; $Timeout }
sub server_name (@)        { $ServerName = shift if @_; $ServerName }
sub server_addr (@)        { $ServerAddr = shift if @_; $ServerAddr }
sub server_port (@)        { $ServerPort = shift if @_; $ServerPort }
sub server_port_for_client (@) {
    $ServerPortForClient = shift if @_;
    $ServerPortForClient;
}
sub master_on ()           { $MasterProcessEnabled = 'on' }
sub master_off ()          { $MasterProcessEnabled = 'off' }
sub master_process_enabled (@) {
    $MasterProcessEnabled = (shift() ? 'on' : 'off') if @_;
    $MasterProcessEnabled;
}
sub no_long_string ()      { $NoLongString = 1 }
sub no_shuffle ()          { $NoShuffle = 1 }
sub no_root_location ()    { $NoRootLocation = 1 }
sub no_nginx_manager ()    { $NoNginxManager = 1 }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }
sub config_preamble ($)    { $ConfigPreamble = shift }
sub html_dir ()            { $HtmlDir }
sub server_root ()         { $ServRoot }
sub sleep_time             { $TestNginxSleep }
sub verbose                { $Verbose }
sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }
sub add_cleanup_handler ($)      { unshift @CleanupHandlers, shift }
sub add_test_cleanup_handler ($) { unshift @TestCleanupHandlers, shift }

sub use_hup () {
    warn "WARNING: use_hup() is not supported by the t/compat runner; "
         . "nginx is restarted instead\n";
}

sub env_to_nginx (@) {
    Carp::croak("env_to_nginx: no arguments specified") unless @_;
    for my $v (@_) {
        Carp::croak("env_to_nginx: bad argument value: $v\n")
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}

# ---------------------------------------------------------------------------
# Small helpers shared with Test::Nginx::Socket.
# ---------------------------------------------------------------------------

# "nginx" from PATH, else Debian's /usr/sbin/nginx (sbin is often not in a
# non-root PATH).
sub find_nginx {
    for my $dir (split /\Q$Config::Config{path_sep}\E/, $ENV{PATH} || '') {
        next if $dir eq '';
        return "$dir/nginx" if -f "$dir/nginx" && -x _;
    }
    return '/usr/sbin/nginx' if -x '/usr/sbin/nginx';
    return 'nginx';
}

# String equality that honours no_long_string() and Regexp expectations.
sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    return Test::More::like($got, $expected, $desc)
        if ref $expected && ref $expected eq 'Regexp';
    return Test::More::is($got, $expected, $desc) if $NoLongString;
    return is_string($got, $expected, $desc);
}

# "50ms" -> 0.05, "2s" / "2" -> 2.
sub parse_time ($) {
    my $tm = shift;
    return $tm unless defined $tm;
    if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
        $tm = $tm / 1000;
    } else {
        $tm =~ s/([^_a-zA-Z])s$/$1/;
    }
    return $tm;
}

sub trim ($) {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /gs;
    $s =~ s/\s{2,}/ /gs;
    return $s;
}

sub show_all_chars ($) {
    my $s = shift;
    $s =~ s/\n/\\n/gs;
    $s =~ s/\r/\\r/gs;
    $s =~ s/\t/\\t/gs;
    return $s;
}

# "Name: value" lines -> { Name => value }; "!Name" -> { Name => undef }.
sub parse_headers ($) {
    my $s = shift;
    my %headers;
    for my $line (split /\n/, $s) {
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '';
        if ($line =~ s/^!\s*//) {
            $headers{$line} = undef;
        } else {
            my ($key, $val) = split /\s*:\s*/, $line, 2;
            $headers{$key} = $val;
        }
    }
    return \%headers;
}

# Replace $TEST_NGINX_FOO by $ENV{TEST_NGINX_FOO}.  $TEST_NGINX_RAND_PORT_N
# gets a free port, the same one for the whole block.  An unset variable
# aborts the run, as in the real module.
sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;
    return $text unless defined $text && !ref $text;
    $rand_ports ||= {};
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
            $rand_ports->{$var} //= gen_rand_port($rand_ports)
                // bail_out("$name - Cannot find an available port for $var.\n");
        } else {
            defined $ENV{$var}
                or bail_out("$name - No environment $var defined.\n");
            $ENV{$var};
        }
    }eg;
    return $text;
}

sub is_tcp_port_used ($) {
    my $port = shift;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Proto => 'tcp',
                                     Timeout => 0.1);
    return $sock ? 1 : 0;
}

# A free port in 10000..60000, not the server port nor one already handed out.
sub gen_rand_port {
    my $taken = shift || {};
    my %used = ($ServerPort => 1, map { $_ => 1 } values %$taken);
    for (1 .. 1000) {
        my $port = 10000 + int(rand(50000));
        next if $used{$port} || is_tcp_port_used($port);
        return $port;
    }
    return undef;
}

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(@_);
}

# ---------------------------------------------------------------------------
# Versions (for skip_nginx & co.)
# ---------------------------------------------------------------------------

sub get_canon_version (@) { sprintf "%d.%03d%03d", $_[0], $_[1], $_[2] }

sub get_nginx_version () {
    my $out = `$NginxBinary -V 2>&1`;
    if (!defined $out || $? != 0) {
        bail_out("Failed to get the version of the nginx binary "
                 . "\"$NginxBinary\": " . ($out // ''));
    }
    if ($out =~ /built with OpenSSL (\d+)\.(\d+)\.(\d+)/) {
        $OpenSSLVersion = get_canon_version($1, $2, $3);
    }
    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        return get_canon_version($1, $2, $3);
    }
    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

# ---------------------------------------------------------------------------
# Logs.
# ---------------------------------------------------------------------------

# error.log lines written since the previous call within this block (all
# lines with check_accum_error_log()).  The short sleep lets nginx finish
# its log phase, which runs after the response was sent.
sub error_log_data () {
    sleep $TestNginxSleep * 3;
    open my $in, '<', $ErrLogFile or return [];
    seek $in, $ErrLogFilePos, 0 if !$CheckAccumErrLog && $ErrLogFilePos > 0;
    my @lines = <$in>;
    $ErrLogFilePos = tell $in unless $CheckAccumErrLog;
    close $in;
    return \@lines;
}

# The whole access.log.
sub access_log_data () {
    sleep $TestNginxSleep * 3;
    open my $in, '<', $AccLogFile or return [];
    my @lines = <$in>;
    close $in;
    return \@lines;
}

# ---------------------------------------------------------------------------
# Server root, user files, nginx.conf.
# ---------------------------------------------------------------------------

# Recreate servroot/{conf,html,logs}.  Only the directories this runner
# creates are removed, so a mistaken TEST_NGINX_SERVROOT does not wipe data.
sub setup_server_root () {
    if (-d $ServRoot) {
        remove_tree($ConfDir, $CacheDir, $HtmlDir, $LogDir,
                    glob("$ServRoot/*_cache"), glob("$ServRoot/*_temp"));
        rmdir $ServRoot
            or bail_out("Can't remove $ServRoot (not empty?): $!");
    }
    for my $dir ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        mkdir $dir or bail_out("Failed to do mkdir $dir: $!\n");
    }
    write_file("$HtmlDir/index.html", '<html><head><title>It works!</title>'
               . '</head><body>It works!</body></html>');
}

sub write_file {
    my ($path, $data) = @_;
    if ($path =~ m{(.*)/} && !-d $1) {
        make_path($1) or bail_out("Cannot create directory $1");
    }
    open my $out, '>', $path or bail_out("Cannot open $path for writing: $!\n");
    binmode $out;
    print $out $data;
    close $out;
}

# --- user_files: ">>> name [touch-date]" headers followed by the content;
# or (eval) [[name, content, date], ...].  Relative names go under html/.
sub write_user_files ($$) {
    my ($block, $rand_ports) = @_;
    my $name  = $block->name;
    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;
        for my $line (split /^/, $files) {
            if ($line =~ />>> (\S+)(?:\s+(.+))?/) {
                push @list, [$1, undef, $2];
            } elsif (@list) {
                $list[-1][1] .= $line;
            }
        }
        $files = \@list;
    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: " . ref($files)
                 . ", only scalar or ARRAY are accepted");
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        write_file($path, expand_env_in_text($body // '', $name, $rand_ports));
        if ($date) {
            system("TZ=GMT touch -t '$date' '$path'") == 0
                or bail_out("Failed to set the date of $path to $date\n");
        }
    }
}

# nginx.conf, laid out like the real module's so that error messages and
# line numbers look familiar.
sub write_config_file ($$$) {
    my ($block, $config, $rand_ports) = @_;
    my $name = $block->name;

    my $http_config = expand_env_in_text($block->http_config // '', $name,
                                         $rand_ports);
    $http_config = $FilterHttpConfig->($http_config) if $FilterHttpConfig;

    my $main_config = $block->main_config // '';
    if ($LoadModules) {
        my @lines = map { "load_module " . module_path($_) . ";" }
                    grep { length } split /\s+/, $LoadModules;
        $main_config = join " ", @lines, $main_config;
    }
    $main_config = expand_env_in_text($main_config, $name, $rand_ports);
    my $post_main_config = expand_env_in_text($block->post_main_config // '',
                                              $name, $rand_ports);

    my $err_log_file = expand_env_in_text($block->error_log_file || $ErrLogFile,
                                          $name, $rand_ports);
    my $server_name = $block->server_name // $ServerName;
    $server_name =~ s/\\/\\\\/g;
    $server_name =~ s/'/\\'/g;
    $config //= '';

    # Temp paths under the server root, unless the test sets its own.
    my $temp_paths = '';
    for my $t (qw(client_body proxy fastcgi scgi uwsgi)) {
        next if $http_config =~ /\b${t}_temp_path\b/;
        $temp_paths .= " ${t}_temp_path $ServRoot/${t}_temp;";
    }

    my $env = join '', map { my $v = /\s/ ? "'$_'" : $_; "env $v;\n" }
                       @EnvToNginx;

    my $root_location = $NoRootLocation ? '' : <<"_EOC_";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_

    # TEST_NGINX_POSTPONE_OUTPUT=N adds "postpone_output N;" unless the
    # test sets it; TEST_NGINX_EVENT_TYPE picks the event method.
    my $postpone = '';
    if (defined $PostponeOutput && $http_config !~ /\bpostpone_output\b/) {
        bail_out("Bad TEST_NGINX_POSTPONE_OUTPUT value: $PostponeOutput\n")
            if $PostponeOutput !~ /^\d+$/;
        $postpone = "\n    postpone_output $PostponeOutput;\n";
    }
    my $use_events = $EventType ? "    use $EventType;\n" : '';

    my $user = defined $WorkerUser ? "user $WorkerUser;\n"
             : $> == 0             ? "user root;\n"
             :                       '';

    write_file($ConfFile, <<"_EOC_");
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $err_log_file $LogLevel;
pid       $PidFile;
env MOCKEAGAIN_VERBOSE;
env MOCKEAGAIN;
env MOCKEAGAIN_WRITE_TIMEOUT_PATTERN;
env LD_PRELOAD;
env LD_LIBRARY_PATH;
env DYLD_INSERT_LIBRARIES;
env DYLD_FORCE_FLAT_NAMESPACE;
$env
$main_config

http {
    access_log $AccLogFile;$temp_paths
    #access_log off;

    default_type text/plain;
    keepalive_timeout  68000ms;

$http_config
    server {
        listen          $ServerPort;
        #placeholder
        server_name     '$server_name';

        client_max_body_size 30M;
        #client_body_buffer_size 4k;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_location    }
$postpone}

$post_main_config

#timer_resolution 100ms;

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
$use_events}
env ASAN_OPTIONS;
env MOCKNOEAGAIN_VERBOSE;
env MOCKNOEAGAIN;
$user
_EOC_
}

# TEST_NGINX_LOAD_MODULES entries: nginx resolves relative load_module
# paths against its prefix (the server root), so a relative path that
# exists relative to the current directory is made absolute.
sub module_path {
    my $path = shift;
    return $path if File::Spec->file_name_is_absolute($path) || !-e $path;
    return Cwd::abs_path($path);
}

# ---------------------------------------------------------------------------
# The nginx process.
# ---------------------------------------------------------------------------

sub get_pid_from_pidfile ($) {
    open my $in, '<', $PidFile or return undef;
    my $pid = do { local $/; <$in> };
    close $in;
    return undef unless defined $pid && $pid =~ /(\d+)/;
    return $1;
}

# Alive and not a zombie (nginx daemonizes, so it is not our child and a
# container's init may be slow to reap it).
sub is_running ($) {
    my $pid = shift;
    return 0 unless $pid && kill 0, $pid;
    if (open my $st, '<', "/proc/$pid/stat") {
        my $stat = <$st> // '';
        return 0 if $stat =~ /^\d+ \(.*\) Z/s;
    }
    return 1;
}

# QUIT (graceful; TERM with TEST_NGINX_FAST_SHUTDOWN), wait up to timeout(),
# then TERM for a second, then KILL.
sub kill_process ($$) {
    my ($pid, $name) = @_;
    return unless is_running($pid);
    kill($ENV{TEST_NGINX_FAST_SHUTDOWN} ? SIGTERM : SIGQUIT, $pid);
    for my $step ([$Timeout, undef], [1, SIGTERM], [1, SIGKILL]) {
        my ($wait, $sig) = @$step;
        if ($sig) {
            warn "$name - WARNING: nginx $pid still running, sending "
                 . ($sig == SIGKILL ? 'KILL' : 'TERM') . "\n";
            kill $sig, $pid;
        }
        for (my $t = 0; $t < $wait; $t += 0.02) {
            waitpid($pid, WNOHANG);
            return unless is_running($pid);
            sleep 0.02;
        }
    }
}

sub stop_nginx ($) {
    my $name = shift;
    my $pid = get_pid_from_pidfile($name);
    kill_process($pid, $name) if $pid;
    # nginx removes its pid file on exit; give it a moment, then clean up.
    for (1 .. 50) {
        last unless -f $PidFile;
        sleep 0.01;
    }
    unlink $PidFile;
}

# Start nginx for the current block.  Returns 1 on success; on failure it
# reports one failed test (with nginx's own output and the error.log tail)
# and returns 0.
sub start_nginx ($) {
    my $name = shift;
    my $cmd = "$NginxBinary -p $ServRoot/ -c $ConfFile";
    # -e (the startup error log) exists since nginx 1.19.5.
    $cmd = "$NginxBinary -e $ErrLogFile -p $ServRoot/ -c $ConfFile"
        if $NginxVersion && $NginxVersion >= 1.019005;
    my $waited = 0;
    while (1) {
        system("$cmd > $StartLog 2>&1");
        my $status = $?;
        if ($status == 0) {
            # The daemon writes its pid file right after forking.
            for (1 .. 200) {
                last if -s $PidFile;
                sleep 0.01;
            }
            sleep $TestNginxSleep;
            return 1;
        }
        my $out = slurp($StartLog);
        # The previous instance may still hold the port for a moment.
        if ($out =~ /Address already in use/ && $waited < 5) {
            sleep 0.2;
            $waited += 0.2;
            next;
        }
        my $tb = Test::More->builder;
        $tb->no_ending(1);
        Test::More::fail("$name - nginx failed to start (command \"$cmd\", "
                         . "exit code " . ($status >> 8) . ")");
        Test::More::diag("nginx output:\n$out") if length $out;
        my @log = split /^/, slurp($ErrLogFile);
        splice @log, 0, @log - 20 if @log > 20;
        Test::More::diag("tail of $ErrLogFile:\n", @log) if @log;
        return 0;
    }
}

sub slurp {
    my $file = shift;
    open my $in, '<', $file or return '';
    local $/;
    my $data = <$in>;
    close $in;
    return $data // '';
}

# shutdown_error_log checks of the block that ran on the nginx just stopped.
sub check_prev_block_shutdown_error_log () {
    my $block = $PrevBlock or return;
    return unless defined $block->shutdown_error_log
                  || defined $block->no_shutdown_error_log;
    $CheckShutdownErrorLog->($block, $ENV{TEST_NGINX_NO_CLEAN} ? 1 : 0)
        if $CheckShutdownErrorLog;
}

sub cleanup () {
    $_->() for @CleanupHandlers;
}

# ---------------------------------------------------------------------------
# The run loop.
# ---------------------------------------------------------------------------

sub run_tests () {
    $NginxVersion = get_nginx_version();
    $ENV{TEST_NGINX_SERVER_PORT} //= $ServerPort;

    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;
    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;
        $block->set_value("name", $0 . " " . $block->name);
        run_test($block);
        $_->($block) for @TestCleanupHandlers;
        $PrevBlock = $block;
    }
    cleanup();
}

# "N: <op> 1.2.3[: reason]" -> (N, reason) when the version test is true.
sub version_skip {
    my ($spec, $have, $what, $name) = @_;
    $spec =~ /^\s*(\d+)\s*:\s*([<>]=?|==)\s*(\d+)\.(\d+)\.(\d+)[a-z]?
              (?:\s*:\s*(.*?))?\s*$/x
        or bail_out("$name - Invalid --- skip spec: $spec");
    my ($n, $op, @v) = ($1, $2, $3, $4, $5);
    my $reason = $6 || "$what version $op " . join('.', @v);
    my $ver = get_canon_version(@v);
    my $hit = !defined $have ? 1 : eval "$have $op $ver";
    return $hit ? ($n, $reason) : ();
}

sub run_test ($) {
    my $block = shift;
    return if defined $block->SKIP;

    my $name = $block->name;
    my $rand_ports = {};
    $RandPorts = $rand_ports;

    local $LogLevel = $block->log_level || $LogLevel;

    # Sections this runner cannot honour: skip the block's tests.
    for my $sec (qw(http2 http3 udp_listen tcp_listen must_die)) {
        if (defined $block->$sec) {
            my $n = Test::Nginx::Socket::estimate_tests($block);
            Test::More::diag("$name - --- $sec is not supported by the "
                             . "t/compat runner; skipping $n tests");
            SKIP: { Test::More::skip("$name - --- $sec not supported", $n) }
            return;
        }
    }

    my $config = expand_env_in_text($block->config, $name, $rand_ports);

    # Conditional skips and todos: "N: <op> x.y.z[: reason]" or "N: perl".
    my ($tests_to_skip, $should_skip, $skip_reason, $should_todo);
    if (defined(my $spec = $block->skip_nginx)) {
        ($tests_to_skip, $skip_reason) =
            version_skip($spec, $NginxVersion, 'nginx', $name);
        $should_skip = defined $tests_to_skip;
    }
    if (!$should_skip && defined(my $spec = $block->skip_openssl)) {
        ($tests_to_skip, $skip_reason) =
            version_skip($spec, $OpenSSLVersion, 'OpenSSL', $name);
        $should_skip = defined $tests_to_skip;
    }
    if (!$should_skip && defined(my $spec = $block->skip_eval)) {
        $spec =~ /^\s*(\d+)\s*:\s*(.*)/s
            or bail_out("$name - Invalid --- skip_eval spec: $spec");
        $tests_to_skip = $1;
        $skip_reason = 'skip_eval';
        $should_skip = eval $2;
        bail_out("$name - skip_eval - failed to eval the Perl code: $@") if $@;
    }
    if (defined(my $todo = $block->todo)) {
        $todo =~ /^\s*(\d+)\s*:\s*(.*)/s
            or bail_out("$name - Invalid --- todo spec: $todo");
        ($should_todo, $tests_to_skip, $skip_reason) = (1, $1, $2);
    }

    # Restart nginx for every block that has a config (like the real module
    # with its default TEST_NGINX_FORCE_RESTART_ON_TEST=1); a block without
    # one runs against the nginx left by the previous block.
    my $should_restart = 0;
    if (defined $config && !$NoNginxManager) {
        $should_restart = !defined $PrevConfig || $config ne $PrevConfig
                          || $ForceRestartOnTest;
    } elsif (!defined $config && !$NoNginxManager && !defined $PrevConfig) {
        bail_out("$name - No '--- config' section specified and could not "
                 . "get previous one. Use TEST_NGINX_NO_NGINX_MANAGER ?");
    }

    if ($should_restart && !$should_skip) {
        stop_nginx($name);
        check_prev_block_shutdown_error_log();
        undef $PrevBlock;
        setup_server_root();
        if (my $code = $block->post_setup_server_root) {
            eval $code;
            bail_out("$name - post_setup_server_root failed: $@") if $@;
        }
        write_user_files($block, $rand_ports);
        write_config_file($block, $config, $rand_ports);
        $ErrLogFilePos = 0;
        if (!start_nginx($name)) {
            undef $PrevConfig;    # force a fresh start for the next block
            return;
        }
        $PrevConfig = $config;
    }

    if (my $code = $block->init) {
        eval $code;
        bail_out("$name - init failed: $@") if $@;
    }

    $ErrLogFilePos = 0;
    for my $i (1 .. $RepeatEach) {
        write_user_files($block, $rand_ports) if $i > 1;
        if ($should_skip && defined $tests_to_skip) {
            SKIP: { Test::More::skip("$name - $skip_reason", $tests_to_skip) }
        } elsif ($should_todo) {
            TODO: { Test::More::todo_skip("$name - $skip_reason",
                                          $tests_to_skip) }
        } else {
            $RunTestHelper->($block, 0, $i - 1);
        }
    }
}

END {
    return if $InSubprocess || $$ != $MainPid;
    local $?;    # keep Test::Builder's exit code
    cleanup();
    if (!$ENV{TEST_NGINX_NO_CLEAN} && -f $PidFile) {
        stop_nginx('END');
    }
    check_prev_block_shutdown_error_log();
}

1;
