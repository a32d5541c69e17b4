
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_CRYPTO_H_INCLUDED_
#define _CC_CRYPTO_H_INCLUDED_


/*
 * What SigV4 builds on: lowercase hex, SHA-256 and HMAC-SHA256 through
 * libcrypto (the one nginx links too).  Nothing here keeps its input.
 */


#include "cc_core.h"


/* lowercase hex of len bytes into dst (2 * len bytes, no NUL) */
void cc_hex(u_char *dst, const u_char *src, size_t len);

/*
 * lowercase hex SHA-256 of p + NUL; CC_ERROR if libcrypto fails (out is
 * then an empty string)
 */
int cc_sha256_hex(const u_char *p, size_t n, u_char out[65]);

/*
 * HMAC-SHA256 of len bytes of data (NULL: none) under a key of key_len
 * bytes; CC_OK, or CC_ERROR if libcrypto fails
 */
int cc_hmac_sha256(const u_char *key, size_t key_len, const u_char *data,
    size_t len, u_char out[32]);


#endif /* _CC_CRYPTO_H_INCLUDED_ */
