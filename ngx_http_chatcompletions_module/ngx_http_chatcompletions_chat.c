
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_chatcompletions_chat.h"
#include "ngx_http_chatcompletions_chat_int.h"


/* a JSON path such as messages[12].tool_calls[3].function.arguments */
#define CC_PATH_LEN          192

/* how much of a client's value an error message quotes */
#define CC_SHOW_LEN          48

#define CC_MSG_LEN           768

/* type masks for cc_parse_check() */
#define CC_T_NULL            (1 << CC_JSON_NULL)
#define CC_T_BOOL            ((1 << CC_JSON_FALSE) | (1 << CC_JSON_TRUE))
#define CC_T_NUMBER          (1 << CC_JSON_NUMBER)
#define CC_T_STRING          (1 << CC_JSON_STRING)
#define CC_T_ARRAY           (1 << CC_JSON_ARRAY)
#define CC_T_OBJECT          (1 << CC_JSON_OBJECT)

#define CC_EXPECT_CONTENT    "a string or an array of content parts"


typedef struct {
    cc_alloc_t               *alloc;
    const cc_chat_options_t  *opts;
    cc_chat_t                *chat;
    cc_error_t               *err;
} cc_parse_t;


/* a toolUse id of the previous turn, sorted for the pairing check */
typedef struct {
    cc_str_t                 *id;
    size_t                    ord;
} cc_use_ref_t;


static int cc_parse_messages(cc_parse_t *p, const cc_json_t *root,
    cc_message_t **raw, size_t *nraw);
static int cc_parse_message(cc_parse_t *p, const cc_json_t *m,
    const char *path, cc_message_t *out, int *skip);
static int cc_parse_parts(cc_parse_t *p, const cc_json_t *content,
    const char *path, int assistant, cc_str_t **texts, size_t *n);
static int cc_parse_tool_calls(cc_parse_t *p, const cc_json_t *calls,
    const char *path, cc_message_t *msg);
static int cc_parse_tool_result(cc_parse_t *p, const cc_json_t *m,
    const char *path, cc_message_t *msg);
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
static int cc_parse_function(cc_parse_t *p, const cc_json_t *v,
    const char *path, cc_json_t **fn);
static int cc_parse_name(cc_parse_t *p, const cc_json_t *v,
    const char *path);
static int cc_normalize(cc_parse_t *p, cc_message_t *raw, size_t nraw);
static int cc_pair_turn(cc_alloc_t *a, const cc_message_t *prev,
    cc_message_t *m);
static int cc_find_use(cc_use_ref_t *uses, size_t n, u_char *used,
    const cc_str_t *id);
static int cc_use_ref_cmp(const void *one, const void *two);
static int cc_tool_id(cc_alloc_t *a, const cc_str_t *id, cc_str_t *out);
static int cc_block_is_blank(const cc_block_t *b);
static int cc_json_is(const cc_json_t *v, const char *s);
static const char *cc_json_kind(const cc_json_t *v);
static void cc_show(char *buf, size_t size, const u_char *s, size_t len);
static int cc_parse_check(cc_parse_t *p, const cc_json_t *v,
    const char *path, unsigned mask, const char *expected);
static int cc_parse_error(cc_parse_t *p, const char *code,
    const char *param, const char *fmt, ...);
static int cc_parse_missing(cc_parse_t *p, const char *path);
static void cc_path(char *buf, const char *fmt, ...);
static int cc_no_memory(cc_error_t *err);
static void *cc_array_grow(cc_alloc_t *a, void *elts, size_t size, size_t n,
    size_t *nalloc, size_t need);
static cc_json_t *cc_json_object(cc_alloc_t *a, size_t n);
static cc_json_t *cc_json_string(cc_alloc_t *a, const char *s);


static cc_str_t  cc_default_first_user_text = cc_string("Hello.");
static cc_str_t  cc_no_result_text =
    cc_string("No result was provided for this tool call.");

cc_str_t  cc_empty_result_text = cc_string("(empty result)");


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
cc_parse_messages(cc_parse_t *p, const cc_json_t *root, cc_message_t **raw,
    size_t *nraw)
{
    int                skip;
    char               path[CC_PATH_LEN];
    size_t             i, n, nsys;
    cc_json_t         *msgs, *m, *c;
    cc_message_t      *out;
    const cc_str_t    *prompt;

    msgs = cc_json_get(root, "messages");

    if (msgs == NULL || msgs->type == CC_JSON_NULL) {
        return cc_parse_missing(p, "messages");
    }

    if (cc_parse_check(p, msgs, "messages", CC_T_ARRAY, "an array")
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (msgs->n == 0) {
        return cc_parse_error(p, "empty_array", "messages",
                              "Invalid 'messages': empty array. Expected an "
                              "array with minimum length 1, but got an empty "
                              "array instead.");
    }

    /* an upper bound of the system texts, to size the array once */

    nsys = 1;

    for (i = 0; i < msgs->n; i++) {
        c = cc_json_get(msgs->values[i], "content");
        nsys += (c != NULL && c->type == CC_JSON_ARRAY) ? c->n : 1;
    }

    p->chat->system = cc_alloc(p->alloc, nsys * sizeof(cc_str_t));
    out = cc_calloc(p->alloc, msgs->n * sizeof(cc_message_t));

    if (p->chat->system == NULL || out == NULL) {
        return cc_no_memory(p->err);
    }

    /* the configured prompt goes before the request's own */

    prompt = &p->opts->system_prompt;

    if (prompt->len && !cc_is_blank(prompt->data, prompt->len)) {
        p->chat->system[p->chat->nsystem++] = *prompt;
    }

    n = 0;

    for (i = 0; i < msgs->n; i++) {
        m = msgs->values[i];

        cc_path(path, "messages[%zu]", i);

        if (cc_parse_message(p, m, path, &out[n], &skip) != CC_OK) {
            return CC_ERROR;
        }

        if (!skip) {
            n++;
        }
    }

    *raw = out;
    *nraw = n;

    return CC_OK;
}


static int
cc_parse_message(cc_parse_t *p, const cc_json_t *m, const char *path,
    cc_message_t *out, int *skip)
{
    char         sub[CC_PATH_LEN], show[CC_SHOW_LEN + 4];
    size_t       i, n;
    cc_str_t    *texts;
    cc_json_t   *role, *content, *calls;
    cc_chat_t   *chat;
    cc_block_t  *b;

    chat = p->chat;
    *skip = 0;

    if (cc_parse_check(p, m, path, CC_T_OBJECT, "an object") != CC_OK) {
        return CC_ERROR;
    }

    cc_path(sub, "%s.role", path);

    role = cc_json_get(m, "role");
    if (role == NULL) {
        return cc_parse_missing(p, sub);
    }

    if (cc_parse_check(p, role, sub, CC_T_STRING, "a string") != CC_OK) {
        return CC_ERROR;
    }

    if (cc_json_is(role, "function")) {
        return cc_parse_error(p, "unsupported_value", sub,
                              "Invalid value for '%s': 'function'. The "
                              "legacy 'function' role is not supported; "
                              "send the result as a 'tool' message with a "
                              "'tool_call_id' instead.", sub);
    }

    if (!cc_json_is(role, "system") && !cc_json_is(role, "developer")
        && !cc_json_is(role, "user") && !cc_json_is(role, "assistant")
        && !cc_json_is(role, "tool"))
    {
        cc_show(show, sizeof(show), role->str.data, role->str.len);

        return cc_parse_error(p, "invalid_value", sub,
                              "Invalid value for '%s': '%s'. Supported "
                              "values are: 'system', 'developer', 'user', "
                              "'assistant' and 'tool'.", sub, show);
    }

    if (cc_json_is(role, "tool")) {
        out->role = CC_ROLE_USER;
        return cc_parse_tool_result(p, m, path, out);
    }

    cc_path(sub, "%s.content", path);

    content = cc_json_get(m, "content");

    if (cc_json_is(role, "assistant")) {
        out->role = CC_ROLE_ASSISTANT;

        /* content may be absent or null next to tool_calls */
        if (cc_parse_check(p, content, sub,
                           CC_T_NULL | CC_T_STRING | CC_T_ARRAY,
                           CC_EXPECT_CONTENT)
            != CC_OK)
        {
            return CC_ERROR;
        }

    } else {
        out->role = CC_ROLE_USER;

        if (content == NULL) {
            return cc_parse_missing(p, sub);
        }

        if (cc_parse_check(p, content, sub, CC_T_STRING | CC_T_ARRAY,
                           CC_EXPECT_CONTENT)
            != CC_OK)
        {
            return CC_ERROR;
        }
    }

    texts = NULL;
    n = 0;

    if (content != NULL && content->type != CC_JSON_NULL) {
        if (cc_parse_parts(p, content, sub, out->role == CC_ROLE_ASSISTANT,
                           &texts, &n)
            != CC_OK)
        {
            return CC_ERROR;
        }
    }

    if (cc_json_is(role, "system") || cc_json_is(role, "developer")) {

        /*
         * Bedrock has one system list, so system and developer messages
         * are hoisted there in order wherever they appear
         */
        for (i = 0; i < n; i++) {
            if (!cc_is_blank(texts[i].data, texts[i].len)) {
                chat->system[chat->nsystem++] = texts[i];
            }
        }

        *skip = 1;
        return CC_OK;
    }

    calls = NULL;

    if (out->role == CC_ROLE_ASSISTANT) {
        cc_path(sub, "%s.tool_calls", path);

        calls = cc_json_get(m, "tool_calls");
        if (cc_parse_check(p, calls, sub, CC_T_NULL | CC_T_ARRAY, "an array")
            != CC_OK)
        {
            return CC_ERROR;
        }

        if (calls != NULL && calls->type != CC_JSON_ARRAY) {
            calls = NULL;
        }
    }

    out->nalloc = n + (calls ? calls->n : 0);

    if (out->nalloc) {
        out->blocks = cc_calloc(p->alloc, out->nalloc * sizeof(cc_block_t));
        if (out->blocks == NULL) {
            return cc_no_memory(p->err);
        }
    }

    for (i = 0; i < n; i++) {
        b = &out->blocks[out->nblocks++];
        b->type = CC_BLOCK_TEXT;
        b->text = texts[i];
    }

    if (calls != NULL) {
        return cc_parse_tool_calls(p, calls, sub, out);
    }

    return CC_OK;
}


/*
 * Content as a string or as text parts; every part becomes one text (an
 * assistant's refusal parts count as text).  The strings point into the
 * DOM.
 */

static int
cc_parse_parts(cc_parse_t *p, const cc_json_t *content, const char *path,
    int assistant, cc_str_t **texts, size_t *n)
{
    char             sub[CC_PATH_LEN], tpath[CC_PATH_LEN];
    char             show[CC_SHOW_LEN + 4];
    size_t           i;
    cc_str_t        *out;
    cc_json_t       *part, *type, *text;
    const char      *field;

    if (content->type == CC_JSON_STRING) {
        *texts = (cc_str_t *) &content->str;
        *n = 1;
        return CC_OK;
    }

    out = cc_alloc(p->alloc, (content->n ? content->n : 1) * sizeof(cc_str_t));
    if (out == NULL) {
        return cc_no_memory(p->err);
    }

    for (i = 0; i < content->n; i++) {
        part = content->values[i];

        cc_path(sub, "%s[%zu]", path, i);

        if (cc_parse_check(p, part, sub, CC_T_OBJECT, "an object")
            != CC_OK)
        {
            return CC_ERROR;
        }

        cc_path(tpath, "%s.type", sub);

        type = cc_json_get(part, "type");
        if (type == NULL) {
            return cc_parse_missing(p, tpath);
        }

        if (cc_parse_check(p, type, tpath, CC_T_STRING, "a string")
            != CC_OK)
        {
            return CC_ERROR;
        }

        if (cc_json_is(type, "text")) {
            field = "text";

        } else if (assistant && cc_json_is(type, "refusal")) {
            field = "refusal";

        } else if (cc_json_is(type, "image_url")
                   || cc_json_is(type, "input_audio")
                   || cc_json_is(type, "file"))
        {
            return cc_parse_error(p, "unsupported_value", tpath,
                                  "Invalid value for '%s': '%s'. Content "
                                  "parts of type '%s' are not supported by "
                                  "this server; only 'text' parts are.",
                                  tpath, type->str.data, type->str.data);

        } else {
            cc_show(show, sizeof(show), type->str.data, type->str.len);

            return cc_parse_error(p, "invalid_value", tpath,
                                  "Invalid value for '%s': '%s'. Supported "
                                  "values are: %s.", tpath, show,
                                  assistant ? "'text' and 'refusal'"
                                            : "'text'");
        }

        cc_path(tpath, "%s.%s", sub, field);

        text = cc_json_get(part, field);
        if (text == NULL) {
            return cc_parse_missing(p, tpath);
        }

        if (cc_parse_check(p, text, tpath, CC_T_STRING, "a string")
            != CC_OK)
        {
            return CC_ERROR;
        }

        out[i] = text->str;
    }

    *texts = out;
    *n = content->n;

    return CC_OK;
}


static int
cc_parse_tool_calls(cc_parse_t *p, const cc_json_t *calls, const char *path,
    cc_message_t *msg)
{
    char         sub[CC_PATH_LEN], fpath[CC_PATH_LEN], errbuf[64];
    size_t       i;
    cc_json_t   *call, *id, *fn, *name, *args, *input;
    cc_block_t  *b;

    for (i = 0; i < calls->n; i++) {
        call = calls->values[i];

        cc_path(sub, "%s[%zu]", path, i);

        if (cc_parse_check(p, call, sub, CC_T_OBJECT, "an object")
            != CC_OK)
        {
            return CC_ERROR;
        }

        cc_path(fpath, "%s.id", sub);

        id = cc_json_get(call, "id");
        if (id == NULL) {
            return cc_parse_missing(p, fpath);
        }

        if (cc_parse_check(p, id, fpath, CC_T_STRING, "a string") != CC_OK) {
            return CC_ERROR;
        }

        if (cc_parse_function(p, call, sub, &fn) != CC_OK) {
            return CC_ERROR;
        }

        cc_path(fpath, "%s.function.name", sub);

        name = cc_json_get(fn, "name");
        if (cc_parse_name(p, name, fpath) != CC_OK) {
            return CC_ERROR;
        }

        cc_path(fpath, "%s.function.arguments", sub);

        args = cc_json_get(fn, "arguments");
        if (cc_parse_check(p, args, fpath,
                           CC_T_NULL | CC_T_STRING | CC_T_OBJECT, "a string")
            != CC_OK)
        {
            return CC_ERROR;
        }

        /*
         * arguments is a JSON string the model wrote, possibly invalid or
         * empty; Bedrock needs an object, so anything else becomes {}
         */

        input = NULL;

        if (args != NULL && args->type == CC_JSON_OBJECT) {
            input = args;

        } else if (args != NULL && args->type == CC_JSON_STRING
                   && !cc_is_blank(args->str.data, args->str.len))
        {
            errbuf[0] = '\0';

            input = cc_json_parse(p->alloc, args->str.data, args->str.len,
                                  errbuf, sizeof(errbuf));

            /* a bad document is the model's fault, no memory is ours */
            if (input == NULL && strcmp(errbuf, "out of memory") == 0) {
                return cc_no_memory(p->err);
            }

            if (input != NULL && input->type != CC_JSON_OBJECT) {
                input = NULL;
            }
        }

        if (input == NULL) {
            input = cc_json_object(p->alloc, 0);
            if (input == NULL) {
                return cc_no_memory(p->err);
            }
        }

        b = &msg->blocks[msg->nblocks++];
        b->type = CC_BLOCK_TOOL_USE;
        b->name = name->str;
        b->input = input;

        if (cc_tool_id(p->alloc, &id->str, &b->id) != CC_OK) {
            return cc_no_memory(p->err);
        }
    }

    return CC_OK;
}


static int
cc_parse_tool_result(cc_parse_t *p, const cc_json_t *m, const char *path,
    cc_message_t *msg)
{
    char         sub[CC_PATH_LEN], errbuf[64];
    u_char      *s;
    size_t       i, n, len;
    cc_str_t    *texts, text;
    cc_json_t   *id, *content, *json;
    cc_block_t  *b;

    cc_path(sub, "%s.tool_call_id", path);

    id = cc_json_get(m, "tool_call_id");
    if (id == NULL) {
        return cc_parse_missing(p, sub);
    }

    if (cc_parse_check(p, id, sub, CC_T_STRING, "a string") != CC_OK) {
        return CC_ERROR;
    }

    cc_path(sub, "%s.content", path);

    content = cc_json_get(m, "content");
    if (content == NULL) {
        return cc_parse_missing(p, sub);
    }

    if (cc_parse_check(p, content, sub, CC_T_STRING | CC_T_ARRAY,
                       CC_EXPECT_CONTENT)
        != CC_OK)
    {
        return CC_ERROR;
    }

    if (cc_parse_parts(p, content, sub, 0, &texts, &n) != CC_OK) {
        return CC_ERROR;
    }

    /*
     * one toolResult carries one text here: parts are joined with "\n",
     * which also keeps a JSON document split across parts valid
     */

    if (n == 1) {
        text = texts[0];

    } else {
        len = 0;
        for (i = 0; i < n; i++) {
            len += texts[i].len + 1;
        }

        s = cc_alloc(p->alloc, len + 1);
        if (s == NULL) {
            return cc_no_memory(p->err);
        }

        text.data = s;

        for (i = 0; i < n; i++) {
            if (i) {
                *s++ = '\n';
            }

            memcpy(s, texts[i].data, texts[i].len);
            s += texts[i].len;
        }

        *s = '\0';
        text.len = s - text.data;
    }

    msg->blocks = cc_calloc(p->alloc, sizeof(cc_block_t));
    if (msg->blocks == NULL) {
        return cc_no_memory(p->err);
    }

    msg->nblocks = 1;
    msg->nalloc = 1;

    b = &msg->blocks[0];
    b->type = CC_BLOCK_TOOL_RESULT;
    b->result_text = text;

    if (cc_tool_id(p->alloc, &id->str, &b->id) != CC_OK) {
        return cc_no_memory(p->err);
    }

    /* Bedrock's {"json":...} result content takes an object only */

    for (i = 0; i < text.len; i++) {
        if (text.data[i] != ' ' && text.data[i] != '\t'
            && text.data[i] != '\r' && text.data[i] != '\n')
        {
            break;
        }
    }

    if (i < text.len && text.data[i] == '{') {
        errbuf[0] = '\0';

        json = cc_json_parse(p->alloc, text.data, text.len, errbuf,
                             sizeof(errbuf));

        if (json == NULL && strcmp(errbuf, "out of memory") == 0) {
            return cc_no_memory(p->err);
        }

        if (json != NULL && json->type == CC_JSON_OBJECT) {
            b->result_json = json;
        }
    }

    return CC_OK;
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

static int
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

static int
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


/*
 * PROTOCOLS 8.2: blank text dropped, empty messages dropped, same-role
 * neighbours merged (toolResults first in a user message), every toolUse
 * answered in the next turn, and a user turn first.
 */

static int
cc_normalize(cc_parse_t *p, cc_message_t *raw, size_t nraw)
{
    size_t         i, j, k, total;
    cc_role_e      role;
    cc_chat_t     *chat;
    cc_block_t    *blocks;
    cc_message_t  *m;

    chat = p->chat;

    for (i = 0; i < nraw; i++) {
        k = 0;

        for (j = 0; j < raw[i].nblocks; j++) {
            if (!cc_block_is_blank(&raw[i].blocks[j])) {
                raw[i].blocks[k++] = raw[i].blocks[j];
            }
        }

        raw[i].nblocks = k;
    }

    /* room for a synthetic user turn at each end */

    chat->nalloc = nraw + 2;
    chat->messages = cc_calloc(p->alloc,
                               chat->nalloc * sizeof(cc_message_t));
    if (chat->messages == NULL) {
        return cc_no_memory(p->err);
    }

    i = 0;

    while (i < nraw) {
        if (raw[i].nblocks == 0) {
            i++;
            continue;
        }

        /* a run of same-role messages, empty ones in between ignored */

        role = raw[i].role;
        total = 0;

        for (j = i; j < nraw; j++) {
            if (raw[j].nblocks == 0) {
                continue;
            }

            if (raw[j].role != role) {
                break;
            }

            total += raw[j].nblocks;
        }

        blocks = cc_alloc(p->alloc, total * sizeof(cc_block_t));
        if (blocks == NULL) {
            return cc_no_memory(p->err);
        }

        m = &chat->messages[chat->nmessages++];
        m->role = role;
        m->blocks = blocks;
        m->nalloc = total;

        if (role == CC_ROLE_USER) {
            for (k = i; k < j; k++) {
                for (total = 0; total < raw[k].nblocks; total++) {
                    if (raw[k].blocks[total].type == CC_BLOCK_TOOL_RESULT) {
                        blocks[m->nblocks++] = raw[k].blocks[total];
                    }
                }
            }
        }

        for (k = i; k < j; k++) {
            for (total = 0; total < raw[k].nblocks; total++) {
                if (role != CC_ROLE_USER
                    || raw[k].blocks[total].type != CC_BLOCK_TOOL_RESULT)
                {
                    blocks[m->nblocks++] = raw[k].blocks[total];
                }
            }
        }

        i = j;
    }

    if (chat->nmessages == 0) {
        return cc_parse_error(p, "invalid_value", "messages",
                              "Invalid 'messages': no user or assistant "
                              "message with non-empty content was found. "
                              "At least one is required.");
    }

    /* a history ending in unanswered tool calls gets a turn to answer */

    m = &chat->messages[chat->nmessages - 1];

    if (m->role == CC_ROLE_ASSISTANT) {
        for (j = 0; j < m->nblocks; j++) {
            if (m->blocks[j].type == CC_BLOCK_TOOL_USE) {
                chat->messages[chat->nmessages++].role = CC_ROLE_USER;
                break;
            }
        }
    }

    for (i = 0; i < chat->nmessages; i++) {
        if (chat->messages[i].role != CC_ROLE_USER) {
            continue;
        }

        if (cc_pair_turn(p->alloc, i ? &chat->messages[i - 1] : NULL,
                         &chat->messages[i])
            != CC_OK)
        {
            return cc_no_memory(p->err);
        }
    }

    /*
     * Vapi sends its spoken greeting as the first, assistant, message;
     * Bedrock wants a user turn first, and the greeting must stay so
     * the model knows what the caller heard
     */

    if (chat->messages[0].role == CC_ROLE_ASSISTANT) {
        blocks = cc_calloc(p->alloc, sizeof(cc_block_t));
        if (blocks == NULL) {
            return cc_no_memory(p->err);
        }

        blocks->type = CC_BLOCK_TEXT;
        blocks->text = p->opts->first_user_text;

        if (blocks->text.len == 0
            || cc_is_blank(blocks->text.data, blocks->text.len))
        {
            blocks->text = cc_default_first_user_text;
        }

        memmove(&chat->messages[1], &chat->messages[0],
                chat->nmessages * sizeof(cc_message_t));

        m = &chat->messages[0];
        m->role = CC_ROLE_USER;
        m->blocks = blocks;
        m->nblocks = 1;
        m->nalloc = 1;

        chat->nmessages++;
    }

    return CC_OK;
}


/*
 * Bedrock 400s a turn whose toolResults do not answer exactly the
 * previous turn's toolUses (PROTOCOLS 8.2 step 7), and clients or Vapi
 * may drop one side.  A toolUse left unanswered gets an error result; a
 * result answering nothing becomes text, so what it said is not lost.
 * The user message m is rebuilt only when something changes.
 */

static int
cc_pair_turn(cc_alloc_t *a, const cc_message_t *prev, cc_message_t *m)
{
    int            matched;
    u_char        *used, *s;
    size_t         i, k, nuse, nres, nmissing, norphan, len;
    cc_block_t    *blocks, *b;
    cc_use_ref_t  *uses;

    nuse = 0;

    if (prev != NULL && prev->role == CC_ROLE_ASSISTANT) {
        for (i = 0; i < prev->nblocks; i++) {
            nuse += (prev->blocks[i].type == CC_BLOCK_TOOL_USE);
        }
    }

    nres = 0;

    for (i = 0; i < m->nblocks; i++) {
        nres += (m->blocks[i].type == CC_BLOCK_TOOL_RESULT);
    }

    if (nuse == 0 && nres == 0) {
        return CC_OK;
    }

    uses = NULL;
    used = NULL;

    if (nuse) {
        uses = cc_alloc(a, nuse * sizeof(cc_use_ref_t));
        used = cc_calloc(a, nuse);
        if (uses == NULL || used == NULL) {
            return CC_ERROR;
        }

        k = 0;

        for (i = 0; i < prev->nblocks; i++) {
            if (prev->blocks[i].type == CC_BLOCK_TOOL_USE) {
                uses[k].id = &prev->blocks[i].id;
                uses[k].ord = k;
                k++;
            }
        }

        qsort(uses, nuse, sizeof(cc_use_ref_t), cc_use_ref_cmp);
    }

    norphan = 0;

    for (i = 0; i < m->nblocks; i++) {
        b = &m->blocks[i];

        if (b->type != CC_BLOCK_TOOL_RESULT) {
            continue;
        }

        matched = nuse ? cc_find_use(uses, nuse, used, &b->id) : 0;

        if (!matched) {
            norphan++;
        }
    }

    nmissing = nuse - (nres - norphan);

    if (norphan == 0 && nmissing == 0) {
        return CC_OK;
    }

    blocks = cc_calloc(a, (m->nblocks + nmissing) * sizeof(cc_block_t));
    if (blocks == NULL) {
        return CC_ERROR;
    }

    /* answered results, in order; matching again gives the same verdicts */

    if (nuse) {
        memset(used, 0, nuse);
    }

    k = 0;

    for (i = 0; i < m->nblocks; i++) {
        b = &m->blocks[i];

        if (b->type == CC_BLOCK_TOOL_RESULT
            && nuse && cc_find_use(uses, nuse, used, &b->id))
        {
            blocks[k++] = *b;
        }
    }

    /* unanswered uses, in the assistant's order: ordinals count them */

    for (i = 0, len = 0; nmissing && i < prev->nblocks; i++) {
        b = &prev->blocks[i];

        if (b->type != CC_BLOCK_TOOL_USE || used[len++]) {
            continue;
        }

        blocks[k].type = CC_BLOCK_TOOL_RESULT;
        blocks[k].id = b->id;
        blocks[k].result_text = cc_no_result_text;
        blocks[k].is_error = 1;
        k++;
    }

    /* orphans: text, re-matched the same way to tell them apart */

    if (nuse) {
        memset(used, 0, nuse);
    }

    for (i = 0; i < m->nblocks; i++) {
        b = &m->blocks[i];

        if (b->type != CC_BLOCK_TOOL_RESULT
            || (nuse && cc_find_use(uses, nuse, used, &b->id)))
        {
            continue;
        }

        len = sizeof("Tool result (): ") - 1 + b->id.len
              + (b->result_text.len ? b->result_text.len
                                    : cc_empty_result_text.len);

        s = cc_alloc(a, len + 1);
        if (s == NULL) {
            return CC_ERROR;
        }

        blocks[k].type = CC_BLOCK_TEXT;
        blocks[k].text.data = s;
        blocks[k].text.len = len;

        s = (u_char *) memcpy(s, "Tool result (", 13) + 13;
        s = (u_char *) memcpy(s, b->id.data, b->id.len) + b->id.len;
        s = (u_char *) memcpy(s, "): ", 3) + 3;

        if (b->result_text.len) {
            memcpy(s, b->result_text.data, b->result_text.len);
            s += b->result_text.len;

        } else {
            memcpy(s, cc_empty_result_text.data, cc_empty_result_text.len);
            s += cc_empty_result_text.len;
        }

        *s = '\0';
        k++;
    }

    for (i = 0; i < m->nblocks; i++) {
        if (m->blocks[i].type != CC_BLOCK_TOOL_RESULT) {
            blocks[k++] = m->blocks[i];
        }
    }

    m->blocks = blocks;
    m->nblocks = k;
    m->nalloc = k;

    return CC_OK;
}


/* marks and returns 1 for the first unused toolUse with this id */

static int
cc_find_use(cc_use_ref_t *uses, size_t n, u_char *used, const cc_str_t *id)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (cc_str_cmp(uses[mid].id, id) < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    for ( /* void */ ; lo < n && cc_str_cmp(uses[lo].id, id) == 0; lo++) {
        if (!used[uses[lo].ord]) {
            used[uses[lo].ord] = 1;
            return 1;
        }
    }

    return 0;
}


int
cc_chat_append_message(cc_alloc_t *a, cc_chat_t *chat, cc_role_e role,
    const cc_block_t *blocks, size_t n)
{
    size_t         i, k, lead;
    cc_message_t  *m;

    k = 0;

    for (i = 0; i < n; i++) {
        k += !cc_block_is_blank(&blocks[i]);
    }

    if (k == 0) {
        return CC_OK;
    }

    if (chat->nmessages
        && chat->messages[chat->nmessages - 1].role == role)
    {
        m = &chat->messages[chat->nmessages - 1];

    } else {
        chat->messages = cc_array_grow(a, chat->messages,
                                       sizeof(cc_message_t), chat->nmessages,
                                       &chat->nalloc, chat->nmessages + 1);
        if (chat->messages == NULL) {
            return CC_ERROR;
        }

        m = &chat->messages[chat->nmessages++];
        memset(m, 0, sizeof(cc_message_t));
        m->role = role;
    }

    m->blocks = cc_array_grow(a, m->blocks, sizeof(cc_block_t), m->nblocks,
                              &m->nalloc, m->nblocks + k);
    if (m->blocks == NULL) {
        return CC_ERROR;
    }

    lead = 0;

    while (lead < m->nblocks
           && m->blocks[lead].type == CC_BLOCK_TOOL_RESULT)
    {
        lead++;
    }

    for (i = 0; i < n; i++) {
        if (cc_block_is_blank(&blocks[i])) {
            continue;
        }

        if (role == CC_ROLE_USER
            && blocks[i].type == CC_BLOCK_TOOL_RESULT
            && lead < m->nblocks)
        {
            memmove(&m->blocks[lead + 1], &m->blocks[lead],
                    (m->nblocks - lead) * sizeof(cc_block_t));
            m->blocks[lead++] = blocks[i];
            m->nblocks++;
            continue;
        }

        if (blocks[i].type == CC_BLOCK_TOOL_RESULT && lead == m->nblocks) {
            lead++;
        }

        m->blocks[m->nblocks++] = blocks[i];
    }

    return CC_OK;
}


/*
 * An id Bedrock would reject becomes "call_" and the 64-bit FNV-1a hash of
 * the original in hex: deterministic, so an assistant's tool_calls[].id
 * and the tool message's tool_call_id still match after the rewrite.
 */

static int
cc_tool_id(cc_alloc_t *a, const cc_str_t *id, cc_str_t *out)
{
    size_t              i;
    u_char             *p;
    unsigned long long  h;

    if (cc_tool_id_valid(id)) {
        *out = *id;
        return CC_OK;
    }

    h = 14695981039346656037ULL;

    for (i = 0; i < id->len; i++) {
        h ^= id->data[i];
        h *= 1099511628211ULL;
    }

    p = cc_alloc(a, sizeof("call_") - 1 + 16 + 1);
    if (p == NULL) {
        return CC_ERROR;
    }

    out->len = snprintf((char *) p, sizeof("call_") - 1 + 16 + 1,
                        "call_%016llx", h);
    out->data = p;

    return CC_OK;
}


/*
 * Whitespace-only counts as blank for Bedrock.  Besides ASCII whitespace
 * and control characters this takes the Unicode spaces Java's
 * Character.isWhitespace() knows, so a text Bedrock would call blank is
 * dropped here rather than failing the whole request.
 */

int
cc_is_blank(const u_char *p, size_t len)
{
    uint32_t       c;
    const u_char  *end;

    end = p + len;

    while (p < end) {
        if (*p <= 0x20) {
            p++;
            continue;
        }

        if (end - p >= 3 && (*p == 0xe1 || *p == 0xe2 || *p == 0xe3)) {
            c = ((uint32_t) (p[0] & 0x0f) << 12)
                | ((uint32_t) (p[1] & 0x3f) << 6)
                | (p[2] & 0x3f);

            if (c == 0x1680
                || (c >= 0x2000 && c <= 0x200a && c != 0x2007)
                || c == 0x2028 || c == 0x2029 || c == 0x205f
                || c == 0x3000)
            {
                p += 3;
                continue;
            }
        }

        return 0;
    }

    return 1;
}


static int
cc_block_is_blank(const cc_block_t *b)
{
    return b->type == CC_BLOCK_TEXT && cc_is_blank(b->text.data, b->text.len);
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


static int
cc_use_ref_cmp(const void *one, const void *two)
{
    int                  rc;
    const cc_use_ref_t  *u1, *u2;

    u1 = one;
    u2 = two;

    rc = cc_str_cmp(u1->id, u2->id);
    if (rc != 0) {
        return rc;
    }

    /* equal ids keep their order: the first use is answered first */
    return (u1->ord > u2->ord) - (u1->ord < u2->ord);
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


static int
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

static void
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


static int
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


static int
cc_parse_missing(cc_parse_t *p, const char *path)
{
    return cc_parse_error(p, "missing_required_parameter", path,
                          "Missing required parameter: '%s'.", path);
}


static int
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

static void
cc_path(char *buf, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(buf, CC_PATH_LEN, fmt, args);
    va_end(args);
}


static int
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


static void *
cc_array_grow(cc_alloc_t *a, void *elts, size_t size, size_t n,
    size_t *nalloc, size_t need)
{
    void    *p;
    size_t   m;

    if (elts != NULL && *nalloc >= need) {
        return elts;
    }

    m = *nalloc * 2;
    if (m < need) {
        m = need;
    }

    if (m < 4) {
        m = 4;
    }

    p = cc_alloc(a, m * size);
    if (p == NULL) {
        return NULL;
    }

    if (n) {
        memcpy(p, elts, n * size);
    }

    *nalloc = m;

    return p;
}


static cc_json_t *
cc_json_object(cc_alloc_t *a, size_t n)
{
    cc_json_t  *v;

    v = cc_calloc(a, sizeof(cc_json_t));
    if (v == NULL) {
        return NULL;
    }

    v->type = CC_JSON_OBJECT;

    if (n) {
        v->keys = cc_alloc(a, n * sizeof(cc_str_t));
        v->values = cc_alloc(a, n * sizeof(cc_json_t *));
        if (v->keys == NULL || v->values == NULL) {
            return NULL;
        }
    }

    return v;
}


static cc_json_t *
cc_json_string(cc_alloc_t *a, const char *s)
{
    cc_json_t  *v;

    v = cc_calloc(a, sizeof(cc_json_t));
    if (v == NULL) {
        return NULL;
    }

    v->type = CC_JSON_STRING;
    v->str.len = strlen(s);
    v->str.data = (u_char *) s;

    return v;
}


/* {"type":"object","properties":{}} */

cc_json_t *
cc_default_schema(cc_alloc_t *a)
{
    cc_json_t  *v;

    v = cc_json_object(a, 2);
    if (v == NULL) {
        return NULL;
    }

    v->keys[0] = (cc_str_t) cc_string("type");
    v->values[0] = cc_json_string(a, "object");
    v->keys[1] = (cc_str_t) cc_string("properties");
    v->values[1] = cc_json_object(a, 0);

    if (v->values[0] == NULL || v->values[1] == NULL) {
        return NULL;
    }

    v->n = 2;

    return v;
}
