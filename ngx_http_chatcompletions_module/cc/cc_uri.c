
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/* URI paths: AWS's percent-encoding, the normalization of segments */


#include <string.h>

#include "cc_uri.h"


size_t
cc_uri_escape(u_char *dst, const u_char *src, size_t len, int keep_slash)
{
    u_char               c;
    size_t               i, n;
    static const u_char  hex[] = "0123456789ABCDEF";

    n = 0;

    for (i = 0; i < len; i++) {
        c = src[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
            || c == '~' || (c == '/' && keep_slash))
        {
            if (dst) {
                dst[n] = c;
            }

            n++;
            continue;
        }

        if (dst) {
            dst[n] = '%';
            dst[n + 1] = hex[c >> 4];
            dst[n + 2] = hex[c & 0x0f];
        }

        n += 3;
    }

    return n;
}


size_t
cc_uri_normalize(u_char *dst, const u_char *path, size_t len)
{
    size_t         o, nseg, slen;
    const u_char  *p, *end, *seg;

    /*
     * As smithy-typescript and botocore do for non-S3 services: drop empty
     * and "." segments, let ".." remove the previous one, keep the leading
     * "/" and a trailing "/".  path starts with "/"; the result is never
     * longer than path.
     */

    o = 0;
    nseg = 0;
    dst[o++] = '/';

    p = path;
    end = path + len;

    while (p < end) {
        if (*p == '/') {
            p++;
            continue;
        }

        seg = p;

        while (p < end && *p != '/') {
            p++;
        }

        slen = p - seg;

        if (slen == 1 && seg[0] == '.') {
            continue;
        }

        if (slen == 2 && seg[0] == '.' && seg[1] == '.') {
            if (nseg) {
                while (dst[o - 1] != '/') {
                    o--;
                }

                if (nseg > 1) {
                    o--;
                }

                nseg--;
            }

            continue;
        }

        if (nseg) {
            dst[o++] = '/';
        }

        memcpy(dst + o, seg, slen);
        o += slen;
        nseg++;
    }

    if (nseg && path[len - 1] == '/') {
        dst[o++] = '/';
    }

    return o;
}
