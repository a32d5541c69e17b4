
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_chatcompletions_chat.h"
#include "ngx_http_chatcompletions_chat_int.h"


#define CC_MSG_LEN           768


static int cc_parse_sampling(cc_parse_t *p, const cc_json_t *root,
    const char *name, double max, int clamp, double *out, cc_str_t *text);
static int cc_parse_integer(cc_parse_t *p, const cc_json_t *v,
    const char *name, int64_t *out);
static int cc_parse_params(cc_parse_t *p, const cc_json_t *root);
static int cc_parse_stop(cc_parse_t *p, const cc_json_t *root);
static int cc_parse_tools(cc_parse_t *p, const cc_json_t *root);
static int cc_parse_schema(cc_parse_t *p, const cc_json_t *params,
    const char *path, const cc_str_t *name, cc_json_t **out);
static int cc_parse_tool_choice(cc_parse_t *p, const cc_json_t *root);
static const char *cc_json_kind(const cc_json_t *v);


int
cc_chat_parse(cc_alloc_t *a, const cc_json_t *root,
    const cc_chat_options_t *opts, cc_chat_t *chat, cc_error_t *err)
{
    size_t                    nraw;
    cc_json_t                *v;
    cc_parse_t                p;
    cc_message_t             *raw;
    static cc_chat_options_t  no_opts;

    memset(chat, 0, sizeof(cc_chat_t));
    memset(err, 0, sizeof(cc_error_t));

    chat->stream = -1;

    p.alloc = a;
    p.opts = opts ? opts : &no_opts;
    p.chat = chat;
    p.err = err;

    if (root == NULL || root->type != CC_JSON_OBJECT) {
        return cc_parse_error(&p, "invalid_type", NULL,
                              "Invalid type for the request body: expected "
                              "an object, but got %s instead.",
                              root ? cc_json_kind(root) : "nothing");
    }

    v = cc_json_get(root, "model");
    if (cc_parse_check(&p, v, "model", CC_T_NULL | CC_T_STRING, "a string")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (v != NULL && v->type == CC_JSON_STRING) {
        chat->model = v->str;
    }

    if (cc_parse_messages(&p, root, &raw, &nraw) != CC_OK
        || cc_parse_params(&p, root) != CC_OK
        || cc_parse_stop(&p, root) != CC_OK
        || cc_parse_tools(&p, root) != CC_OK
        || cc_parse_tool_choice(&p, root) != CC_OK)
    {
        return CC_ERROR;
    }

    return cc_normalize(&p, raw, nraw);
}


static int
cc_parse_params(cc_parse_t *p, const cc_json_t *root)
{
    int64_t     n;
    cc_json_t  *v, *opts;
    cc_chat_t  *chat;

    chat = p->chat;

    v = cc_json_get(root, "stream");
    if (cc_parse_check(p, v, "stream", CC_T_NULL | CC_T_BOOL, "a boolean")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (v != NULL && v->type != CC_JSON_NULL) {
        chat->stream = (v->type == CC_JSON_TRUE);
    }

    opts = cc_json_get(root, "stream_options");
    if (cc_parse_check(p, opts, "stream_options", CC_T_NULL | CC_T_OBJECT,
                       "an object")
        != CC_OK)
    {
        return CC_ERROR;
    }

    v = cc_json_get(opts, "include_usage");
    if (cc_parse_check(p, v, "stream_options.include_usage",
                       CC_T_NULL | CC_T_BOOL, "a boolean")
        != CC_OK)
    {
        return CC_ERROR;
    }

    chat->include_usage = (v != NULL && v->type == CC_JSON_TRUE);

    /* OpenAI allows 0..2, Bedrock 0..1: validate, then clamp */

    switch (cc_parse_sampling(p, root, "temperature", 2, 1,
                              &chat->temperature, &chat->temperature_text))
    {
    case CC_OK:
        chat->has_temperature = 1;
        break;
    case CC_DONE:
        break;
    default:
        return CC_ERROR;
    }

    switch (cc_parse_sampling(p, root, "top_p", 1, 0, &chat->top_p,
                              &chat->top_p_text))
    {
    case CC_OK:
        chat->has_top_p = 1;
        break;
    case CC_DONE:
        break;
    default:
        return CC_ERROR;
    }

    /* max_completion_tokens replaces the deprecated max_tokens */

    v = cc_json_get(root, "max_tokens");
    if (cc_parse_integer(p, v, "max_tokens", &n) != CC_OK) {
        return CC_ERROR;
    }

    chat->max_tokens = n;

    v = cc_json_get(root, "max_completion_tokens");
    if (cc_parse_integer(p, v, "max_completion_tokens", &n) != CC_OK) {
        return CC_ERROR;
    }

    if (n) {
        chat->max_tokens = n;
    }

    if (p->opts->max_tokens_limit > 0
        && (chat->max_tokens == 0
            || chat->max_tokens > p->opts->max_tokens_limit))
    {
        chat->max_tokens = p->opts->max_tokens_limit;
    }

    v = cc_json_get(root, "n");
    if (cc_parse_integer(p, v, "n", &n) != CC_OK) {
        return CC_ERROR;
    }

    if (n > 1) {
        return cc_parse_error(p, "unsupported_value", "n",
                              "Invalid 'n': %lld. Only n=1 is supported.",
                              (long long) n);
    }

    return CC_OK;
}


/* CC_OK when set, CC_DONE when absent or null, CC_ERROR */

static int
cc_parse_sampling(cc_parse_t *p, const cc_json_t *root, const char *name,
    double max, int clamp, double *out, cc_str_t *text)
{
    char        show[CC_SHOW_LEN + 4];
    double      d;
    cc_json_t  *v;

    v = cc_json_get(root, name);

    if (cc_parse_check(p, v, name, CC_T_NULL | CC_T_NUMBER, "a number")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (v == NULL || v->type == CC_JSON_NULL) {
        return CC_DONE;
    }

    cc_show(show, sizeof(show), v->str.data, v->str.len);

    if (cc_json_double(v, &d) != CC_OK) {
        return cc_parse_error(p, "invalid_value", name,
                              "Invalid '%s': expected a value between 0 and "
                              "%g, but got %s instead.", name, max, show);
    }

    if (d < 0) {
        return cc_parse_error(p, "decimal_below_min_value", name,
                              "Invalid '%s': decimal below minimum value. "
                              "Expected a value >= 0, but got %s instead.",
                              name, show);
    }

    if (d > max) {
        return cc_parse_error(p, "decimal_above_max_value", name,
                              "Invalid '%s': decimal above maximum value. "
                              "Expected a value <= %g, but got %s instead.",
                              name, max, show);
    }

    if (clamp && d > 1) {
        *out = 1;
        text->len = 1;
        text->data = (u_char *) "1";

    } else {
        *out = d;
        *text = v->str;
    }

    return CC_OK;
}


/* a positive integer parameter; *out is 0 when absent or null */

static int
cc_parse_integer(cc_parse_t *p, const cc_json_t *v, const char *name,
    int64_t *out)
{
    char     show[CC_SHOW_LEN + 4];
    int64_t  n;

    *out = 0;

    if (cc_parse_check(p, v, name, CC_T_NULL | CC_T_NUMBER, "an integer")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (v == NULL || v->type == CC_JSON_NULL) {
        return CC_OK;
    }

    if (memchr(v->str.data, '.', v->str.len)
        || memchr(v->str.data, 'e', v->str.len)
        || memchr(v->str.data, 'E', v->str.len))
    {
        return cc_parse_check(p, v, name, 0, "an integer");
    }

    cc_show(show, sizeof(show), v->str.data, v->str.len);

    if (cc_json_int(v, &n) != CC_OK) {
        n = (v->str.data[0] == '-') ? INT64_MIN : INT64_MAX;
    }

    if (n < 1) {
        return cc_parse_error(p, "integer_below_min_value", name,
                              "Invalid '%s': integer below minimum value. "
                              "Expected a value >= 1, but got %s instead.",
                              name, show);
    }

    if (n > CC_CHAT_MAX_TOKENS) {
        return cc_parse_error(p, "integer_above_max_value", name,
                              "Invalid '%s': integer above maximum value. "
                              "Expected a value <= %d, but got %s instead.",
                              name, CC_CHAT_MAX_TOKENS, show);
    }

    *out = n;

    return CC_OK;
}


static int
cc_parse_stop(cc_parse_t *p, const cc_json_t *root)
{
    char        path[CC_PATH_LEN];
    size_t      i;
    cc_json_t  *v, *s;
    cc_chat_t  *chat;

    chat = p->chat;

    v = cc_json_get(root, "stop");
    if (cc_parse_check(p, v, "stop", CC_T_NULL | CC_T_STRING | CC_T_ARRAY,
                       "a string or an array of strings")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (v == NULL || v->type == CC_JSON_NULL) {
        return CC_OK;
    }

    if (v->type == CC_JSON_STRING) {
        if (v->str.len) {
            chat->stop = (cc_str_t *) &v->str;
            chat->nstop = 1;
        }

        return CC_OK;
    }

    if (v->n > CC_CHAT_MAX_STOP) {
        return cc_parse_error(p, "array_above_max_length", "stop",
                              "Invalid 'stop': array too long. Expected an "
                              "array with maximum length %d, but got an "
                              "array with length %zu instead.",
                              CC_CHAT_MAX_STOP, v->n);
    }

    if (v->n == 0) {
        return CC_OK;
    }

    chat->stop = cc_alloc(p->alloc, v->n * sizeof(cc_str_t));
    if (chat->stop == NULL) {
        return cc_no_memory(p->err);
    }

    for (i = 0; i < v->n; i++) {
        s = v->values[i];

        cc_path(path, "stop[%zu]", i);

        if (cc_parse_check(p, s, path, CC_T_STRING, "a string") != CC_OK) {
            return CC_ERROR;
        }

        /* Bedrock takes non-empty stop sequences only */
        if (s->str.len) {
            chat->stop[chat->nstop++] = s->str;
        }
    }

    return CC_OK;
}


static int
cc_parse_tools(cc_parse_t *p, const cc_json_t *root)
{
    char            path[CC_PATH_LEN], sub[CC_PATH_LEN];
    size_t          i;
    cc_json_t      *tools, *t, *fn, *name, *desc, *params;
    cc_tool_t      *tool;
    cc_name_ref_t  *refs;

    tools = cc_json_get(root, "tools");
    if (cc_parse_check(p, tools, "tools", CC_T_NULL | CC_T_ARRAY, "an array")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (tools == NULL || tools->type == CC_JSON_NULL || tools->n == 0) {
        return CC_OK;
    }

    p->chat->tools = cc_calloc(p->alloc, tools->n * sizeof(cc_tool_t));
    refs = cc_alloc(p->alloc, tools->n * sizeof(cc_name_ref_t));

    if (p->chat->tools == NULL || refs == NULL) {
        return cc_no_memory(p->err);
    }

    for (i = 0; i < tools->n; i++) {
        t = tools->values[i];

        cc_path(path, "tools[%zu]", i);

        if (cc_parse_check(p, t, path, CC_T_OBJECT, "an object") != CC_OK) {
            return CC_ERROR;
        }

        if (cc_parse_function(p, t, path, &fn) != CC_OK) {
            return CC_ERROR;
        }

        cc_path(sub, "%s.function.name", path);

        name = cc_json_get(fn, "name");
        if (cc_parse_name(p, name, sub) != CC_OK) {
            return CC_ERROR;
        }

        cc_path(sub, "%s.function.description", path);

        desc = cc_json_get(fn, "description");
        if (cc_parse_check(p, desc, sub, CC_T_NULL | CC_T_STRING, "a string")
            != CC_OK)
        {
            return CC_ERROR;
        }

        tool = &p->chat->tools[i];
        tool->name = name->str;

        /* Bedrock rejects an empty description: leave it out */
        if (desc != NULL && desc->type == CC_JSON_STRING
            && !cc_is_blank(desc->str.data, desc->str.len))
        {
            tool->description = desc->str;
        }

        cc_path(sub, "%s.function.parameters", path);

        params = cc_json_get(fn, "parameters");
        if (cc_parse_schema(p, params, sub, &name->str, &tool->schema)
            != CC_OK)
        {
            return CC_ERROR;
        }

        refs[i].name = name->str;
        refs[i].index = i;
    }

    p->chat->ntools = tools->n;

    /* Bedrock rejects duplicate tool names; sorting keeps this O(n log n) */

    qsort(refs, tools->n, sizeof(cc_name_ref_t), cc_name_ref_cmp);

    for (i = 1; i < tools->n; i++) {
        if (cc_str_cmp(&refs[i - 1].name, &refs[i].name) == 0) {
            cc_path(path, "tools[%zu].function.name",
                     refs[i].index);

            return cc_parse_error(p, "invalid_value", path,
                                  "Invalid 'tools': duplicate function name "
                                  "'%s' at '%s'. Function names must be "
                                  "unique.", refs[i].name.data, path);
        }
    }

    return CC_OK;
}


/*
 * Bedrock wants a JSON Schema whose top level is an object type.  A
 * missing or empty schema (Vapi sends "parameters":{}) becomes
 * {"type":"object","properties":{}}; a schema without "type" gets
 * "type":"object" in front, one without "properties" gets "properties":{}
 * at the end (the same schema, spelled out); any other top-level type is
 * rejected as OpenAI does, since wrapping it would change the arguments
 * the model produces.
 */

static int
cc_parse_schema(cc_parse_t *p, const cc_json_t *params, const char *path,
    const cc_str_t *name, cc_json_t **out)
{
    char        show[CC_SHOW_LEN + 4];
    size_t      n, i;
    cc_json_t  *type, *schema;

    if (cc_parse_check(p, params, path, CC_T_NULL | CC_T_OBJECT,
                       "an object")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (params == NULL || params->type == CC_JSON_NULL || params->n == 0) {
        *out = cc_default_schema(p->alloc);
        return *out ? CC_OK : cc_no_memory(p->err);
    }

    type = cc_json_get(params, "type");

    if (type != NULL && !cc_json_is(type, "object")) {
        if (type->type == CC_JSON_STRING) {
            cc_show(show, sizeof(show), type->str.data, type->str.len);

        } else {
            snprintf(show, sizeof(show), "%s", cc_json_kind(type));
        }

        return cc_parse_error(p, "invalid_function_parameters", path,
                              "Invalid schema for function '%s': schema "
                              "must be a JSON Schema of 'type: \"object\"', "
                              "got 'type: \"%s\"'.", name->data, show);
    }

    if (type != NULL && cc_json_get(params, "properties") != NULL) {
        *out = (cc_json_t *) params;
        return CC_OK;
    }

    n = params->n + (type == NULL) + 1;

    schema = cc_json_object(p->alloc, n);
    if (schema == NULL) {
        return cc_no_memory(p->err);
    }

    n = 0;

    if (type == NULL) {
        schema->keys[n] = (cc_str_t) cc_string("type");
        schema->values[n] = cc_json_string(p->alloc, "object");
        if (schema->values[n++] == NULL) {
            return cc_no_memory(p->err);
        }
    }

    for (i = 0; i < params->n; i++) {
        schema->keys[n] = params->keys[i];
        schema->values[n++] = params->values[i];
    }

    if (cc_json_get(params, "properties") == NULL) {
        schema->keys[n] = (cc_str_t) cc_string("properties");
        schema->values[n] = cc_json_object(p->alloc, 0);
        if (schema->values[n++] == NULL) {
            return cc_no_memory(p->err);
        }
    }

    schema->n = n;
    *out = schema;

    return CC_OK;
}


static int
cc_parse_tool_choice(cc_parse_t *p, const cc_json_t *root)
{
    char                      show[CC_SHOW_LEN + 4];
    size_t                    i;
    cc_json_t                *v, *fn, *name;
    cc_chat_t                *chat;
    const cc_chat_options_t  *opts;

    chat = p->chat;
    opts = p->opts;

    v = cc_json_get(root, "tool_choice");
    if (cc_parse_check(p, v, "tool_choice",
                       CC_T_NULL | CC_T_STRING | CC_T_OBJECT,
                       "a string or an object")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (v == NULL || v->type == CC_JSON_NULL) {
        return CC_OK;
    }

    if (v->type == CC_JSON_STRING) {
        if (cc_json_is(v, "none")) {
            chat->tool_choice = CC_TOOL_CHOICE_NONE;

        } else if (cc_json_is(v, "auto")) {
            chat->tool_choice = CC_TOOL_CHOICE_AUTO;

        } else if (cc_json_is(v, "required")) {
            chat->tool_choice = CC_TOOL_CHOICE_REQUIRED;

        } else {
            cc_show(show, sizeof(show), v->str.data, v->str.len);

            return cc_parse_error(p, "invalid_value", "tool_choice",
                                  "Invalid value for 'tool_choice': '%s'. "
                                  "Supported values are: 'none', 'auto' and "
                                  "'required'.", show);
        }

        /* "auto" without tools is harmless and simply has no effect */
        if (chat->tool_choice == CC_TOOL_CHOICE_REQUIRED
            && chat->ntools == 0 && opts->nserver_tools == 0)
        {
            goto no_tools;
        }

        return CC_OK;
    }

    if (cc_parse_function(p, v, "tool_choice", &fn) != CC_OK) {
        return CC_ERROR;
    }

    name = cc_json_get(fn, "name");
    if (name == NULL) {
        return cc_parse_missing(p, "tool_choice.function.name");
    }

    if (cc_parse_check(p, name, "tool_choice.function.name", CC_T_STRING,
                       "a string")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (chat->ntools == 0 && opts->nserver_tools == 0) {
        goto no_tools;
    }

    chat->tool_choice = CC_TOOL_CHOICE_NAMED;
    chat->tool_choice_name = name->str;

    /* the request's tools, or one the server runs itself */

    for (i = 0; i < chat->ntools; i++) {
        if (cc_str_cmp(&chat->tools[i].name, &name->str) == 0) {
            return CC_OK;
        }
    }

    for (i = 0; i < opts->nserver_tools; i++) {
        if (cc_str_cmp(&opts->server_tools[i].name, &name->str) == 0) {
            return CC_OK;
        }
    }

    cc_show(show, sizeof(show), name->str.data, name->str.len);

    return cc_parse_error(p, "invalid_value", "tool_choice",
                          "Invalid value for 'tool_choice': function '%s' "
                          "is not among the functions in 'tools'.", show);

no_tools:

    return cc_parse_error(p, "invalid_value", "tool_choice",
                          "Invalid value for 'tool_choice': 'tool_choice' "
                          "is only allowed when 'tools' are specified.");
}


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
        return cc_parse_error(p, "empty_string", path,
                              "Invalid '%s': empty string. Expected a "
                              "string with minimum length 1, but got an "
                              "empty string instead.", path);
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


int
cc_str_cmp(const cc_str_t *s1, const cc_str_t *s2)
{
    int  rc;

    rc = memcmp(s1->data, s2->data, s1->len < s2->len ? s1->len : s2->len);
    if (rc != 0) {
        return rc;
    }

    return (s1->len > s2->len) - (s1->len < s2->len);
}


int
cc_name_ref_cmp(const void *one, const void *two)
{
    int                   rc;
    const cc_name_ref_t  *n1, *n2;

    n1 = one;
    n2 = two;

    rc = cc_str_cmp(&n1->name, &n2->name);
    if (rc != 0) {
        return rc;
    }

    return (n1->index > n2->index) - (n1->index < n2->index);
}


int
cc_json_is(const cc_json_t *v, const char *s)
{
    size_t  len;

    if (v == NULL || v->type != CC_JSON_STRING) {
        return 0;
    }

    len = strlen(s);

    return v->str.len == len && memcmp(v->str.data, s, len) == 0;
}


/* how OpenAI names a value's type in its messages */

static const char *
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

    memcpy(buf, s, n);

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
