
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdio.h>
#include <string.h>

#include "cc_converse.h"
#include "cc_extras.h"


/*
 * The non-streaming path: Converse responses read round by round and
 * built into one chat.completion.
 *
 * Every yajl_gen_* call returns yajl_gen_status_ok, which is 0, on
 * success: sequences of calls are chained with || and fail as a whole.
 */


static void cc_converse_error(cc_http_error_t *err, int status,
    const char *message);
static int cc_converse_text(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *text);
static int cc_converse_reasoning(cc_alloc_t *a, cc_stream_t *s,
    const cc_json_t *rc);
static int cc_converse_reasoning_gen(yajl_gen g, cc_stream_t *s);


/* a failure of the non-streaming path, before anything was sent */
static void
cc_converse_error(cc_http_error_t *err, int status, const char *message)
{
    err->status = status;
    err->type = "server_error";
    err->code = NULL;
    err->message.data = (u_char *) message;
    err->message.len = strlen(message);
    err->name.len = 0;
    err->name.data = (u_char *) "";
}


/* text for the answer's content, joined to the earlier rounds' */
static int
cc_converse_text(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *text)
{
    const cc_str_t  *sep;

    if (cc_round_text(a, s, text, &sep) != CC_OK
        || (sep != NULL
            && cc_buf_append(a, &s->content, sep->data, sep->len) != CC_OK)
        || cc_buf_append(a, &s->content, text->data, text->len) != CC_OK)
    {
        return CC_ERROR;
    }

    return CC_OK;
}


/*
 * {"reasoningContent":{"reasoningText":{"text":..,"signature":..}}} or
 * {"reasoningContent":{"redactedContent":".."}}: kept for the round's
 * history and the answer's reasoning fields, never in content
 */
static int
cc_converse_reasoning(cc_alloc_t *a, cc_stream_t *s, const cc_json_t *rc)
{
    cc_str_t   *text, *sig, *red;
    cc_json_t  *rt, *v;

    text = NULL;
    sig = NULL;
    red = NULL;

    rt = cc_json_get(rc, "reasoningText");

    v = cc_json_get(rt, "text");
    if (v != NULL && v->type == CC_JSON_STRING && v->str.len) {
        text = &v->str;

        if (cc_buf_append(a, &s->reasoning_all, v->str.data, v->str.len)
            != CC_OK)
        {
            return CC_ERROR;
        }
    }

    v = cc_json_get(rt, "signature");
    if (v != NULL && v->type == CC_JSON_STRING && v->str.len) {
        sig = &v->str;
        s->signature = v->str;
    }

    v = cc_json_get(rc, "redactedContent");
    if (v != NULL && v->type == CC_JSON_STRING && v->str.len) {
        red = &v->str;
        s->redacted = v->str;
    }

    return cc_round_reasoning(a, s, text, sig, red);
}


int
cc_converse_round(cc_alloc_t *a, cc_stream_t *s, const u_char *json,
    size_t len, cc_http_error_t *err)
{
    char              perr[8];
    size_t            i;
    cc_str_t          args;
    cc_json_t        *root, *msg, *content, *b, *v, *tu, *id, *name, *input;
    cc_tool_use_t    *t;

    root = cc_json_parse(a, json, len, perr, sizeof(perr));

    msg = cc_json_get(cc_json_get(root, "output"), "message");
    if (msg == NULL || msg->type != CC_JSON_OBJECT) {
        /* 200 without output happens (guardrails, per envoy) */
        cc_converse_error(err, 502,
                          "upstream sent an invalid Converse response");
        return CC_ERROR;
    }

    content = cc_json_get(msg, "content");
    if (content != NULL && content->type != CC_JSON_ARRAY) {
        cc_converse_error(err, 502,
                          "upstream sent an invalid Converse response");
        return CC_ERROR;
    }

    s->round.message = msg;

    for (i = 0; content != NULL && i < content->n; i++) {
        b = content->values[i];

        v = cc_json_get(b, "text");
        if (v != NULL && v->type == CC_JSON_STRING) {
            /* with the forced tool, only its input is the answer */
            if (v->str.len == 0 || s->structured_tool.len) {
                continue;
            }

            if (cc_converse_text(a, s, &v->str) != CC_OK) {
                goto nomem;
            }

            continue;
        }

        v = cc_json_get(b, "reasoningContent");
        if (v != NULL) {
            if (cc_converse_reasoning(a, s, v) != CC_OK) {
                goto nomem;
            }

            continue;
        }

        tu = cc_json_get(b, "toolUse");
        if (tu == NULL) {
            /* newer blocks are not shown */
            continue;
        }

        id = cc_json_get(tu, "toolUseId");
        name = cc_json_get(tu, "name");

        if (id == NULL || id->type != CC_JSON_STRING
            || name == NULL || name->type != CC_JSON_STRING
            || cc_extras_drop_tool_call(s, &name->str))
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

        if (cc_round_is_structured(s, &name->str)) {
            /* response_format's forced tool: its input is the content */
            if (cc_converse_text(a, s, &args) != CC_OK) {
                goto nomem;
            }

            continue;
        }

        t = cc_round_tool_add(a, s, &id->str, &name->str, (int64_t) i);
        if (t == NULL) {
            goto nomem;
        }

        t->input.data = args.data;
        t->input.len = args.len;
        t->input_json = input;
        t->nonempty = 1;
        t->stopped = 1;

        if (!t->server
            && cc_buf_append(a, &s->calls, (u_char *) &t,
                             sizeof(cc_tool_use_t *))
               != CC_OK)
        {
            goto nomem;
        }
    }

    v = cc_json_get(root, "stopReason");
    if (v != NULL && v->type == CC_JSON_STRING) {
        cc_round_stop(s, &v->str);
    }

    cc_round_end(s, cc_json_get(root, "usage"));

    if (cc_extras_meta(a, s, root) != CC_OK) {
        goto nomem;
    }

    return CC_OK;

nomem:

    cc_converse_error(err, 500, "internal error");

    return CC_ERROR;
}


int
cc_completion_build(cc_alloc_t *a, cc_stream_t *s, cc_str_t *out)
{
    size_t           i, ncalls;
    yajl_gen         g;
    const char      *finish;
    cc_gen_out_t     b;
    cc_tool_use_t   *t, **calls;

    calls = (cc_tool_use_t **) s->calls.data;
    ncalls = s->calls.len / sizeof(cc_tool_use_t *);

    cc_gen_out_init(&b, a);

    g = cc_gen_create(a, &b);
    if (g == NULL) {
        return CC_ERROR;
    }

    finish = cc_round_finish_reason(s);

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
        || ((s->content.len == 0 && ncalls)
            ? yajl_gen_null(g) : cc_gen_str(g, &s->content))
        || cc_gen_lit(g, "refusal") || yajl_gen_null(g)
        || cc_converse_reasoning_gen(g, s) != CC_OK)
    {
        goto failed;
    }

    if (ncalls) {
        if (cc_gen_lit(g, "tool_calls") || yajl_gen_array_open(g)) {
            goto failed;
        }

        for (i = 0; i < ncalls; i++) {
            t = calls[i];

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
        || cc_gen_lit(g, "usage") || cc_usage_gen(g, &s->usage) != CC_OK
        || cc_extras_gen_tier(g, s) != CC_OK
        || yajl_gen_map_close(g))
    {
        goto failed;
    }

    yajl_gen_free(g);

    out->len = 0;
    out->data = NULL;

    if (cc_gen_output(a, &b, out) != CC_OK) {
        return CC_ERROR;
    }

    s->finish_reason = finish;
    s->finished = 1;

    return CC_OK;

failed:

    yajl_gen_free(g);

    return CC_ERROR;
}


/*
 * "reasoning_content" (all rounds), "reasoning_signature" and
 * "reasoning_redacted" (the last ones), each only when there is one
 */
static int
cc_converse_reasoning_gen(yajl_gen g, cc_stream_t *s)
{
    cc_str_t  text;

    if (s->reasoning_all.len) {
        text.data = s->reasoning_all.data;
        text.len = s->reasoning_all.len;

        if (cc_gen_lit(g, "reasoning_content") || cc_gen_str(g, &text)) {
            return CC_ERROR;
        }
    }

    if (s->signature.len
        && (cc_gen_lit(g, "reasoning_signature")
            || cc_gen_str(g, &s->signature)))
    {
        return CC_ERROR;
    }

    if (s->redacted.len
        && (cc_gen_lit(g, "reasoning_redacted")
            || cc_gen_str(g, &s->redacted)))
    {
        return CC_ERROR;
    }

    return CC_OK;
}
