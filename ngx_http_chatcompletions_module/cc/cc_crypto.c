
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * SHA-256 and HMAC-SHA256 through libcrypto, and lowercase hex.
 *
 * OpenSSL 3's one-shot calls (EVP_Digest() with EVP_sha256(), HMAC())
 * look the algorithm up by name, and HMAC() also allocates and frees its
 * contexts, on every call: most of a signing's cost.  Even a fetched
 * digest in a kept EVP context allocates and frees its state at every
 * EVP_DigestInit_ex() (OpenSSL 3.0), four times a signing.  So SHA-256
 * is libcrypto's SHA256_*() on a context on the stack (no allocation,
 * the same assembly, SHA-NI where the CPU has it), deprecated in 3.0 but
 * kept by every build that has not compiled deprecated calls out; such a
 * build gets the fetched digest in one EVP context kept for the process.
 * HMAC (RFC 2104) is built on it.  A process signs from one thread (an
 * nginx worker, a test), which the EVP path relies on.
 */


/* SHA256_Init() and friends without a deprecation warning */
#define OPENSSL_SUPPRESS_DEPRECATED  1

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "cc_crypto.h"


#if (OPENSSL_VERSION_NUMBER < 0x30000000L                                  \
     || !defined(OPENSSL_NO_DEPRECATED_3_0))
#define CC_SHA256_LOW  1
#else
#define CC_SHA256_LOW  0
#endif


#define CC_SHA256_BLOCK  64


static int cc_sha256_2(const u_char *a, size_t alen, const u_char *b,
    size_t blen, u_char out[32]);

#if !(CC_SHA256_LOW)
static EVP_MD_CTX *cc_sha256_ctx(void);

static const EVP_MD  *cc_sha256_md;
static EVP_MD_CTX    *cc_sha256_mdctx;
#endif


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
    u_char  md[32];

    if (cc_sha256_2(p, n, NULL, 0, md) != CC_OK) {
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
    int     rc;
    u_char  k[CC_SHA256_BLOCK], pad[CC_SHA256_BLOCK], inner[32];
    size_t  i;

    /* a key longer than a block is replaced by its digest */

    memset(k, 0, sizeof(k));

    if (key_len > CC_SHA256_BLOCK) {
        if (cc_sha256_2(key, key_len, NULL, 0, k) != CC_OK) {
            return CC_ERROR;
        }

    } else if (key_len) {
        memcpy(k, key, key_len);
    }

    for (i = 0; i < CC_SHA256_BLOCK; i++) {
        pad[i] = k[i] ^ 0x36;
    }

    rc = cc_sha256_2(pad, CC_SHA256_BLOCK, data, len, inner);

    if (rc == CC_OK) {
        for (i = 0; i < CC_SHA256_BLOCK; i++) {
            pad[i] = k[i] ^ 0x5c;
        }

        rc = cc_sha256_2(pad, CC_SHA256_BLOCK, inner, 32, out);
    }

    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
    OPENSSL_cleanse(inner, sizeof(inner));

    return rc;
}


#if (CC_SHA256_LOW)

/* SHA-256 of a then b (either may be NULL with length 0) */

static int
cc_sha256_2(const u_char *a, size_t alen, const u_char *b, size_t blen,
    u_char out[32])
{
    int         ok;
    SHA256_CTX  c;

    ok = SHA256_Init(&c)
         && (alen == 0 || SHA256_Update(&c, a, alen))
         && (blen == 0 || SHA256_Update(&c, b, blen))
         && SHA256_Final(out, &c);

    /* no state of a key's pad is left on the stack */
    OPENSSL_cleanse(&c, sizeof(SHA256_CTX));

    return ok ? CC_OK : CC_ERROR;
}

#else

/* the process's digest context, SHA-256 fetched once; NULL on failure */

static EVP_MD_CTX *
cc_sha256_ctx(void)
{
    EVP_MD  *md;

    if (cc_sha256_mdctx != NULL) {
        return cc_sha256_mdctx;
    }

    if (cc_sha256_md == NULL) {
        md = EVP_MD_fetch(NULL, "SHA256", NULL);
        cc_sha256_md = md ? md : EVP_sha256();
    }

    cc_sha256_mdctx = EVP_MD_CTX_new();

    return cc_sha256_mdctx;
}


/* SHA-256 of a then b (either may be NULL with length 0) */

static int
cc_sha256_2(const u_char *a, size_t alen, const u_char *b, size_t blen,
    u_char out[32])
{
    int            ok;
    EVP_MD_CTX    *ctx;
    unsigned int   mdlen;

    ctx = cc_sha256_ctx();
    if (ctx == NULL) {
        return CC_ERROR;
    }

    mdlen = 0;

    ok = EVP_DigestInit_ex(ctx, cc_sha256_md, NULL)
         && (alen == 0 || EVP_DigestUpdate(ctx, a, alen))
         && (blen == 0 || EVP_DigestUpdate(ctx, b, blen))
         && EVP_DigestFinal_ex(ctx, out, &mdlen);

    /* no state of a key's pad is left in the kept context */
    (void) EVP_MD_CTX_reset(ctx);

    return (ok && mdlen == 32) ? CC_OK : CC_ERROR;
}

#endif
