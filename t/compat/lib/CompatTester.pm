package CompatTester;

# A Test::Nginx::Socket subclass written the usual way (like a project's
# t::SomeTester): everything Test::Nginx::Socket exports must reach the .t
# files that "use CompatTester", and its block preprocessor must apply.
# Used by t/compat/selftest_subclass.t.

use Test::Nginx::Socket -Base;

add_block_preprocessor(sub {
    my $block = shift;
    if (!defined $block->config) {
        $block->set_value("config", <<'_END_');
    location = /sub {
        return 200 "from subclass\n";
    }
_END_
    }
});

1;
