
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * AWS's credential formats (cc_awscreds): what the credential sources
 * answer, as the glue (fetch.c, credentials.c) reads it.
 *
 * Input: any bytes, read as each format in turn: an ISO 8601 time, the
 * JSON of instance metadata or a container endpoint, STS's XML, the
 * shared credentials and config files (split at the first NUL byte, the
 * profiles "default" and "dev"), a container endpoint's authority; and,
 * split at NUL bytes, the values of an STS request body.
 *
 * Asserted: a parse that succeeds gives the keys; an error text is
 * static or, for STS, valid UTF-8; an STS body is form-encoded (only
 * RFC 3986 unreserved bytes, '%' with two upper-case hex digits, '&' and
 * '='), and decodes back to the values.
 */


#include "fuzz_util.h"
#include "cc_awscreds.h"
#include "cc_profile.h"
#include "cc_sts.h"


static void fz_sts_body(cc_alloc_t *a, const u_char *data, size_t size);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char            *copy, *nul;
    int64_t            t;
    cc_str_t           code, message;
    fz_arena_t         arena;
    const char        *err;
    cc_aws_creds_t     creds;
    cc_aws_profile_t   profile;

    static cc_str_t  names[] = { cc_string("default"), cc_string("dev") };

    fz_arena_init(&arena);
    copy = fz_mem(data, size);

    (void) cc_iso8601_parse(copy, size, &t);

    memset(&creds, 0, sizeof(cc_aws_creds_t));
    err = NULL;

    if (cc_creds_parse_json(&arena.alloc, copy, size, &creds, &err)
        == CC_OK)
    {
        if (creds.access_key.len == 0 || creds.secret_key.len == 0) {
            fz_fail("credentials from JSON without their keys", NULL, 0);
        }

    } else if (err == NULL
               || (err >= (char *) copy && err < (char *) copy + size))
    {
        fz_fail("a JSON credentials error that is not a static text",
                NULL, 0);
    }

    memset(&creds, 0, sizeof(cc_aws_creds_t));
    memset(&code, 0, sizeof(cc_str_t));
    memset(&message, 0, sizeof(cc_str_t));

    if (cc_sts_parse(&arena.alloc, copy, size, &creds, &code, &message)
        == CC_OK)
    {
        if (creds.access_key.len == 0 || creds.secret_key.len == 0) {
            fz_fail("credentials from STS without their keys", NULL, 0);
        }

    } else {
        fz_utf8("an STS error's code", code.data, code.len);
        fz_utf8("an STS error's message", message.data, message.len);
    }

    nul = memchr(copy, '\0', size);

    memset(&profile, 0, sizeof(cc_aws_profile_t));
    (void) cc_profile_find(&arena.alloc, copy, nul ? (size_t) (nul - copy)
                                                   : size,
                           nul ? nul + 1 : NULL,
                           nul ? size - (nul + 1 - copy) : 0,
                           &names[size & 1], &profile);

    (void) cc_container_host_ok(copy, size);

    fz_sts_body(&arena.alloc, copy, size);

    free(copy);
    fz_arena_reset(&arena);

    return 0;
}


/* the values, NUL apart: role ARN, session name, token, external id */
static void
fz_sts_body(cc_alloc_t *a, const u_char *data, size_t size)
{
    size_t          i, k;
    u_char          c;
    cc_str_t        body, *field[4], *want;
    const u_char   *p, *end, *nul, *v;
    cc_sts_call_t   call;

    memset(&call, 0, sizeof(cc_sts_call_t));

    field[0] = &call.role_arn;
    field[1] = &call.session_name;
    field[2] = &call.web_identity_token;
    field[3] = &call.external_id;

    p = data;
    end = data + size;

    for (i = 0; i < 4 && p <= end; i++) {
        nul = (p < end) ? memchr(p, '\0', end - p) : NULL;
        if (nul == NULL) {
            nul = end;
        }

        field[i]->data = (u_char *) p;
        field[i]->len = nul - p;
        p = nul + 1;
    }

    if (call.web_identity_token.len) {
        call.action.data = (u_char *) "AssumeRoleWithWebIdentity";
        call.action.len = sizeof("AssumeRoleWithWebIdentity") - 1;
        call.external_id.len = 0;

    } else {
        call.action.data = (u_char *) "AssumeRole";
        call.action.len = sizeof("AssumeRole") - 1;
    }

    call.duration = (size & 2) ? 3600 : 0;

    if (cc_sts_body(a, &call, &body) != CC_OK) {
        fz_fail("cc_sts_body() failed", NULL, 0);
    }

    /* name=value pairs, & apart; a value of ours decodes back to it */

    p = body.data;
    end = body.data + body.len;

    while (p < end) {
        v = memchr(p, '=', end - p);
        if (v == NULL) {
            fz_fail("an STS body pair without '='", body.data, body.len);
        }

        want = NULL;

        if (v - p == 7 && memcmp(p, "RoleArn", 7) == 0) {
            want = &call.role_arn;

        } else if (v - p == 15 && memcmp(p, "RoleSessionName", 15) == 0) {
            want = &call.session_name;

        } else if (v - p == 16 && memcmp(p, "WebIdentityToken", 16) == 0) {
            want = &call.web_identity_token;

        } else if (v - p == 10 && memcmp(p, "ExternalId", 10) == 0) {
            want = &call.external_id;
        }

        p = v + 1;
        k = 0;

        while (p < end && *p != '&') {
            c = fz_pct_next("an STS body", &p, end, body.data, body.len);

            if (want != NULL
                && (k >= want->len || want->data[k] != c))
            {
                fz_fail("an STS body value does not decode back",
                        body.data, body.len);
            }

            k++;
        }

        if (want != NULL && k != want->len) {
            fz_fail("an STS body value does not decode back", body.data,
                    body.len);
        }

        if (p < end) {
            p++;
        }
    }
}
