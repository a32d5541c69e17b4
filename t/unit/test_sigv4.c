
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * SigV4 unit tests: AWS documentation examples, aws-sig-v4-test-suite
 * cases and a Bedrock-shaped vector (PROTOCOLS.md 5.3).  All credentials
 * here are AWS's published example values.
 *
 *     make -C t/unit build/test_sigv4 && t/unit/build/test_sigv4
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cc_crypto.h"
#include "cc_uri.h"
#include "cc_sigv4.h"


/* a malloc arena and CHECK macros (t/unit/test_util.h did not exist yet) */

typedef struct test_block_s  test_block_t;

struct test_block_s {
    test_block_t             *next;
    /* keep the payload aligned for any type */
    union {
        long double           ld;
        void                 *p;
        long long             ll;
    } align[1];
};


typedef struct {
    test_block_t             *blocks;
    size_t                    fail_after;   /* 0: never fail */
    size_t                    count;
} test_arena_t;


static int  failures;
static int  checks;


#define CHECK(cond)                                                         \
    do {                                                                    \
        checks++;                                                           \
        if (!(cond)) {                                                      \
            failures++;                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n",                    \
                    __FILE__, __LINE__, #cond);                             \
        }                                                                   \
    } while (0)

#define CHECK_STR(got, glen, want)                                          \
    test_check_str(__FILE__, __LINE__, (const u_char *) (got), (glen),      \
                   (want))


static void *test_arena_alloc(void *data, size_t size);
static void test_arena_init(test_arena_t *ar, cc_alloc_t *a);
static void test_arena_free(test_arena_t *ar);
static void test_check_str(const char *file, int line, const u_char *got,
    size_t glen, const char *want);
static void test_str(cc_str_t *s, const char *v);
static void test_request(cc_sigv4_request_t *r, const char *method,
    const char *path, time_t now, const char *service);
static void test_bedrock_request(cc_sigv4_request_t *r,
    cc_sigv4_header_t hdrs[2]);
static void test_signing_key_hex(const char *secret, const char *date,
    const char *region, const char *service, u_char out[65]);
static void test_amz_date(void);
static void test_escape(void);
static void test_signing_key(void);
static void test_crypto(void);
static void test_key_cache_key(cc_sigv4_key_cache_t *c, const char *secret,
    const char *date, const char *region, const char *service);
static void test_key_cache(void);
static void test_key_cache_sign(void);
static void test_suite(void);
static void test_bedrock(void);
static void test_bedrock_arn(void);
static void test_headers(void);
static void test_normalize(void);
static void test_errors(void);


#define T_AKID         "AKIDEXAMPLE"
#define T_SECRET       "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define T_20150830     ((time_t) 1440938160)    /* 20150830T123600Z */
#define T_20250115     ((time_t) 1736942400)    /* 20250115T120000Z */
#define T_EMPTY_HASH                                                        \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define T_BEDROCK_HOST "bedrock-runtime.us-east-1.amazonaws.com"
#define T_BEDROCK_BODY                                                      \
    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hello\"}]}]," \
    "\"inferenceConfig\":{\"maxTokens\":256}}"

#define T_STS_TOKEN                                                         \
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLW" \
    "sKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrm" \
    "GdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFv" \
    "lRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqK" \
    "mlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="


static void *
test_arena_alloc(void *data, size_t size)
{
    test_arena_t  *ar;
    test_block_t  *b;

    ar = data;

    if (ar->fail_after && ++ar->count >= ar->fail_after) {
        return NULL;
    }

    b = malloc(offsetof(test_block_t, align) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = ar->blocks;
    ar->blocks = b;

    return b->align;
}


static void
test_arena_init(test_arena_t *ar, cc_alloc_t *a)
{
    ar->blocks = NULL;
    ar->fail_after = 0;
    ar->count = 0;

    a->alloc = test_arena_alloc;
    a->data = ar;
}


static void
test_arena_free(test_arena_t *ar)
{
    test_block_t  *b, *next;

    for (b = ar->blocks; b; b = next) {
        next = b->next;
        free(b);
    }

    ar->blocks = NULL;
}


static void
test_check_str(const char *file, int line, const u_char *got, size_t glen,
    const char *want)
{
    checks++;

    if (glen == strlen(want) && memcmp(got, want, glen) == 0) {
        return;
    }

    failures++;
    fprintf(stderr, "%s:%d: mismatch\n  want: \"%s\"\n  got:  \"%.*s\"\n",
            file, line, want, (int) glen, (const char *) got);
}


static void
test_str(cc_str_t *s, const char *v)
{
    s->data = (u_char *) v;
    s->len = v ? strlen(v) : 0;
}


static void
test_request(cc_sigv4_request_t *r, const char *method, const char *path,
    time_t now, const char *service)
{
    memset(r, 0, sizeof(cc_sigv4_request_t));

    test_str(&r->method, method);
    test_str(&r->path, path);
    test_str(&r->access_key, T_AKID);
    test_str(&r->secret_key, T_SECRET);
    test_str(&r->region, "us-east-1");
    test_str(&r->service, service);

    r->now = now;
}


/* (d): the Bedrock-shaped request */

static void
test_bedrock_request(cc_sigv4_request_t *r, cc_sigv4_header_t hdrs[2])
{
    test_request(r, "POST", "/model/amazon.nova-lite-v1%3A0/converse",
                 T_20250115, "bedrock");

    test_str(&hdrs[0].name, "Content-Type");
    test_str(&hdrs[0].value, "application/json");
    test_str(&hdrs[1].name, "Host");
    test_str(&hdrs[1].value, T_BEDROCK_HOST);
    r->headers = hdrs;
    r->nheaders = 2;
    r->payload = (const u_char *) T_BEDROCK_BODY;
    r->payload_len = strlen(T_BEDROCK_BODY);
}


static void
test_signing_key_hex(const char *secret, const char *date,
    const char *region, const char *service, u_char out[65])
{
    u_char    key[32];
    cc_str_t  s, r, v;

    test_str(&s, secret);
    test_str(&r, region);
    test_str(&v, service);

    CHECK(cc_sigv4_signing_key(&s, (const u_char *) date, &r, &v, key)
          == CC_OK);

    cc_hex(out, key, 32);
    out[64] = '\0';
}


static void
test_amz_date(void)
{
    u_char  d[17];

    CHECK(cc_sigv4_amz_date(T_20150830, d) == CC_OK);
    CHECK_STR(d, strlen((char *) d), "20150830T123600Z");

    CHECK(cc_sigv4_amz_date(T_20250115, d) == CC_OK);
    CHECK_STR(d, strlen((char *) d), "20250115T120000Z");

    CHECK(cc_sigv4_amz_date(0, d) == CC_OK);
    CHECK_STR(d, strlen((char *) d), "19700101T000000Z");

    /* 2000-02-29T23:59:59Z */
    CHECK(cc_sigv4_amz_date((time_t) 951868799, d) == CC_OK);
    CHECK_STR(d, strlen((char *) d), "20000229T235959Z");
}


static void
test_escape(void)
{
    size_t        n;
    u_char        buf[256];
    const char   *id, *arn, *want;

    /* a path label: ":" and "/" escaped */

    id = "amazon.nova-lite-v1:0";
    n = cc_uri_escape(NULL, (const u_char *) id, strlen(id), 0);
    CHECK(n == strlen("amazon.nova-lite-v1%3A0"));
    CHECK(cc_uri_escape(buf, (const u_char *) id, strlen(id), 0) == n);
    CHECK_STR(buf, n, "amazon.nova-lite-v1%3A0");

    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
          "us.amazon.nova-lite-v1:0";
    want = "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3A"
           "inference-profile%2Fus.amazon.nova-lite-v1%3A0";
    n = cc_uri_escape(NULL, (const u_char *) arn, strlen(arn), 0);
    CHECK(n == strlen(want));
    CHECK(cc_uri_escape(buf, (const u_char *) arn, strlen(arn), 0) == n);
    CHECK_STR(buf, n, want);

    /* unreserved kept; everything else, "%" and high bytes, uppercase */
    n = cc_uri_escape(buf, (const u_char *) "aZ09-_.~ %/\xff+", 13, 0);
    CHECK_STR(buf, n, "aZ09-_.~%20%25%2F%FF%2B");

    /* the canonical URI: "/" kept */
    n = cc_uri_escape(buf, (const u_char *) "/a b/%3A/", 9, 1);
    CHECK_STR(buf, n, "/a%20b/%253A/");

    CHECK(cc_uri_escape(NULL, (const u_char *) "", 0, 0) == 0);

    cc_hex(buf, (const u_char *) "\x00\x01\xab\xff", 4);
    CHECK_STR(buf, 8, "0001abff");
}


static void
test_signing_key(void)
{
    u_char        hex[65], key[32], want[32], k[128];
    size_t        i, len;
    cc_str_t      s, r, v;
    unsigned int  mdlen;

    /* (b) AWS docs: deriving the signing key */
    test_signing_key_hex(T_SECRET, "20120215", "us-east-1", "iam", hex);
    CHECK_STR(hex, 64,
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");

    /* the keys of AWS docs' IAM ListUsers example and of (d) */
    test_signing_key_hex(T_SECRET, "20150830", "us-east-1", "iam", hex);
    CHECK_STR(hex, 64,
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");

    test_signing_key_hex(T_SECRET, "20250115", "us-east-1", "bedrock", hex);
    CHECK_STR(hex, 64,
        "37edfb24f5de86dab7e5ace2798293a9db6342415fcd636d42c7a7199dbe6188");

    /*
     * secrets whose "AWS4" key exceeds the HMAC block (64 bytes) take the
     * pre-hashed path: compare with plain HMAC over the whole key, around
     * the boundary
     */

    for (len = 58; len <= 124; len++) {
        memcpy(k, "AWS4", 4);

        for (i = 0; i < len; i++) {
            k[4 + i] = (u_char) ('A' + i % 26);
        }

        s.data = k + 4;
        s.len = len;
        test_str(&r, "eu-west-3");
        test_str(&v, "bedrock");

        CHECK(cc_sigv4_signing_key(&s, (const u_char *) "20250115", &r, &v,
                                   key)
              == CC_OK);

        CHECK(HMAC(EVP_sha256(), k, (int) (4 + len),
                   (const u_char *) "20250115", 8, want, &mdlen) != NULL);
        CHECK(HMAC(EVP_sha256(), want, 32, (const u_char *) "eu-west-3", 9,
                   want, &mdlen) != NULL);
        CHECK(HMAC(EVP_sha256(), want, 32, (const u_char *) "bedrock", 7,
                   want, &mdlen) != NULL);
        CHECK(HMAC(EVP_sha256(), want, 32, (const u_char *) "aws4_request",
                   12, want, &mdlen) != NULL);

        CHECK(memcmp(key, want, 32) == 0);
    }
}


typedef struct {
    const char               *name;
    const char               *method;
    const char               *content_type;
    const char               *body;
    const char               *token;
    const char               *signed_headers;
    const char               *creq_hash;
    const char               *signature;
} test_suite_case_t;


static void
test_suite(void)
{
    u_char                    hash[65];
    size_t                    i, n;
    cc_alloc_t                a;
    test_arena_t              ar;
    cc_sigv4_header_t         hdrs[2];
    cc_sigv4_result_t         res;
    cc_sigv4_request_t        req;
    const test_suite_case_t  *c;

    static const test_suite_case_t  cases[] = {
        { "get-vanilla", "GET", NULL, NULL, NULL,
          "host;x-amz-date",
          "bb579772317eb040ac9ed261061d46c1"
          "f17a8133879d6129b6e1c25292927e63",
          "5fa00fa31553b73ebf1942676e86291e"
          "8372ff2a2260956d9b8aae1d763fbf31" },

        { "post-vanilla", "POST", NULL, NULL, NULL,
          "host;x-amz-date",
          "553f88c9e4d10fc9e109e2aeb65f0308"
          "01b70c2f6468faca261d401ae622fc87",
          "5da7c1a2acd57cee7505fc6676e4e544"
          "621c30862966e37dddb68e92efbe5d6b" },

        { "post-x-www-form-urlencoded", "POST",
          "application/x-www-form-urlencoded", "Param1=value1", NULL,
          "content-type;host;x-amz-date",
          "42a5e5bb34198acb3e84da4f085bb792"
          "7f2bc277ca766e6d19c73c2154021281",
          "ff11897932ad3f4e8b18135d722051e5"
          "ac45fc38421b1da7b9d196a0fe09473a" },

        { "post-sts-header-before", "POST", NULL, NULL, T_STS_TOKEN,
          "host;x-amz-date;x-amz-security-token",
          "c237e1b440d4c63c32ca95b5b9948108"
          "1cb7b13c7e40434868e71567c1a882f6",
          "85d96828115b5dc0cfc3bd16ad9e210d"
          "d772bbebba041836c64533a82be05ead" },
    };

    /* (c) aws-sig-v4-test-suite */

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        c = &cases[i];

        test_arena_init(&ar, &a);
        test_request(&req, c->method, "/", T_20150830, "service");

        n = 0;

        test_str(&hdrs[n].name, "Host");
        test_str(&hdrs[n].value, "example.amazonaws.com");
        n++;

        if (c->content_type) {
            test_str(&hdrs[n].name, "Content-Type");
            test_str(&hdrs[n].value, c->content_type);
            n++;
        }

        req.headers = hdrs;
        req.nheaders = n;

        if (c->body) {
            req.payload = (const u_char *) c->body;
            req.payload_len = strlen(c->body);
        }

        test_str(&req.session_token, c->token);

        res.err = "unset";
        CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK);
        CHECK(res.err == NULL);

        CHECK(cc_sha256_hex(res.canonical_request.data,
                            res.canonical_request.len, hash)
              == CC_OK);

        if (strcmp((char *) hash, c->creq_hash) != 0) {
            fprintf(stderr, "suite case %s, canonical request:\n%.*s\n",
                    c->name, (int) res.canonical_request.len,
                    (char *) res.canonical_request.data);
        }

        CHECK_STR(hash, 64, c->creq_hash);
        CHECK_STR(res.signed_headers.data, res.signed_headers.len,
                  c->signed_headers);
        CHECK_STR(res.signature, strlen((char *) res.signature),
                  c->signature);

        test_arena_free(&ar);
    }
}


static void
test_bedrock(void)
{
    u_char               hash[65], key[32];
    cc_alloc_t           a;
    test_arena_t         ar;
    cc_sigv4_header_t    hdrs[2];
    cc_sigv4_result_t    res;
    cc_sigv4_request_t   req;
    cc_str_t             s, r, v;

    /* (d) the Bedrock-shaped vector */

    test_arena_init(&ar, &a);

    test_bedrock_request(&req, hdrs);

    CHECK(req.payload_len == 95);

    CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK);

    CHECK_STR(res.canonical_request.data, res.canonical_request.len,
        "POST\n"
        "/model/amazon.nova-lite-v1%253A0/converse\n"
        "\n"
        "content-type:application/json\n"
        "host:bedrock-runtime.us-east-1.amazonaws.com\n"
        "x-amz-date:20250115T120000Z\n"
        "\n"
        "content-type;host;x-amz-date\n"
        "d8695502972bd4d482308b656a524b7a7efcebba591a06801fadba6b39700dd1");

    /* NUL-terminated for logs */
    CHECK(res.canonical_request.data[res.canonical_request.len] == '\0');
    CHECK(res.authorization.data[res.authorization.len] == '\0');

    CHECK_STR(res.payload_hash, strlen((char *) res.payload_hash),
        "d8695502972bd4d482308b656a524b7a7efcebba591a06801fadba6b39700dd1");

    CHECK(cc_sha256_hex(res.canonical_request.data,
                        res.canonical_request.len, hash)
          == CC_OK);
    CHECK_STR(hash, 64,
        "bbebd84c9a8582c30702b1bc39e16c26aeb47e6c6cdd32ec83ae3019d5b622fa");

    CHECK_STR(res.signature, strlen((char *) res.signature),
        "bac5d67b637dcf8cea3a3ac6aaf744f04aac6e159f9de4136728a3c783e13ed9");

    CHECK_STR(res.amz_date, strlen((char *) res.amz_date),
              "20250115T120000Z");

    CHECK_STR(res.authorization.data, res.authorization.len,
        "AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature="
        "bac5d67b637dcf8cea3a3ac6aaf744f04aac6e159f9de4136728a3c783e13ed9");

    /* a cached signing key gives the same signature without the secret */

    test_str(&s, T_SECRET);
    test_str(&r, "us-east-1");
    test_str(&v, "bedrock");
    CHECK(cc_sigv4_signing_key(&s, res.amz_date, &r, &v, key) == CC_OK);

    req.signing_key = key;
    req.secret_key.len = 0;
    req.secret_key.data = NULL;

    CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK);
    CHECK_STR(res.signature, strlen((char *) res.signature),
        "bac5d67b637dcf8cea3a3ac6aaf744f04aac6e159f9de4136728a3c783e13ed9");

    req.signing_key = NULL;
    test_str(&req.secret_key, T_SECRET);

    /* the session-token variant: x-amz-security-token added and signed */

    test_str(&req.session_token, "FQoGZXIvYXdzEXAMPLESESSIONTOKEN");

    CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK);

    CHECK_STR(res.canonical_request.data, res.canonical_request.len,
        "POST\n"
        "/model/amazon.nova-lite-v1%253A0/converse\n"
        "\n"
        "content-type:application/json\n"
        "host:bedrock-runtime.us-east-1.amazonaws.com\n"
        "x-amz-date:20250115T120000Z\n"
        "x-amz-security-token:FQoGZXIvYXdzEXAMPLESESSIONTOKEN\n"
        "\n"
        "content-type;host;x-amz-date;x-amz-security-token\n"
        "d8695502972bd4d482308b656a524b7a7efcebba591a06801fadba6b39700dd1");

    CHECK(cc_sha256_hex(res.canonical_request.data,
                        res.canonical_request.len, hash)
          == CC_OK);
    CHECK_STR(hash, 64,
        "7b59cccf297f925f4c84c274fd3f98eae731fa4831a849eae9b5abe35ccfd8e6");

    CHECK_STR(res.signature, strlen((char *) res.signature),
        "b77bcf48bf623cac59611fb70d82165154d09e0e705bcf3d2c7bd1b3d9732806");

    CHECK_STR(res.authorization.data, res.authorization.len,
        "AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE/20250115/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
        "Signature="
        "b77bcf48bf623cac59611fb70d82165154d09e0e705bcf3d2c7bd1b3d9732806");

    test_arena_free(&ar);
}


static void
test_bedrock_arn(void)
{
    u_char               path[512];
    size_t               n;
    cc_alloc_t           a;
    test_arena_t         ar;
    const char          *arn;
    cc_sigv4_header_t    hdrs[2];
    cc_sigv4_result_t    res;
    cc_sigv4_request_t   req;

    /* an inference-profile ARN: "%3A" and "%2F" are signed "%253A" and
     * "%252F"; the encoded "/" never splits the path */

    test_arena_init(&ar, &a);

    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
          "us.amazon.nova-lite-v1:0";

    n = sizeof("/model/") - 1;
    memcpy(path, "/model/", n);
    n += cc_uri_escape(path + n, (const u_char *) arn, strlen(arn), 0);
    memcpy(path + n, "/converse-stream", sizeof("/converse-stream"));

    CHECK_STR(path, strlen((char *) path),
              "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3A"
              "inference-profile%2Fus.amazon.nova-lite-v1%3A0"
              "/converse-stream");

    test_request(&req, "POST", (char *) path, T_20250115, "bedrock");

    test_str(&hdrs[0].name, "host");
    test_str(&hdrs[0].value, T_BEDROCK_HOST);
    test_str(&hdrs[1].name, "content-type");
    test_str(&hdrs[1].value, "application/json");
    req.headers = hdrs;
    req.nheaders = 2;

    CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK);

    CHECK_STR(res.canonical_request.data,
              strlen("POST\n/model/arn%253Aaws%253Abedrock%253Aus-east-1"
                     "%253A123456789012%253Ainference-profile%252F"
                     "us.amazon.nova-lite-v1%253A0/converse-stream\n\n"
                     "content-type:application/json\n"),
              "POST\n/model/arn%253Aaws%253Abedrock%253Aus-east-1"
              "%253A123456789012%253Ainference-profile%252F"
              "us.amazon.nova-lite-v1%253A0/converse-stream\n\n"
              "content-type:application/json\n");

    /* the empty payload */
    CHECK_STR(res.payload_hash, 64, T_EMPTY_HASH);

    test_arena_free(&ar);
}


static void
test_headers(void)
{
    cc_alloc_t           a;
    test_arena_t         ar;
    cc_sigv4_header_t    hdrs[4];
    cc_sigv4_result_t    res;
    cc_sigv4_request_t   req;

    /* names lowercased and sorted; values trimmed, whitespace runs
     * collapsed (inside quotes too, as botocore and smithy do) */

    test_arena_init(&ar, &a);

    test_request(&req, "POST", "/", T_20250115, "bedrock");

    test_str(&hdrs[0].name, "X-Custom");
    test_str(&hdrs[0].value, "  a   b \t\t c  ");
    test_str(&hdrs[1].name, "HOST");
    test_str(&hdrs[1].value, "\texample.com ");
    test_str(&hdrs[2].name, "X-AMZ-META");
    test_str(&hdrs[2].value, "\"x   y\"");
    test_str(&hdrs[3].name, "a-empty");
    test_str(&hdrs[3].value, "   ");
    req.headers = hdrs;
    req.nheaders = 4;

    test_str(&req.session_token, "  tok  en ");

    CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK);

    CHECK_STR(res.canonical_request.data, res.canonical_request.len,
        "POST\n"
        "/\n"
        "\n"
        "a-empty:\n"
        "host:example.com\n"
        "x-amz-date:20250115T120000Z\n"
        "x-amz-meta:\"x y\"\n"
        "x-amz-security-token:tok en\n"
        "x-custom:a b c\n"
        "\n"
        "a-empty;host;x-amz-date;x-amz-meta;x-amz-security-token;x-custom\n"
        T_EMPTY_HASH);

    CHECK_STR(res.signed_headers.data, res.signed_headers.len,
        "a-empty;host;x-amz-date;x-amz-meta;x-amz-security-token;x-custom");

    test_arena_free(&ar);
}


static void
test_normalize(void)
{
    size_t               i, n;
    cc_alloc_t           a;
    test_arena_t         ar;
    cc_sigv4_header_t    hdr;
    cc_sigv4_result_t    res;
    cc_sigv4_request_t   req;

    static const char  *cases[][2] = {
        { "/", "/" },
        { "/a/./b/../c//d/", "/a/c/d/" },
        { "/..", "/" },
        { "/../a/..", "/" },
        { "/a/b/../../", "/" },
        { "/a/b/..", "/a" },
        { "//a//", "/a/" },
        { "/./.", "/" },
        { "/.../a%2F..", "/.../a%252F.." },
        { "/x:y/%20", "/x%3Ay/%2520" },
    };

    /* the wire path normalized, then encoded once more */

    test_arena_init(&ar, &a);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        test_request(&req, "GET", cases[i][0], T_20150830, "service");

        test_str(&hdr.name, "host");
        test_str(&hdr.value, "example.amazonaws.com");
        req.headers = &hdr;
        req.nheaders = 1;

        CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK);

        n = strlen(cases[i][1]);
        CHECK(res.canonical_request.len > 4 + n);
        CHECK_STR(res.canonical_request.data + 4, n, cases[i][1]);
        CHECK(res.canonical_request.data[4 + n] == '\n');

    }

    test_arena_free(&ar);
}


static void
test_errors(void)
{
    size_t               i;
    cc_alloc_t           a;
    test_arena_t         ar;
    cc_sigv4_header_t    hdrs[2];
    cc_sigv4_result_t    res;
    cc_sigv4_request_t   req;

    test_arena_init(&ar, &a);

#define T_SETUP()                                                           \
    test_request(&req, "POST", "/model/m/converse", T_20250115,             \
                 "bedrock");                                                \
    test_str(&hdrs[0].name, "host");                                        \
    test_str(&hdrs[0].value, T_BEDROCK_HOST);                               \
    test_str(&hdrs[1].name, "content-type");                                \
    test_str(&hdrs[1].value, "application/json");                           \
    req.headers = hdrs;                                                     \
    req.nheaders = 2;                                                       \
    res.err = NULL

#define T_FAILS()                                                           \
    CHECK(cc_sigv4_sign(&a, &req, &res) == CC_ERROR && res.err != NULL     \
          && res.authorization.len == 0)

    T_SETUP();
    CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK && res.err == NULL);

    /* no host */
    T_SETUP();
    req.nheaders = 1;
    req.headers = &hdrs[1];
    T_FAILS();

    /* x-amz-date / x-amz-security-token are the signer's */
    T_SETUP();
    test_str(&hdrs[1].name, "X-Amz-Date");
    test_str(&hdrs[1].value, "20250115T120000Z");
    T_FAILS();

    T_SETUP();
    test_str(&hdrs[1].name, "x-amz-security-token");
    T_FAILS();

    /* CR / LF would forge canonical-request lines */
    T_SETUP();
    test_str(&hdrs[1].value, "application/json\nx-evil:1");
    T_FAILS();

    T_SETUP();
    test_str(&req.session_token, "tok\r\nen");
    T_FAILS();

    /* a name twice, in any case */
    T_SETUP();
    test_str(&hdrs[1].name, "Host");
    T_FAILS();

    /* bad header names */
    T_SETUP();
    test_str(&hdrs[1].name, "content type");
    T_FAILS();

    T_SETUP();
    test_str(&hdrs[1].name, "content-type:");
    T_FAILS();

    T_SETUP();
    test_str(&hdrs[1].name, "");
    T_FAILS();

    /* path, method */
    T_SETUP();
    test_str(&req.path, "model/m/converse");
    T_FAILS();

    T_SETUP();
    test_str(&req.path, "");
    T_FAILS();

    T_SETUP();
    test_str(&req.path, "/model/a b");
    T_FAILS();

    T_SETUP();
    test_str(&req.path, "/model/m?x=1");
    T_FAILS();

    T_SETUP();
    test_str(&req.method, "");
    T_FAILS();

    /* credentials and scope */
    T_SETUP();
    test_str(&req.access_key, "");
    T_FAILS();

    T_SETUP();
    test_str(&req.access_key, "AKID/x");
    T_FAILS();

    T_SETUP();
    test_str(&req.region, "us-east-1, Signature=x");
    T_FAILS();

    T_SETUP();
    test_str(&req.service, "");
    T_FAILS();

    T_SETUP();
    test_str(&req.secret_key, "");
    T_FAILS();

    /* allocation failure */
    for (i = 1; i <= 2; i++) {
        T_SETUP();
        ar.fail_after = i;
        ar.count = 0;
        CHECK(cc_sigv4_sign(&a, &req, &res) == (i == 1 ? CC_ERROR : CC_OK));
        ar.fail_after = 0;
    }

    /* the error strings never carry the secret */
    T_SETUP();
    test_str(&req.access_key, "");
    T_FAILS();
    CHECK(res.err != NULL && strstr(res.err, T_SECRET) == NULL);

#undef T_SETUP
#undef T_FAILS

    test_arena_free(&ar);
}


/* the kept digest context: RFC 4231 and FIPS 180-2 vectors, in turn */

static void
test_crypto(void)
{
    int     round;
    u_char  key[131], out[32], hex[65];

    for (round = 0; round < 2; round++) {
        memset(key, 0x0b, 20);
        CHECK(cc_hmac_sha256(key, 20, (const u_char *) "Hi There", 8, out)
              == CC_OK);
        cc_hex(hex, out, 32);
        CHECK_STR(hex, 64, "b0344c61d8db38535ca8afceaf0bf12b"
                           "881dc200c9833da726e9376c2e32cff7");

        /* a key longer than a block: hashed first */
        memset(key, 0xaa, 131);
        CHECK(cc_hmac_sha256(key, 131, (const u_char *)
                             "Test Using Larger Than Block-Size Key - "
                             "Hash Key First", 54, out)
              == CC_OK);
        cc_hex(hex, out, 32);
        CHECK_STR(hex, 64, "60e431591ee0b67f0d8a26aacbf5b77f"
                           "8e0bc6213728c5140546040f0ee37f54");

        CHECK(cc_sha256_hex((const u_char *) "abc", 3, hex) == CC_OK);
        CHECK_STR(hex, 64, "ba7816bf8f01cfea414140de5dae2223"
                           "b00361a396177a9cb410ff61f20015ad");

        CHECK(cc_sha256_hex(NULL, 0, hex) == CC_OK);
        CHECK_STR(hex, 64, T_EMPTY_HASH);
    }
}


/* the cache's key for these, checked against a fresh derivation */

static void
test_key_cache_key(cc_sigv4_key_cache_t *c, const char *secret,
    const char *date, const char *region, const char *service)
{
    u_char    got[32], want[32];
    cc_str_t  s, r, v;

    test_str(&s, secret);
    test_str(&r, region);
    test_str(&v, service);

    CHECK(cc_sigv4_key_cache_get(c, &s, (const u_char *) date, &r, &v, got)
          == CC_OK);
    CHECK(cc_sigv4_signing_key(&s, (const u_char *) date, &r, &v, want)
          == CC_OK);
    CHECK(memcmp(got, want, 32) == 0);
}


static void
test_key_cache(void)
{
    char                   secret[201];
    size_t                 i;
    cc_sigv4_key_cache_t   c;

    memset(&c, 0, sizeof(cc_sigv4_key_cache_t));

    /* derived once, then found */
    test_key_cache_key(&c, T_SECRET, "20250115", "us-east-1", "bedrock");
    CHECK(c.derived == 1 && c.hits == 0);
    test_key_cache_key(&c, T_SECRET, "20250115", "us-east-1", "bedrock");
    CHECK(c.derived == 1 && c.hits == 1);

    /* a rotated secret: same length, one byte differs; then longer */
    test_key_cache_key(&c, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ",
                       "20250115", "us-east-1", "bedrock");
    CHECK(c.derived == 2 && c.hits == 1);
    test_key_cache_key(&c, T_SECRET "X", "20250115", "us-east-1",
                       "bedrock");
    CHECK(c.derived == 3 && c.hits == 1);
    test_key_cache_key(&c, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ",
                       "20250115", "us-east-1", "bedrock");
    CHECK(c.derived == 3 && c.hits == 2);

    /* another day, another region, another service */
    test_key_cache_key(&c, T_SECRET, "20250116", "us-east-1", "bedrock");
    CHECK(c.derived == 4);
    test_key_cache_key(&c, T_SECRET, "20250116", "us-west-2", "bedrock");
    CHECK(c.derived == 5);
    test_key_cache_key(&c, T_SECRET, "20250116", "us-west-2", "sts");
    CHECK(c.derived == 6);
    test_key_cache_key(&c, T_SECRET, "20250116", "us-west-2", "bedrock");
    CHECK(c.derived == 6);

    /*
     * full: the next day replaces the older day's entries first, the
     * current day's are kept
     */
    test_key_cache_key(&c, T_SECRET, "20250117", "us-east-1", "bedrock");
    test_key_cache_key(&c, T_SECRET, "20250117", "us-west-2", "bedrock");
    CHECK(c.derived == 8);
    test_key_cache_key(&c, T_SECRET, "20250117", "us-east-1", "bedrock");
    test_key_cache_key(&c, T_SECRET, "20250117", "us-west-2", "bedrock");
    CHECK(c.derived == 8);

    for (i = 0; i < CC_SIGV4_CACHE_SIZE; i++) {
        CHECK(memcmp(c.entries[i].date, "20250115", 8) != 0);
    }

    /* more keys than entries: each still right */
    test_key_cache_key(&c, T_SECRET, "20250117", "eu-west-1", "bedrock");
    test_key_cache_key(&c, T_SECRET, "20250117", "eu-west-2", "bedrock");
    test_key_cache_key(&c, T_SECRET, "20250117", "eu-west-3", "bedrock");
    test_key_cache_key(&c, T_SECRET, "20250117", "us-east-1", "bedrock");
    test_key_cache_key(&c, T_SECRET, "20250117", "eu-west-1", "bedrock");

    /* a secret too long to keep: derived every time, right */
    for (i = 0; i < 200; i++) {
        secret[i] = (char) ('a' + i % 26);
    }

    secret[200] = '\0';

    i = c.derived;
    test_key_cache_key(&c, secret, "20250117", "us-east-1", "bedrock");
    test_key_cache_key(&c, secret, "20250117", "us-east-1", "bedrock");
    CHECK(c.derived == i + 2);

    /* wiped */
    cc_sigv4_key_cache_clear(&c);

    for (i = 0; i < sizeof(cc_sigv4_key_cache_t); i++) {
        CHECK(((u_char *) &c)[i] == 0);
    }
}


/* a signing with the cache is the signing without it */

static void
test_key_cache_sign(void)
{
    u_char                 sig[65];
    cc_alloc_t             a;
    test_arena_t           ar;
    cc_sigv4_header_t      hdrs[2];
    cc_sigv4_result_t      res;
    cc_sigv4_request_t     req;
    cc_sigv4_key_cache_t   c;

    test_arena_init(&ar, &a);
    memset(&c, 0, sizeof(cc_sigv4_key_cache_t));

    test_bedrock_request(&req, hdrs);
    req.key_cache = &c;

    /* derived, then from the cache: (d)'s signature both times */

    CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK);
    CHECK_STR(res.signature, 64,
        "bac5d67b637dcf8cea3a3ac6aaf744f04aac6e159f9de4136728a3c783e13ed9");
    CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK);
    CHECK_STR(res.signature, 64,
        "bac5d67b637dcf8cea3a3ac6aaf744f04aac6e159f9de4136728a3c783e13ed9");
    CHECK(c.derived == 1 && c.hits == 1);

    /* a rotated secret, a day later, another region: as without */

    test_str(&req.secret_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ");
    req.now = T_20250115 + 86400;
    test_str(&req.region, "us-west-2");

    CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK);
    memcpy(sig, res.signature, 65);
    CHECK(c.derived == 2);

    req.key_cache = NULL;
    CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK);
    CHECK_STR(res.signature, 64, (char *) sig);

    /* the old secret, the old day: not the new key */

    test_str(&req.secret_key, T_SECRET);
    req.now = T_20250115;
    test_str(&req.region, "us-east-1");
    req.key_cache = &c;

    CHECK(cc_sigv4_sign(&a, &req, &res) == CC_OK);
    CHECK_STR(res.signature, 64,
        "bac5d67b637dcf8cea3a3ac6aaf744f04aac6e159f9de4136728a3c783e13ed9");
    CHECK(c.derived == 2 && c.hits == 2);

    test_arena_free(&ar);
}


int
main(void)
{
    test_amz_date();
    test_escape();
    test_signing_key();
    test_crypto();
    test_key_cache();
    test_key_cache_sign();
    test_suite();
    test_bedrock();
    test_bedrock_arn();
    test_headers();
    test_normalize();
    test_errors();

    if (failures) {
        fprintf(stderr, "test_sigv4: %d of %d checks FAILED\n",
                failures, checks);
        return 1;
    }

    printf("test_sigv4: all %d checks passed\n", checks);

    return 0;
}
