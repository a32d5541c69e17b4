
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The profiles of AWS's shared credentials and config files.
 */


#include <stdint.h>
#include <string.h>

#include "cc_profile.h"


/* the keys of a profile, by index; duration_seconds last */
enum {
    CC_PROFILE_ACCESS_KEY = 0,
    CC_PROFILE_SECRET_KEY,
    CC_PROFILE_SESSION_TOKEN,
    CC_PROFILE_REGION,
    CC_PROFILE_ROLE_ARN,
    CC_PROFILE_SOURCE_PROFILE,
    CC_PROFILE_CREDENTIAL_SOURCE,
    CC_PROFILE_EXTERNAL_ID,
    CC_PROFILE_ROLE_SESSION_NAME,
    CC_PROFILE_WEB_IDENTITY_TOKEN_FILE,
    CC_PROFILE_DURATION_SECONDS,
    CC_PROFILE_NKEYS
};


/* a profile's values in one file, pointing into it */
typedef struct {
    cc_str_t                  v[CC_PROFILE_NKEYS];
    unsigned                  found:1;
} cc_profile_raw_t;


static void cc_profile_scan(const u_char *p, size_t len,
    const cc_str_t *name, int config, cc_profile_raw_t *raw);
static int cc_profile_section(const u_char *s, const u_char *e,
    const cc_str_t *name, int config);
static void cc_profile_pair(const u_char *s, const u_char *e,
    cc_profile_raw_t *raw);
static int cc_profile_duration(const cc_str_t *v, int64_t *out);


static const char  *cc_profile_keys[CC_PROFILE_NKEYS] = {
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "region",
    "role_arn",
    "source_profile",
    "credential_source",
    "external_id",
    "role_session_name",
    "web_identity_token_file",
    "duration_seconds"
};


/*
 * One file's section(s) of the profile: the last value of a key wins,
 * over all of its sections.
 */

static void
cc_profile_scan(const u_char *p, size_t len, const cc_str_t *name,
    int config, cc_profile_raw_t *raw)
{
    int            in, have_key;
    size_t         indent, key_indent;
    const u_char  *end, *line, *s, *e;

    end = p + len;

    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
        p += 3;
    }

    in = 0;
    have_key = 0;
    key_indent = 0;

    while (p < end) {
        line = p;

        e = memchr(p, '\n', end - p);
        if (e == NULL) {
            e = end;
            p = end;

        } else {
            p = e + 1;
        }

        s = line;

        while (s < e && (*s == ' ' || *s == '\t')) {
            s++;
        }

        while (e > s && cc_is_space(e[-1])) {
            e--;
        }

        indent = s - line;

        if (s == e || *s == '#' || *s == ';') {
            continue;
        }

        /* a value's continuation, a sub-section's "key = value" */

        if (indent && have_key && indent > key_indent) {
            continue;
        }

        if (*s == '[') {
            in = cc_profile_section(s, e, name, config);
            have_key = 0;

            if (in) {
                raw->found = 1;
            }

            continue;
        }

        if (memchr(s, '=', e - s) == NULL) {
            continue;
        }

        have_key = 1;
        key_indent = indent;

        if (in) {
            cc_profile_pair(s, e, raw);
        }
    }
}


/* "[name]" in the credentials file; "[profile name]", "[default]" */

static int
cc_profile_section(const u_char *s, const u_char *e, const cc_str_t *name,
    int config)
{
    const u_char  *r;

    /* up to the last "]"; a line without one ends any section */

    r = e - 1;

    while (r > s && *r != ']') {
        r--;
    }

    if (r == s) {
        return 0;
    }

    s++;

    while (s < r && cc_is_space(*s)) {
        s++;
    }

    while (r > s && cc_is_space(r[-1])) {
        r--;
    }

    if (config) {
        if (r - s == 7 && memcmp(s, "default", 7) == 0) {
            return cc_str_eq(name, "default");
        }

        if (r - s < 8 || memcmp(s, "profile", 7) != 0
            || (s[7] != ' ' && s[7] != '\t'))
        {
            return 0;
        }

        s += 8;

        while (s < r && (*s == ' ' || *s == '\t')) {
            s++;
        }
    }

    return (size_t) (r - s) == name->len
           && memcmp(s, name->data, name->len) == 0;
}


/* "key = value ; comment", with its "=" */

static void
cc_profile_pair(const u_char *s, const u_char *e, cc_profile_raw_t *raw)
{
    int            i;
    size_t         n;
    const u_char  *eq, *k, *v;

    eq = memchr(s, '=', e - s);

    k = eq;

    while (k > s && cc_is_space(k[-1])) {
        k--;
    }

    v = eq + 1;

    while (v < e && cc_is_space(*v)) {
        v++;
    }

    /* " #" or " ;" after the value starts a comment */

    for (eq = v + 1; eq < e; eq++) {
        if ((*eq == '#' || *eq == ';') && (eq[-1] == ' ' || eq[-1] == '\t'))
        {
            e = eq;
            break;
        }
    }

    while (e > v && cc_is_space(e[-1])) {
        e--;
    }

    n = k - s;

    for (i = 0; i < CC_PROFILE_NKEYS; i++) {
        if (strlen(cc_profile_keys[i]) == n
            && memcmp(s, cc_profile_keys[i], n) == 0)
        {
            raw->v[i].len = e - v;
            raw->v[i].data = (u_char *) v;
            break;
        }
    }
}


static int
cc_profile_duration(const cc_str_t *v, int64_t *out)
{
    size_t   i;
    int64_t  n;

    n = 0;

    for (i = 0; i < v->len; i++) {
        if (v->data[i] < '0' || v->data[i] > '9'
            || n > (INT64_MAX - (v->data[i] - '0')) / 10)
        {
            return CC_ERROR;
        }

        n = n * 10 + (v->data[i] - '0');
    }

    if (n == 0) {
        return CC_ERROR;
    }

    *out = n;

    return CC_OK;
}


int
cc_profile_find(cc_alloc_t *a, const u_char *credentials,
    size_t credentials_len, const u_char *config, size_t config_len,
    const cc_str_t *name, cc_aws_profile_t *out)
{
    int                i;
    cc_str_t          *v, *dst[CC_PROFILE_DURATION_SECONDS];
    cc_profile_raw_t   cred, conf;

    memset(out, 0, sizeof(cc_aws_profile_t));
    memset(&cred, 0, sizeof(cc_profile_raw_t));
    memset(&conf, 0, sizeof(cc_profile_raw_t));

    if (name == NULL || name->len == 0) {
        return CC_OK;
    }

    if (config != NULL) {
        cc_profile_scan(config, config_len, name, 1, &conf);
    }

    if (credentials != NULL) {
        cc_profile_scan(credentials, credentials_len, name, 0, &cred);
    }

    out->found = cred.found || conf.found;

    dst[CC_PROFILE_ACCESS_KEY] = &out->access_key;
    dst[CC_PROFILE_SECRET_KEY] = &out->secret_key;
    dst[CC_PROFILE_SESSION_TOKEN] = &out->session_token;
    dst[CC_PROFILE_REGION] = &out->region;
    dst[CC_PROFILE_ROLE_ARN] = &out->role_arn;
    dst[CC_PROFILE_SOURCE_PROFILE] = &out->source_profile;
    dst[CC_PROFILE_CREDENTIAL_SOURCE] = &out->credential_source;
    dst[CC_PROFILE_EXTERNAL_ID] = &out->external_id;
    dst[CC_PROFILE_ROLE_SESSION_NAME] = &out->role_session_name;
    dst[CC_PROFILE_WEB_IDENTITY_TOKEN_FILE] = &out->web_identity_token_file;

    for (i = 0; i < CC_PROFILE_NKEYS; i++) {
        v = (cred.v[i].data != NULL) ? &cred.v[i] : &conf.v[i];

        if (v->data == NULL) {
            continue;
        }

        if (i == CC_PROFILE_DURATION_SECONDS) {
            if (cc_profile_duration(v, &out->duration_seconds) != CC_OK) {
                return CC_ERROR;
            }

            continue;
        }

        /* copies: the files' buffers may go; NUL-terminated, for paths */

        dst[i]->data = cc_strdup(a, v->data, v->len);
        if (dst[i]->data == NULL) {
            return CC_ERROR;
        }

        dst[i]->len = v->len;
    }

    return CC_OK;
}
