
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The wire formats of AWS's credential sources: ISO 8601 times, the JSON
 * of IMDS and of the container endpoint, STS's XML answers and request
 * bodies, the profiles of the shared files.
 */


#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <expat.h>

#include "cc_awscreds.h"
#include "cc_json.h"
#include "cc_uri.h"


static int cc_host_is(const u_char *p, size_t len, const char *name);
static int cc_port_rest(const u_char *p, size_t len);


/* the longest text kept from one element of an STS answer */
#define CC_STS_MAX_TEXT  16384

/* between a namespace URI and a local name: never in an XML name */
#define CC_STS_NS_SEP    '\n'

#define CC_STS_MALFORMED "MalformedResponse"


/* the texts collected from an STS answer, by index */
enum {
    CC_STS_ACCESS_KEY = 0,
    CC_STS_SECRET_KEY,
    CC_STS_SESSION_TOKEN,
    CC_STS_EXPIRATION,
    CC_STS_CODE,
    CC_STS_MESSAGE,
    CC_STS_NTEXTS
};

#define CC_STS_CREDENTIALS  (1 << CC_STS_NTEXTS)    /* a bit of seen */


enum {
    CC_STS_UNKNOWN = 0,
    CC_STS_RESPONSE,
    CC_STS_ERROR
};


typedef struct {
    XML_Parser                parser;
    cc_alloc_t               *alloc;
    cc_buf_t                  text[CC_STS_NTEXTS];
    cc_buf_t                 *cur;          /* the element being read */
    const char               *err;          /* why the parser stopped */
    unsigned                  depth;
    unsigned                  seen;         /* bits: texts, Credentials */
    unsigned                  kind:2;
    unsigned                  in_parent:1;  /* *Result or Error */
    unsigned                  in_creds:1;
} cc_sts_state_t;


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


static int cc_iso8601_num(const u_char *p, size_t n);
static int64_t cc_days_from_civil(int64_t y, int m, int d);
static int cc_creds_json_str(const cc_json_t *obj, const char *key,
    int required, cc_str_t *s);
static void cc_sts_stop(cc_sts_state_t *st, const char *err);
static int cc_sts_ends_with(const char *s, size_t n, const char *suffix);
static void cc_sts_field(cc_sts_state_t *st, const char *local, int from,
    int to);
static void XMLCALL cc_sts_start(void *data, const XML_Char *name,
    const XML_Char **attrs);
static void XMLCALL cc_sts_end(void *data, const XML_Char *name);
static void XMLCALL cc_sts_chars(void *data, const XML_Char *s, int len);
static void XMLCALL cc_sts_doctype(void *data, const XML_Char *name,
    const XML_Char *sysid, const XML_Char *pubid, int has_internal_subset);
static void XMLCALL cc_sts_entity(void *data, const XML_Char *name,
    int is_parameter_entity, const XML_Char *value, int value_length,
    const XML_Char *base, const XML_Char *system_id,
    const XML_Char *public_id, const XML_Char *notation_name);
static int cc_sts_result(cc_sts_state_t *st, cc_aws_creds_t *out,
    cc_str_t *code, cc_str_t *message);
static void cc_sts_trim(cc_buf_t *b, cc_str_t *s);
static int cc_sts_malformed(cc_str_t *code, cc_str_t *message,
    const char *text);
static size_t cc_sts_param(u_char *dst, size_t n, const char *name,
    const cc_str_t *value);
static size_t cc_sts_params(u_char *dst, const cc_sts_call_t *call,
    const cc_str_t *duration);
static void cc_profile_scan(const u_char *p, size_t len,
    const cc_str_t *name, int config, cc_profile_raw_t *raw);
static int cc_profile_section(const u_char *s, const u_char *e,
    const cc_str_t *name, int config);
static void cc_profile_pair(const u_char *s, const u_char *e,
    cc_profile_raw_t *raw);
static int cc_profile_duration(const cc_str_t *v, int64_t *out);


static const char  *cc_sts_names[CC_STS_NTEXTS] = {
    "AccessKeyId",
    "SecretAccessKey",
    "SessionToken",
    "Expiration",
    "Code",
    "Message"
};


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


static void
cc_sts_stop(cc_sts_state_t *st, const char *err)
{
    if (st->err == NULL) {
        st->err = err;
        XML_StopParser(st->parser, XML_FALSE);
    }
}


static int
cc_sts_ends_with(const char *s, size_t n, const char *suffix)
{
    size_t  len;

    len = strlen(suffix);

    return n >= len && memcmp(s + n - len, suffix, len) == 0;
}


/* the element local, if one of the texts from to to, is to be read */

static void
cc_sts_field(cc_sts_state_t *st, const char *local, int from, int to)
{
    int  i;

    for (i = from; i < to; i++) {
        if (strcmp(local, cc_sts_names[i]) != 0) {
            continue;
        }

        if (st->seen & (1u << i)) {
            cc_sts_stop(st, "an element of the STS response is repeated");
            return;
        }

        st->seen |= 1u << i;
        st->cur = &st->text[i];

        return;
    }
}


/*
 * The structure read: a *Response root with *Result/Credentials/<field>
 * under it, or ErrorResponse/Error/<Code or Message>; every other
 * element, and its text, is skipped.
 */

static void XMLCALL
cc_sts_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    size_t           n;
    const char      *local;
    cc_sts_state_t  *st;

    st = data;

    (void) attrs;

    if (st->err != NULL) {
        return;
    }

    if (st->cur != NULL) {
        cc_sts_stop(st, "an element of the STS response holds elements");
        return;
    }

    st->depth++;

    local = strrchr(name, CC_STS_NS_SEP);
    local = (local != NULL) ? local + 1 : name;
    n = strlen(local);

    switch (st->depth) {

    case 1:
        if (strcmp(local, "ErrorResponse") == 0) {
            st->kind = CC_STS_ERROR;

        } else if (cc_sts_ends_with(local, n, "Response")) {
            st->kind = CC_STS_RESPONSE;

        } else {
            cc_sts_stop(st, "the STS response is not a Response document");
        }

        break;

    case 2:
        st->in_parent = (st->kind == CC_STS_RESPONSE
                         && cc_sts_ends_with(local, n, "Result"))
                        || (st->kind == CC_STS_ERROR
                            && strcmp(local, "Error") == 0);
        break;

    case 3:
        if (!st->in_parent) {
            break;
        }

        if (st->kind == CC_STS_ERROR) {
            cc_sts_field(st, local, CC_STS_CODE, CC_STS_NTEXTS);
            break;
        }

        if (strcmp(local, "Credentials") != 0) {
            break;
        }

        if (st->seen & CC_STS_CREDENTIALS) {
            cc_sts_stop(st, "an element of the STS response is repeated");
            break;
        }

        st->seen |= CC_STS_CREDENTIALS;
        st->in_creds = 1;
        break;

    case 4:
        if (st->in_creds) {
            cc_sts_field(st, local, CC_STS_ACCESS_KEY, CC_STS_CODE);
        }

        break;

    default:
        break;
    }
}


static void XMLCALL
cc_sts_end(void *data, const XML_Char *name)
{
    cc_sts_state_t  *st;

    st = data;

    (void) name;

    if (st->err != NULL) {
        return;
    }

    /* a text element holds no element: any end is its own */
    st->cur = NULL;

    if (st->depth == 3) {
        st->in_creds = 0;

    } else if (st->depth == 2) {
        st->in_parent = 0;
    }

    st->depth--;
}


/* text may come in pieces (around entities, at line ends): appended */

static void XMLCALL
cc_sts_chars(void *data, const XML_Char *s, int len)
{
    cc_sts_state_t  *st;

    st = data;

    if (st->err != NULL || st->cur == NULL || len <= 0) {
        return;
    }

    if ((size_t) len > CC_STS_MAX_TEXT - st->cur->len) {
        cc_sts_stop(st, "an element of the STS response is too long");
        return;
    }

    if (cc_buf_append(st->alloc, st->cur, (const u_char *) s, len)
        != CC_OK)
    {
        cc_sts_stop(st, "out of memory");
    }
}


/* no DTD, so no entity of the document's own can be expanded */

static void XMLCALL
cc_sts_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
    (void) name;
    (void) sysid;
    (void) pubid;
    (void) has_internal_subset;

    cc_sts_stop(data, "the STS response has a document type declaration");
}


static void XMLCALL
cc_sts_entity(void *data, const XML_Char *name, int is_parameter_entity,
    const XML_Char *value, int value_length, const XML_Char *base,
    const XML_Char *system_id, const XML_Char *public_id,
    const XML_Char *notation_name)
{
    (void) name;
    (void) is_parameter_entity;
    (void) value;
    (void) value_length;
    (void) base;
    (void) system_id;
    (void) public_id;
    (void) notation_name;

    cc_sts_stop(data, "the STS response has a document type declaration");
}


int
cc_sts_parse(cc_alloc_t *a, const u_char *data, size_t len,
    cc_aws_creds_t *out, cc_str_t *code, cc_str_t *message)
{
    XML_Parser      parser;
    cc_sts_state_t  st;

    memset(out, 0, sizeof(cc_aws_creds_t));
    code->len = 0;
    code->data = NULL;
    message->len = 0;
    message->data = NULL;

    if (len > INT_MAX) {
        return cc_sts_malformed(code, message, "the STS response is too long");
    }

    memset(&st, 0, sizeof(cc_sts_state_t));
    st.alloc = a;

    /* expat's own memory is malloc()ed, and all freed below */

    parser = XML_ParserCreateNS(NULL, CC_STS_NS_SEP);
    if (parser == NULL) {
        return cc_sts_malformed(code, message, "out of memory");
    }

    st.parser = parser;

    XML_SetUserData(parser, &st);
    XML_SetElementHandler(parser, cc_sts_start, cc_sts_end);
    XML_SetCharacterDataHandler(parser, cc_sts_chars);
    XML_SetStartDoctypeDeclHandler(parser, cc_sts_doctype);
    XML_SetEntityDeclHandler(parser, cc_sts_entity);

    if (XML_Parse(parser, (const char *) data, (int) len, XML_TRUE)
        != XML_STATUS_OK
        && st.err == NULL)
    {
        st.err = "the STS response is not well-formed XML";
    }

    XML_ParserFree(parser);

    if (st.err != NULL) {
        return cc_sts_malformed(code, message, st.err);
    }

    return cc_sts_result(&st, out, code, message);
}


static int
cc_sts_result(cc_sts_state_t *st, cc_aws_creds_t *out, cc_str_t *code,
    cc_str_t *message)
{
    int       i;
    cc_str_t  v[CC_STS_NTEXTS];

    for (i = 0; i < CC_STS_NTEXTS; i++) {
        cc_sts_trim(&st->text[i], &v[i]);
    }

    if (st->kind == CC_STS_ERROR) {
        if (v[CC_STS_CODE].len == 0) {
            return cc_sts_malformed(code, message,
                                    "the STS error response has no Code");
        }

        *code = v[CC_STS_CODE];
        *message = v[CC_STS_MESSAGE];

        return CC_ERROR;
    }

    for (i = CC_STS_ACCESS_KEY; i <= CC_STS_EXPIRATION; i++) {
        if (v[i].len == 0) {
            return cc_sts_malformed(code, message,
                                    "the STS response has no complete "
                                    "Credentials element");
        }
    }

    if (cc_iso8601_parse(v[CC_STS_EXPIRATION].data,
                         v[CC_STS_EXPIRATION].len, &out->expiration)
        != CC_OK)
    {
        out->expiration = 0;
        return cc_sts_malformed(code, message,
                                "the STS response has an invalid "
                                "Expiration");
    }

    out->access_key = v[CC_STS_ACCESS_KEY];
    out->secret_key = v[CC_STS_SECRET_KEY];
    out->session_token = v[CC_STS_SESSION_TOKEN];

    return CC_OK;
}


/* the text without the XML white space around it */

static void
cc_sts_trim(cc_buf_t *b, cc_str_t *s)
{
    u_char  *p, *e;

    p = b->data;
    e = b->data + b->len;

    while (p < e && cc_is_space(*p)) {
        p++;
    }

    while (e > p && cc_is_space(e[-1])) {
        e--;
    }

    s->len = e - p;
    s->data = s->len ? p : NULL;
}


static int
cc_sts_malformed(cc_str_t *code, cc_str_t *message, const char *text)
{
    code->len = sizeof(CC_STS_MALFORMED) - 1;
    code->data = (u_char *) CC_STS_MALFORMED;
    message->len = strlen(text);
    message->data = (u_char *) text;

    return CC_ERROR;
}


/*
 * name (with its "&" and "=") and the encoded value at dst + n; the new
 * length.  dst NULL: only measured.
 */

static size_t
cc_sts_param(u_char *dst, size_t n, const char *name, const cc_str_t *value)
{
    size_t  len;

    len = strlen(name);

    if (dst != NULL) {
        memcpy(dst + n, name, len);
    }

    n += len;

    return n + cc_uri_escape(dst ? dst + n : NULL, value->data, value->len,
                             0);
}


static size_t
cc_sts_params(u_char *dst, const cc_sts_call_t *call,
    const cc_str_t *duration)
{
    size_t           n;
    static cc_str_t  version = cc_string("2011-06-15");

    n = cc_sts_param(dst, 0, "Action=", &call->action);
    n = cc_sts_param(dst, n, "&Version=", &version);
    n = cc_sts_param(dst, n, "&RoleArn=", &call->role_arn);
    n = cc_sts_param(dst, n, "&RoleSessionName=", &call->session_name);

    if (duration->len) {
        n = cc_sts_param(dst, n, "&DurationSeconds=", duration);
    }

    if (call->external_id.len) {
        n = cc_sts_param(dst, n, "&ExternalId=", &call->external_id);
    }

    if (call->web_identity_token.len) {
        n = cc_sts_param(dst, n, "&WebIdentityToken=",
                         &call->web_identity_token);
    }

    return n;
}


int
cc_sts_body(cc_alloc_t *a, const cc_sts_call_t *call, cc_str_t *body)
{
    char      digits[24];
    size_t    len;
    u_char   *p;
    cc_str_t  duration;

    duration.len = 0;
    duration.data = (u_char *) digits;

    if (call->duration > 0) {
        duration.len = snprintf(digits, sizeof(digits), "%lld",
                                (long long) call->duration);
    }

    len = cc_sts_params(NULL, call, &duration);

    p = cc_alloc(a, len + 1);
    if (p == NULL) {
        return CC_ERROR;
    }

    cc_sts_params(p, call, &duration);
    p[len] = '\0';

    body->len = len;
    body->data = p;

    return CC_OK;
}


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
