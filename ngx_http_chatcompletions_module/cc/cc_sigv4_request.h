
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_SIGV4_REQUEST_H_INCLUDED_
#define _CC_SIGV4_REQUEST_H_INCLUDED_


/*
 * What cc_sigv4_sign() (cc_sigv4.h) signs: the request exactly as it will
 * go on the wire, the credentials and the clock; and the checks that
 * refuse what cannot be signed, whose reasons never contain request data.
 */


#include <time.h>

#include "cc_core.h"


/* signing keys kept across requests (cc_sigv4.h) */
typedef struct cc_sigv4_key_cache_s  cc_sigv4_key_cache_t;


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

    /*
     * optional, when signing_key is NULL: where the signer keeps the keys
     * it derives and looks for one first (cc_sigv4_key_cache_get())
     */
    cc_sigv4_key_cache_t     *key_cache;
} cc_sigv4_request_t;


/* the headers cc_sigv4_sign() adds; the caller must send them too */
#define CC_SIGV4_DATE_HEADER      "x-amz-date"
#define CC_SIGV4_TOKEN_HEADER     "x-amz-security-token"

/* header names are compared and signed in ASCII lowercase */
#define cc_sigv4_lower(c)                                                   \
    (u_char) (((c) >= 'A' && (c) <= 'Z') ? ((c) | 0x20) : (c))


/*
 * NULL when req can be signed, else a short static reason.
 * cc_sigv4_check() looks at all but the headers, cc_sigv4_check_headers()
 * at the headers: names are tokens, values have no control characters,
 * host is there, x-amz-date and x-amz-security-token are not.
 */
const char *cc_sigv4_check(const cc_sigv4_request_t *req);
const char *cc_sigv4_check_headers(const cc_sigv4_request_t *req);


#endif /* _CC_SIGV4_REQUEST_H_INCLUDED_ */
