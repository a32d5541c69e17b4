
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc_chat.h"
#include "cc_messages.h"
#include "cc_turns.h"


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


int
cc_chat_parse(cc_alloc_t *a, const cc_json_t *root,
    const cc_chat_options_t *opts, cc_chat_t *chat, cc_error_t *err)
{
    int                       rc;
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

    rc = cc_normalize(a, chat, p.opts, raw, nraw);

    if (rc == CC_DONE) {
        return cc_parse_error(&p, "invalid_value", "messages",
                              "Invalid 'messages': no user or assistant "
                              "message with non-empty content was found. "
                              "At least one is required.");
    }

    return (rc == CC_OK) ? CC_OK : cc_no_memory(err);
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
        if (v->str.len == 0) {
            return cc_parse_empty(p, "stop");
        }

        chat->stop = (cc_str_t *) &v->str;
        chat->nstop = 1;

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

        /* Bedrock takes non-empty stop sequences only, as does OpenAI */
        if (s->str.len == 0) {
            return cc_parse_empty(p, path);
        }

        chat->stop[chat->nstop++] = s->str;
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
