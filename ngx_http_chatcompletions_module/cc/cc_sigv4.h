
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_SIGV4_H_INCLUDED_
#define _CC_SIGV4_H_INCLUDED_


/*
 * AWS Signature Version 4 (header form, AWS4-HMAC-SHA256), pure: no nginx,
 * only libcrypto.  The caller supplies the clock, the credentials and the
 * request exactly as it will go on the wire; the signer returns the
 * X-Amz-Date and Authorization values (plus the canonical request and the
 * string to sign, which contain no secret, for tests and debug logs).
 * What Bedrock needs only: no query string, each header name once, and
 * the canonical URI of every service but S3.
 *
 * Nothing here ever prints or logs a secret; the error strings never
 * contain request data.
 */


#include <time.h>

#include "cc_sigv4_request.h"


typedef struct {
    u_char                    amz_date[17];      /* YYYYMMDDTHHMMSSZ */

    /* "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." */
    cc_str_t                  authorization;

    /* for tests and debug logs (contain no secret); NUL-terminated */
    cc_str_t                  canonical_request;
    cc_str_t                  string_to_sign;
    cc_str_t                  signed_headers;    /* "content-type;host;..." */

    u_char                    signature[65];     /* lowercase hex */
    u_char                    payload_hash[65];  /* lowercase hex */

    /* on CC_ERROR: a short static reason, without request data */
    const char               *err;
} cc_sigv4_result_t;


/*
 * The signing key depends only on the secret, the UTC day, the region and
 * the service, so a process derives it once per day for each (SigV4
 * allows it; botocore does not, the SDK for Java does).  The cache holds
 * a few such keys, each with what it was derived from, the secret
 * included (compared in constant time; it never leaves the cache, and a
 * replaced entry is wiped): a rotated secret, another day or another
 * region never finds a stale key.  Secrets longer than
 * CC_SIGV4_CACHE_SECRET_MAX bytes are not kept: their key is derived
 * every time.  One per process (an nginx worker), zeroed to start.
 */

#define CC_SIGV4_CACHE_SIZE        4
#define CC_SIGV4_CACHE_SECRET_MAX  128
#define CC_SIGV4_CACHE_SCOPE_MAX   64


typedef struct {
    u_char                    date[8];
    u_char                    key[32];
    u_char                    secret[CC_SIGV4_CACHE_SECRET_MAX];
    u_char                    region[CC_SIGV4_CACHE_SCOPE_MAX];
    u_char                    service[CC_SIGV4_CACHE_SCOPE_MAX];
    size_t                    secret_len;
    size_t                    region_len;
    size_t                    service_len;
    unsigned                  used:1;
} cc_sigv4_key_entry_t;


struct cc_sigv4_key_cache_s {
    cc_sigv4_key_entry_t      entries[CC_SIGV4_CACHE_SIZE];
    size_t                    next;       /* the entry replaced next */

    /* counters, for tests */
    unsigned long             hits;
    unsigned long             derived;
};


/*
 * The signing key for secret, date (YYYYMMDD), region and service: from
 * the cache, else derived and kept.  CC_OK, or CC_ERROR if libcrypto
 * fails (key is then zeroed, nothing kept).
 */
int cc_sigv4_key_cache_get(cc_sigv4_key_cache_t *cache,
    const cc_str_t *secret, const u_char date[8], const cc_str_t *region,
    const cc_str_t *service, u_char key[32]);

/* every entry wiped */
void cc_sigv4_key_cache_clear(cc_sigv4_key_cache_t *cache);


/*
 * Signs req.  The strings in res are allocated from a in one piece;
 * res->err is set on CC_ERROR (bad input, clock out of range, allocation
 * or libcrypto failure).
 */
int cc_sigv4_sign(cc_alloc_t *a, const cc_sigv4_request_t *req,
    cc_sigv4_result_t *res);

/*
 * kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region), service),
 * "aws4_request"); depends only on its inputs: cacheable per UTC day.
 * Returns CC_OK, or CC_ERROR if libcrypto fails (key is then zeroed).
 */
int cc_sigv4_signing_key(const cc_str_t *secret, const u_char date[8],
    const cc_str_t *region, const cc_str_t *service, u_char key[32]);

/* YYYYMMDDTHHMMSSZ (UTC) + NUL; CC_ERROR outside years 0000..9999 */
int cc_sigv4_amz_date(time_t now, u_char amz_date[17]);


#endif /* _CC_SIGV4_H_INCLUDED_ */
