
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The wire formats of AWS's credential sources: ISO 8601 times, the JSON
 * of IMDS and of the container endpoint, which container hosts plain http
 * may use (STS: cc_sts, the shared files: cc_profile).
 */


#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cc_awscreds.h"
#include "cc_json.h"


static int cc_host_is(const u_char *p, size_t len, const char *name);
static int cc_port_rest(const u_char *p, size_t len);


static int cc_iso8601_num(const u_char *p, size_t n);
static int64_t cc_days_from_civil(int64_t y, int m, int d);
static int cc_creds_json_str(const cc_json_t *obj, const char *key,
    int required, cc_str_t *s);


/* n decimal digits at p, or -1 */

static int
cc_iso8601_num(const u_char *p, size_t n)
{
    int     v;
    size_t  i;

    v = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        v = v * 10 + (p[i] - '0');
    }

    return v;
}


/* days since 1970-01-01 of a date of the proleptic Gregorian calendar */

static int64_t
cc_days_from_civil(int64_t y, int m, int d)
{
    int64_t  era, yoe, doy, doe;

    y -= (m <= 2);
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


int
cc_iso8601_parse(const u_char *p, size_t len, int64_t *t)
{
    int            year, month, day, hour, min, sec, oh, om, mdays, sign;
    const u_char  *q, *end;

    static const int  days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    /* "YYYY-MM-DDTHH:MM:SS" at fixed places, then the rest */

    if (p == NULL || len < 20 || p[4] != '-' || p[7] != '-'
        || (p[10] != 'T' && p[10] != 't') || p[13] != ':' || p[16] != ':')
    {
        return CC_ERROR;
    }

    year = cc_iso8601_num(p, 4);
    month = cc_iso8601_num(p + 5, 2);
    day = cc_iso8601_num(p + 8, 2);
    hour = cc_iso8601_num(p + 11, 2);
    min = cc_iso8601_num(p + 14, 2);
    sec = cc_iso8601_num(p + 17, 2);

    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0
        || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 59)
    {
        return CC_ERROR;
    }

    mdays = days[month - 1];

    if (month == 2
        && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
    {
        mdays = 29;
    }

    if (day > mdays) {
        return CC_ERROR;
    }

    q = p + 19;
    end = p + len;

    /* fractional seconds: dropped */

    if (*q == '.') {
        q++;

        if (q == end || *q < '0' || *q > '9') {
            return CC_ERROR;
        }

        while (q < end && *q >= '0' && *q <= '9') {
            q++;
        }
    }

    if (q == end) {
        return CC_ERROR;
    }

    oh = 0;
    om = 0;
    sign = 0;

    if (*q == 'Z' || *q == 'z') {
        q++;

    } else if (*q == '+' || *q == '-') {
        sign = (*q == '+') ? 1 : -1;
        q++;

        /* "+HH", "+HHMM" or "+HH:MM" */

        if (end - q < 2) {
            return CC_ERROR;
        }

        oh = cc_iso8601_num(q, 2);
        q += 2;

        if (q < end) {
            if (*q == ':') {
                q++;
            }

            if (end - q != 2) {
                return CC_ERROR;
            }

            om = cc_iso8601_num(q, 2);
            q += 2;
        }

        if (oh < 0 || oh > 23 || om < 0 || om > 59) {
            return CC_ERROR;
        }

    } else {
        return CC_ERROR;
    }

    if (q != end) {
        return CC_ERROR;
    }

    *t = cc_days_from_civil(year, month, day) * 86400
         + (int64_t) hour * 3600 + min * 60 + sec
         - (int64_t) sign * (oh * 3600 + om * 60);

    return CC_OK;
}


/* a string member; null is absent; required: present and not empty */

static int
cc_creds_json_str(const cc_json_t *obj, const char *key, int required,
    cc_str_t *s)
{
    cc_json_t  *v;

    v = cc_json_get(obj, key);

    if (v == NULL || v->type == CC_JSON_NULL) {
        return required ? CC_ERROR : CC_OK;
    }

    if (v->type != CC_JSON_STRING || (required && v->str.len == 0)) {
        return CC_ERROR;
    }

    *s = v->str;

    return CC_OK;
}


int
cc_creds_parse_json(cc_alloc_t *a, const u_char *data, size_t len,
    cc_aws_creds_t *out, const char **err)
{
    char        buf[64];
    cc_str_t    exp;
    cc_json_t  *root, *code;

    memset(out, 0, sizeof(cc_aws_creds_t));
    *err = NULL;
    buf[0] = '\0';

    root = cc_json_parse(a, data, len, buf, sizeof(buf));
    if (root == NULL) {
        *err = (strcmp(buf, "out of memory") == 0)
               ? "credentials: out of memory"
               : "credentials: invalid JSON";
        return CC_ERROR;
    }

    if (root->type != CC_JSON_OBJECT) {
        *err = "credentials: not a JSON object";
        return CC_ERROR;
    }

    code = cc_json_get(root, "Code");

    if (code != NULL && !cc_json_is(code, "Success")) {
        *err = "credentials: Code is not \"Success\"";
        return CC_ERROR;
    }

    if (cc_creds_json_str(root, "AccessKeyId", 1, &out->access_key)
        != CC_OK)
    {
        *err = "credentials: AccessKeyId missing or not a string";
        goto failed;
    }

    if (cc_creds_json_str(root, "SecretAccessKey", 1, &out->secret_key)
        != CC_OK)
    {
        *err = "credentials: SecretAccessKey missing or not a string";
        goto failed;
    }

    if (cc_creds_json_str(root, "Token", 0, &out->session_token) != CC_OK) {
        *err = "credentials: Token is not a string";
        goto failed;
    }

    exp.len = 0;
    exp.data = NULL;

    if (cc_creds_json_str(root, "Expiration", 0, &exp) != CC_OK
        || (exp.data != NULL
            && cc_iso8601_parse(exp.data, exp.len, &out->expiration)
               != CC_OK))
    {
        *err = "credentials: Expiration is not an ISO 8601 time";
        goto failed;
    }

    return CC_OK;

failed:

    memset(out, 0, sizeof(cc_aws_creds_t));

    return CC_ERROR;
}


/* "host" or "host:port" (digits), case-insensitive for names */

static int
cc_host_is(const u_char *p, size_t len, const char *name)
{
    u_char  c;
    size_t  n, i;

    n = strlen(name);

    if (len < n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        c = p[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != (u_char) name[i]) {
            return 0;
        }
    }

    return cc_port_rest(p + n, len - n);
}


/* nothing, or ":" and at least one digit */

static int
cc_port_rest(const u_char *p, size_t len)
{
    size_t  i;

    if (len == 0) {
        return 1;
    }

    if (p[0] != ':' || len == 1 || len > 6) {
        return 0;
    }

    for (i = 1; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
    }

    return 1;
}


int
cc_container_host_ok(const u_char *authority, size_t len)
{
    size_t  i, k, parts;
    int     n;

    if (cc_host_is(authority, len, "localhost")
        || cc_host_is(authority, len, "[::1]")
        || cc_host_is(authority, len, "169.254.170.2")
        || cc_host_is(authority, len, "169.254.170.23"))
    {
        return 1;
    }

    /* 127.a.b.c: four decimal parts, each 0-255, written in full */

    if (len < 7 || memcmp(authority, "127.", 4) != 0) {
        return 0;
    }

    i = 0;

    for (parts = 0; parts < 4; parts++) {
        n = 0;

        for (k = 0; i < len && k < 3
                    && authority[i] >= '0' && authority[i] <= '9'; k++, i++)
        {
            n = n * 10 + (authority[i] - '0');
        }

        if (k == 0 || n > 255) {
            return 0;
        }

        if (parts < 3) {
            if (i == len || authority[i] != '.') {
                return 0;
            }

            i++;
        }
    }

    return cc_port_rest(authority + i, len - i);
}
