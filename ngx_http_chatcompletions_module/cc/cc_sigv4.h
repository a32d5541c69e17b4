
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

#include "cc_json.h"


typedef struct {
    cc_str_t                  name;
    cc_str_t                  value;
} cc_sigv4_header_t;


typedef struct {
    /* "POST" */
    cc_str_t                  method;

    /*
     * the path EXACTLY as it goes on the wire (already percent-encoded),
     * e.g. /model/amazon.nova-lite-v1%3A0/converse-stream; must start
     * with "/"; no query.  The canonical URI is the path normalized
     * (empty, "." and ".." segments removed) and URI-encoded once more:
     * "%3A" is signed as "%253A".
     */
    cc_str_t                  path;

    /*
     * headers to sign: names in any case, each once; values raw (they are
     * trimmed and whitespace runs collapsed for signing); must include
     * host; must NOT include x-amz-date or x-amz-security-token, the
     * signer adds those
     */
    cc_sigv4_header_t        *headers;
    size_t                    nheaders;

    /* the exact body bytes sent (NULL with length 0 for no body) */
    const u_char             *payload;
    size_t                    payload_len;

    cc_str_t                  access_key;
    cc_str_t                  secret_key;
    cc_str_t                  session_token;     /* empty if none */
    cc_str_t                  region;
    cc_str_t                  service;           /* "bedrock" */

    /* injected clock */
    time_t                    now;

    /*
     * optional: a signing key cached from cc_sigv4_signing_key() for the
     * UTC day of "now", this region and this service; NULL to derive it
     */
    const u_char             *signing_key;
} cc_sigv4_request_t;


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


/* the headers cc_sigv4_sign() adds; the caller must send them too */
#define CC_SIGV4_DATE_HEADER      "x-amz-date"
#define CC_SIGV4_TOKEN_HEADER     "x-amz-security-token"


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

/*
 * AWS's URI encoding: every byte outside A-Za-z0-9-_.~ becomes %XX with
 * uppercase hex, "/" too unless keep_slash: 0 for a path label (a model
 * id in the Bedrock path), 1 for the SigV4 canonical URI.  With dst NULL,
 * returns the length needed; otherwise writes it and returns the length
 * written.
 */
size_t cc_uri_escape(u_char *dst, const u_char *src, size_t len,
    int keep_slash);

/* lowercase hex of len bytes into dst (2 * len bytes, no NUL) */
void cc_hex(u_char *dst, const u_char *src, size_t len);

/*
 * lowercase hex SHA-256 of p + NUL; CC_ERROR if libcrypto fails (out is
 * then an empty string)
 */
int cc_sha256_hex(const u_char *p, size_t n, u_char out[65]);


#endif /* _CC_SIGV4_H_INCLUDED_ */
