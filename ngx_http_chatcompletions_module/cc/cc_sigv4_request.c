
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The checks of a request to sign: what may go into the canonical
 * request and the Authorization value.
 */


#include <string.h>

#include "cc_sigv4_request.h"


static int cc_sigv4_is_tchar(u_char c);
static int cc_sigv4_check_token(const cc_str_t *s);
static int cc_sigv4_check_scope_part(const cc_str_t *s);
static int cc_sigv4_check_value(const u_char *p, size_t len);
static int cc_sigv4_check_path(const cc_str_t *s);
static int cc_sigv4_name_is(const u_char *name, size_t len,
    const char *lower, size_t lower_len);


/*
 * Everything that ends up in the canonical request or in the
 * Authorization value but the headers; the reasons never quote the input.
 */

const char *
cc_sigv4_check(const cc_sigv4_request_t *req)
{
    if (cc_sigv4_check_token(&req->method) != CC_OK) {
        return "sigv4: invalid method";
    }

    if (cc_sigv4_check_path(&req->path) != CC_OK) {
        return "sigv4: path must be a non-empty encoded absolute path";
    }

    if (cc_sigv4_check_scope_part(&req->access_key) != CC_OK) {
        return "sigv4: missing or invalid access key id";
    }

    if (cc_sigv4_check_scope_part(&req->region) != CC_OK) {
        return "sigv4: missing or invalid region";
    }

    if (cc_sigv4_check_scope_part(&req->service) != CC_OK) {
        return "sigv4: missing or invalid service";
    }

    if (req->signing_key == NULL && req->secret_key.len == 0) {
        return "sigv4: missing secret access key";
    }

    if (req->session_token.len
        && cc_sigv4_check_value(req->session_token.data,
                                req->session_token.len)
           != CC_OK)
    {
        return "sigv4: invalid character in session token";
    }

    if (req->payload_len && req->payload == NULL) {
        return "sigv4: payload length without payload";
    }

    if (req->nheaders && req->headers == NULL) {
        return "sigv4: header count without headers";
    }

    return NULL;
}


/* the caller's headers: x-amz-date and x-amz-security-token are ours */

const char *
cc_sigv4_check_headers(const cc_sigv4_request_t *req)
{
    int                       host;
    size_t                    i;
    const cc_sigv4_header_t  *hd;

    host = 0;

    for (i = 0; i < req->nheaders; i++) {
        hd = &req->headers[i];

        if (hd->name.len == 0) {
            return "sigv4: empty header name";
        }

        if (cc_sigv4_check_token(&hd->name) != CC_OK) {
            return "sigv4: invalid header name";
        }

        if (hd->value.len
            && cc_sigv4_check_value(hd->value.data, hd->value.len) != CC_OK)
        {
            return "sigv4: invalid character in header value";
        }

        if (cc_sigv4_name_is(hd->name.data, hd->name.len,
                             CC_SIGV4_DATE_HEADER,
                             sizeof(CC_SIGV4_DATE_HEADER) - 1)
            || cc_sigv4_name_is(hd->name.data, hd->name.len,
                                CC_SIGV4_TOKEN_HEADER,
                                sizeof(CC_SIGV4_TOKEN_HEADER) - 1))
        {
            return "sigv4: x-amz-date and x-amz-security-token are "
                   "added by the signer";
        }

        if (cc_sigv4_name_is(hd->name.data, hd->name.len, "host", 4)) {
            host = 1;
        }
    }

    if (!host) {
        return "sigv4: the host header must be signed";
    }

    return NULL;
}


static int
cc_sigv4_is_tchar(u_char c)
{
    /* RFC 9110 token characters */

    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9'))
    {
        return 1;
    }

    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}


static int
cc_sigv4_check_token(const cc_str_t *s)
{
    size_t  i;

    if (s->len == 0 || s->data == NULL) {
        return CC_ERROR;
    }

    for (i = 0; i < s->len; i++) {
        if (!cc_sigv4_is_tchar(s->data[i])) {
            return CC_ERROR;
        }
    }

    return CC_OK;
}


static int
cc_sigv4_check_scope_part(const cc_str_t *s)
{
    size_t  i;
    u_char  c;

    /* access key id, region, service: visible ASCII that cannot break the
     * "Credential=AKID/date/region/service/aws4_request, " syntax */

    if (s->len == 0 || s->data == NULL) {
        return CC_ERROR;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (c <= 0x20 || c >= 0x7f || c == '/' || c == ',' || c == ';'
            || c == '=')
        {
            return CC_ERROR;
        }
    }

    return CC_OK;
}


static int
cc_sigv4_check_value(const u_char *p, size_t len)
{
    size_t  i;

    /* field-value: no control characters except HTAB (obs-text allowed);
     * CR or LF would also forge lines of the canonical request */

    if (p == NULL) {
        return CC_ERROR;
    }

    for (i = 0; i < len; i++) {
        if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
            return CC_ERROR;
        }
    }

    return CC_OK;
}


static int
cc_sigv4_check_path(const cc_str_t *s)
{
    size_t  i;
    u_char  c;

    if (s->len == 0 || s->data == NULL || s->data[0] != '/') {
        return CC_ERROR;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#') {
            return CC_ERROR;
        }
    }

    return CC_OK;
}


static int
cc_sigv4_name_is(const u_char *name, size_t len, const char *lower,
    size_t lower_len)
{
    size_t  i;

    if (len != lower_len) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (cc_sigv4_lower(name[i]) != (u_char) lower[i]) {
            return 0;
        }
    }

    return 1;
}
