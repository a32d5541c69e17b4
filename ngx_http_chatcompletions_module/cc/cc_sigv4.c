
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The signing: the canonical request, the string to sign, the signature
 * and Authorization, in one arena block; the signing key and the date.
 */


#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cc_sigv4.h"
#include "cc_crypto.h"
#include "cc_uri.h"


/*
 * SigV4 as in smithy-typescript signature-v4 and botocore SigV4Auth:
 *
 *   CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n
 *                      (name:value \n)* \n SignedHeaders \n HexSHA256(body)
 *   CanonicalQuery   = "" (Bedrock's requests have no query)
 *   StringToSign     = AWS4-HMAC-SHA256 \n X-Amz-Date \n Scope \n
 *                      HexSHA256(CanonicalRequest)
 *   Scope            = YYYYMMDD/region/service/aws4_request
 *
 * All output strings are sized first and then written into one arena
 * allocation; nothing is written through a fixed-size buffer that input
 * could overflow.
 */

#define CC_SIGV4_ALGORITHM    "AWS4-HMAC-SHA256"
#define CC_SIGV4_TERMINATOR   "aws4_request"

#define cc_sigv4_lit_len(s)   (sizeof(s) - 1)
#define cc_sigv4_cpy(p, s)                                                  \
    (memcpy(p, s, cc_sigv4_lit_len(s)), (p) + cc_sigv4_lit_len(s))
#define cc_sigv4_cpyn(p, s, n)                                              \
    ((n) ? (memcpy(p, s, n), (p) + (n)) : (p))


typedef struct {
    const u_char             *name;
    size_t                    name_len;
    const u_char             *value;
    size_t                    value_len;
    size_t                    trimmed_len;
} cc_sigv4_hdr_t;


/* one signing: the strings are sized first, then written in one block */
typedef struct {
    const cc_sigv4_request_t *req;
    cc_sigv4_result_t        *res;

    cc_sigv4_hdr_t           *h;            /* the headers to sign */
    size_t                    nh;

    /* upper bounds (the signed headers: exact), without the NULs */
    size_t                    creq_max;
    size_t                    sh_len;
    size_t                    sts_len;
    size_t                    auth_len;
    size_t                    scope_len;

    /* where they go in the block */
    u_char                   *norm;         /* the path, normalized */
    u_char                   *creq;
    u_char                   *sh;
    u_char                   *sts;
    u_char                   *auth;
} cc_sigv4_ctx_t;


static int cc_sigv4_size(cc_sigv4_ctx_t *c, size_t *total);
static int cc_sigv4_signed_headers(cc_sigv4_ctx_t *c);
static int cc_sigv4_canonical_request(cc_sigv4_ctx_t *c);
static int cc_sigv4_string_to_sign(cc_sigv4_ctx_t *c);
static int cc_sigv4_signature(cc_sigv4_ctx_t *c);
static void cc_sigv4_authorization(cc_sigv4_ctx_t *c);
static int cc_sigv4_name_cmp(const cc_sigv4_hdr_t *a,
    const cc_sigv4_hdr_t *b);
static void cc_sigv4_sort(cc_sigv4_hdr_t *h, size_t n);
static size_t cc_sigv4_trim(u_char *dst, const u_char *p, size_t len);
static int cc_sigv4_add(size_t *total, size_t n);
static int cc_sigv4_key_entry_match(const cc_sigv4_key_entry_t *e,
    const cc_str_t *secret, const u_char date[8], const cc_str_t *region,
    const cc_str_t *service);
static u_char *cc_sigv4_digits(u_char *p, unsigned v, size_t n);


int
cc_sigv4_sign(cc_alloc_t *a, const cc_sigv4_request_t *req,
    cc_sigv4_result_t *res)
{
    u_char               *block;
    size_t                total;
    cc_sigv4_ctx_t        c;
    static const u_char   empty[1] = { '\0' };

    res->err = NULL;
    res->amz_date[0] = '\0';
    res->signature[0] = '\0';
    res->payload_hash[0] = '\0';
    res->authorization.len = 0;
    res->authorization.data = (u_char *) empty;
    res->canonical_request = res->authorization;
    res->string_to_sign = res->authorization;
    res->signed_headers = res->authorization;

    res->err = cc_sigv4_check(req);
    if (res->err != NULL) {
        return CC_ERROR;
    }

    if (cc_sigv4_amz_date(req->now, res->amz_date) != CC_OK) {
        res->err = "sigv4: clock out of range";
        return CC_ERROR;
    }

    if (cc_sha256_hex(req->payload ? req->payload : empty, req->payload_len,
                      res->payload_hash)
        != CC_OK)
    {
        res->err = "sigv4: SHA-256 failed";
        return CC_ERROR;
    }

    res->err = cc_sigv4_check_headers(req);
    if (res->err != NULL) {
        return CC_ERROR;
    }

    memset(&c, 0, sizeof(cc_sigv4_ctx_t));
    c.req = req;
    c.res = res;

    if (cc_sigv4_size(&c, &total) != CC_OK) {
        res->err = "sigv4: request too large";
        return CC_ERROR;
    }

    block = a->alloc(a->data, total);
    if (block == NULL) {
        res->err = "sigv4: out of memory";
        return CC_ERROR;
    }

    c.h = (cc_sigv4_hdr_t *) block;
    c.norm = block + c.nh * sizeof(cc_sigv4_hdr_t);
    c.creq = c.norm + req->path.len;
    c.sh = c.creq + c.creq_max + 1;
    c.sts = c.sh + c.sh_len + 1;
    c.auth = c.sts + c.sts_len + 1;

    if (cc_sigv4_canonical_request(&c) != CC_OK
        || cc_sigv4_string_to_sign(&c) != CC_OK
        || cc_sigv4_signature(&c) != CC_OK)
    {
        return CC_ERROR;
    }

    cc_sigv4_authorization(&c);

    return CC_OK;
}


/*
 * The bounds of the strings and the size of the one block they are
 * written into, overflow-checked; the canonical URI is bounded by the
 * encoding of the whole path (normalization only drops bytes).
 */

static int
cc_sigv4_size(cc_sigv4_ctx_t *c, size_t *total)
{
    int                        rc;
    size_t                     i, n, sh_len, auth_len;
    const cc_sigv4_request_t  *req;

    req = c->req;

    c->nh = req->nheaders + 1 + (req->session_token.len ? 1 : 0);

    if (c->nh > SIZE_MAX / sizeof(cc_sigv4_hdr_t)) {
        return CC_ERROR;
    }

    *total = c->nh * sizeof(cc_sigv4_hdr_t);
    rc = cc_sigv4_add(total, req->path.len);

    /* METHOD \n CanonicalURI \n \n */
    c->creq_max = 0;
    rc |= cc_sigv4_add(&c->creq_max, req->method.len + 1);
    rc |= cc_sigv4_add(&c->creq_max,
                       cc_uri_escape(NULL, req->path.data, req->path.len, 1)
                       + 1);
    rc |= cc_sigv4_add(&c->creq_max, 1);

    if (rc != CC_OK) {
        return CC_ERROR;
    }

    /* canonical header lines ("name:value\n") into n, SignedHeaders
     * into sh_len */

    sh_len = 0;
    n = 0;

    for (i = 0; i < req->nheaders; i++) {
        rc |= cc_sigv4_add(&n, cc_sigv4_trim(NULL,
                                             req->headers[i].value.data,
                                             req->headers[i].value.len));
        rc |= cc_sigv4_add(&n, req->headers[i].name.len + 2);
        rc |= cc_sigv4_add(&sh_len, req->headers[i].name.len + 1);
    }

    /* "x-amz-date:" date "\n" */
    rc |= cc_sigv4_add(&n, cc_sigv4_lit_len(CC_SIGV4_DATE_HEADER) + 18);
    rc |= cc_sigv4_add(&sh_len, cc_sigv4_lit_len(CC_SIGV4_DATE_HEADER) + 1);

    if (req->session_token.len) {
        rc |= cc_sigv4_add(&n, cc_sigv4_trim(NULL, req->session_token.data,
                                             req->session_token.len));
        rc |= cc_sigv4_add(&n, cc_sigv4_lit_len(CC_SIGV4_TOKEN_HEADER) + 2);
        rc |= cc_sigv4_add(&sh_len,
                           cc_sigv4_lit_len(CC_SIGV4_TOKEN_HEADER) + 1);
    }

    /* sh_len now has one ";" too many */
    c->sh_len = sh_len - 1;

    rc |= cc_sigv4_add(&c->creq_max, n);
    rc |= cc_sigv4_add(&c->creq_max, 1 + c->sh_len + 1 + 64);

    c->scope_len = 8 + 1 + req->region.len + 1 + req->service.len + 1
                   + cc_sigv4_lit_len(CC_SIGV4_TERMINATOR);

    c->sts_len = cc_sigv4_lit_len(CC_SIGV4_ALGORITHM "\n") + 16 + 1
                 + c->scope_len + 1 + 64;

    auth_len = 0;
    rc |= cc_sigv4_add(&auth_len,
                       cc_sigv4_lit_len(CC_SIGV4_ALGORITHM " Credential=")
                       + req->access_key.len + 1 + c->scope_len);
    rc |= cc_sigv4_add(&auth_len, cc_sigv4_lit_len(", SignedHeaders=")
                                  + c->sh_len);
    rc |= cc_sigv4_add(&auth_len, cc_sigv4_lit_len(", Signature=") + 64);
    c->auth_len = auth_len;

    rc |= cc_sigv4_add(total, c->creq_max + 1);
    rc |= cc_sigv4_add(total, c->sh_len + 1);
    rc |= cc_sigv4_add(total, c->sts_len + 1);
    rc |= cc_sigv4_add(total, c->auth_len + 1);

    return rc;
}


/*
 * The headers to sign, sorted by lowercase name (the caller's,
 * x-amz-date, x-amz-security-token), and SignedHeaders: the names,
 * ";"-joined
 */

static int
cc_sigv4_signed_headers(cc_sigv4_ctx_t *c)
{
    u_char                    *p;
    size_t                     i, j;
    cc_sigv4_hdr_t            *h;
    const cc_sigv4_request_t  *req;

    req = c->req;
    h = c->h;

    for (i = 0; i < req->nheaders; i++) {
        h[i].name = req->headers[i].name.data;
        h[i].name_len = req->headers[i].name.len;
        h[i].value = req->headers[i].value.data;
        h[i].value_len = req->headers[i].value.len;
    }

    h[i].name = (const u_char *) CC_SIGV4_DATE_HEADER;
    h[i].name_len = cc_sigv4_lit_len(CC_SIGV4_DATE_HEADER);
    h[i].value = c->res->amz_date;
    h[i].value_len = 16;
    i++;

    if (req->session_token.len) {
        h[i].name = (const u_char *) CC_SIGV4_TOKEN_HEADER;
        h[i].name_len = cc_sigv4_lit_len(CC_SIGV4_TOKEN_HEADER);
        h[i].value = req->session_token.data;
        h[i].value_len = req->session_token.len;
    }

    for (i = 0; i < c->nh; i++) {
        h[i].trimmed_len = cc_sigv4_trim(NULL, h[i].value, h[i].value_len);
    }

    cc_sigv4_sort(h, c->nh);

    for (i = 1; i < c->nh; i++) {
        if (cc_sigv4_name_cmp(&h[i - 1], &h[i]) == 0) {
            c->res->err = "sigv4: repeated header name";
            return CC_ERROR;
        }
    }

    p = c->sh;

    for (i = 0; i < c->nh; i++) {
        if (i) {
            *p++ = ';';
        }

        for (j = 0; j < h[i].name_len; j++) {
            *p++ = cc_sigv4_lower(h[i].name[j]);
        }
    }

    *p = '\0';

    c->res->signed_headers.data = c->sh;
    c->res->signed_headers.len = p - c->sh;

    return CC_OK;
}


/*
 * METHOD \n CanonicalURI \n \n (name:value \n)* \n SignedHeaders \n
 * HexSHA256(body)
 */

static int
cc_sigv4_canonical_request(cc_sigv4_ctx_t *c)
{
    u_char                    *p;
    size_t                     i, j, n;
    cc_sigv4_hdr_t            *h;
    cc_sigv4_result_t         *res;
    const cc_sigv4_request_t  *req;

    req = c->req;
    res = c->res;
    h = c->h;

    if (cc_sigv4_signed_headers(c) != CC_OK) {
        return CC_ERROR;
    }

    p = cc_sigv4_cpyn(c->creq, req->method.data, req->method.len);
    *p++ = '\n';

    n = cc_uri_normalize(c->norm, req->path.data, req->path.len);
    p += cc_uri_escape(p, c->norm, n, 1);

    /* the path, the empty query */
    *p++ = '\n';
    *p++ = '\n';

    for (i = 0; i < c->nh; i++) {
        for (j = 0; j < h[i].name_len; j++) {
            *p++ = cc_sigv4_lower(h[i].name[j]);
        }

        *p++ = ':';

        p += cc_sigv4_trim(p, h[i].value, h[i].value_len);
        *p++ = '\n';
    }

    *p++ = '\n';
    p = cc_sigv4_cpyn(p, res->signed_headers.data, res->signed_headers.len);
    *p++ = '\n';
    p = cc_sigv4_cpyn(p, res->payload_hash, 64);
    *p = '\0';

    res->canonical_request.data = c->creq;
    res->canonical_request.len = p - c->creq;

    return CC_OK;
}


/*
 * AWS4-HMAC-SHA256 \n X-Amz-Date \n Scope \n HexSHA256(CanonicalRequest);
 * its scope part is reused in Authorization
 */

static int
cc_sigv4_string_to_sign(cc_sigv4_ctx_t *c)
{
    u_char                    *p, creq_hash[65];
    cc_sigv4_result_t         *res;
    const cc_sigv4_request_t  *req;

    req = c->req;
    res = c->res;

    if (cc_sha256_hex(res->canonical_request.data,
                      res->canonical_request.len, creq_hash)
        != CC_OK)
    {
        res->err = "sigv4: SHA-256 failed";
        return CC_ERROR;
    }

    p = cc_sigv4_cpy(c->sts, CC_SIGV4_ALGORITHM "\n");
    p = cc_sigv4_cpyn(p, res->amz_date, 16);
    *p++ = '\n';
    p = cc_sigv4_cpyn(p, res->amz_date, 8);
    *p++ = '/';
    p = cc_sigv4_cpyn(p, req->region.data, req->region.len);
    *p++ = '/';
    p = cc_sigv4_cpyn(p, req->service.data, req->service.len);
    *p++ = '/';
    p = cc_sigv4_cpy(p, CC_SIGV4_TERMINATOR);
    *p++ = '\n';
    p = cc_sigv4_cpyn(p, creq_hash, 64);
    *p = '\0';

    res->string_to_sign.data = c->sts;
    res->string_to_sign.len = p - c->sts;

    return CC_OK;
}


/* HexHMAC(kSigning, StringToSign); the key never outlives the call */

static int
cc_sigv4_signature(cc_sigv4_ctx_t *c)
{
    int                        rc;
    u_char                     key[32], sig[32];
    cc_sigv4_result_t         *res;
    const cc_sigv4_request_t  *req;

    req = c->req;
    res = c->res;

    if (req->signing_key) {
        memcpy(key, req->signing_key, 32);

    } else if (req->key_cache) {
        if (cc_sigv4_key_cache_get(req->key_cache, &req->secret_key,
                                   res->amz_date, &req->region,
                                   &req->service, key)
            != CC_OK)
        {
            res->err = "sigv4: HMAC-SHA256 failed";
            return CC_ERROR;
        }

    } else if (cc_sigv4_signing_key(&req->secret_key, res->amz_date,
                                    &req->region, &req->service, key)
               != CC_OK)
    {
        res->err = "sigv4: HMAC-SHA256 failed";
        return CC_ERROR;
    }

    rc = cc_hmac_sha256(key, 32, res->string_to_sign.data,
                       res->string_to_sign.len, sig);

    OPENSSL_cleanse(key, sizeof(key));

    if (rc != CC_OK) {
        res->err = "sigv4: HMAC-SHA256 failed";
        return CC_ERROR;
    }

    cc_hex(res->signature, sig, 32);
    res->signature[64] = '\0';

    return CC_OK;
}


/* AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=... */

static void
cc_sigv4_authorization(cc_sigv4_ctx_t *c)
{
    u_char                    *p;
    cc_sigv4_result_t         *res;
    const cc_sigv4_request_t  *req;

    req = c->req;
    res = c->res;

    p = cc_sigv4_cpy(c->auth, CC_SIGV4_ALGORITHM " Credential=");
    p = cc_sigv4_cpyn(p, req->access_key.data, req->access_key.len);
    *p++ = '/';
    p = cc_sigv4_cpyn(p, c->sts + cc_sigv4_lit_len(CC_SIGV4_ALGORITHM "\n")
                         + 17, c->scope_len);
    p = cc_sigv4_cpy(p, ", SignedHeaders=");
    p = cc_sigv4_cpyn(p, res->signed_headers.data, res->signed_headers.len);
    p = cc_sigv4_cpy(p, ", Signature=");
    p = cc_sigv4_cpyn(p, res->signature, 64);
    *p = '\0';

    res->authorization.data = c->auth;
    res->authorization.len = p - c->auth;
}


int
cc_sigv4_signing_key(const cc_str_t *secret, const u_char date[8],
    const cc_str_t *region, const cc_str_t *service, u_char key[32])
{
    int            rc;
    u_char         k[64], k2[32];
    size_t         klen;
    EVP_MD_CTX    *ctx;
    unsigned int   mdlen;

    /*
     * The first key is "AWS4" secret.  HMAC replaces a key longer than the
     * SHA-256 block (64 bytes) by its digest, so for long secrets hashing
     * it here gives the same result without an unbounded buffer.
     */

    if (secret->len <= sizeof(k) - 4) {
        memcpy(k, "AWS4", 4);

        if (secret->len) {
            memcpy(k + 4, secret->data, secret->len);
        }

        klen = 4 + secret->len;

    } else {
        ctx = EVP_MD_CTX_new();
        if (ctx == NULL) {
            goto failed;
        }

        rc = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)
             && EVP_DigestUpdate(ctx, "AWS4", 4)
             && EVP_DigestUpdate(ctx, secret->data, secret->len)
             && EVP_DigestFinal_ex(ctx, k, &mdlen);

        EVP_MD_CTX_free(ctx);

        if (!rc || mdlen != 32) {
            goto failed;
        }

        klen = 32;
    }

    if (cc_hmac_sha256(k, klen, date, 8, k2) != CC_OK
        || cc_hmac_sha256(k2, 32, region->data, region->len, key) != CC_OK
        || cc_hmac_sha256(key, 32, service->data, service->len, k2) != CC_OK
        || cc_hmac_sha256(k2, 32, (u_char *) CC_SIGV4_TERMINATOR,
                         cc_sigv4_lit_len(CC_SIGV4_TERMINATOR), key)
           != CC_OK)
    {
        goto failed;
    }

    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(k2, sizeof(k2));

    return CC_OK;

failed:

    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(k2, sizeof(k2));
    memset(key, 0, 32);

    return CC_ERROR;
}


int
cc_sigv4_key_cache_get(cc_sigv4_key_cache_t *cache, const cc_str_t *secret,
    const u_char date[8], const cc_str_t *region, const cc_str_t *service,
    u_char key[32])
{
    size_t                 i;
    cc_sigv4_key_entry_t  *e;

    for (i = 0; i < CC_SIGV4_CACHE_SIZE; i++) {
        e = &cache->entries[i];

        if (cc_sigv4_key_entry_match(e, secret, date, region, service)) {
            memcpy(key, e->key, 32);
            cache->hits++;
            return CC_OK;
        }
    }

    if (cc_sigv4_signing_key(secret, date, region, service, key) != CC_OK) {
        return CC_ERROR;
    }

    cache->derived++;

    if (secret->len > CC_SIGV4_CACHE_SECRET_MAX
        || region->len > CC_SIGV4_CACHE_SCOPE_MAX
        || service->len > CC_SIGV4_CACHE_SCOPE_MAX)
    {
        return CC_OK;
    }

    /*
     * An unused entry, else the one of the oldest day if older than this
     * one (it will not match again), else the next one in turn.
     */

    e = NULL;

    for (i = 0; i < CC_SIGV4_CACHE_SIZE; i++) {
        if (!cache->entries[i].used) {
            e = &cache->entries[i];
            break;
        }

        if (memcmp(cache->entries[i].date, e ? e->date : date, 8) < 0) {
            e = &cache->entries[i];
        }
    }

    if (e == NULL || e == &cache->entries[cache->next]) {
        e = &cache->entries[cache->next];
        cache->next = (cache->next + 1) % CC_SIGV4_CACHE_SIZE;
    }

    OPENSSL_cleanse(e, sizeof(cc_sigv4_key_entry_t));

    memcpy(e->date, date, 8);
    memcpy(e->key, key, 32);

    if (secret->len) {
        memcpy(e->secret, secret->data, secret->len);
    }

    if (region->len) {
        memcpy(e->region, region->data, region->len);
    }

    if (service->len) {
        memcpy(e->service, service->data, service->len);
    }

    e->secret_len = secret->len;
    e->region_len = region->len;
    e->service_len = service->len;
    e->used = 1;

    return CC_OK;
}


void
cc_sigv4_key_cache_clear(cc_sigv4_key_cache_t *cache)
{
    OPENSSL_cleanse(cache, sizeof(cc_sigv4_key_cache_t));
}


/* the secret compared in constant time (for its length) */

static int
cc_sigv4_key_entry_match(const cc_sigv4_key_entry_t *e,
    const cc_str_t *secret, const u_char date[8], const cc_str_t *region,
    const cc_str_t *service)
{
    return e->used
           && memcmp(e->date, date, 8) == 0
           && e->region_len == region->len
           && e->service_len == service->len
           && e->secret_len == secret->len
           && (region->len == 0
               || memcmp(e->region, region->data, region->len) == 0)
           && (service->len == 0
               || memcmp(e->service, service->data, service->len) == 0)
           && (secret->len == 0
               || CRYPTO_memcmp(e->secret, secret->data, secret->len) == 0);
}


int
cc_sigv4_amz_date(time_t now, u_char amz_date[17])
{
    u_char     *p;
    struct tm   tm;

    amz_date[0] = '\0';

    if (gmtime_r(&now, &tm) == NULL
        || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
    {
        return CC_ERROR;
    }

    p = cc_sigv4_digits(amz_date, (unsigned) (tm.tm_year + 1900), 4);
    p = cc_sigv4_digits(p, (unsigned) (tm.tm_mon + 1), 2);
    p = cc_sigv4_digits(p, (unsigned) tm.tm_mday, 2);
    *p++ = 'T';
    p = cc_sigv4_digits(p, (unsigned) tm.tm_hour, 2);
    p = cc_sigv4_digits(p, (unsigned) tm.tm_min, 2);
    /* a leap second (60) cannot come from gmtime() of a time_t */
    p = cc_sigv4_digits(p, (unsigned) tm.tm_sec, 2);
    *p++ = 'Z';
    *p = '\0';

    return CC_OK;
}


static int
cc_sigv4_name_cmp(const cc_sigv4_hdr_t *a, const cc_sigv4_hdr_t *b)
{
    size_t  i, n;
    u_char  ca, cb;

    n = a->name_len < b->name_len ? a->name_len : b->name_len;

    for (i = 0; i < n; i++) {
        ca = cc_sigv4_lower(a->name[i]);
        cb = cc_sigv4_lower(b->name[i]);

        if (ca != cb) {
            return ca < cb ? -1 : 1;
        }
    }

    if (a->name_len == b->name_len) {
        return 0;
    }

    return a->name_len < b->name_len ? -1 : 1;
}


static void
cc_sigv4_sort(cc_sigv4_hdr_t *h, size_t n)
{
    size_t          i, j;
    cc_sigv4_hdr_t  t;

    /* insertion sort: a handful of headers */

    for (i = 1; i < n; i++) {
        t = h[i];

        for (j = i; j > 0 && cc_sigv4_name_cmp(&h[j - 1], &t) > 0; j--) {
            h[j] = h[j - 1];
        }

        h[j] = t;
    }
}


static size_t
cc_sigv4_trim(u_char *dst, const u_char *p, size_t len)
{
    int     space;
    size_t  i, n;

    /* trim, and collapse every run of SP / HTAB to one SP */

    n = 0;
    space = 0;

    for (i = 0; i < len; i++) {
        if (p[i] == ' ' || p[i] == '\t') {
            space = (n > 0);
            continue;
        }

        if (space) {
            if (dst) {
                dst[n] = ' ';
            }

            n++;
            space = 0;
        }

        if (dst) {
            dst[n] = p[i];
        }

        n++;
    }

    return n;
}


static int
cc_sigv4_add(size_t *total, size_t n)
{
    if (n > SIZE_MAX - *total) {
        return CC_ERROR;
    }

    *total += n;

    return CC_OK;
}


static u_char *
cc_sigv4_digits(u_char *p, unsigned v, size_t n)
{
    size_t  i;

    for (i = n; i > 0; i--) {
        p[i - 1] = (u_char) ('0' + v % 10);
        v /= 10;
    }

    return p + n;
}
