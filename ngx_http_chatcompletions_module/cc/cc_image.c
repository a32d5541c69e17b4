
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cc_image.h"


typedef struct {
    const char               *mime;         /* after "data:" */
    const char               *format;       /* Bedrock's */
} cc_image_type_t;


static int cc_image_prefix(const cc_str_t *s, const char *lit);
static int cc_image_b64(u_char c);
static int cc_image_signature(const u_char *b64, size_t len,
    const char *format);


static cc_image_type_t  cc_image_types[] = {
    { "image/png", "png" },
    { "image/jpeg", "jpeg" },
    { "image/jpg", "jpeg" },
    { "image/gif", "gif" },
    { "image/webp", "webp" },
    { NULL, NULL }
};


int
cc_parse_image(cc_parse_t *p, const cc_json_t *part, const char *path,
    cc_block_t *out)
{
    char              sub[CC_PATH_LEN], upath[CC_PATH_LEN];
    size_t            i, n, max, count;
    cc_str_t          url, data;
    cc_json_t        *iu, *u;
    long long         len;
    const u_char     *comma;

    cc_path(sub, "%s.image_url", path);

    iu = cc_json_get(part, "image_url");
    if (iu == NULL) {
        return cc_parse_missing(p, sub);
    }

    if (cc_parse_check(p, iu, sub, CC_T_OBJECT, "an object") != CC_OK) {
        return CC_ERROR;
    }

    cc_path(upath, "%s.url", sub);

    u = cc_json_get(iu, "url");
    if (u == NULL) {
        return cc_parse_missing(p, upath);
    }

    if (cc_parse_check(p, u, upath, CC_T_STRING, "a string") != CC_OK) {
        return CC_ERROR;
    }

    url = u->str;

    if (cc_image_prefix(&url, "http://") || cc_image_prefix(&url, "https://"))
    {
        return cc_parse_error(p, "invalid_image_url", upath,
                              "Invalid '%s': this server does not fetch "
                              "image URLs. Send the image inline as a "
                              "base64 data URL (data:image/png;base64,...).",
                              upath);
    }

    if (!cc_image_prefix(&url, "data:")) {
        return cc_parse_error(p, "invalid_image_url", upath,
                              "Invalid '%s': expected a base64 data URL "
                              "(data:image/png;base64,...).", upath);
    }

    comma = memchr(url.data, ',', url.len);

    if (comma == NULL
        || (size_t) (comma - url.data) < sizeof("data:;base64") - 1
        || strncasecmp((const char *) comma - 7, ";base64", 7) != 0)
    {
        return cc_parse_error(p, "invalid_image_url", upath,
                              "Invalid '%s': expected a base64 data URL "
                              "(data:image/png;base64,...).", upath);
    }

    n = comma - 7 - (url.data + 5);

    for (i = 0; cc_image_types[i].mime; i++) {
        if (strlen(cc_image_types[i].mime) == n
            && strncasecmp((const char *) url.data + 5,
                           cc_image_types[i].mime, n)
               == 0)
        {
            break;
        }
    }

    if (cc_image_types[i].mime == NULL) {
        return cc_parse_error(p, "invalid_image_format", upath,
                              "Invalid '%s': unsupported image type. "
                              "Supported types are image/png, image/jpeg, "
                              "image/gif and image/webp.", upath);
    }

    data.data = (u_char *) comma + 1;
    data.len = url.data + url.len - data.data;

    len = cc_base64_decoded_len(data.data, data.len);

    if (len <= 0) {
        return cc_parse_error(p, "invalid_image", upath,
                              "Invalid '%s': the image data is not valid "
                              "base64.", upath);
    }

    max = p->opts->extras.image_max ? p->opts->extras.image_max
                                    : CC_IMAGE_MAX_SIZE;

    if ((unsigned long long) len > max) {
        return cc_parse_error(p, "image_too_large", upath,
                              "Invalid '%s': the image is %lld bytes; the "
                              "limit is %zu bytes.", upath, len, max);
    }

    if (!cc_image_signature(data.data, data.len, cc_image_types[i].format))
    {
        return cc_parse_error(p, "invalid_image", upath,
                              "Invalid '%s': the image data is not a %s "
                              "image.", upath, cc_image_types[i].format);
    }

    count = p->opts->extras.images_max ? p->opts->extras.images_max
                                       : CC_IMAGE_MAX_COUNT;

    if (++p->chat->extras.nimages > count) {
        return cc_parse_error(p, "invalid_value", upath,
                              "Invalid '%s': too many images. At most %zu "
                              "images are allowed in a request.", upath,
                              count);
    }

    out->type = CC_BLOCK_IMAGE;
    out->name.data = (u_char *) cc_image_types[i].format;
    out->name.len = strlen(cc_image_types[i].format);
    out->text = data;

    return CC_OK;
}


long long
cc_base64_decoded_len(const u_char *p, size_t len)
{
    size_t  i, pad;

    if (len == 0 || len % 4) {
        return -1;
    }

    pad = 0;

    if (p[len - 1] == '=') {
        pad = (p[len - 2] == '=') ? 2 : 1;
    }

    for (i = 0; i < len - pad; i++) {
        if (cc_image_b64(p[i]) < 0) {
            return -1;
        }
    }

    return (long long) (len / 4 * 3 - pad);
}


static int
cc_image_b64(u_char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '+') {
        return 62;
    }

    if (c == '/') {
        return 63;
    }

    return -1;
}


/* the first 12 bytes decoded, against the format's magic numbers */

static int
cc_image_signature(const u_char *b64, size_t len, const char *format)
{
    int     v;
    u_char  bytes[12];
    size_t  i, n;

    memset(bytes, 0, sizeof(bytes));

    n = (len < 16) ? len : 16;

    for (i = 0; i + 4 <= n; i += 4) {
        v = 0;

        /* padding decodes as zero bits: the signatures are shorter */
        v |= (cc_image_b64(b64[i]) & 0x3f) << 18;
        v |= (cc_image_b64(b64[i + 1]) & 0x3f) << 12;
        v |= (b64[i + 2] == '=' ? 0 : cc_image_b64(b64[i + 2]) & 0x3f) << 6;
        v |= (b64[i + 3] == '=' ? 0 : cc_image_b64(b64[i + 3]) & 0x3f);

        bytes[i / 4 * 3] = (u_char) (v >> 16);
        bytes[i / 4 * 3 + 1] = (u_char) (v >> 8);
        bytes[i / 4 * 3 + 2] = (u_char) v;
    }

    if (strcmp(format, "png") == 0) {
        return memcmp(bytes, "\x89PNG\r\n\x1a\n", 8) == 0;
    }

    if (strcmp(format, "jpeg") == 0) {
        return bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff;
    }

    if (strcmp(format, "gif") == 0) {
        return memcmp(bytes, "GIF87a", 6) == 0
               || memcmp(bytes, "GIF89a", 6) == 0;
    }

    return memcmp(bytes, "RIFF", 4) == 0 && memcmp(bytes + 8, "WEBP", 4) == 0;
}


static int
cc_image_prefix(const cc_str_t *s, const char *lit)
{
    size_t  n;

    n = strlen(lit);

    return s->len >= n && strncasecmp((const char *) s->data, lit, n) == 0;
}
