
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cc_check.h"


#define CC_MSG_LEN           768


/*
 * A tool, a tool call or a named tool_choice: "type" absent, null or
 * "function", and a "function" object, returned in *fn.
 */

int
cc_parse_function(cc_parse_t *p, const cc_json_t *v, const char *path,
    cc_json_t **fn)
{
    char        sub[CC_PATH_LEN], show[CC_SHOW_LEN + 4];
    cc_json_t  *type;

    cc_path(sub, "%s.type", path);

    type = cc_json_get(v, "type");
    if (cc_parse_check(p, type, sub, CC_T_NULL | CC_T_STRING, "a string")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (type != NULL && type->type == CC_JSON_STRING
        && !cc_json_is(type, "function"))
    {
        cc_show(show, sizeof(show), type->str.data, type->str.len);

        return cc_parse_error(p, "invalid_value", sub,
                              "Invalid value for '%s': '%s'. Supported "
                              "values are: 'function'.", sub, show);
    }

    cc_path(sub, "%s.function", path);

    *fn = cc_json_get(v, "function");
    if (*fn == NULL) {
        return cc_parse_missing(p, sub);
    }

    return cc_parse_check(p, *fn, sub, CC_T_OBJECT, "an object");
}


/* a function name Bedrock accepts: [a-zA-Z0-9_-]{1,64} */

int
cc_parse_name(cc_parse_t *p, const cc_json_t *v, const char *path)
{
    if (v == NULL) {
        return cc_parse_missing(p, path);
    }

    if (cc_parse_check(p, v, path, CC_T_STRING, "a string") != CC_OK) {
        return CC_ERROR;
    }

    if (v->str.len == 0) {
        return cc_parse_empty(p, path);
    }

    if (v->str.len > CC_CHAT_MAX_NAME_LEN) {
        return cc_parse_error(p, "string_above_max_length", path,
                              "Invalid '%s': string too long. Expected a "
                              "string with maximum length %d, but got a "
                              "string with length %zu instead.", path,
                              CC_CHAT_MAX_NAME_LEN, v->str.len);
    }

    if (!cc_tool_name_valid(&v->str)) {
        return cc_parse_error(p, "invalid_value", path,
                              "Invalid '%s': string does not match "
                              "pattern. Expected a string that matches the "
                              "pattern '^[a-zA-Z0-9_-]+$'.", path);
    }

    return CC_OK;
}


/* how OpenAI names a value's type in its messages */

const char *
cc_json_kind(const cc_json_t *v)
{
    switch (v->type) {

    case CC_JSON_NULL:
        return "null";

    case CC_JSON_FALSE:
    case CC_JSON_TRUE:
        return "a boolean";

    case CC_JSON_NUMBER:
        if (memchr(v->str.data, '.', v->str.len)
            || memchr(v->str.data, 'e', v->str.len)
            || memchr(v->str.data, 'E', v->str.len))
        {
            return "a decimal";
        }

        return "an integer";

    case CC_JSON_STRING:
        return "a string";

    case CC_JSON_ARRAY:
        return "an array";

    default:
        return "an object";
    }
}


/*
 * A client's value quoted in a message: at most CC_SHOW_LEN bytes, cut on
 * a UTF-8 character boundary, "..." when cut.
 */

void
cc_show(char *buf, size_t size, const u_char *s, size_t len)
{
    size_t  n;

    n = len;

    if (n > CC_SHOW_LEN) {
        n = CC_SHOW_LEN;

        while (n && (s[n] & 0xc0) == 0x80) {
            n--;
        }
    }

    if (n + 4 > size) {
        n = 0;
    }

    if (n) {
        memcpy(buf, s, n);
    }

    if (n < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }

    buf[n] = '\0';
}


int
cc_parse_check(cc_parse_t *p, const cc_json_t *v, const char *path,
    unsigned mask, const char *expected)
{
    if (v == NULL || (mask & (1u << v->type))) {
        return CC_OK;
    }

    return cc_parse_error(p, "invalid_type", path,
                          "Invalid type for '%s': expected %s, but got %s "
                          "instead.", path, expected, cc_json_kind(v));
}


int
cc_parse_empty(cc_parse_t *p, const char *path)
{
    return cc_parse_error(p, "empty_string", path,
                          "Invalid '%s': empty string. Expected a string "
                          "with minimum length 1, but got an empty string "
                          "instead.", path);
}


int
cc_parse_missing(cc_parse_t *p, const char *path)
{
    return cc_parse_error(p, "missing_required_parameter", path,
                          "Missing required parameter: '%s'.", path);
}


int
cc_parse_error(cc_parse_t *p, const char *code, const char *param,
    const char *fmt, ...)
{
    int         n;
    char        buf[CC_MSG_LEN];
    va_list     args;
    cc_error_t *err;

    err = p->err;

    va_start(args, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, args);
    va_end(args);

    if (n < 0) {
        n = 0;

    } else if ((size_t) n >= sizeof(buf)) {
        n = sizeof(buf) - 1;
    }

    err->status = 400;
    err->type = "invalid_request_error";
    err->code = code;

    err->message.len = n;
    err->message.data = cc_strdup(p->alloc, (u_char *) buf, n);

    err->param.len = param ? strlen(param) : 0;
    err->param.data = param ? cc_strdup(p->alloc, (u_char *) param,
                                        err->param.len)
                            : NULL;

    if (err->message.data == NULL || (param && err->param.data == NULL)) {
        return cc_no_memory(err);
    }

    return CC_ERROR;
}


/* buf is CC_PATH_LEN bytes; the paths built are far shorter */

void
cc_path(char *buf, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(buf, CC_PATH_LEN, fmt, args);
    va_end(args);
}


int
cc_no_memory(cc_error_t *err)
{
    static cc_str_t  msg = cc_string("The server ran out of memory while "
                                     "processing the request.");

    err->status = 500;
    err->type = "server_error";
    err->code = NULL;
    err->param.len = 0;
    err->param.data = NULL;
    err->message = msg;

    return CC_ERROR;
}
