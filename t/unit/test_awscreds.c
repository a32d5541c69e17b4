
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The wire formats of AWS's credential sources: ISO 8601 times (also
 * against the C library's timegm() over two centuries), the JSON of IMDS
 * and of the container endpoint, STS's XML answers (successes, errors,
 * every truncation, DTDs, text in pieces), STS's request bodies byte by
 * byte, and the profiles of the shared files.  Every input is copied to
 * a block of its exact size first, so that ASan sees any read past it.
 * The keys are AWS's published example values.
 *
 *     make -C t/unit build/test_awscreds && t/unit/build/test_awscreds
 */


#include "test_util.h"

#include <time.h>

#include "cc_awscreds.h"
#include "cc_profile.h"
#include "cc_sts.h"


typedef struct {
    const char               *in;
    int                       rc;
    int64_t                   t;
} test_time_t;


static u_char *test_copy(cc_test_arena_t *a, const char *s, size_t *len);
static const u_char *test_find(const u_char *p, size_t len, const char *s);
static int test_iso(const char *s, int64_t *t);
static void test_iso8601(void);
static void test_iso8601_timegm(void);
static int test_json(cc_test_arena_t *a, const char *s, cc_aws_creds_t *c,
    const char **err);
static void test_creds_json(void);
static void test_creds_json_errors(void);
static void test_creds_json_memory(void);
static int test_sts(cc_test_arena_t *a, const char *s, cc_aws_creds_t *c,
    cc_str_t *code, cc_str_t *msg);
static void test_sts_success(void);
static cc_buf_t test_long_token(cc_test_arena_t *a, const char *extra);
static void test_sts_pieces(void);
static void test_sts_error(void);
static void test_sts_malformed(void);
static void test_sts_truncated(void);
static void test_sts_memory(void);
static void test_str(cc_str_t *s, const char *v);
static void test_sts_body(void);
static int test_profile(cc_test_arena_t *a, const char *cred,
    const char *conf, const char *name, cc_aws_profile_t *p);
static void test_profile_basic(void);
static void test_profile_sections(void);
static void test_profile_lines(void);
static void test_profile_duration(void);
static void test_profile_memory(void);
static void test_container_host(void);


#define T_AKID    "ASIAIOSFODNN7EXAMPLE"
#define T_SECRET  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define T_TOKEN                                                             \
    "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDEXAMPLE+Tok" \
    "en/zK7M2c1Cq5YbYyQ0mK3Ej1h2b3c4d5e6f7g8h9i0jAiBEXAMPLEtokenPart2=="

/* 2026-12-06T12:00:00Z */
#define T_BASE    1796558400


static const test_time_t  iso_cases[] = {

    { "1970-01-01T00:00:00Z", CC_OK, 0 },
    { "1970-01-01T00:00:01Z", CC_OK, 1 },
    { "1969-12-31T23:59:59Z", CC_OK, -1 },
    { "2026-12-06T12:00:00Z", CC_OK, T_BASE },
    { "2026-12-06t12:00:00z", CC_OK, T_BASE },
    { "2019-11-09T13:34:41Z", CC_OK, 1573306481 },
    { "1999-12-31T23:59:59Z", CC_OK, 946684799 },
    { "2000-02-29T00:00:00Z", CC_OK, 951782400 },
    { "2024-02-29T23:59:59Z", CC_OK, 1709251199 },
    { "2026-01-01T00:00:00Z", CC_OK, 1767225600 },
    { "2038-01-19T03:14:08Z", CC_OK, 2147483648LL },
    { "1901-12-13T20:45:52Z", CC_OK, -2147483648LL },
    { "2106-02-07T06:28:16Z", CC_OK, 4294967296LL },
    { "2100-02-28T23:59:59Z", CC_OK, 4107542399LL },
    { "2400-02-29T12:00:00Z", CC_OK, 13574606400LL },
    { "1600-03-01T00:00:00Z", CC_OK, -11670912000LL },
    { "0000-01-01T00:00:00Z", CC_OK, -62167219200LL },
    { "9999-12-31T23:59:59Z", CC_OK, 253402300799LL },

    /* fractional seconds are dropped */
    { "2026-12-06T12:00:00.123Z", CC_OK, T_BASE },
    { "2026-12-06T12:00:00.999999999Z", CC_OK, T_BASE },
    { "2026-12-06T12:00:00.0Z", CC_OK, T_BASE },
    { "2026-12-06T12:00:00.5+01:00", CC_OK, T_BASE - 3600 },

    /* offsets */
    { "2026-12-06T12:00:00+00:00", CC_OK, T_BASE },
    { "2026-12-06T12:00:00-00:00", CC_OK, T_BASE },
    { "2026-12-06T12:00:00+0000", CC_OK, T_BASE },
    { "2026-12-06T12:00:00+00", CC_OK, T_BASE },
    { "2026-12-06T12:00:00+01:00", CC_OK, T_BASE - 3600 },
    { "2026-12-06T12:00:00-0530", CC_OK, T_BASE + 19800 },
    { "2026-12-06T12:00:00+05:30", CC_OK, T_BASE - 19800 },
    { "2026-12-06T12:00:00+05", CC_OK, T_BASE - 18000 },
    { "2026-12-06T12:00:00-12", CC_OK, T_BASE + 43200 },
    { "2026-12-06T12:00:00+23:59", CC_OK, T_BASE - 86340 },
    { "1970-01-01T00:00:00+01:00", CC_OK, -3600 },
    { "2026-12-31T23:30:00-01:00", CC_OK, 1798761600LL + 1800 },

    /* ranges */
    { "2026-13-01T00:00:00Z", CC_ERROR, 0 },
    { "2026-00-01T00:00:00Z", CC_ERROR, 0 },
    { "2026-12-00T00:00:00Z", CC_ERROR, 0 },
    { "2026-12-32T00:00:00Z", CC_ERROR, 0 },
    { "2026-04-31T00:00:00Z", CC_ERROR, 0 },
    { "2026-06-31T00:00:00Z", CC_ERROR, 0 },
    { "2026-02-29T00:00:00Z", CC_ERROR, 0 },
    { "2024-02-30T00:00:00Z", CC_ERROR, 0 },
    { "1900-02-29T00:00:00Z", CC_ERROR, 0 },
    { "2100-02-29T00:00:00Z", CC_ERROR, 0 },
    { "2026-12-06T24:00:00Z", CC_ERROR, 0 },
    { "2026-12-06T25:00:00Z", CC_ERROR, 0 },
    { "2026-12-06T12:60:00Z", CC_ERROR, 0 },
    { "2026-12-06T12:00:60Z", CC_ERROR, 0 },
    { "2026-12-06T12:00:00+24:00", CC_ERROR, 0 },
    { "2026-12-06T12:00:00+05:60", CC_ERROR, 0 },

    /* syntax */
    { "", CC_ERROR, 0 },
    { "2026-12-06", CC_ERROR, 0 },
    { "2026-12-06T12:00:00", CC_ERROR, 0 },
    { "2026-12-06T12:00Z", CC_ERROR, 0 },
    { "2026-12-06 12:00:00Z", CC_ERROR, 0 },
    { "2026/12/06T12:00:00Z", CC_ERROR, 0 },
    { "20261206T120000Z", CC_ERROR, 0 },
    { "2026-12-06T12:00:00ZZ", CC_ERROR, 0 },
    { "2026-12-06T12:00:00Z ", CC_ERROR, 0 },
    { " 2026-12-06T12:00:00Z", CC_ERROR, 0 },
    { "2026-12-06T12:00:00Zx", CC_ERROR, 0 },
    { "2026-12-06T12:00:00UTC", CC_ERROR, 0 },
    { "2026-12-06T12:00:00.Z", CC_ERROR, 0 },
    { "2026-12-06T12:00:00.", CC_ERROR, 0 },
    { "2026-12-06T12:00:00,5Z", CC_ERROR, 0 },
    { "2026-12-06T12:00:00.5", CC_ERROR, 0 },
    { "2026-12-06T12:00:00+", CC_ERROR, 0 },
    { "2026-12-06T12:00:00+5", CC_ERROR, 0 },
    { "2026-12-06T12:00:00+05:", CC_ERROR, 0 },
    { "2026-12-06T12:00:00+05:3", CC_ERROR, 0 },
    { "2026-12-06T12:00:00+053", CC_ERROR, 0 },
    { "2026-12-06T12:00:00+05300", CC_ERROR, 0 },
    { "2026-12-06T12:00:00+0530x", CC_ERROR, 0 },
    { "2026-12-06T12:00:00+05-30", CC_ERROR, 0 },
    { "2026-12-06T12:00:00+0a:00", CC_ERROR, 0 },
    { "2026-12-06T12:00:00Z+01:00", CC_ERROR, 0 },
    { "+2026-12-06T12:00:00Z", CC_ERROR, 0 },
    { "-2026-12-06T12:00:00Z", CC_ERROR, 0 },
    { "202a-12-06T12:00:00Z", CC_ERROR, 0 },
    { "2026-1a-06T12:00:00Z", CC_ERROR, 0 },
    { "2026-12-+6T12:00:00Z", CC_ERROR, 0 },
    { "2026-12-06T1 :00:00Z", CC_ERROR, 0 },
    { "2026-12-06T12:-1:00Z", CC_ERROR, 0 },
    { "2026-12-06T12:00:0-Z", CC_ERROR, 0 },
    { "12026-12-06T12:00:00Z", CC_ERROR, 0 },
    { "tomorrow", CC_ERROR, 0 },

    { NULL, 0, 0 }
};


/* an exact-size copy (no NUL after it) */

static u_char *
test_copy(cc_test_arena_t *a, const char *s, size_t *len)
{
    u_char  *p;

    *len = strlen(s);

    p = cc_alloc(&a->alloc, *len);
    if (p == NULL) {
        fprintf(stderr, "test_copy: out of memory\n");
        abort();
    }

    memcpy(p, s, *len);

    return p;
}


/* memmem() without _GNU_SOURCE */

static const u_char *
test_find(const u_char *p, size_t len, const char *s)
{
    size_t  i, n;

    n = strlen(s);

    for (i = 0; p != NULL && n <= len && i <= len - n; i++) {
        if (memcmp(p + i, s, n) == 0) {
            return p + i;
        }
    }

    return NULL;
}


static int
test_iso(const char *s, int64_t *t)
{
    int               rc;
    size_t            len;
    u_char           *p;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    p = test_copy(&a, s, &len);
    rc = cc_iso8601_parse(p, len, t);

    cc_test_arena_destroy(&a);

    return rc;
}


static void
test_iso8601(void)
{
    int64_t             t;
    const test_time_t  *c;

    for (c = iso_cases; c->in; c++) {
        t = 12345;

        if (!EXPECT_INT(test_iso(c->in, &t), c->rc)) {
            fprintf(stderr, "    input: \"%s\"\n", c->in);
            continue;
        }

        if (c->rc == CC_OK && !EXPECT_INT(t, c->t)) {
            fprintf(stderr, "    input: \"%s\"\n", c->in);
        }

        if (c->rc != CC_OK) {
            /* *t is not written on an error */
            EXPECT_INT(t, 12345);
        }
    }

    /* the length bounds the input: a NUL or a "Z" after it is not seen */
    t = 0;
    EXPECT_INT(cc_iso8601_parse((u_char *) "2026-12-06T12:00:00Z", 19, &t),
               CC_ERROR);
    EXPECT_INT(cc_iso8601_parse((u_char *) "2026-12-06T12:00:00Z\0", 21,
                                &t),
               CC_ERROR);
    EXPECT_INT(cc_iso8601_parse((u_char *) "2026-12-06T12:00:00+01:00", 23,
                                &t),
               CC_ERROR);
    EXPECT_INT(cc_iso8601_parse((u_char *) "2026-12-06T12:00:00+01:00", 22,
                                &t),
               CC_OK);
    EXPECT_INT(t, T_BASE - 3600);
    EXPECT_INT(cc_iso8601_parse(NULL, 0, &t), CC_ERROR);
}


/* every 3 days and 1h01m01s over two centuries, against timegm() */

static void
test_iso8601_timegm(void)
{
    int        bad;
    char       buf[64];
    time_t     t;
    int64_t    got;
    struct tm  tm;

    bad = 0;

    for (t = -2208988800LL; t < 4102444800LL; t += 3 * 86400 + 3661) {
        if (gmtime_r(&t, &tm) == NULL) {
            bad++;
            continue;
        }

        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);

        if (test_iso(buf, &got) != CC_OK || got != (int64_t) t
            || timegm(&tm) != t)
        {
            if (bad++ < 5) {
                fprintf(stderr, "    %s: got %lld, expected %lld\n", buf,
                        (long long) got, (long long) t);
            }
        }

        /* the same time in a zone 5:30 to the east */
        t += 19800;
        gmtime_r(&t, &tm);
        t -= 19800;
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S.25+05:30", &tm);

        if (test_iso(buf, &got) != CC_OK || got != (int64_t) t) {
            if (bad++ < 5) {
                fprintf(stderr, "    %s: got %lld, expected %lld\n", buf,
                        (long long) got, (long long) t);
            }
        }
    }

    EXPECT_INT(bad, 0);
}


static int
test_json(cc_test_arena_t *a, const char *s, cc_aws_creds_t *c,
    const char **err)
{
    size_t   len;
    u_char  *p;

    p = test_copy(a, s, &len);

    memset(c, 0x5a, sizeof(cc_aws_creds_t));
    *err = "unset";

    return cc_creds_parse_json(&a->alloc, p, len, c, err);
}


static void
test_creds_json(void)
{
    const char       *err;
    cc_aws_creds_t    c;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    /* IMDS: .../meta-data/iam/security-credentials/<role> */
    EXPECT_INT(test_json(&a,
        "{\n"
        "  \"Code\" : \"Success\",\n"
        "  \"LastUpdated\" : \"2026-12-06T11:48:20Z\",\n"
        "  \"Type\" : \"AWS-HMAC\",\n"
        "  \"AccessKeyId\" : \"" T_AKID "\",\n"
        "  \"SecretAccessKey\" : \"wJalrXUtnFEMI\\/K7MDENG\\/bPxRfiCYEXAMP"
        "LEKEY\",\n"
        "  \"Token\" : \"" T_TOKEN "\",\n"
        "  \"Expiration\" : \"2026-12-06T18:00:00Z\"\n"
        "}", &c, &err), CC_OK);
    CHECK(err == NULL);
    EXPECT_STR(c.access_key, T_AKID);
    EXPECT_STR(c.secret_key, T_SECRET);
    EXPECT_STR(c.session_token, T_TOKEN);
    EXPECT_INT(c.expiration, 1796580000);

    /* the container endpoint (ECS, EKS Pod Identity): no Code */
    EXPECT_INT(test_json(&a,
        "{\"AccessKeyId\":\"" T_AKID "\",\"Expiration\":"
        "\"2026-12-06T18:00:00+01:00\",\"RoleArn\":\"arn:aws:iam::"
        "123456789012:role/task\",\"SecretAccessKey\":\"" T_SECRET "\","
        "\"Token\":\"" T_TOKEN "\"}", &c, &err), CC_OK);
    EXPECT_STR(c.access_key, T_AKID);
    EXPECT_STR(c.secret_key, T_SECRET);
    EXPECT_STR(c.session_token, T_TOKEN);
    EXPECT_INT(c.expiration, 1796580000 - 3600);

    /* static keys: no Token, no Expiration (never expires) */
    EXPECT_INT(test_json(&a,
        "{\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\",\"SecretAccessKey\":\""
        T_SECRET "\"}", &c, &err), CC_OK);
    EXPECT_STR(c.access_key, "AKIAIOSFODNN7EXAMPLE");
    EXPECT_STR(c.secret_key, T_SECRET);
    EXPECT_STR(c.session_token, NULL);
    EXPECT_INT(c.expiration, 0);

    /* null is absent; an empty Token is empty */
    EXPECT_INT(test_json(&a,
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":null,"
        "\"Expiration\":null}", &c, &err), CC_OK);
    EXPECT_STR(c.session_token, NULL);
    EXPECT_INT(c.expiration, 0);

    EXPECT_INT(test_json(&a,
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":\"\"}",
        &c, &err), CC_OK);
    EXPECT_INT(c.session_token.len, 0);
    EXPECT_STR(c.access_key, "A");

    /* escapes decoded; the last of duplicate members */
    EXPECT_INT(test_json(&a,
        "{\"AccessKeyId\":\"old\",\"AccessKeyId\":\"A\\u0042\","
        "\"SecretAccessKey\":\"S\\\"\",\"Code\":\"Success\"}", &c, &err),
        CC_OK);
    EXPECT_STR(c.access_key, "AB");
    EXPECT_STR(c.secret_key, "S\"");

    cc_test_arena_destroy(&a);
}


static void
test_creds_json_errors(void)
{
    size_t            i;
    const char       *err;
    cc_aws_creds_t    c;
    cc_test_arena_t   a;

    static const struct {
        const char   *in;
        const char   *err;
    } cases[] = {

        { "", "credentials: invalid JSON" },
        { "{", "credentials: invalid JSON" },
        { "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" T_SECRET "\"",
          "credentials: invalid JSON" },
        { "{'AccessKeyId':'A'}", "credentials: invalid JSON" },
        { "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"} x",
          "credentials: invalid JSON" },
        { "<html>502 Bad Gateway</html>", "credentials: invalid JSON" },
        { "[]", "credentials: not a JSON object" },
        { "\"" T_SECRET "\"", "credentials: not a JSON object" },
        { "null", "credentials: not a JSON object" },

        /* IMDS's failures */
        { "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"Message\":\"EC2 "
          "cannot assume the role\",\"LastUpdated\":\"2026-12-06T11:48:20Z"
          "\"}", "credentials: Code is not \"Success\"" },
        { "{\"Code\":\"Failure\",\"AccessKeyId\":\"" T_AKID "\","
          "\"SecretAccessKey\":\"" T_SECRET "\"}",
          "credentials: Code is not \"Success\"" },
        { "{\"Code\":\"success\",\"AccessKeyId\":\"A\","
          "\"SecretAccessKey\":\"S\"}",
          "credentials: Code is not \"Success\"" },
        { "{\"Code\":null,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}",
          "credentials: Code is not \"Success\"" },
        { "{\"Code\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}",
          "credentials: Code is not \"Success\"" },

        /* the keys */
        { "{}", "credentials: AccessKeyId missing or not a string" },
        { "{\"SecretAccessKey\":\"" T_SECRET "\"}",
          "credentials: AccessKeyId missing or not a string" },
        { "{\"AccessKeyId\":\"\",\"SecretAccessKey\":\"" T_SECRET "\"}",
          "credentials: AccessKeyId missing or not a string" },
        { "{\"AccessKeyId\":12,\"SecretAccessKey\":\"" T_SECRET "\"}",
          "credentials: AccessKeyId missing or not a string" },
        { "{\"AccessKeyId\":null,\"SecretAccessKey\":\"S\"}",
          "credentials: AccessKeyId missing or not a string" },
        { "{\"accesskeyid\":\"A\",\"SecretAccessKey\":\"S\"}",
          "credentials: AccessKeyId missing or not a string" },
        { "{\"AccessKeyId\":\"A\"}",
          "credentials: SecretAccessKey missing or not a string" },
        { "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"\"}",
          "credentials: SecretAccessKey missing or not a string" },
        { "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":[\"" T_SECRET "\"]}",
          "credentials: SecretAccessKey missing or not a string" },
        { "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":1}",
          "credentials: Token is not a string" },
        { "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
          "\"Token\":{\"t\":\"" T_TOKEN "\"}}",
          "credentials: Token is not a string" },

        /* the expiration */
        { "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" T_SECRET "\","
          "\"Token\":\"" T_TOKEN "\",\"Expiration\":\"tomorrow\"}",
          "credentials: Expiration is not an ISO 8601 time" },
        { "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
          "\"Expiration\":\"\"}",
          "credentials: Expiration is not an ISO 8601 time" },
        { "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
          "\"Expiration\":\"2026-02-30T00:00:00Z\"}",
          "credentials: Expiration is not an ISO 8601 time" },
        { "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
          "\"Expiration\":1796580000}",
          "credentials: Expiration is not an ISO 8601 time" },

        { NULL, NULL }
    };

    cc_test_arena_init(&a);

    for (i = 0; cases[i].in; i++) {
        if (!EXPECT_INT(test_json(&a, cases[i].in, &c, &err), CC_ERROR)) {
            fprintf(stderr, "    input: %s\n", cases[i].in);
            continue;
        }

        if (!CHECK(err != NULL && strcmp(err, cases[i].err) == 0)) {
            fprintf(stderr, "    input: %s\n    err: %s\n", cases[i].in,
                    err ? err : "(null)");
        }

        /* nothing of the document is left in out */
        CHECK(c.access_key.data == NULL && c.access_key.len == 0);
        CHECK(c.secret_key.data == NULL && c.session_token.data == NULL);
        EXPECT_INT(c.expiration, 0);
    }

    EXPECT_INT(cc_creds_parse_json(&a.alloc, NULL, 0, &c, &err), CC_ERROR);
    CHECK(err != NULL && strcmp(err, "credentials: invalid JSON") == 0);

    cc_test_arena_destroy(&a);
}


static void
test_creds_json_memory(void)
{
    const char       *err;
    cc_aws_creds_t    c;
    cc_test_arena_t   a;

    /*
     * No memory for the parser.  (yajl itself does not check what its
     * allocator returns, so the failures are not taken further: that is
     * cc_json's to guard.)
     */

    cc_test_arena_init(&a);
    a.fail_after = 1;       /* the copy of the input */

    EXPECT_INT(test_json(&a, "{\"AccessKeyId\":\"" T_AKID "\"}", &c, &err),
               CC_ERROR);
    CHECK(err != NULL && strcmp(err, "credentials: out of memory") == 0);
    CHECK(c.access_key.data == NULL && c.secret_key.data == NULL);

    a.fail_after = -1;

    EXPECT_INT(test_json(&a, "{\"AccessKeyId\":\"" T_AKID "\","
                         "\"SecretAccessKey\":\"" T_SECRET "\"}", &c, &err),
               CC_OK);
    EXPECT_STR(c.secret_key, T_SECRET);

    cc_test_arena_destroy(&a);
}


static int
test_sts(cc_test_arena_t *a, const char *s, cc_aws_creds_t *c,
    cc_str_t *code, cc_str_t *msg)
{
    size_t   len;
    u_char  *p;

    p = test_copy(a, s, &len);

    memset(c, 0x5a, sizeof(cc_aws_creds_t));
    memset(code, 0x5a, sizeof(cc_str_t));
    memset(msg, 0x5a, sizeof(cc_str_t));

    return cc_sts_parse(&a->alloc, p, len, c, code, msg);
}


#define T_ASSUME_ROLE                                                       \
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/" \
    "\">\n"                                                                 \
    "  <AssumeRoleResult>\n"                                                \
    "    <SourceIdentity>Alice</SourceIdentity>\n"                          \
    "    <AssumedRoleUser>\n"                                               \
    "      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>\n" \
    "      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>\n"        \
    "    </AssumedRoleUser>\n"                                              \
    "    <Credentials>\n"                                                   \
    "      <AccessKeyId>" T_AKID "</AccessKeyId>\n"                         \
    "      <SecretAccessKey>" T_SECRET "</SecretAccessKey>\n"               \
    "      <SessionToken>\n"                                                \
    "        " T_TOKEN "\n"                                                 \
    "      </SessionToken>\n"                                               \
    "      <Expiration>2019-11-09T13:34:41Z</Expiration>\n"                 \
    "    </Credentials>\n"                                                  \
    "    <PackedPolicySize>6</PackedPolicySize>\n"                          \
    "  </AssumeRoleResult>\n"                                               \
    "  <ResponseMetadata>\n"                                                \
    "    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"     \
    "  </ResponseMetadata>\n"                                               \
    "</AssumeRoleResponse>\n"

#define T_WEB_IDENTITY                                                      \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"                        \
    "<sts:AssumeRoleWithWebIdentityResponse xmlns:sts=\"https://sts.amazo" \
    "naws.com/doc/2011-06-15/\">\r\n"                                       \
    "<sts:AssumeRoleWithWebIdentityResult>\r\n"                             \
    "<sts:SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB" \
    "56KR2A</sts:SubjectFromWebIdentityToken>\r\n"                          \
    "<sts:Audience>client.5498841531868486423.1548@apps.example.com"        \
    "</sts:Audience>\r\n"                                                   \
    "<sts:AssumedRoleUser><sts:Arn>arn:aws:sts::123456789012:assumed-role/" \
    "FederatedWebIdentityRole/app1</sts:Arn><sts:AssumedRoleId>AROACLKWSDQ" \
    "RAOEXAMPLE:app1</sts:AssumedRoleId></sts:AssumedRoleUser>\r\n"         \
    "<sts:Credentials>"                                                     \
    "<sts:SessionToken>" T_TOKEN "</sts:SessionToken>"                      \
    "<sts:SecretAccessKey>" T_SECRET "</sts:SecretAccessKey>"               \
    "<sts:Expiration>2026-12-06T18:00:00.000Z</sts:Expiration>"             \
    "<sts:AccessKeyId>" T_AKID "</sts:AccessKeyId>"                         \
    "</sts:Credentials>\r\n"                                                \
    "<sts:SourceIdentity>SourceIdentityValue</sts:SourceIdentity>\r\n"      \
    "<sts:Provider>www.amazon.com</sts:Provider>\r\n"                       \
    "</sts:AssumeRoleWithWebIdentityResult>\r\n"                            \
    "<sts:ResponseMetadata><sts:RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXA" \
    "MPLE</sts:RequestId></sts:ResponseMetadata>\r\n"                       \
    "</sts:AssumeRoleWithWebIdentityResponse>"


static void
test_sts_success(void)
{
    cc_str_t          code, msg;
    cc_aws_creds_t    c;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    EXPECT_INT(test_sts(&a, T_ASSUME_ROLE, &c, &code, &msg), CC_OK);
    EXPECT_STR(c.access_key, T_AKID);
    EXPECT_STR(c.secret_key, T_SECRET);
    EXPECT_STR(c.session_token, T_TOKEN);
    EXPECT_INT(c.expiration, 1573306481);
    EXPECT_STR(code, NULL);
    EXPECT_STR(msg, NULL);

    /* a prefix, CRLF, the fields in another order, milliseconds */
    EXPECT_INT(test_sts(&a, T_WEB_IDENTITY, &c, &code, &msg), CC_OK);
    EXPECT_STR(c.access_key, T_AKID);
    EXPECT_STR(c.secret_key, T_SECRET);
    EXPECT_STR(c.session_token, T_TOKEN);
    EXPECT_INT(c.expiration, 1796580000);
    EXPECT_STR(code, NULL);

    /* no namespace at all; another prefix; the default one elsewhere */
    EXPECT_INT(test_sts(&a,
        "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
        "<AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey>"
        "<SessionToken>T</SessionToken>"
        "<Expiration>2026-12-06T12:00:00Z</Expiration>"
        "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
        &c, &code, &msg), CC_OK);
    EXPECT_STR(c.access_key, "A");
    EXPECT_STR(c.secret_key, "S");
    EXPECT_STR(c.session_token, "T");
    EXPECT_INT(c.expiration, T_BASE);

    EXPECT_INT(test_sts(&a,
        "<x:GetSessionTokenResponse xmlns:x=\"urn:x\" xmlns=\"urn:y\">"
        "<x:GetSessionTokenResult><Credentials>"
        "<x:AccessKeyId>A</x:AccessKeyId><SecretAccessKey>S"
        "</SecretAccessKey><SessionToken a=\"1\">T</SessionToken>"
        "<Expiration>2026-12-06T12:00:00Z</Expiration>"
        "</Credentials></x:GetSessionTokenResult></x:GetSessionTokenResponse>",
        &c, &code, &msg), CC_OK);
    EXPECT_STR(c.access_key, "A");
    EXPECT_STR(c.session_token, "T");

    cc_test_arena_destroy(&a);
}


static cc_buf_t
test_long_token(cc_test_arena_t *a, const char *extra)
{
    size_t    i;
    cc_buf_t  doc;

    memset(&doc, 0, sizeof(cc_buf_t));

#define T_APPEND(s)                                                         \
    CHECK(cc_buf_append(&a->alloc, &doc, (u_char *) s, strlen(s)) == CC_OK)

    T_APPEND("<AssumeRoleResponse><AssumeRoleResult><Credentials>"
             "<AccessKeyId>A</AccessKeyId><SecretAccessKey>S"
             "</SecretAccessKey><Expiration>2026-12-06T12:00:00Z"
             "</Expiration><SessionToken>");

    for (i = 0; i < 4096; i++) {
        T_APPEND("ab&amp;c");
    }

    T_APPEND(extra);
    T_APPEND("</SessionToken></Credentials></AssumeRoleResult>"
             "</AssumeRoleResponse>");

#undef T_APPEND

    return doc;
}


/* text in several callbacks: entities, character references, CDATA */

static void
test_sts_pieces(void)
{
    size_t            i;
    cc_str_t          code, msg;
    cc_buf_t          doc;
    cc_aws_creds_t    c;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    EXPECT_INT(test_sts(&a,
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-"
        "15/\"><AssumeRoleResult><Credentials>"
        "<AccessKeyId>\n  ASIA&#x41;&#66;C\n</AccessKeyId>"
        "<SecretAccessKey>a&lt;b&gt;c&amp;d&quot;e&apos;f</SecretAccessKey>"
        "<SessionToken>IQo&amp;Jb3<![CDATA[Jp&amp;<x>]]>Z2lu\r\nX2Vj"
        "</SessionToken>"
        "<Expiration>2026-12-06T12:00:00<!-- a comment -->Z</Expiration>"
        "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
        &c, &code, &msg), CC_OK);
    EXPECT_STR(c.access_key, "ASIAABC");
    EXPECT_STR(c.secret_key, "a<b>c&d\"e'f");
    EXPECT_STR(c.session_token, "IQo&Jb3Jp&amp;<x>Z2lu\nX2Vj");
    EXPECT_INT(c.expiration, T_BASE);

    /* a token of exactly the limit, made of 4096 "&amp;" references */

    doc = test_long_token(&a, "");
    EXPECT_INT(cc_sts_parse(&a.alloc, doc.data, doc.len, &c, &code, &msg),
               CC_OK);
    EXPECT_INT(c.session_token.len, 16384);

    for (i = 0; c.session_token.len == 16384 && i < 16384; i += 4) {
        if (memcmp(c.session_token.data + i, "ab&c", 4) != 0) {
            break;
        }
    }

    EXPECT_INT(i, 16384);

    /* one byte more */
    doc = test_long_token(&a, "x");
    EXPECT_INT(cc_sts_parse(&a.alloc, doc.data, doc.len, &c, &code, &msg),
               CC_ERROR);
    EXPECT_STR(code, "MalformedResponse");
    EXPECT_STR(msg, "an element of the STS response is too long");

    cc_test_arena_destroy(&a);
}


static void
test_sts_error(void)
{
    cc_str_t          code, msg;
    cc_aws_creds_t    c;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    EXPECT_INT(test_sts(&a,
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        "\n"
        "  <Error>\n"
        "    <Type>Sender</Type>\n"
        "    <Code>AccessDenied</Code>\n"
        "    <Message>User: arn:aws:sts::123456789012:assumed-role/node/i-0"
        "abc is not authorized to perform: sts:AssumeRole on resource: "
        "arn:aws:iam::123456789012:role/bedrock &amp; co</Message>\n"
        "  </Error>\n"
        "  <RequestId>4f6c3b5e-1c1a-4d4e-9f0e-1e2d3c4b5a69</RequestId>\n"
        "</ErrorResponse>\n", &c, &code, &msg), CC_ERROR);
    EXPECT_STR(code, "AccessDenied");
    EXPECT_STR(msg, "User: arn:aws:sts::123456789012:assumed-role/node/i-0"
               "abc is not authorized to perform: sts:AssumeRole on "
               "resource: arn:aws:iam::123456789012:role/bedrock & co");
    EXPECT_STR(c.access_key, NULL);
    EXPECT_STR(c.secret_key, NULL);
    EXPECT_STR(c.session_token, NULL);
    EXPECT_INT(c.expiration, 0);

    EXPECT_INT(test_sts(&a,
        "<?xml version=\"1.0\"?><ErrorResponse><Error><Code>"
        "ExpiredTokenException</Code><Message>Token expired: current date/"
        "time 1796558400 must be before the expiration date/time1796554800"
        "</Message></Error><RequestId>x</RequestId></ErrorResponse>",
        &c, &code, &msg), CC_ERROR);
    EXPECT_STR(code, "ExpiredTokenException");
    EXPECT_STR(msg, "Token expired: current date/time 1796558400 must be "
               "before the expiration date/time1796554800");

    /* no Message */
    EXPECT_INT(test_sts(&a,
        "<ErrorResponse><Error><Code>Throttling</Code></Error>"
        "</ErrorResponse>", &c, &code, &msg), CC_ERROR);
    EXPECT_STR(code, "Throttling");
    EXPECT_INT(msg.len, 0);

    /*
     * an empty Message and no Type: texts never collected (no NULL + 0
     * when they are trimmed; clang's UBSan, make -C t/unit CC=clang,
     * caught it, found by t/fuzz/fuzz_awscreds)
     */
    EXPECT_INT(test_sts(&a,
        "<ErrorResponse><Error><Code>Throttling</Code><Message/></Error>"
        "</ErrorResponse>", &c, &code, &msg), CC_ERROR);
    EXPECT_STR(code, "Throttling");
    EXPECT_STR(msg, NULL);

    /* no Code: not an answer to pass on */
    EXPECT_INT(test_sts(&a,
        "<ErrorResponse><Error><Message>m</Message></Error>"
        "</ErrorResponse>", &c, &code, &msg), CC_ERROR);
    EXPECT_STR(code, "MalformedResponse");
    EXPECT_STR(msg, "the STS error response has no Code");

    /* a Code elsewhere than in Error is not read */
    EXPECT_INT(test_sts(&a,
        "<ErrorResponse><Code>X</Code><Error><Type>Sender</Type></Error>"
        "</ErrorResponse>", &c, &code, &msg), CC_ERROR);
    EXPECT_STR(code, "MalformedResponse");

    /* a truncated error document is malformed too */
    EXPECT_INT(test_sts(&a,
        "<ErrorResponse><Error><Code>AccessDenied</Code><Message>m"
        "</Message></Error>", &c, &code, &msg), CC_ERROR);
    EXPECT_STR(code, "MalformedResponse");
    EXPECT_STR(msg, "the STS response is not well-formed XML");

    cc_test_arena_destroy(&a);
}


#define T_CREDS(inner)                                                      \
    "<AssumeRoleResponse><AssumeRoleResult><Credentials>" inner             \
    "</Credentials></AssumeRoleResult></AssumeRoleResponse>"

#define T_AK   "<AccessKeyId>" T_AKID "</AccessKeyId>"
#define T_SK   "<SecretAccessKey>" T_SECRET "</SecretAccessKey>"
#define T_TK   "<SessionToken>" T_TOKEN "</SessionToken>"
#define T_EX   "<Expiration>2026-12-06T12:00:00Z</Expiration>"

#define T_XML         "the STS response is not well-formed XML"
#define T_DTD         "the STS response has a document type declaration"
#define T_INCOMPLETE  "the STS response has no complete Credentials element"
#define T_REPEATED    "an element of the STS response is repeated"


static void
test_sts_malformed(void)
{
    size_t            i;
    cc_str_t          code, msg;
    cc_aws_creds_t    c;
    cc_test_arena_t   a;

    static const struct {
        const char   *in;
        const char   *msg;
    } cases[] = {

        { "", T_XML },
        { "   ", T_XML },
        { "{\"AccessKeyId\":\"A\"}", T_XML },
        { T_CREDS(T_AK T_SK T_TK T_EX) "<x/>", T_XML },
        { T_CREDS(T_AK T_SK T_TK T_EX) "x", T_XML },
        { T_CREDS(T_AK T_SK T_TK "<Expiration>x</Expiratio>"), T_XML },
        { T_CREDS(T_AK T_SK T_TK T_EX "&bogus;"), T_XML },
        { T_CREDS(T_AK T_SK "<sts:SessionToken>T</sts:SessionToken>" T_EX),
          T_XML },
        { T_CREDS(T_AK T_SK T_TK "<Expiration>\xff</Expiration>"), T_XML },
        { "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
          T_CREDS(T_AK T_SK T_TK T_EX), T_XML },

        /* DTDs: entity expansion, external entities */
        { "<?xml version=\"1.0\"?>\n"
          "<!DOCTYPE lolz [\n"
          " <!ENTITY lol \"lol\">\n"
          " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
          " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
          " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
          "]>\n"
          T_CREDS(T_AK T_SK "<SessionToken>&lol3;</SessionToken>" T_EX),
          T_DTD },
        { "<!DOCTYPE AssumeRoleResponse [<!ENTITY xxe SYSTEM "
          "\"file:///etc/passwd\">]>"
          T_CREDS(T_AK T_SK "<SessionToken>&xxe;</SessionToken>" T_EX),
          T_DTD },
        { "<!DOCTYPE AssumeRoleResponse>" T_CREDS(T_AK T_SK T_TK T_EX),
          T_DTD },
        { "<!DOCTYPE AssumeRoleResponse SYSTEM \"http://169.254.169.254/\">"
          T_CREDS(T_AK T_SK T_TK T_EX), T_DTD },

        /* not the structure */
        { "<Credentials>" T_AK T_SK T_TK T_EX "</Credentials>",
          "the STS response is not a Response document" },
        { "<AssumeRoleResult><Credentials>" T_AK T_SK T_TK T_EX
          "</Credentials></AssumeRoleResult>",
          "the STS response is not a Response document" },
        { "<AssumeRoleResponse><Credentials>" T_AK T_SK T_TK T_EX
          "</Credentials></AssumeRoleResponse>", T_INCOMPLETE },
        { "<AssumeRoleResponse><AssumeRoleResult>" T_AK T_SK T_TK T_EX
          "</AssumeRoleResult></AssumeRoleResponse>", T_INCOMPLETE },
        { "<AssumeRoleResponse><AssumeRoleResult><x><Credentials>"
          T_AK T_SK T_TK T_EX "</Credentials></x></AssumeRoleResult>"
          "</AssumeRoleResponse>", T_INCOMPLETE },
        { "<AssumeRoleResponse><ResponseMetadata><Credentials>"
          T_AK T_SK T_TK T_EX "</Credentials></ResponseMetadata>"
          "</AssumeRoleResponse>", T_INCOMPLETE },
        { "<AssumeRoleResponse/>", T_INCOMPLETE },

        /* fields */
        { T_CREDS(T_AK T_SK T_EX), T_INCOMPLETE },
        { T_CREDS(T_AK T_SK "<SessionToken/>" T_EX), T_INCOMPLETE },
        { T_CREDS(T_AK T_SK "<SessionToken> \n </SessionToken>" T_EX),
          T_INCOMPLETE },
        { T_CREDS(T_SK T_TK T_EX), T_INCOMPLETE },
        { T_CREDS(T_AK T_TK T_EX), T_INCOMPLETE },
        { T_CREDS(T_AK T_SK T_TK), T_INCOMPLETE },
        { T_CREDS("<AccessKeyId></AccessKeyId>" T_SK T_TK T_EX),
          T_INCOMPLETE },
        { T_CREDS(T_AK T_SK T_TK "<Expiration>soon</Expiration>"),
          "the STS response has an invalid Expiration" },
        { T_CREDS(T_AK T_SK T_TK
                  "<Expiration>2026-12-06T12:00:00</Expiration>"),
          "the STS response has an invalid Expiration" },
        { T_CREDS(T_AK T_AK T_SK T_TK T_EX), T_REPEATED },
        { T_CREDS(T_AK T_SK T_TK T_TK T_EX), T_REPEATED },
        { "<AssumeRoleResponse><AssumeRoleResult><Credentials>" T_AK T_SK
          T_TK T_EX "</Credentials><Credentials>" T_AK T_SK T_TK T_EX
          "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
          T_REPEATED },
        { T_CREDS("<AccessKeyId>A<b>B</b></AccessKeyId>" T_SK T_TK T_EX),
          "an element of the STS response holds elements" },
        { T_CREDS("<AccessKeyId><b/></AccessKeyId>" T_SK T_TK T_EX),
          "an element of the STS response holds elements" },

        { NULL, NULL }
    };

    cc_test_arena_init(&a);

    for (i = 0; cases[i].in; i++) {
        if (!EXPECT_INT(test_sts(&a, cases[i].in, &c, &code, &msg),
                        CC_ERROR))
        {
            fprintf(stderr, "    input: %s\n", cases[i].in);
            continue;
        }

        EXPECT_STR(code, "MalformedResponse");

        if (!EXPECT_STR(msg, cases[i].msg)) {
            fprintf(stderr, "    input: %s\n", cases[i].in);
        }

        CHECK(c.access_key.data == NULL && c.secret_key.data == NULL
              && c.session_token.data == NULL && c.expiration == 0);
        CHECK(test_find(msg.data, msg.len, T_SECRET) == NULL);
    }

    /* no document at all */
    EXPECT_INT(cc_sts_parse(&a.alloc, NULL, 0, &c, &code, &msg), CC_ERROR);
    EXPECT_STR(code, "MalformedResponse");
    EXPECT_STR(msg, T_XML);

    /* the reference: the same fields complete */
    EXPECT_INT(test_sts(&a, T_CREDS(T_AK T_SK T_TK T_EX), &c, &code, &msg),
               CC_OK);
    EXPECT_STR(c.session_token, T_TOKEN);

    cc_test_arena_destroy(&a);
}


/* every prefix of a document, up to its root's end tag, is refused */

static void
test_sts_truncated(void)
{
    int               bad;
    size_t            len, n, full;
    u_char           *p;
    cc_str_t          code, msg;
    cc_aws_creds_t    c;
    cc_test_arena_t   a;

    static const char  *docs[] = { T_ASSUME_ROLE, T_WEB_IDENTITY, NULL };
    const char        **d;

    for (d = docs; *d; d++) {
        len = strlen(*d);
        full = (size_t) (strrchr(*d, '>') - *d) + 1;
        bad = 0;

        for (n = 0; n <= len; n++) {
            cc_test_arena_init(&a);

            p = cc_alloc(&a.alloc, n);
            memcpy(p, *d, n);

            if (cc_sts_parse(&a.alloc, p, n, &c, &code, &msg)
                != (n < full ? CC_ERROR : CC_OK))
            {
                if (bad++ < 3) {
                    fprintf(stderr, "    prefix of %zu bytes\n", n);
                }

            } else if (n < full && (!cc_str_eq(&code, "MalformedResponse")
                                    || c.access_key.data != NULL))
            {
                bad++;

            } else if (n >= full && !cc_str_eq(&c.access_key, T_AKID)) {
                bad++;
            }

            cc_test_arena_destroy(&a);
        }

        EXPECT_INT(bad, 0);
    }
}


static void
test_sts_memory(void)
{
    int               rc;
    long              n;
    cc_str_t          code, msg;
    cc_aws_creds_t    c;
    cc_test_arena_t   a;

    for (n = 0; n < 1000; n++) {
        cc_test_arena_init(&a);
        a.fail_after = n + 1;   /* the copy of the input */

        rc = test_sts(&a, T_WEB_IDENTITY, &c, &code, &msg);

        if (rc == CC_OK) {
            EXPECT_STR(c.secret_key, T_SECRET);
            cc_test_arena_destroy(&a);
            break;
        }

        EXPECT_STR(code, "MalformedResponse");
        EXPECT_STR(msg, "out of memory");

        cc_test_arena_destroy(&a);
    }

    /* one allocation per field, at least */
    CHECK(n >= 4 && n < 1000);
}


static void
test_str(cc_str_t *s, const char *v)
{
    if (v == NULL) {
        s->len = 0;
        s->data = NULL;
        return;
    }

    s->len = strlen(v);
    s->data = (u_char *) v;
}


static void
test_sts_body(void)
{
    cc_str_t          body;
    cc_sts_call_t     call;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    memset(&call, 0, sizeof(cc_sts_call_t));
    test_str(&call.action, "AssumeRole");
    test_str(&call.role_arn, "arn:aws:iam::123456789012:role/x");
    test_str(&call.session_name, "s");
    test_str(&call.external_id, "e");
    call.duration = 900;

    EXPECT_INT(cc_sts_body(&a.alloc, &call, &body), CC_OK);
    EXPECT_STR(body, "Action=AssumeRole&Version=2011-06-15&RoleArn="
               "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx"
               "&RoleSessionName=s&DurationSeconds=900&ExternalId=e");
    EXPECT_INT(body.data[body.len], '\0');

    /* no duration, no external id */
    call.duration = 0;
    test_str(&call.external_id, NULL);
    test_str(&call.session_name, "nginx-1796558400");

    EXPECT_INT(cc_sts_body(&a.alloc, &call, &body), CC_OK);
    EXPECT_STR(body, "Action=AssumeRole&Version=2011-06-15&RoleArn="
               "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx"
               "&RoleSessionName=nginx-1796558400");

    /* everything outside A-Za-z0-9-_.~ encoded, uppercase */
    call.duration = -5;
    test_str(&call.role_arn, "arn:aws-cn:iam::123456789012:role/a/b+c=d");
    test_str(&call.session_name, "a b@c,d~e_f.g-h\xc3\xa9");
    test_str(&call.external_id, "x&y=z%\n/*?#[]!$'()");
    call.external_id.len++;     /* the NUL too */

    EXPECT_INT(cc_sts_body(&a.alloc, &call, &body), CC_OK);
    EXPECT_STR(body, "Action=AssumeRole&Version=2011-06-15&RoleArn="
               "arn%3Aaws-cn%3Aiam%3A%3A123456789012%3Arole%2Fa%2Fb%2Bc%3Dd"
               "&RoleSessionName=a%20b%40c%2Cd~e_f.g-h%C3%A9"
               "&ExternalId=x%26y%3Dz%25%0A%2F%2A%3F%23%5B%5D%21%24%27%28%29"
               "%00");

    /* AssumeRoleWithWebIdentity: a JWT's characters */
    memset(&call, 0, sizeof(cc_sts_call_t));
    test_str(&call.action, "AssumeRoleWithWebIdentity");
    test_str(&call.role_arn, "arn:aws:iam::123456789012:role/eks-pod");
    test_str(&call.session_name, "botocore-session-1796558400");
    test_str(&call.web_identity_token,
             "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW0ifQ."
             "c2ln_-+/=");
    call.duration = 43200;

    EXPECT_INT(cc_sts_body(&a.alloc, &call, &body), CC_OK);
    EXPECT_STR(body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
               "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Feks-pod"
               "&RoleSessionName=botocore-session-1796558400"
               "&DurationSeconds=43200"
               "&WebIdentityToken=eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ."
               "eyJzdWIiOiJzeXN0ZW0ifQ.c2ln_-%2B%2F%3D");

    /* all of them, in their order */
    test_str(&call.external_id, "ext");
    call.duration = 9223372036854775807LL;

    EXPECT_INT(cc_sts_body(&a.alloc, &call, &body), CC_OK);
    EXPECT_STR(body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
               "&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Feks-pod"
               "&RoleSessionName=botocore-session-1796558400"
               "&DurationSeconds=9223372036854775807&ExternalId=ext"
               "&WebIdentityToken=eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ."
               "eyJzdWIiOiJzeXN0ZW0ifQ.c2ln_-%2B%2F%3D");

    /* empty values */
    memset(&call, 0, sizeof(cc_sts_call_t));

    EXPECT_INT(cc_sts_body(&a.alloc, &call, &body), CC_OK);
    EXPECT_STR(body, "Action=&Version=2011-06-15&RoleArn=&RoleSessionName=");

    /* one allocation */
    a.fail_after = 0;
    body.len = 7;
    EXPECT_INT(cc_sts_body(&a.alloc, &call, &body), CC_ERROR);
    EXPECT_INT(body.len, 7);

    a.fail_after = 1;
    EXPECT_INT(cc_sts_body(&a.alloc, &call, &body), CC_OK);

    cc_test_arena_destroy(&a);
}


/* the files as exact-size copies; NULL: absent */

static int
test_profile(cc_test_arena_t *a, const char *cred, const char *conf,
    const char *name, cc_aws_profile_t *p)
{
    int        rc;
    size_t     cred_len, conf_len;
    u_char    *cred_data, *conf_data;
    cc_str_t   n;

    cred_data = NULL;
    cred_len = 0;
    conf_data = NULL;
    conf_len = 0;

    if (cred != NULL) {
        cred_data = test_copy(a, cred, &cred_len);
    }

    if (conf != NULL) {
        conf_data = test_copy(a, conf, &conf_len);
    }

    test_str(&n, name);
    memset(p, 0x5a, sizeof(cc_aws_profile_t));

    rc = cc_profile_find(&a->alloc, cred_data, cred_len, conf_data,
                         conf_len, &n, p);

    /* the values are copies, NUL-terminated */

#define T_COPY(s)                                                           \
    if ((s).data != NULL) {                                                 \
        CHECK((s).data[(s).len] == '\0');                                   \
        CHECK(cred_data == NULL || (s).data < cred_data                     \
              || (s).data >= cred_data + cred_len);                         \
        CHECK(conf_data == NULL || (s).data < conf_data                     \
              || (s).data >= conf_data + conf_len);                         \
    }

    if (rc == CC_OK) {
        T_COPY(p->access_key);
        T_COPY(p->secret_key);
        T_COPY(p->session_token);
        T_COPY(p->region);
        T_COPY(p->role_arn);
        T_COPY(p->source_profile);
        T_COPY(p->credential_source);
        T_COPY(p->external_id);
        T_COPY(p->role_session_name);
        T_COPY(p->web_identity_token_file);
    }

#undef T_COPY

    return rc;
}


#define T_EMPTY(p)                                                          \
    do {                                                                    \
        EXPECT_STR((p).access_key, NULL);                                   \
        EXPECT_STR((p).secret_key, NULL);                                   \
        EXPECT_STR((p).session_token, NULL);                                \
        EXPECT_STR((p).region, NULL);                                       \
        EXPECT_STR((p).role_arn, NULL);                                     \
        EXPECT_STR((p).source_profile, NULL);                               \
        EXPECT_STR((p).credential_source, NULL);                            \
        EXPECT_STR((p).external_id, NULL);                                  \
        EXPECT_STR((p).role_session_name, NULL);                            \
        EXPECT_STR((p).web_identity_token_file, NULL);                      \
        EXPECT_INT((p).duration_seconds, 0);                                \
    } while (0)


#define T_CRED_FILE                                                         \
    "[default]\n"                                                           \
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"                            \
    "aws_secret_access_key = " T_SECRET "\n"                                \
    "\n"                                                                    \
    "[user1]\n"                                                             \
    "aws_access_key_id=" T_AKID "\n"                                        \
    "aws_secret_access_key=" T_SECRET "\n"                                  \
    "aws_session_token=" T_TOKEN "\n"

#define T_CONF_FILE                                                         \
    "[default]\n"                                                           \
    "region = us-west-2\n"                                                  \
    "output = json\n"                                                       \
    "\n"                                                                    \
    "[profile user1]\n"                                                     \
    "region = eu-central-1\n"                                               \
    "\n"                                                                    \
    "[profile dev]\n"                                                       \
    "role_arn = arn:aws:iam::123456789012:role/dev\n"                       \
    "source_profile = user1\n"                                              \
    "external_id = 5a7f-01\n"                                               \
    "role_session_name = nginx\n"                                           \
    "duration_seconds = 900\n"                                              \
    "region = us-east-1\n"                                                  \
    "\n"                                                                    \
    "[profile ec2]\n"                                                       \
    "role_arn = arn:aws:iam::123456789012:role/ec2\n"                       \
    "credential_source = Ec2InstanceMetadata\n"                             \
    "\n"                                                                    \
    "[profile eks]\n"                                                       \
    "role_arn = arn:aws:iam::123456789012:role/eks-pod\n"                   \
    "web_identity_token_file = /var/run/secrets/eks.amazonaws.com/"         \
    "serviceaccount/token\n"                                                \
    "\n"                                                                    \
    "[sso-session my-sso]\n"                                                \
    "sso_region = us-east-1\n"                                              \
    "sso_start_url = https://my-sso-portal.awsapps.com/start\n"


static void
test_profile_basic(void)
{
    cc_aws_profile_t  p;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    /* default in both files */
    EXPECT_INT(test_profile(&a, T_CRED_FILE, T_CONF_FILE, "default", &p),
               CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.access_key, "AKIAIOSFODNN7EXAMPLE");
    EXPECT_STR(p.secret_key, T_SECRET);
    EXPECT_STR(p.session_token, NULL);
    EXPECT_STR(p.region, "us-west-2");
    EXPECT_STR(p.role_arn, NULL);
    EXPECT_INT(p.duration_seconds, 0);

    /* keys from one file, the region from the other */
    EXPECT_INT(test_profile(&a, T_CRED_FILE, T_CONF_FILE, "user1", &p),
               CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.access_key, T_AKID);
    EXPECT_STR(p.secret_key, T_SECRET);
    EXPECT_STR(p.session_token, T_TOKEN);
    EXPECT_STR(p.region, "eu-central-1");

    /* a role profile only in the config file */
    EXPECT_INT(test_profile(&a, T_CRED_FILE, T_CONF_FILE, "dev", &p),
               CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.access_key, NULL);
    EXPECT_STR(p.secret_key, NULL);
    EXPECT_STR(p.role_arn, "arn:aws:iam::123456789012:role/dev");
    EXPECT_STR(p.source_profile, "user1");
    EXPECT_STR(p.external_id, "5a7f-01");
    EXPECT_STR(p.role_session_name, "nginx");
    EXPECT_INT(p.duration_seconds, 900);
    EXPECT_STR(p.region, "us-east-1");
    EXPECT_STR(p.credential_source, NULL);
    EXPECT_STR(p.web_identity_token_file, NULL);

    EXPECT_INT(test_profile(&a, T_CRED_FILE, T_CONF_FILE, "ec2", &p),
               CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.role_arn, "arn:aws:iam::123456789012:role/ec2");
    EXPECT_STR(p.credential_source, "Ec2InstanceMetadata");
    EXPECT_STR(p.source_profile, NULL);

    EXPECT_INT(test_profile(&a, T_CRED_FILE, T_CONF_FILE, "eks", &p),
               CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.role_arn, "arn:aws:iam::123456789012:role/eks-pod");
    EXPECT_STR(p.web_identity_token_file,
               "/var/run/secrets/eks.amazonaws.com/serviceaccount/token");

    /* missing profile; missing files */
    EXPECT_INT(test_profile(&a, T_CRED_FILE, T_CONF_FILE, "prod", &p),
               CC_OK);
    CHECK(!p.found);
    T_EMPTY(p);

    EXPECT_INT(test_profile(&a, NULL, NULL, "default", &p), CC_OK);
    CHECK(!p.found);
    T_EMPTY(p);

    EXPECT_INT(test_profile(&a, NULL, T_CONF_FILE, "default", &p), CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.access_key, NULL);
    EXPECT_STR(p.region, "us-west-2");

    EXPECT_INT(test_profile(&a, T_CRED_FILE, NULL, "user1", &p), CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.access_key, T_AKID);
    EXPECT_STR(p.region, NULL);

    EXPECT_INT(test_profile(&a, "", "", "default", &p), CC_OK);
    CHECK(!p.found);
    T_EMPTY(p);

    /* no name */
    EXPECT_INT(test_profile(&a, T_CRED_FILE, T_CONF_FILE, "", &p), CC_OK);
    CHECK(!p.found);
    T_EMPTY(p);

    /* the sso-session section is not a profile */
    EXPECT_INT(test_profile(&a, T_CRED_FILE, T_CONF_FILE, "my-sso", &p),
               CC_OK);
    CHECK(!p.found);

    /* an empty section is found */
    EXPECT_INT(test_profile(&a, "[empty]\n", NULL, "empty", &p), CC_OK);
    CHECK(p.found);
    T_EMPTY(p);

    /* the credentials file wins, key by key */
    EXPECT_INT(test_profile(&a,
        "[dev]\n"
        "aws_access_key_id = CRED\n"
        "region = ap-south-1\n"
        "duration_seconds = 1800\n",
        "[profile dev]\n"
        "aws_access_key_id = CONF\n"
        "aws_secret_access_key = CONFSECRET\n"
        "region = us-east-1\n"
        "duration_seconds = 900\n"
        "role_arn = arn:aws:iam::123456789012:role/dev\n",
        "dev", &p), CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.access_key, "CRED");
    EXPECT_STR(p.secret_key, "CONFSECRET");
    EXPECT_STR(p.region, "ap-south-1");
    EXPECT_INT(p.duration_seconds, 1800);
    EXPECT_STR(p.role_arn, "arn:aws:iam::123456789012:role/dev");

    cc_test_arena_destroy(&a);
}


static void
test_profile_sections(void)
{
    cc_aws_profile_t  p;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    /* "[profile default]" in the config file is default too */
    EXPECT_INT(test_profile(&a, NULL, "[profile default]\nregion = r1\n",
                            "default", &p), CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.region, "r1");

    /* the config file's "[name]" is not the profile name */
    EXPECT_INT(test_profile(&a, NULL, "[dev]\nregion = r1\n", "dev", &p),
               CC_OK);
    CHECK(!p.found);
    EXPECT_STR(p.region, NULL);

    /* nor is the credentials file's "[profile name]" */
    EXPECT_INT(test_profile(&a, "[profile dev]\naws_access_key_id = A\n",
                            NULL, "dev", &p), CC_OK);
    CHECK(!p.found);
    EXPECT_STR(p.access_key, NULL);

    EXPECT_INT(test_profile(&a, "[profile dev]\naws_access_key_id = A\n",
                            NULL, "profile dev", &p), CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.access_key, "A");

    /* white space inside the brackets and after "profile" */
    EXPECT_INT(test_profile(&a, "[ dev\t]\naws_access_key_id = A\n",
                            "[ profile   dev ]\nregion = r1\n", "dev", &p),
               CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.access_key, "A");
    EXPECT_STR(p.region, "r1");

    EXPECT_INT(test_profile(&a, NULL, "[profile\tdev]\nregion = r2\n",
                            "dev", &p), CC_OK);
    EXPECT_STR(p.region, "r2");

    EXPECT_INT(test_profile(&a, NULL, "  [profile dev]  # c\nregion = r3\n",
                            "dev", &p), CC_OK);
    EXPECT_STR(p.region, "r3");

    /* not "profile dev" */
    EXPECT_INT(test_profile(&a, NULL,
                            "[profiledev]\nregion = r1\n"
                            "[profile]\nregion = r2\n"
                            "[profile ]\nregion = r3\n"
                            "[Profile dev]\nregion = r4\n"
                            "[profile Dev]\nregion = r5\n"
                            "[profile dev2]\nregion = r6\n"
                            "[profile de]\nregion = r7\n",
                            "dev", &p), CC_OK);
    CHECK(!p.found);
    EXPECT_STR(p.region, NULL);

    /* a section twice: merged, the last value wins */
    EXPECT_INT(test_profile(&a, NULL,
                            "[profile dev]\nregion = r1\nrole_arn = x\n"
                            "[default]\nregion = r2\n"
                            "[profile dev]\nregion = r3\n"
                            "[profile other]\nregion = r4\n",
                            "dev", &p), CC_OK);
    EXPECT_STR(p.region, "r3");
    EXPECT_STR(p.role_arn, "x");

    /* keys before any section, and after a broken header, are no one's */
    EXPECT_INT(test_profile(&a,
                            "aws_access_key_id = NONE\n"
                            "[default]\n"
                            "aws_access_key_id = A\n"
                            "[default\n"
                            "aws_secret_access_key = B\n"
                            "[]\n"
                            "aws_session_token = C\n",
                            NULL, "default", &p), CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.access_key, "A");
    EXPECT_STR(p.secret_key, NULL);
    EXPECT_STR(p.session_token, NULL);

    cc_test_arena_destroy(&a);
}


static void
test_profile_lines(void)
{
    cc_aws_profile_t  p;
    cc_test_arena_t   a;

    cc_test_arena_init(&a);

    /* comments, white space, "=" in values, the last value wins */
    EXPECT_INT(test_profile(&a,
        "# the credentials\n"
        "; of this host\n"
        "[default]\n"
        "   # an indented comment\n"
        "aws_access_key_id=OLD\n"
        "aws_access_key_id\t=\tAKIAIOSFODNN7EXAMPLE   \n"
        "aws_secret_access_key = " T_SECRET " # the secret\n"
        "aws_session_token = abc/def+ghi==\n"
        "# aws_session_token = commented\n"
        "; region = commented\n",
        NULL, "default", &p), CC_OK);
    EXPECT_STR(p.access_key, "AKIAIOSFODNN7EXAMPLE");
    EXPECT_STR(p.secret_key, T_SECRET);
    EXPECT_STR(p.session_token, "abc/def+ghi==");
    EXPECT_STR(p.region, NULL);

    /* what is not a comment */
    EXPECT_INT(test_profile(&a, NULL,
        "[default]\n"
        "region = us-east-1;x\n"
        "role_arn = a#b\n"
        "external_id = x ;c\n"
        "role_session_name = s\t#c ; d\n"
        "source_profile = =p=\n",
        "default", &p), CC_OK);
    EXPECT_STR(p.region, "us-east-1;x");
    EXPECT_STR(p.role_arn, "a#b");
    EXPECT_STR(p.external_id, "x");
    EXPECT_STR(p.role_session_name, "s");
    EXPECT_STR(p.source_profile, "=p=");

    /* CRLF, a BOM, no newline at the end */
    EXPECT_INT(test_profile(&a,
        "\xef\xbb\xbf[default]\r\n"
        "aws_access_key_id = A\r\n"
        "\r\n"
        "aws_secret_access_key = S\r\n"
        "aws_session_token = T",
        "\xef\xbb\xbf[default]\r\nregion = r\r\n",
        "default", &p), CC_OK);
    CHECK(p.found);
    EXPECT_STR(p.access_key, "A");
    EXPECT_STR(p.secret_key, "S");
    EXPECT_STR(p.session_token, "T");
    EXPECT_STR(p.region, "r");

    /* nested sub-sections, continuation lines */
    EXPECT_INT(test_profile(&a, NULL,
        "[profile dev]\n"
        "s3 =\n"
        "    max_concurrent_requests = 20\n"
        "    region = eu-west-1\n"
        "\tduration_seconds = x\n"
        "region = us-east-2\n"
        "role_arn = arn:aws:iam::123456789012:role/dev\n"
        "  external_id = continued\n"
        "[profile other]\n"
        "  region = indented\n",
        "dev", &p), CC_OK);
    EXPECT_STR(p.region, "us-east-2");
    EXPECT_STR(p.role_arn, "arn:aws:iam::123456789012:role/dev");
    EXPECT_STR(p.external_id, NULL);
    EXPECT_INT(p.duration_seconds, 0);

    /* an indented key with no key before it is a key */
    EXPECT_INT(test_profile(&a, NULL,
        "[default]\n"
        "  region = r1\n"
        "  role_arn = x\n"
        "    external_id = continued\n"
        "[profile dev]\n"
        "\tregion = r2\n",
        "default", &p), CC_OK);
    EXPECT_STR(p.region, "r1");
    EXPECT_STR(p.role_arn, "x");
    EXPECT_STR(p.external_id, NULL);

    /* an empty value is a value; keys are lowercase; no "=" is no key */
    EXPECT_INT(test_profile(&a, NULL,
        "[default]\n"
        "region = r\n"
        "region =\n"
        "Role_Arn = x\n"
        "ROLE_ARN = y\n"
        "external_id\n"
        "role_session_name : n\n"
        "credential_source = Environment\n",
        "default", &p), CC_OK);
    CHECK(p.region.data != NULL);
    EXPECT_STR(p.region, "");
    EXPECT_STR(p.role_arn, NULL);
    EXPECT_STR(p.external_id, NULL);
    EXPECT_STR(p.role_session_name, NULL);
    EXPECT_STR(p.credential_source, "Environment");

    cc_test_arena_destroy(&a);
}


static void
test_profile_duration(void)
{
    size_t            i;
    cc_aws_profile_t  p;
    cc_test_arena_t   a;

    static const char  *bad[] = {
        "[default]\nduration_seconds = 0\n",
        "[default]\nduration_seconds = -900\n",
        "[default]\nduration_seconds = +900\n",
        "[default]\nduration_seconds = 900s\n",
        "[default]\nduration_seconds = 9 00\n",
        "[default]\nduration_seconds = 1e3\n",
        "[default]\nduration_seconds = 0x10\n",
        "[default]\nduration_seconds =\n",
        "[default]\nduration_seconds = abc\n",
        "[default]\nduration_seconds = 9223372036854775808\n",
        "[default]\nduration_seconds = 99999999999999999999999\n",
        "[default]\nduration_seconds = 900\nduration_seconds = x\n",
        NULL
    };

    cc_test_arena_init(&a);

    for (i = 0; bad[i]; i++) {
        if (!EXPECT_INT(test_profile(&a, NULL, bad[i], "default", &p),
                        CC_ERROR))
        {
            fprintf(stderr, "    input: %s", bad[i]);
        }
    }

    /* a bad value in the credentials file, a good one in config */
    EXPECT_INT(test_profile(&a, "[default]\nduration_seconds = x\n",
                            "[default]\nduration_seconds = 900\n",
                            "default", &p), CC_ERROR);

    /* a bad value in another profile is not read */
    EXPECT_INT(test_profile(&a, NULL,
                            "[profile x]\nduration_seconds = x\n"
                            "[default]\nduration_seconds = 43200 # 12h\n",
                            "default", &p), CC_OK);
    EXPECT_INT(p.duration_seconds, 43200);

    EXPECT_INT(test_profile(&a, NULL,
                            "[default]\nduration_seconds = 007\n",
                            "default", &p), CC_OK);
    EXPECT_INT(p.duration_seconds, 7);

    EXPECT_INT(test_profile(&a, NULL,
                            "[default]\nduration_seconds = x\n"
                            "duration_seconds = 9223372036854775807\n",
                            "default", &p), CC_OK);
    EXPECT_INT(p.duration_seconds, 9223372036854775807LL);

    cc_test_arena_destroy(&a);
}


static void
test_profile_memory(void)
{
    int               rc;
    long              n;
    cc_str_t          name;
    cc_aws_profile_t  p;
    cc_test_arena_t   a;

    test_str(&name, "x");

    for (n = 0; n < 100; n++) {
        cc_test_arena_init(&a);
        a.fail_after = n + 2;   /* the copies of the files */

        rc = test_profile(&a, T_CRED_FILE, T_CONF_FILE, "user1", &p);

        cc_test_arena_destroy(&a);

        if (rc == CC_OK) {
            break;
        }
    }

    /* a copy per value: three keys, the region */
    EXPECT_INT(n, 4);

    /* nothing is allocated for a profile without values */
    cc_test_arena_init(&a);
    a.fail_after = 0;
    EXPECT_INT(cc_profile_find(&a.alloc, (u_char *) "[x]\n", 4, NULL, 0,
                               &name, &p), CC_OK);
    CHECK(p.found);
    cc_test_arena_destroy(&a);
}


int
main(void)
{
    test_iso8601();
    test_iso8601_timegm();
    test_creds_json();
    test_creds_json_errors();
    test_creds_json_memory();
    test_sts_success();
    test_sts_pieces();
    test_sts_error();
    test_sts_malformed();
    test_sts_truncated();
    test_sts_memory();
    test_sts_body();
    test_profile_basic();
    test_profile_sections();
    test_profile_lines();
    test_profile_duration();
    test_profile_memory();
    test_container_host();

    return cc_test_done("test_awscreds");
}


static void
test_container_host(void)
{
    size_t  i;

    static const char  *ok[] = {
        "localhost", "LOCALHOST", "localhost:8080", "127.0.0.1",
        "127.0.0.1:51679", "127.1.2.3", "127.255.255.255:1", "[::1]",
        "[::1]:80", "169.254.170.2", "169.254.170.2:80", "169.254.170.23",
        "169.254.170.23:80", NULL
    };

    static const char  *bad[] = {
        "", "localhost.example", "localhost.example:80", "localhostx",
        "127.0.0.1.nip.io", "127.0.0.1.nip.io:80", "127.1", "127.0.1",
        "127.0.0.256", "127.0.0.01x", "127.0.0.1:", "127.0.0.1:80x",
        "127.0.0.1:1234567", "127.0.0.1@evil.example", "127..0.1",
        "1127.0.0.1", "128.0.0.1", "169.254.170.20", "169.254.170.3",
        "169.254.170.230", "169.254.170.2.example", "169.254.169.254",
        "[::2]", "{::1}", "[::1", "::1", "[0:0:0:0:0:0:0:1]x",
        "evil.example", NULL
    };

    for (i = 0; ok[i]; i++) {
        if (!EXPECT_INT(cc_container_host_ok((const u_char *) ok[i],
                                             strlen(ok[i])), 1))
        {
            fprintf(stderr, "    host: \"%s\"\n", ok[i]);
        }
    }

    for (i = 0; bad[i]; i++) {
        if (!EXPECT_INT(cc_container_host_ok((const u_char *) bad[i],
                                             strlen(bad[i])), 0))
        {
            fprintf(stderr, "    host: \"%s\"\n", bad[i]);
        }
    }
}
