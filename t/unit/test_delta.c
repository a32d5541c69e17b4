
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * cc_delta_scan(): the text of a contentBlockDelta, the index of a
 * contentBlockStop and the stopReason of a messageStop read without a
 * DOM, and every other shape declined (the DOM reads those), so that
 * what the stream says is the same either way.
 */


#include "test_util.h"

#include "cc_delta.h"
#include "cc_sse.h"


static void test_taken(void);
static void test_declined(void);
static void test_nomem(void);
static void test_same_chunks(void);
static void test_stops(void);
static void test_usage(void);
static cc_alloc_t *t_arena(void);
static int t_delta(const char *payload, size_t len, cc_str_t *text);
static int t_scan(const char *payload, cc_delta_t *ev);
static void t_chunk(int dom, const char *payload, cc_str_t *out);
static void t_event(cc_stream_t *s, const char *type, const char *payload,
    cc_str_t *out);


int
main(void)
{
    test_taken();
    test_declined();
    test_nomem();
    test_same_chunks();
    test_stops();
    test_usage();

    return cc_test_done("test_delta");
}


/* one arena for the checks, freed at exit */
static cc_alloc_t *
t_arena(void)
{
    static cc_test_arena_t  a;
    static int              ready;

    if (!ready) {
        cc_test_arena_init(&a);
        ready = 1;
    }

    return &a.alloc;
}


/* the payload in a malloc'd copy of its own: nothing may point into it */
static int
t_delta(const char *payload, size_t len, cc_str_t *text)
{
    int              rc;
    u_char          *p;
    cc_delta_t       ev;
    p = malloc(len + 1);
    if (p == NULL) {
        abort();
    }

    memcpy(p, payload, len);

    rc = cc_delta_scan(t_arena(), p, len, &ev);

    memset(p, 'X', len);
    free(p);

    *text = ev.text;

    return rc;
}


static int
t_scan(const char *payload, cc_delta_t *ev)
{
    return cc_delta_scan(t_arena(), (const u_char *) payload,
                         strlen(payload), ev);
}


static void
test_taken(void)
{
    size_t     i;
    cc_str_t   text;

    static const struct {
        const char  *in;
        const char  *text;          /* NULL: no text */
    } cases[] = {
        { "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hel\"}}", "Hel" },

        /* escapes are decoded; Bedrock's padding is skipped */
        { "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hi \\\"you\\\"\\n"
          "\\u00e9\\ud83d\\ude00\xc3\xa9\"},\"p\":\"abcdefghijklmn\"}",
          "Hi \"you\"\n\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9" },

        /* a "delta" below the top level is not the event's */
        { "{\"p\":{\"delta\":{\"text\":\"no\"}},\"delta\":{\"text\":\"yes\"},"
          "\"q\":[{\"delta\":{\"text\":\"no\"}},[\"text\"],null,true,1.5]}",
          "yes" },
        { "{\"p\":[{\"delta\":1}],\"contentBlockIndex\":0}", NULL },
        { "{\"delta\":{}}", NULL },
        { "{}", NULL },
        { "{\"delta\":{\"text\":\"\"}}", "" },
        { " \n{\"delta\" : {\"text\" : \"x\"} }\t ", "x" },
        { NULL, NULL }
    };

    for (i = 0; cases[i].in; i++) {
        text.data = (u_char *) "junk";
        text.len = 4;

        if (!CHECK(t_delta(cases[i].in, strlen(cases[i].in), &text)
                   == CC_OK))
        {
            fprintf(stderr, "  case %zu: %s\n", i, cases[i].in);
            continue;
        }

        if (cases[i].text == NULL) {
            CHECK(text.data == NULL && text.len == 0);

        } else {
            CHECK(text.data != NULL);
            EXPECT_MEM(text.data, text.len, cases[i].text,
                       strlen(cases[i].text));
        }
    }

    /* a NUL from an escape is text like any other */
    CHECK(t_delta("{\"delta\":{\"text\":\"a\\u0000b\"}}", 29, &text)
          == CC_OK);
    EXPECT_MEM(text.data, text.len, "a\0b", 3);
}


static void
test_declined(void)
{
    size_t     i;
    cc_str_t   text;

    static const char  *cases[] = {
        /* other deltas: the DOM reads them */
        "{\"contentBlockIndex\":1,\"delta\":{\"toolUse\":{\"input\":\"{}\"}}}",
        "{\"delta\":{\"reasoningContent\":{\"text\":\"hm\"}}}",
        "{\"delta\":{\"text\":\"a\",\"toolUse\":{\"input\":\"\"}}}",

        /* keys twice: which one counts is the DOM's to say */
        "{\"delta\":{\"text\":\"a\",\"text\":\"b\"}}",
        "{\"delta\":{\"text\":\"a\"},\"delta\":{\"text\":\"b\"}}",
        "{\"delta\":{},\"delta\":{\"text\":\"b\"}}",

        /* text, or delta, of another type */
        "{\"delta\":{\"text\":5}}",
        "{\"delta\":{\"text\":null}}",
        "{\"delta\":{\"text\":true}}",
        "{\"delta\":{\"text\":[\"a\"]}}",
        "{\"delta\":{\"text\":{\"a\":1}}}",
        "{\"delta\":\"text\"}",
        "{\"delta\":[{\"text\":\"a\"}]}",
        "{\"delta\":null}",

        /* not one object */
        "\"text\"",
        "[{\"delta\":{\"text\":\"a\"}}]",
        "5",
        "",
        " ",
        "{\"delta\":{\"text\":\"a\"}",
        "{\"delta\":{\"text\":\"a\"}}x",
        "{\"delta\":{\"text\":\"a\"}}{}",
        "{\"delta\":{\"text\":\"a\"},}",
        "{delta:1}",

        /* text the filter rewrites, or refuses */
        "{\"delta\":{\"text\":\"a\\ud800b\"}}",
        "{\"delta\":{\"text\":\"\\udc00\"}}",
        "{\"delta\":{\"text\":\"\\ud83d\"}}",
        "{\"delta\":{\"text\":\"\\ud83d\\u0041\"}}",
        "{\"delta\":{\"text\":\"\\ud83d\\ud83d\\ude00\"}}",
        "{\"delta\":{\"text\":\"\\ud83d\\ude00\\ude00\"}}",
        "{\"delta\":{\"text\":\"\\ud83d\\n\"}}",
        "{\"delta\":{\"text\":\"\xc3\"}}",
        "{\"delta\":{\"text\":\"\xed\xa0\x80\"}}",
        "{\"delta\":{\"text\":\"\xc0\xaf\"}}",
        "{\"p\":\"\xff\",\"delta\":{\"text\":\"a\"}}",
        NULL
    };

    for (i = 0; cases[i]; i++) {
        if (!CHECK(t_delta(cases[i], strlen(cases[i]), &text)
                   == CC_DECLINED))
        {
            fprintf(stderr, "  case %zu: %s\n", i, cases[i]);
        }
    }
}


/* an arena that refuses, at any allocation: declined, nothing else */
static void
test_nomem(void)
{
    int               rc;
    long              n;
    cc_delta_t        d;
    cc_test_arena_t   a;

    static const char  ev[] = "{\"contentBlockIndex\":0,"
                              "\"delta\":{\"text\":\"Hi \\\"x\\\"\"},"
                              "\"p\":\"abcdef\"}";

    for (n = 0; n < 64; n++) {
        cc_test_arena_init(&a);
        a.fail_after = n;

        rc = cc_delta_scan(&a.alloc, (const u_char *) ev, sizeof(ev) - 1,
                           &d);

        if (rc == CC_OK) {
            EXPECT_MEM(d.text.data, d.text.len, "Hi \"x\"", 6);
            cc_test_arena_destroy(&a);
            break;
        }

        CHECK(rc == CC_DECLINED);
        cc_test_arena_destroy(&a);
    }

    /* some allocation was refused before one run went through */
    CHECK(n > 0 && n < 64);
}


/*
 * What goes out for a delta read without the DOM is what the DOM makes
 * of it: the same payloads with a member that sends them to the DOM (an
 * escaped lone surrogate, which the DOM turns into U+FFFD, in a member
 * that is skipped).
 */
static void
test_same_chunks(void)
{
    size_t     i;
    cc_str_t   fast, dom;
    char       buf[256];

    static const char  *texts[] = {
        "Hello",
        "Hi \\\"you\\\"\\n\\t\\\\ \\/ \\u00e9\\ud83d\\ude00",
        "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
        "<script>\\u2028\\u2029",
        " ",
        "",
        NULL
    };

    for (i = 0; texts[i]; i++) {
        snprintf(buf, sizeof(buf),
                 "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"%s\"},"
                 "\"p\":\"abc\"}", texts[i]);
        t_chunk(0, buf, &fast);

        snprintf(buf, sizeof(buf),
                 "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"%s\"},"
                 "\"p\":\"\\ud800\"}", texts[i]);
        t_chunk(1, buf, &dom);

        if (!CHECK(fast.len == dom.len
                   && (fast.len == 0
                       || memcmp(fast.data, dom.data, fast.len) == 0)))
        {
            fprintf(stderr, "  text %zu: %.*s / %.*s\n", i,
                    (int) fast.len, (char *) fast.data,
                    (int) dom.len, (char *) dom.data);
        }

        if (texts[i][0]) {
            CHECK(fast.len > 0);
        }
    }
}


/* the chunk a stream makes of one delta (dom: the payload is declined) */
static void
t_chunk(int dom, const char *payload, cc_str_t *out)
{
    cc_delta_t   ev;
    cc_stream_t  s;

    CHECK(cc_delta_scan(t_arena(), (const u_char *) payload, strlen(payload),
                        &ev)
          == (dom ? CC_DECLINED : CC_OK));

    cc_stream_init(&s);
    t_event(&s, "contentBlockDelta", payload, out);
}


/* contentBlockIndex and stopReason: taken, declined, the same chunks */
static void
test_stops(void)
{
    size_t        i;
    cc_str_t      out;
    cc_delta_t    ev;
    cc_stream_t   s;

    static const char  *declined[] = {
        "{\"contentBlockIndex\":-1}",
        "{\"contentBlockIndex\":1.0}",
        "{\"contentBlockIndex\":1e2}",
        "{\"contentBlockIndex\":1234567890}",
        "{\"contentBlockIndex\":\"1\"}",
        "{\"contentBlockIndex\":[1]}",
        "{\"contentBlockIndex\":{\"a\":1}}",
        "{\"contentBlockIndex\":null}",
        "{\"contentBlockIndex\":1,\"contentBlockIndex\":2}",
        "{\"stopReason\":5}",
        "{\"stopReason\":null}",
        "{\"stopReason\":[\"end_turn\"]}",
        "{\"stopReason\":{\"a\":\"b\"}}",
        "{\"stopReason\":\"a\",\"stopReason\":\"b\"}",
        "{\"stopReason\":\"\\udc00\"}",
        NULL
    };

    CHECK(t_scan("{\"contentBlockIndex\":12,\"p\":\"abcd\"}", &ev) == CC_OK);
    CHECK(ev.index == 12 && ev.stop_reason.data == NULL
          && ev.text.data == NULL);

    CHECK(t_scan("{\"contentBlockIndex\":123456789}", &ev) == CC_OK);
    CHECK(ev.index == 123456789);

    CHECK(t_scan("{\"stopReason\":\"tool_use\",\"p\":{\"stopReason\":1},"
                 "\"q\":[{\"contentBlockIndex\":-5}]}", &ev) == CC_OK);
    EXPECT_MEM(ev.stop_reason.data, ev.stop_reason.len, "tool_use", 8);
    CHECK(ev.index == -1);

    CHECK(t_scan("{\"p\":\"x\"}", &ev) == CC_OK);
    CHECK(ev.index == -1 && ev.stop_reason.data == NULL);

    for (i = 0; declined[i]; i++) {
        if (!CHECK(t_scan(declined[i], &ev) == CC_DECLINED)) {
            fprintf(stderr, "  case %zu: %s\n", i, declined[i]);
        }
    }

    /*
     * A block index of -1 is no forced tool's (-1 is "none yet"): no
     * "{}" for it, nor its tool input as text, read either way.
     */

    cc_stream_init(&s);
    t_event(&s, "contentBlockStop", "{\"contentBlockIndex\":-1}", &out);
    EXPECT_INT(out.len, 0);

    t_event(&s, "contentBlockDelta", "{\"contentBlockIndex\":-1,"
            "\"delta\":{\"toolUse\":{\"input\":\"{}\"}}}", &out);
    EXPECT_INT(out.len, 0);

    /* a stop reason read without a DOM is the DOM's */

    t_event(&s, "messageStop", "{\"stopReason\":\"max_tokens\"}", &out);
    EXPECT_INT(out.len, 0);
    EXPECT_MEM(s.round.stop_reason.data, s.round.stop_reason.len,
               "max_tokens", 10);

    cc_stream_init(&s);
    t_event(&s, "messageStop", "{\"stopReason\":\"max_tokens\","
            "\"p\":\"\\ud800\"}", &out);
    EXPECT_MEM(s.round.stop_reason.data, s.round.stop_reason.len,
               "max_tokens", 10);
}


/* one event on a stream whose role chunk went out */
static void
t_event(cc_stream_t *s, const char *type, const char *payload,
    cc_str_t *out)
{
    cc_str_t            m, ty;
    cc_stream_fault_t   fault;
    s->id.data = (u_char *) "chatcmpl-1";
    s->id.len = 10;
    s->model.data = (u_char *) "m";
    s->model.len = 1;
    s->created = 1;
    s->role_sent = 1;

    m.data = (u_char *) "event";
    m.len = 5;
    ty.data = (u_char *) type;
    ty.len = strlen(type);

    out->data = NULL;
    out->len = 0;
    memset(&fault, 0, sizeof(cc_stream_fault_t));

    CHECK(cc_stream_event(t_arena(), s, &m, &ty, (const u_char *) payload,
                          strlen(payload), out, &fault)
          == CC_OK);
}


/* metadata: the counts read as cc_round.c reads them, or declined */
static void
test_usage(void)
{
    size_t        i;
    cc_delta_t    ev;

    static const char  *declined[] = {
        "{\"usage\":{\"inputTokens\":1},\"trace\":{\"guardrail\":{}}}",
        "{\"serviceTier\":{\"type\":\"priority\"},\"usage\":{}}",
        "{\"usage\":{\"inputTokens\":-1}}",
        "{\"usage\":{\"inputTokens\":1.5}}",
        "{\"usage\":{\"outputTokens\":1e3}}",
        "{\"usage\":{\"totalTokens\":1234567890123456789}}",
        "{\"usage\":{\"inputTokens\":\"12\"}}",
        "{\"usage\":{\"inputTokens\":null}}",
        "{\"usage\":{\"inputTokens\":{\"n\":1}}}",
        "{\"usage\":{\"inputTokens\":[1]}}",
        "{\"usage\":{\"inputTokens\":1,\"inputTokens\":2}}",
        "{\"usage\":{},\"usage\":{}}",
        "{\"usage\":[]}",
        "{\"usage\":5}",
        "{\"usage\":null}",
        NULL
    };

    CHECK(t_scan("{\"usage\":{\"inputTokens\":12,\"outputTokens\":3,"
                 "\"totalTokens\":15},\"metrics\":{\"latencyMs\":702},"
                 "\"p\":\"abcdef\"}", &ev) == CC_OK);
    CHECK(ev.has_usage && ev.usage.input == 12 && ev.usage.output == 3
          && ev.usage.total == 15 && ev.usage.cache_read == 0
          && ev.usage.cache_write == 0);

    /* no total: the sum; the cache's counts; other members skipped */
    CHECK(t_scan("{\"usage\":{\"outputTokens\":7,\"inputTokens\":5,"
                 "\"cacheReadInputTokens\":100,\"other\":{\"inputTokens\":"
                 "-9,\"x\":[1.5]},\"cacheWriteInputTokens\":20}}", &ev)
          == CC_OK);
    CHECK(ev.has_usage && ev.usage.input == 5 && ev.usage.output == 7
          && ev.usage.total == 12 && ev.usage.cache_read == 100
          && ev.usage.cache_write == 20);

    /* counts beyond 2^53 - 1 are that */
    CHECK(t_scan("{\"usage\":{\"inputTokens\":999999999999999999,"
                 "\"outputTokens\":999999999999999999}}", &ev) == CC_OK);
    CHECK(ev.usage.input == CC_USAGE_MAX && ev.usage.output == CC_USAGE_MAX
          && ev.usage.total == CC_USAGE_MAX);

    CHECK(t_scan("{\"metrics\":{\"latencyMs\":1}}", &ev) == CC_OK);
    CHECK(!ev.has_usage);

    for (i = 0; declined[i]; i++) {
        if (!CHECK(t_scan(declined[i], &ev) == CC_DECLINED)) {
            fprintf(stderr, "  case %zu: %s\n", i, declined[i]);
        }
    }
}
