
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
static void test_strict_utf8(void);
static void test_surrogates(void);
static void test_plain(void);
static void t_outcome(cc_alloc_t *a, cc_json_t *v, const char *err,
    char *out, size_t outlen);
static void test_parse_nomem(void);
static void test_gen_utf8(void);
static void test_gen_nomem(void);
static cc_json_t *t_parse_pieces(cc_alloc_t *a, const char *doc, size_t len,
    size_t piece, int strict, char *err, size_t errlen,
    cc_json_parser_t **pp);


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
    test_strict_utf8();
    test_surrogates();
    test_plain();
    test_parse_nomem();
    test_gen_utf8();
    test_gen_nomem();
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
        { "\"\xff\"", "invalid UTF-8 at offset 1" },
        { "{\"a\":[\"ok\",\"x\xc0\xaf\"]}",
          "invalid UTF-8 in a[1] at byte 1" },
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


/* doc fed piece bytes at a time (0: at once) */
static cc_json_t *
t_parse_pieces(cc_alloc_t *a, const char *doc, size_t len, size_t piece,
    int strict, char *err, size_t errlen, cc_json_parser_t **pp)
{
    size_t             off, n;
    cc_json_parser_t  *p;

    *pp = NULL;

    p = cc_json_parser_create(a);
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    *pp = p;

    if (strict) {
        cc_json_parser_strict(p);
    }

    if (piece == 0) {
        piece = len ? len : 1;
    }

    for (off = 0; off < len; off += n) {
        n = len - off < piece ? len - off : piece;

        if (cc_json_parser_feed(p, (const u_char *) doc + off, n, err, errlen)
            != CC_OK)
        {
            return NULL;
        }
    }

    return cc_json_parser_finish(p, err, errlen);
}


/*
 * Client input: every kind of invalid UTF-8, raw or as an escaped lone
 * surrogate, fails the parse with the place named, however the input is
 * cut into pieces.
 */
static void
test_strict_utf8(void)
{
    int                bad;
    size_t             i, piece, at;
    char               err[128];
    cc_json_t         *v;
    const char        *path;
    cc_json_parser_t  *p;
    cc_test_arena_t    a;

    static const struct {
        const char   *in;
        const char   *path;         /* NULL: a key or the top level */
        size_t        at;
    } cases[] = {
        { "{\"messages\":[{\"content\":\"ok\"},"
          "{\"content\":\"Hello, \xc0\xaf\"}]}", "messages[1].content", 7 },
        { "{\"m\":\"\xed\xa0\x80\"}", "m", 0 },          /* surrogate */
        { "{\"m\":\"ab\xf4\x90\x80\x80\"}", "m", 2 },    /* > U+10FFFF */
        { "{\"m\":\"ab\xf5\x80\x80\x80\"}", "m", 2 },
        { "{\"m\":\"end \xe2\x82\"}", "m", 4 },          /* cut */
        { "{\"m\":\"\xe2\x82\\n\"}", "m", 0 },           /* cut by \ */
        { "{\"m\":\"\x80\"}", "m", 0 },                  /* lone byte */
        { "{\"m\":\"\xe0\x80\xaf\"}", "m", 0 },          /* overlong */
        { "{\"m\":\"\xf0\x80\x80\xaf\"}", "m", 0 },
        { "{\"m\":[\"a\",\"b\\udc00\"]}", "m[1]", 1 },  /* lone low */
        { "{\"m\":{\"k\":\"\\ud800x\"}}", "m.k", 0 },   /* lone high */
        { "{\"m\":\"\\u00e9\\ud800\\u0041\"}", "m", 2 }, /* high, no low */
        { "{\"m\":\"\\ud800\\ud800\\udc00\"}", "m", 0 },
        { "{\"m\":\"\\ud800\\n\"}", "m", 0 },
        { "{\"m\":\"\\ud800\"}", "m", 0 },
        { "{\"k\xc0\xaf\":1}", NULL, 3 },                /* in a key */
        { "{\"ok\":\"fine\",\"k\\udc00\":1}", NULL, 15 },
        { "\"top \xff\"", NULL, 5 },
        { "{\"a\":\"x\xff", NULL, 7 },                    /* cut short */
        { "{\"a\":\"x\xe2\x82", NULL, 7 },
        { NULL, NULL, 0 }
    };

    static const char  valid[] = "{\"a\":\"\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80"
                                 "\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80"
                                 "\xf4\x8f\xbf\xbf\\ud83d\\ude00\\uDBFF"
                                 "\\uDFFF\\u0000\"}";

    cc_test_arena_init(&a);

    for (i = 0; cases[i].in; i++) {
        for (piece = 0; piece < 14; piece++) {
            err[0] = '\0';

            v = t_parse_pieces(&a.alloc, cases[i].in, strlen(cases[i].in),
                               piece, 1, err, sizeof(err), &p);
            if (!CHECK(v == NULL && p != NULL)) {
                fprintf(stderr, "  case %zu piece %zu parsed\n", i, piece);
                continue;
            }

            path = NULL;
            at = 0;
            bad = cc_json_parser_bad_utf8(p, &path, &at);

            if (!CHECK(bad == 1
                       && ((path == NULL && cases[i].path == NULL)
                           || (path && cases[i].path
                               && strcmp(path, cases[i].path) == 0))
                       && at == cases[i].at))
            {
                fprintf(stderr, "  case %zu piece %zu: %d %s %zu (%s)\n", i,
                        piece, bad, path ? path : "(null)", at, err);
            }
        }
    }

    /* the log line says the same */
    v = cc_json_parse_strict(&a.alloc, (const u_char *) cases[0].in,
                             strlen(cases[0].in), err, sizeof(err));
    CHECK(v == NULL);
    CHECK(strcmp(err, "invalid UTF-8 in messages[1].content at byte 7") == 0);

    /* valid text of every length, raw and escaped, passes strictly */
    v = cc_json_parse_strict(&a.alloc, (const u_char *) valid,
                             sizeof(valid) - 1, err, sizeof(err));
    if (CHECK(v != NULL)) {
        v = cc_json_get(v, "a");
        CHECK(v != NULL && v->str.len == 31
              && memcmp(v->str.data + 22, "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
                        8) == 0);
    }

    /* no UTF-8 error: nothing to say */
    v = cc_json_parse_strict(&a.alloc, (const u_char *) "{", 1, err,
                             sizeof(err));
    CHECK(v == NULL);

    /* bytes outside a string are bad JSON, not bad UTF-8 (yajl's offset) */
    v = t_parse_pieces(&a.alloc, "{\"a\":1}\xff", 8, 0, 1, err, sizeof(err),
                       &p);
    CHECK(v == NULL && p != NULL && !cc_json_parser_bad_utf8(p, &path, &at));
    CHECK(strcmp(err, "parse error: trailing garbage at offset 8") == 0);

    v = t_parse_pieces(&a.alloc, "{\xc3\xa9}", 4, 0, 1, err, sizeof(err), &p);
    CHECK(v == NULL && p != NULL && !cc_json_parser_bad_utf8(p, &path, &at));
    CHECK(strcmp(err, "lexical error: invalid char in json text at offset 2")
          == 0);

    /* a syntax error before a bad byte is the syntax error */
    v = t_parse_pieces(&a.alloc, "{\"a\":x,\"b\":\"\xff\"}", 14, 0, 1, err,
                       sizeof(err), &p);
    CHECK(v == NULL && p != NULL && !cc_json_parser_bad_utf8(p, &path, &at));

    cc_test_arena_destroy(&a);
}


/*
 * Text that needs no rewriting goes to yajl as it is (cc_json_plain()),
 * the rest through the filter, feed by feed: however a document is cut,
 * and whichever way each piece goes, the outcome is that of the whole.
 */
static void
test_plain(void)
{
    int                strict;
    char               err[128], want[512], got[512];
    size_t             i, len, cut, piece;
    cc_json_t         *v;
    cc_json_parser_t  *p;
    cc_test_arena_t    a;

    static const char  *docs[] = {
        "{\"a\":\"x\\\"y\",\"b\":\"\\u00e9\\ud83d\\ude00\","
            "\"c\":\"\xc3\xa9\xf0\x9f\x98\x80\"}",
        "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hi \\\"you\\\"\\n\"},"
            "\"p\":\"abcdefghijklmnopqrstuvwxyz\"}",
        "[\"\\\\u\",\"\\\\\",\"\\\\\\ud800\",\"\\\\\\\\\",1,true,null]",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00x\",\"k\\u00e9\":1}",
        "{\"\\ud800\":1}",
        "{\"a\":\"\xc3\"}",
        "{\"a\":\"ok\",\"b\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\\uD83D\\uDE00\\uDBFF\\uDFFF\\u0000\\uZZZZ\"}",
        "{\"a\":\"x\"}\xff",
        "{\"a\" : [ \"b\" , \"\xe2\x82\xac\" ] , \"c\":\"\\ud83d\"}",
        "{\"a\":\"\\",
        "{\"a\":\"\\u00",
        NULL
    };

    for (strict = 0; strict < 2; strict++) {
        for (i = 0; docs[i]; i++) {
            len = strlen(docs[i]);

            cc_test_arena_init(&a);

            err[0] = '\0';
            v = t_parse_pieces(&a.alloc, docs[i], len, 0, strict, err,
                               sizeof(err), &p);
            t_outcome(&a.alloc, v, err, want, sizeof(want));

            /* cut in two anywhere */

            for (cut = 0; cut <= len; cut++) {
                err[0] = '\0';
                p = cc_json_parser_create(&a.alloc);
                if (!CHECK(p != NULL)) {
                    break;
                }

                if (strict) {
                    cc_json_parser_strict(p);
                }

                v = NULL;

                if (cc_json_parser_feed(p, (const u_char *) docs[i], cut,
                                        err, sizeof(err)) == CC_OK
                    && cc_json_parser_feed(p, (const u_char *) docs[i] + cut,
                                           len - cut, err, sizeof(err))
                       == CC_OK)
                {
                    v = cc_json_parser_finish(p, err, sizeof(err));
                }

                t_outcome(&a.alloc, v, err, got, sizeof(got));

                if (!CHECK(strcmp(want, got) == 0)) {
                    fprintf(stderr, "  doc %zu strict %d cut %zu: %s / %s\n",
                            i, strict, cut, want, got);
                }
            }

            /* in pieces of every size */

            for (piece = 1; piece < 9; piece++) {
                err[0] = '\0';
                v = t_parse_pieces(&a.alloc, docs[i], len, piece, strict, err,
                                   sizeof(err), &p);
                t_outcome(&a.alloc, v, err, got, sizeof(got));

                if (!CHECK(strcmp(want, got) == 0)) {
                    fprintf(stderr, "  doc %zu strict %d piece %zu: %s / %s\n",
                            i, strict, piece, want, got);
                }
            }

            cc_test_arena_destroy(&a);
        }
    }

    /* what the whole documents come to */

    cc_test_arena_init(&a);

    v = cc_json_parse(&a.alloc, (const u_char *) docs[3], strlen(docs[3]),
                      err, sizeof(err));
    t_outcome(&a.alloc, v, err, got, sizeof(got));
    CHECK(strcmp(got, "{\"a\":\"\xef\xbf\xbd\"}") == 0);

    v = cc_json_parse_strict(&a.alloc, (const u_char *) docs[3],
                             strlen(docs[3]), err, sizeof(err));
    CHECK(v == NULL && strcmp(err, "invalid UTF-8 in a at byte 0") == 0);

    v = cc_json_parse(&a.alloc, (const u_char *) docs[1], strlen(docs[1]),
                      err, sizeof(err));
    t_outcome(&a.alloc, v, err, got, sizeof(got));
    CHECK(strcmp(got, docs[1]) == 0);

    v = cc_json_parse(&a.alloc, (const u_char *) docs[8], strlen(docs[8]),
                      err, sizeof(err));
    CHECK(v == NULL
          && strcmp(err, "lexical error: invalid (non-hex) character occurs "
                         "after '\\u' inside string at offset 38") == 0);

    cc_test_arena_destroy(&a);
}


/* the document printed, or the error */
static void
t_outcome(cc_alloc_t *a, cc_json_t *v, const char *err, char *out,
    size_t outlen)
{
    cc_str_t  s;

    if (v == NULL) {
        snprintf(out, outlen, "error: %s", err);
        return;
    }

    if (cc_json_serialize(a, v, &s) != CC_OK) {
        snprintf(out, outlen, "no memory");
        return;
    }

    snprintf(out, outlen, "%.*s", (int) s.len, (char *) s.data);
}


/* Bedrock's text: lone surrogates become U+FFFD, pairs their character */
static void
test_surrogates(void)
{
    size_t             i, piece;
    char               err[128];
    cc_json_t         *v;
    cc_json_parser_t  *p;
    cc_test_arena_t    a;

    static const struct {
        const char   *in;
        const char   *out;
    } cases[] = {
        { "\"a\\udc00b\"", "a\xef\xbf\xbd" "b" },
        { "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80" },
        { "\"\\uD83D\\uDE00x\"", "\xf0\x9f\x98\x80x" },
        { "\"\\ud800x\"", "\xef\xbf\xbdx" },
        { "\"\\ud800\\u0041\"", "\xef\xbf\xbd" "A" },
        { "\"\\ud800\\ud800\\udc00\"", "\xef\xbf\xbd\xf0\x90\x80\x80" },
        { "\"\\ud800\\ud800\"", "\xef\xbf\xbd\xef\xbf\xbd" },
        { "\"\\ud800\\n\"", "\xef\xbf\xbd\n" },
        { "\"\\ud800\\\\\"", "\xef\xbf\xbd\\" },
        { "\"\\ud800\\\"\"", "\xef\xbf\xbd\"" },
        { "\"\\ud800\"", "\xef\xbf\xbd" },
        { "\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf" },
        { "\"\\udfff\\ud800\"", "\xef\xbf\xbd\xef\xbf\xbd" },
        { "\"x\\\\ud800\"", "x\\ud800" },                /* not an escape */
        { NULL, NULL }
    };

    cc_test_arena_init(&a);

    for (i = 0; cases[i].in; i++) {
        for (piece = 0; piece < 14; piece++) {
            err[0] = '\0';

            v = t_parse_pieces(&a.alloc, cases[i].in, strlen(cases[i].in),
                               piece, 0, err, sizeof(err), &p);
            if (!CHECK(v != NULL && v->type == CC_JSON_STRING)) {
                fprintf(stderr, "  case %zu piece %zu: %s\n", i, piece, err);
                continue;
            }

            EXPECT_STR(v->str, cases[i].out);
        }
    }

    /* a bad escape is still yajl's error */
    v = cc_json_parse(&a.alloc, (const u_char *) "\"\\ud800\\uzzzz\"", 14,
                      err, sizeof(err));
    CHECK(v == NULL);

    v = cc_json_parse(&a.alloc, (const u_char *) "\"\\uzz\"", 6, err,
                      sizeof(err));
    CHECK(v == NULL);

    /* raw invalid bytes are an error in Bedrock's text too */
    v = cc_json_parse(&a.alloc, (const u_char *) "{\"t\":\"a\xc0\xaf\"}", 12,
                      err, sizeof(err));
    CHECK(v == NULL && strcmp(err, "invalid UTF-8 in t at byte 1") == 0);

    cc_test_arena_destroy(&a);
}


/*
 * yajl given no memory: for every N, an arena that refuses after N
 * allocations makes the parse fail cleanly ("out of memory") or succeed,
 * whatever the pieces; never a crash (ASan would tell).
 */
static void
test_parse_nomem(void)
{
    long               n;
    size_t             piece, i;
    char               err[128], doc[6000];
    cc_json_t         *v;
    cc_json_parser_t  *p;
    cc_test_arena_t    a;

    /* long strings with escapes so that yajl's own buffers grow */
    i = (size_t) snprintf(doc, sizeof(doc), "{\"messages\":[");

    for (n = 0; n < 40; n++) {
        i += snprintf(doc + i, sizeof(doc) - i,
                      "%s{\"role\":\"user\",\"content\":\"line %ld \\u00e9 "
                      "\\ud83d\\ude00 \\\"quoted\\\" %0*d\"}", n ? "," : "",
                      n, (int) (n * 3), 0);
    }

    i += snprintf(doc + i, sizeof(doc) - i, "],\"x\":[[[[1.5e3,true,null]]]]}");

    for (piece = 0; piece < 3; piece++) {
        for (n = 0; /* void */; n++) {
            cc_test_arena_init(&a);
            a.fail_after = n;

            err[0] = '\0';
            v = t_parse_pieces(&a.alloc, doc, i,
                               piece == 0 ? 0 : piece == 1 ? 1 : 700, 1,
                               err, sizeof(err), &p);

            if (v != NULL) {
                CHECK(cc_json_get(v, "messages") != NULL
                      && cc_json_get(v, "messages")->n == 40);
                cc_test_arena_destroy(&a);
                break;
            }

            if (!CHECK(strcmp(err, "out of memory") == 0)) {
                fprintf(stderr, "  n %ld piece %zu: %s\n", n, piece, err);
                cc_test_arena_destroy(&a);
                break;
            }

            cc_test_arena_destroy(&a);
        }

        CHECK(n > 10);
    }
}


/* every byte a generator prints is UTF-8, whatever it is given */
static void
test_gen_utf8(void)
{
    size_t           i;
    yajl_gen         g;
    cc_str_t         out;
    cc_gen_out_t     o;
    cc_test_arena_t  a;

    static const struct {
        const char   *in;
        const char   *out;
    } cases[] = {
        { "caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"" },
        { "\xed\xb0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
        { "a\xc0\xaf\n", "\"a\xef\xbf\xbd\xef\xbf\xbd\\n\"" },
        { "cut \xe2\x82", "\"cut \xef\xbf\xbd\xef\xbf\xbd\"" },
        { "\xe2\x82\"x", "\"\xef\xbf\xbd\xef\xbf\xbd\\\"x\"" },
        { "\xf4\x90\x80\x80",
          "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
        { NULL, NULL }
    };

    cc_test_arena_init(&a);

    for (i = 0; cases[i].in; i++) {
        cc_gen_out_init(&o, &a.alloc);

        g = cc_gen_create(&a.alloc, &o);
        if (!CHECK(g != NULL)) {
            continue;
        }

        CHECK(yajl_gen_string(g, (const u_char *) cases[i].in,
                              strlen(cases[i].in))
              == yajl_gen_status_ok);

        out.data = NULL;
        out.len = 0;

        CHECK(cc_gen_output(&a.alloc, &o, &out) == CC_OK);
        EXPECT_STR(out, cases[i].out);
        CHECK(cc_utf8_check(out.data, out.len) == out.len);
        CHECK((o.replaced != 0) == (i != 0));

        yajl_gen_free(g);
    }

    /* cc_gen_add() too */
    cc_gen_out_init(&o, &a.alloc);
    cc_gen_add(&o, "x\xff", 2);
    out.data = NULL;
    out.len = 0;
    CHECK(cc_gen_output(&a.alloc, &o, &out) == CC_OK);
    EXPECT_STR(out, "x\xef\xbf\xbd");

    cc_test_arena_destroy(&a);
}


/* a generator's creation and its output with an arena that refuses */
static void
test_gen_nomem(void)
{
    long              n;
    cc_str_t          out;
    cc_json_t        *v;
    cc_test_arena_t   a, doc;
    char              err[128];

    static const char  json[] = "{\"a\":[1,2,{\"b\":\"c\\u00e9\"}],\"d\":null}";

    cc_test_arena_init(&doc);

    v = cc_json_parse(&doc.alloc, (const u_char *) json, sizeof(json) - 1,
                      err, sizeof(err));
    if (!CHECK(v != NULL)) {
        cc_test_arena_destroy(&doc);
        return;
    }

    for (n = 0; /* void */; n++) {
        cc_test_arena_init(&a);
        a.fail_after = n;

        if (cc_json_serialize(&a.alloc, v, &out) == CC_OK) {
            EXPECT_STR(out, "{\"a\":[1,2,{\"b\":\"c\xc3\xa9\"}],\"d\":null}");
            cc_test_arena_destroy(&a);
            break;
        }

        cc_test_arena_destroy(&a);
    }

    CHECK(n > 0);

    cc_test_arena_destroy(&doc);
}
