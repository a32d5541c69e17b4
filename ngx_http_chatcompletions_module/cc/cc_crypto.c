
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/* SHA-256 and HMAC-SHA256 through libcrypto, and lowercase hex */


#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cc_crypto.h"


void
cc_hex(u_char *dst, const u_char *src, size_t len)
{
    size_t               i;
    static const u_char  hex[] = "0123456789abcdef";

    for (i = 0; i < len; i++) {
        *dst++ = hex[src[i] >> 4];
        *dst++ = hex[src[i] & 0x0f];
    }
}


int
cc_sha256_hex(const u_char *p, size_t n, u_char out[65])
{
    u_char        md[32];
    unsigned int  mdlen;

    if (p == NULL) {
        p = (const u_char *) "";
    }

    if (!EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
        out[0] = '\0';
        return CC_ERROR;
    }

    cc_hex(out, md, 32);
    out[64] = '\0';

    return CC_OK;
}


int
cc_hmac_sha256(const u_char *key, size_t key_len, const u_char *data,
    size_t len, u_char out[32])
{
    unsigned int  mdlen;

    if (data == NULL) {
        data = (const u_char *) "";
    }

    mdlen = 0;

    if (HMAC(EVP_sha256(), key, (int) key_len, data, len, out, &mdlen)
        == NULL
        || mdlen != 32)
    {
        return CC_ERROR;
    }

    return CC_OK;
}
