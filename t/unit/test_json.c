
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The arena-backed yajl DOM: parsing whole and split at every offset,
 * exact re-serialization, member lookup, numbers, error reasons, the
 * nesting bound, that every byte comes from the arena; the growable
 * buffer.
 */


#include "test_util.h"

#include "cc_json.h"


static void test_roundtrip(void);
static void test_split(void);
static void test_lookup(void);
static void test_numbers(void);
static void test_errors(void);
static void test_depth(void);
static void test_arena_only(void);
static void test_utf8(void);
static void test_buf(void);


static const char  *roundtrip[] = {
    "{}",
    "[]",
    "null",
    "\"x\"",
    "{\"a\":[1,2.5e3,-0,\"x\xc3\xa9\\n\",true,false,null,{\"b\":{}}]}",
    "{\"model\":\"amazon.nova-lite-v1:0\",\"messages\":[{\"role\":\"user\","
        "\"content\":\"Hi \\\"there\\\"\"}],\"stream\":true}",
    "[[[[[[[[[[1]]]]]]]]]]",
    "{\"\\u0000\":\"nul\\u0000inside\"}",
    "\"\xe2\x82\xac \xf0\x9f\x98\x80\"",
    NULL
};


int
main(void)
{
    test_roundtrip();
    test_split();
    test_lookup();
    test_numbers();
    test_errors();
    test_depth();
    test_arena_only();
    test_utf8();
    test_buf();

    return cc_test_done("test_json");
}


static void
test_roundtrip(void)
{
    char              err[128];
    cc_str_t          out;
    cc_json_t        *v;
    const char      **s;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    for (s = roundtrip; *s; s++) {
        v = cc_json_parse(&a.alloc, (const u_char *) *s, strlen(*s), err,
                          sizeof(err));
        if (!CHECK(v != NULL)) {
            fprintf(stderr, "  %s: %s\n", *s, err);
            continue;
        }

        CHECK(cc_json_serialize(&a.alloc, v, &out) == CC_OK);
        EXPECT_STR(out, *s);
    }

    cc_test_arena_destroy(&a);
}


/* the request body arrives in buffers split anywhere */

static void
test_split(void)
{
    char               err[128];
    size_t             i, len;
    cc_str_t           out;
    cc_json_t         *v;
    const char        *doc;
    cc_test_arena_t    a;
    cc_json_parser_t  *p;

    doc = roundtrip[5];
    len = strlen(doc);

    for (i = 0; i <= len; i++) {
        cc_test_arena_init(&a);

        p = cc_json_parser_create(&a.alloc);
        CHECK(p != NULL);

        CHECK(cc_json_parser_feed(p, (const u_char *) doc, i, err,
                                  sizeof(err))
              == CC_OK);
        CHECK(cc_json_parser_feed(p, (const u_char *) doc + i, len - i, err,
                                  sizeof(err))
              == CC_OK);

        v = cc_json_parser_finish(p, err, sizeof(err));
        if (CHECK(v != NULL)) {
            CHECK(cc_json_serialize(&a.alloc, v, &out) == CC_OK);
            EXPECT_STR(out, doc);
        }

        cc_test_arena_destroy(&a);
    }
}


static void
test_lookup(void)
{
    char              err[128];
    cc_json_t        *v, *m;
    const char       *doc;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    doc = "{\"a\":1,\"b\":{\"c\":\"d\"},\"a\":2}";

    v = cc_json_parse(&a.alloc, (const u_char *) doc, strlen(doc), err,
                      sizeof(err));
    CHECK(v != NULL && v->type == CC_JSON_OBJECT);
    EXPECT_UINT(v->n, 3);

    /* the last duplicate wins, as in most JSON parsers */
    m = cc_json_get(v, "a");
    CHECK(m != NULL && m->type == CC_JSON_NUMBER);
    EXPECT_STR(m->str, "2");

    m = cc_json_get(cc_json_get(v, "b"), "c");
    CHECK(m != NULL && m->type == CC_JSON_STRING);
    EXPECT_STR(m->str, "d");

    CHECK(cc_json_get(v, "missing") == NULL);
    CHECK(cc_json_get(m, "c") == NULL);
    CHECK(cc_json_get(NULL, "c") == NULL);

    /* escapes are decoded: \u00e9 is the two UTF-8 bytes of e-acute */
    v = cc_json_parse(&a.alloc, (const u_char *) "\"\\u00e9\\t\"", 10, err,
                      sizeof(err));
    CHECK(v != NULL && v->type == CC_JSON_STRING);
    EXPECT_STR(v->str, "\xc3\xa9\t");

    cc_test_arena_destroy(&a);
}


static void
test_numbers(void)
{
    char              err[128];
    double            d;
    int64_t           n;
    cc_json_t        *v;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    v = cc_json_parse(&a.alloc, (const u_char *) "0.7", 3, err, sizeof(err));
    CHECK(v != NULL && cc_json_double(v, &d) == CC_OK && d == 0.7);
    CHECK(cc_json_int(v, &n) == CC_ERROR);

    v = cc_json_parse(&a.alloc, (const u_char *) "250", 3, err, sizeof(err));
    CHECK(v != NULL && cc_json_int(v, &n) == CC_OK);
    EXPECT_INT(n, 250);

    v = cc_json_parse(&a.alloc, (const u_char *) "99999999999999999999", 20,
                      err, sizeof(err));
    CHECK(v != NULL && cc_json_int(v, &n) == CC_ERROR);

    v = cc_json_parse(&a.alloc, (const u_char *) "1e999", 5, err,
                      sizeof(err));
    CHECK(v != NULL && cc_json_double(v, &d) == CC_ERROR);

    v = cc_json_parse(&a.alloc, (const u_char *) "\"1\"", 3, err,
                      sizeof(err));
    CHECK(v != NULL && cc_json_int(v, &n) == CC_ERROR);

    cc_test_arena_destroy(&a);
}


static void
test_errors(void)
{
    size_t            i;
    char              err[128];
    cc_json_t        *v;
    cc_test_arena_t   a;

    static const struct {
        const char   *in;
        const char   *err;
    } cases[] = {
        { "{\"a\":", "parse error: premature EOF" },
        { "{\"a\":x}", "lexical error: invalid char in json text at offset 6" },
        { "{} 1", "parse error: trailing garbage" },
        { "", "parse error: premature EOF" },
        { "\"\xff\"", "lexical error: invalid bytes in UTF8 string"
                      " at offset 2" },
        { "[1,]", "parse error: unallowed token at this point in JSON text"
                  " at offset 4" },
        { NULL, NULL }
    };

    cc_test_arena_init(&a);

    for (i = 0; cases[i].in; i++) {
        err[0] = '\0';

        v = cc_json_parse(&a.alloc, (const u_char *) cases[i].in,
                          strlen(cases[i].in), err, sizeof(err));
        CHECK(v == NULL);

        if (!CHECK(strcmp(err, cases[i].err) == 0)) {
            fprintf(stderr, "  %s: got \"%s\"\n", cases[i].in, err);
        }
    }

    cc_test_arena_destroy(&a);
}


static void
test_depth(void)
{
    int               i;
    char              doc[2 * CC_JSON_MAX_DEPTH + 8], err[128];
    cc_json_t        *v;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    for (i = 0; i < CC_JSON_MAX_DEPTH; i++) {
        doc[i] = '[';
        doc[2 * CC_JSON_MAX_DEPTH - 1 - i] = ']';
    }

    v = cc_json_parse(&a.alloc, (const u_char *) doc, 2 * CC_JSON_MAX_DEPTH,
                      err, sizeof(err));
    CHECK(v != NULL);

    memmove(doc + 1, doc, 2 * CC_JSON_MAX_DEPTH);
    doc[0] = '[';
    doc[2 * CC_JSON_MAX_DEPTH + 1] = ']';

    v = cc_json_parse(&a.alloc, (const u_char *) doc,
                      2 * CC_JSON_MAX_DEPTH + 2, err, sizeof(err));
    CHECK(v == NULL);
    CHECK(strcmp(err, "nesting deeper than 64 levels") == 0);

    cc_test_arena_destroy(&a);
}


/* yajl's handles and buffers come from the arena too: nothing leaks */

static void
test_arena_only(void)
{
    char              err[128];
    size_t            before;
    cc_str_t          out;
    cc_json_t        *v;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    before = a.nallocs;

    v = cc_json_parse(&a.alloc, (const u_char *) roundtrip[4],
                      strlen(roundtrip[4]), err, sizeof(err));
    CHECK(v != NULL);
    CHECK(cc_json_serialize(&a.alloc, v, &out) == CC_OK);
    CHECK(a.nallocs > before);

    /* ASan's leak check at exit proves the rest */
    cc_test_arena_destroy(&a);
}


/* a tool's answer in Latin-1 must not make Bedrock refuse the round */

static void
test_utf8(void)
{
    size_t            i;
    cc_str_t          out;
    cc_test_arena_t   a;

    static const struct {
        const char   *in;
        const char   *out;
    } cases[] = {
        { "plain ascii", "plain ascii" },
        { "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
          "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
        { "Caf\xe9 cr\xe8me", "Caf\xef\xbf\xbd cr\xef\xbf\xbdme" },
        { "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },      /* overlong */
        { "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
        { "\xf4\x90\x80\x80x",                        /* > U+10FFFF */
          "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx" },
        { "end \xe2\x82", "end \xef\xbf\xbd\xef\xbf\xbd" },  /* cut */
        { "", "" },
        { NULL, NULL }
    };

    cc_test_arena_init(&a);

    for (i = 0; cases[i].in; i++) {
        CHECK(cc_utf8_sanitize(&a.alloc, (const u_char *) cases[i].in,
                               strlen(cases[i].in), &out)
              == CC_OK);
        EXPECT_STR(out, cases[i].out);
    }

    /* valid input is not copied */
    CHECK(cc_utf8_sanitize(&a.alloc, (const u_char *) cases[1].in,
                           strlen(cases[1].in), &out) == CC_OK);
    CHECK(out.data == (u_char *) cases[1].in);

    cc_test_arena_destroy(&a);
}


/* cc_buf_t: growth, its minimum, borrowed data, arrays, no memory */
static void
test_buf(void)
{
    u_char           *data;
    size_t            i, *n;
    cc_buf_t          b;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    /* a zeroed buffer grows to what is needed, then twice its room */

    memset(&b, 0, sizeof(cc_buf_t));

    EXPECT_INT(cc_buf_append(&a.alloc, &b, (u_char *) "abc", 3), CC_OK);
    EXPECT_MEM(b.data, b.len, "abc", 3);
    EXPECT_INT(b.cap, 3);

    EXPECT_INT(cc_buf_append(&a.alloc, &b, (u_char *) "d", 1), CC_OK);
    EXPECT_MEM(b.data, b.len, "abcd", 4);
    EXPECT_INT(b.cap, 6);

    data = b.data;

    EXPECT_INT(cc_buf_append(&a.alloc, &b, (u_char *) "ef", 2), CC_OK);
    EXPECT_MEM(b.data, b.len, "abcdef", 6);
    CHECK(b.data == data);

    EXPECT_INT(cc_buf_append(&a.alloc, &b, (u_char *) "0123456789", 10),
               CC_OK);
    EXPECT_MEM(b.data, b.len, "abcdef0123456789", 16);
    EXPECT_INT(b.cap, 16);

    /* nothing to append: no allocation, p may be NULL */

    i = a.nallocs;
    EXPECT_INT(cc_buf_append(&a.alloc, &b, NULL, 0), CC_OK);
    EXPECT_INT(a.nallocs, i);

    /* the minimum, and room reserved ahead */

    memset(&b, 0, sizeof(cc_buf_t));
    b.min = 64;

    EXPECT_INT(cc_buf_append(&a.alloc, &b, (u_char *) "x", 1), CC_OK);
    EXPECT_INT(b.cap, 64);

    EXPECT_INT(cc_buf_reserve(&a.alloc, &b, 63), CC_OK);
    EXPECT_INT(b.cap, 64);
    EXPECT_INT(cc_buf_reserve(&a.alloc, &b, 64), CC_OK);
    EXPECT_INT(b.cap, 128);
    EXPECT_INT(b.len, 1);
    EXPECT_MEM(b.data, b.len, "x", 1);

    /* data that is not the buffer's own (cap < len) is copied, not used */

    b.data = (u_char *) "lit";
    b.len = 3;
    b.cap = 0;
    b.min = 0;

    EXPECT_INT(cc_buf_append(&a.alloc, &b, (u_char *) "!", 1), CC_OK);
    EXPECT_MEM(b.data, b.len, "lit!", 4);
    CHECK(b.data != (u_char *) "lit");
    EXPECT_INT(b.cap, 4);

    /* an array */

    memset(&b, 0, sizeof(cc_buf_t));
    b.min = 4 * sizeof(size_t);

    for (i = 0; i < 100; i++) {
        if (cc_buf_append(&a.alloc, &b, (u_char *) &i, sizeof(size_t))
            != CC_OK)
        {
            break;
        }
    }

    EXPECT_INT(b.len, 100 * sizeof(size_t));
    EXPECT_INT(b.cap, 128 * sizeof(size_t));

    n = (size_t *) b.data;
    CHECK(n[0] == 0 && n[57] == 57 && n[99] == 99);

    /* out of memory: the buffer is as it was */

    a.fail_after = 0;
    data = b.data;

    EXPECT_INT(cc_buf_append(&a.alloc, &b, (u_char *) "y", 1), CC_OK);
    EXPECT_INT(cc_buf_reserve(&a.alloc, &b, b.cap), CC_ERROR);
    CHECK(b.data == data);
    EXPECT_INT(b.len, 100 * sizeof(size_t) + 1);
    EXPECT_INT(b.cap, 128 * sizeof(size_t));

    EXPECT_INT(cc_buf_reserve(&a.alloc, &b, SIZE_MAX), CC_ERROR);
    CHECK(b.data == data);

    cc_test_arena_destroy(&a);
}
