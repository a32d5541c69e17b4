
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdio.h>
#include <string.h>

#include "ngx_http_chatcompletions_sse.h"
#include "ngx_http_chatcompletions_sse_int.h"


/*
 * The rounds of one response, shared by both paths: tool uses split into
 * server and client ones, the seam between two rounds' text, usage sums,
 * the finish reason; then the non-streaming path, Converse responses read
 * round by round and built into one chat.completion.
 *
 * Every yajl_gen_* call returns yajl_gen_status_ok, which is 0, on
 * success: sequences of calls are chained with || and fail as a whole.
 */


static int cc_sse_push(cc_alloc_t *a, cc_tool_use_t ***arr, size_t *n,
    size_t *cap, cc_tool_use_t *t);
static void cc_sse_http_error(cc_http_error_t *err, int status,
    const char *message);


/* rounds */

static int
cc_sse_push(cc_alloc_t *a, cc_tool_use_t ***arr, size_t *n, size_t *cap,
    cc_tool_use_t *t)
{
    size_t           ncap;
    cc_tool_use_t  **p;

    if (*n == *cap) {
        ncap = *cap ? *cap * 2 : 4;

        p = cc_alloc(a, ncap * sizeof(cc_tool_use_t *));
        if (p == NULL) {
            return CC_ERROR;
        }

        if (*n) {
            memcpy(p, *arr, *n * sizeof(cc_tool_use_t *));
        }

        *arr = p;
        *cap = ncap;
    }

    (*arr)[(*n)++] = t;

    return CC_OK;
}


/* the separator to put before a round's first text, if any */
const cc_str_t *
cc_sse_seam(cc_stream_t *s, const cc_str_t *text)
{
    if (s->separator.len == 0
        || !s->text_shown
        || s->text_ws
        || s->round.text.len
        || cc_sse_space(text->data[0]))
    {
        return NULL;
    }

    return &s->separator;
}


cc_tool_use_t *
cc_sse_tool_add(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *id,
    const cc_str_t *name, int64_t block)
{
    cc_round_t     *r;
    cc_tool_use_t  *t;

    r = &s->round;

    t = cc_calloc(a, sizeof(cc_tool_use_t));
    if (t == NULL) {
        return NULL;
    }

    if (cc_sse_dup(a, id, &t->id) != CC_OK
        || cc_sse_dup(a, name, &t->name) != CC_OK)
    {
        return NULL;
    }

    t->block = block;

    if (s->is_server_tool && s->is_server_tool(s->is_server_tool_data, name))
    {
        t->server = 1;
        t->index = -1;

        if (cc_sse_push(a, &r->server, &r->nserver, &s->server_cap, t)
            != CC_OK)
        {
            return NULL;
        }

    } else {
        t->index = s->next_index++;

        if (cc_sse_push(a, &r->client, &r->nclient, &s->client_cap, t)
            != CC_OK)
        {
            return NULL;
        }
    }

    if (cc_sse_push(a, &r->tools, &r->ntools, &s->tools_cap, t) != CC_OK) {
        return NULL;
    }

    return t;
}


void
cc_sse_usage_read(const cc_json_t *u, cc_usage_t *usage)
{
    memset(usage, 0, sizeof(cc_usage_t));

    if (u == NULL || u->type != CC_JSON_OBJECT) {
        return;
    }

    (void) cc_json_int(cc_json_get(u, "inputTokens"), &usage->input);
    (void) cc_json_int(cc_json_get(u, "outputTokens"), &usage->output);
    (void) cc_json_int(cc_json_get(u, "cacheReadInputTokens"),
                       &usage->cache_read);
    (void) cc_json_int(cc_json_get(u, "cacheWriteInputTokens"),
                       &usage->cache_write);

    if (cc_json_int(cc_json_get(u, "totalTokens"), &usage->total) != CC_OK) {
        usage->total = usage->input + usage->output;
    }
}


void
cc_sse_usage_add(cc_usage_t *sum, const cc_usage_t *u)
{
    sum->input += u->input;
    sum->output += u->output;
    sum->total += u->total;
    sum->cache_read += u->cache_read;
    sum->cache_write += u->cache_write;
}


const char *
cc_finish_reason(const cc_str_t *stop_reason)
{
    if (stop_reason == NULL || stop_reason->len == 0) {
        return "stop";
    }

    if (cc_sse_eq(stop_reason, "end_turn")
        || cc_sse_eq(stop_reason, "stop_sequence"))
    {
        return "stop";
    }

    if (cc_sse_eq(stop_reason, "tool_use")) {
        return "tool_calls";
    }

    if (cc_sse_eq(stop_reason, "max_tokens")
        || cc_sse_eq(stop_reason, "model_context_window_exceeded"))
    {
        return "length";
    }

    if (cc_sse_eq(stop_reason, "content_filtered")
        || cc_sse_eq(stop_reason, "guardrail_intervened"))
    {
        return "content_filter";
    }

    /* malformed_model_output, malformed_tool_use, anything newer */
    return "stop";
}


/*
 * "tool_calls" tells SDKs to run the calls: say it only if some were
 * shown; a round bound reached on a server tool is a plain stop.
 */
const char *
cc_sse_finish(cc_stream_t *s)
{
    const char  *f;

    f = cc_finish_reason(&s->stop_reason);

    if (s->next_index == 0 && strcmp(f, "tool_calls") == 0) {
        f = "stop";
    }

    return f;
}


int
cc_sse_gen_usage(yajl_gen g, const cc_usage_t *u)
{
    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "prompt_tokens") || yajl_gen_integer(g, u->input)
        || cc_gen_lit(g, "completion_tokens")
        || yajl_gen_integer(g, u->output)
        || cc_gen_lit(g, "total_tokens") || yajl_gen_integer(g, u->total)
        || cc_gen_lit(g, "prompt_tokens_details") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "cached_tokens")
        || yajl_gen_integer(g, u->cache_read)
        || yajl_gen_map_close(g)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return CC_OK;
}


int
cc_stream_round_tool_uses(cc_stream_t *s, cc_round_t *round)
{
    *round = s->round;

    return CC_OK;
}


void
cc_stream_next_round(cc_stream_t *s)
{
    /*
     * Buffers are dropped, not reused: the glue may still hold the old
     * round's text and tool uses in the history it sends next.
     */
    memset(&s->round, 0, sizeof(cc_round_t));

    s->text_cap = 0;
    s->tools_cap = 0;
    s->server_cap = 0;
    s->client_cap = 0;
    s->round_done = 0;
}


/* non-streaming */

/* a failure of the non-streaming path, before anything was sent */
static void
cc_sse_http_error(cc_http_error_t *err, int status, const char *message)
{
    err->status = status;
    err->type = "server_error";
    err->code = NULL;
    err->message.data = (u_char *) message;
    err->message.len = strlen(message);
    err->name = cc_sse_empty;
}


int
cc_converse_round(cc_alloc_t *a, cc_stream_t *s, const u_char *json,
    size_t len, cc_http_error_t *err)
{
    char              perr[8];
    size_t            i;
    cc_str_t          args;
    cc_json_t        *root, *msg, *content, *b, *v, *tu, *id, *name, *input;
    cc_usage_t        u;
    cc_round_t       *r;
    cc_tool_use_t    *t;
    const cc_str_t   *sep;

    r = &s->round;

    root = cc_json_parse(a, json, len, perr, sizeof(perr));

    msg = cc_json_get(cc_json_get(root, "output"), "message");
    if (msg == NULL || msg->type != CC_JSON_OBJECT) {
        /* 200 without output happens (guardrails, per envoy) */
        cc_sse_http_error(err, 502,
                          "upstream sent an invalid Converse response");
        return CC_ERROR;
    }

    content = cc_json_get(msg, "content");
    if (content != NULL && content->type != CC_JSON_ARRAY) {
        cc_sse_http_error(err, 502,
                          "upstream sent an invalid Converse response");
        return CC_ERROR;
    }

    r->message = msg;

    for (i = 0; content != NULL && i < content->n; i++) {
        b = content->values[i];

        v = cc_json_get(b, "text");
        if (v != NULL && v->type == CC_JSON_STRING) {
            if (v->str.len == 0) {
                continue;
            }

            sep = cc_sse_seam(s, &v->str);

            if ((sep != NULL
                 && cc_sse_append(a, &s->content, &s->content_cap,
                                  sep->data, sep->len) != CC_OK)
                || cc_sse_append(a, &s->content, &s->content_cap,
                                 v->str.data, v->str.len) != CC_OK
                || cc_sse_append(a, &r->text, &s->text_cap, v->str.data,
                                 v->str.len) != CC_OK)
            {
                goto nomem;
            }

            s->text_shown = 1;
            s->text_ws = cc_sse_space(v->str.data[v->str.len - 1]);

            continue;
        }

        tu = cc_json_get(b, "toolUse");
        if (tu == NULL) {
            /* reasoningContent and newer blocks are not shown */
            continue;
        }

        id = cc_json_get(tu, "toolUseId");
        name = cc_json_get(tu, "name");

        if (id == NULL || id->type != CC_JSON_STRING
            || name == NULL || name->type != CC_JSON_STRING)
        {
            continue;
        }

        input = cc_json_get(tu, "input");
        if (input == NULL || input->type != CC_JSON_OBJECT) {
            input = cc_calloc(a, sizeof(cc_json_t));
            if (input == NULL) {
                goto nomem;
            }

            input->type = CC_JSON_OBJECT;
        }

        if (cc_json_serialize(a, input, &args) != CC_OK) {
            goto nomem;
        }

        t = cc_sse_tool_add(a, s, &id->str, &name->str, (int64_t) i);
        if (t == NULL) {
            goto nomem;
        }

        t->input = args;
        t->input_json = input;
        t->nonempty = 1;
        t->stopped = 1;

        if (!t->server
            && cc_sse_push(a, &s->calls, &s->ncalls, &s->calls_cap, t)
               != CC_OK)
        {
            goto nomem;
        }
    }

    v = cc_json_get(root, "stopReason");
    if (v != NULL && v->type == CC_JSON_STRING) {
        r->stop_reason = v->str;
        s->stop_reason = v->str;
    }

    cc_sse_usage_read(cc_json_get(root, "usage"), &u);

    cc_sse_usage_add(&r->usage, &u);
    cc_sse_usage_add(&s->usage, &u);

    s->round_done = 1;

    return CC_OK;

nomem:

    cc_sse_http_error(err, 500, "internal error");

    return CC_ERROR;
}


int
cc_completion_build(cc_alloc_t *a, cc_stream_t *s, cc_str_t *out)
{
    size_t          i;
    yajl_gen        g;
    const char     *finish;
    cc_sse_buf_t    b;
    cc_tool_use_t  *t;

    memset(&b, 0, sizeof(cc_sse_buf_t));
    b.alloc = a;

    g = cc_sse_gen_create(a, &b);
    if (g == NULL) {
        return CC_ERROR;
    }

    finish = cc_sse_finish(s);

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "id") || cc_gen_str(g, &s->id)
        || cc_gen_lit(g, "object") || cc_gen_lit(g, "chat.completion")
        || cc_gen_lit(g, "created") || yajl_gen_integer(g, s->created)
        || cc_gen_lit(g, "model") || cc_gen_str(g, &s->model)
        || cc_gen_lit(g, "choices") || yajl_gen_array_open(g)
        || yajl_gen_map_open(g)
        || cc_gen_lit(g, "index") || yajl_gen_integer(g, 0)
        || cc_gen_lit(g, "message") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "role") || cc_gen_lit(g, "assistant")
        || cc_gen_lit(g, "content")
        /* null only beside tool calls: "" when the model said nothing */
        || ((s->content.len == 0 && s->ncalls)
            ? yajl_gen_null(g) : cc_gen_str(g, &s->content))
        || cc_gen_lit(g, "refusal") || yajl_gen_null(g))
    {
        goto failed;
    }

    if (s->ncalls) {
        if (cc_gen_lit(g, "tool_calls") || yajl_gen_array_open(g)) {
            goto failed;
        }

        for (i = 0; i < s->ncalls; i++) {
            t = s->calls[i];

            if (yajl_gen_map_open(g)
                || cc_gen_lit(g, "id") || cc_gen_str(g, &t->id)
                || cc_gen_lit(g, "type") || cc_gen_lit(g, "function")
                || cc_gen_lit(g, "function") || yajl_gen_map_open(g)
                || cc_gen_lit(g, "name") || cc_gen_str(g, &t->name)
                || cc_gen_lit(g, "arguments") || cc_gen_str(g, &t->input)
                || yajl_gen_map_close(g) || yajl_gen_map_close(g))
            {
                goto failed;
            }
        }

        if (yajl_gen_array_close(g)) {
            goto failed;
        }
    }

    if (yajl_gen_map_close(g)
        || cc_gen_lit(g, "logprobs") || yajl_gen_null(g)
        || cc_gen_lit(g, "finish_reason")
        || yajl_gen_string(g, (const u_char *) finish, strlen(finish))
        || yajl_gen_map_close(g) || yajl_gen_array_close(g)
        || cc_gen_lit(g, "usage") || cc_sse_gen_usage(g, &s->usage) != CC_OK
        || yajl_gen_map_close(g))
    {
        goto failed;
    }

    yajl_gen_free(g);

    out->len = 0;
    out->data = NULL;

    if (cc_sse_output(a, &b, out) != CC_OK) {
        return CC_ERROR;
    }

    s->finish_reason = finish;
    s->finished = 1;

    return CC_OK;

failed:

    yajl_gen_free(g);

    return CC_ERROR;
}


int
cc_completion(cc_alloc_t *a, const cc_stream_t *meta,
    const u_char *converse_json, size_t len, cc_str_t *out,
    cc_http_error_t *err)
{
    cc_stream_t  s;

    cc_stream_init(&s);

    s.id = meta->id;
    s.created = meta->created;
    s.model = meta->model;
    s.separator = meta->separator;
    s.is_server_tool = meta->is_server_tool;
    s.is_server_tool_data = meta->is_server_tool_data;

    if (cc_converse_round(a, &s, converse_json, len, err) != CC_OK) {
        return CC_ERROR;
    }

    if (cc_completion_build(a, &s, out) != CC_OK) {
        cc_sse_http_error(err, 500, "internal error");
        return CC_ERROR;
    }

    return CC_OK;
}


cc_json_t *
cc_tool_input(cc_alloc_t *a, cc_tool_use_t *t, char *err, size_t errlen)
{
    cc_json_t  *v;

    if (errlen) {
        err[0] = '\0';
    }

    if (t->input_json != NULL) {
        return t->input_json;
    }

    v = NULL;

    if (t->input.len) {
        v = cc_json_parse(a, t->input.data, t->input.len, err, errlen);

        if (v != NULL && v->type != CC_JSON_OBJECT) {
            snprintf(err, errlen, "not a JSON object");
            v = NULL;
        }
    }

    /* Bedrock takes an object only: a model's broken input becomes {} */
    if (v == NULL) {
        v = cc_calloc(a, sizeof(cc_json_t));
        if (v == NULL) {
            return NULL;
        }

        v->type = CC_JSON_OBJECT;
    }

    t->input_json = v;

    return v;
}
