
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
