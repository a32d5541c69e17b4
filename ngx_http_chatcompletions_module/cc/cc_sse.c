
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdio.h>
#include <string.h>

#include "cc_sse.h"
#include "cc_extras.h"
#include "cc_delta.h"


/*
 * Every yajl_gen_* call returns yajl_gen_status_ok, which is 0, on
 * success: sequences of calls are chained with || and fail as a whole.
 */


static int cc_sse_begin(cc_alloc_t *a, cc_stream_t *s);
static int cc_sse_head(cc_stream_t *s);
static int cc_sse_choice_open(cc_stream_t *s);
static int cc_sse_choice_close(cc_stream_t *s, const char *finish);
static int cc_sse_role(cc_stream_t *s);
static int cc_sse_content(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *text, int utf8);
static int cc_sse_text_frame(cc_alloc_t *a, cc_stream_t *s);
static int cc_sse_reasoning(cc_stream_t *s, const char *key,
    const cc_str_t *value);
static int cc_sse_on_reasoning(cc_alloc_t *a, cc_stream_t *s,
    const cc_json_t *rc);
static int cc_sse_on_structured(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *input);
static int cc_sse_tool_start(cc_stream_t *s, cc_tool_use_t *t);
static int cc_sse_tool_args(cc_stream_t *s, cc_tool_use_t *t,
    const u_char *p, size_t len);
static int cc_sse_block_index(const cc_json_t *ev, int64_t *block);
static cc_json_t *cc_sse_parse(cc_stream_t *s, cc_alloc_t *a,
    const cc_str_t *type, const u_char *payload, size_t len,
    cc_stream_fault_t *fault);
static int cc_sse_on_delta(cc_alloc_t *a, cc_stream_t *s,
    const cc_json_t *ev);
static int cc_sse_on_text(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *text);
static int cc_sse_on_block_start(cc_alloc_t *a, cc_stream_t *s,
    const cc_json_t *ev);
static int cc_sse_block_stop(cc_alloc_t *a, cc_stream_t *s,
    int64_t block);
static int cc_sse_message_stop(cc_alloc_t *a, cc_stream_t *s,
    const cc_str_t *stop);


static cc_str_t  cc_sse_no_type = cc_string("");


/*
 * The stream's generator and buffer are made once (or given: s->sse) and
 * reused, so a long answer does not grow the pool by a generator per
 * token: only the bytes handed out are allocated per event.
 */
static int
cc_sse_begin(cc_alloc_t *a, cc_stream_t *s)
{
    if (s->sse == NULL) {
        s->sse = cc_gen_new(a);
        if (s->sse == NULL) {
            return CC_ERROR;
        }
    }

    s->sse->out.buf.len = 0;
    s->sse->out.valid = 0;
    s->sse->out.nomem = 0;

    /* what a response keeps (its chunks' first members) goes in a */
    if (s->keep == NULL) {
        s->keep = a;
    }

    return CC_OK;
}


/* chunk generation */

/* "data: {"id":..,"object":"chat.completion.chunk","created":..,"model":.. */
static int
cc_sse_head(cc_stream_t *s)
{
    int            n;
    char           created[24];
    size_t         start;
    yajl_gen       g;
    cc_gen_out_t  *o;

    g = s->sse->gen;
    o = &s->sse->out;

    yajl_gen_reset(g, NULL);
    cc_gen_add(o, "data: ", sizeof("data: ") - 1);

    /*
     * A chunk's first members are the same for the whole response: yajl
     * prints them once, they are kept, and the "{" of the map yajl opens
     * after them becomes the "," that follows them.
     */

    if (s->head.data != NULL) {
        cc_gen_add(o, (const char *) s->head.data, s->head.len);

        start = o->buf.len;

        if (yajl_gen_map_open(g) || o->nomem || o->buf.len != start + 1
            || o->buf.data[start] != '{')
        {
            return CC_ERROR;
        }

        o->buf.data[start] = ',';

        return CC_OK;
    }

    start = o->buf.len;

    n = snprintf(created, sizeof(created), "%lld", (long long) s->created);
    if (n <= 0 || (size_t) n >= sizeof(created)) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "id") || cc_gen_str(g, &s->id)
        || cc_gen_lit(g, "object") || cc_gen_lit(g, "chat.completion.chunk")
        || cc_gen_lit(g, "created") || yajl_gen_number(g, created, n)
        || cc_gen_lit(g, "model") || cc_gen_str(g, &s->model)
        || o->nomem)
    {
        return CC_ERROR;
    }

    if (s->keep) {
        s->head.data = cc_alloc(s->keep, o->buf.len - start);

        if (s->head.data) {
            s->head.len = o->buf.len - start;
            memcpy(s->head.data, o->buf.data + start, s->head.len);
        }
    }

    return CC_OK;
}


/* ,"choices":[{"index":0,"delta": */
static int
cc_sse_choice_open(cc_stream_t *s)
{
    yajl_gen  g;

    g = s->sse->gen;

    if (cc_gen_lit(g, "choices") || yajl_gen_array_open(g)
        || yajl_gen_map_open(g)
        || cc_gen_lit(g, "index") || yajl_gen_number(g, "0", 1)
        || cc_gen_lit(g, "delta"))
    {
        return CC_ERROR;
    }

    return CC_OK;
}


/* ,"logprobs":null,"finish_reason":F}][,"usage":null]}\n\n */
static int
cc_sse_choice_close(cc_stream_t *s, const char *finish)
{
    yajl_gen  g;

    g = s->sse->gen;

    if (cc_gen_lit(g, "logprobs") || yajl_gen_null(g)
        || cc_gen_lit(g, "finish_reason")
        || (finish ? yajl_gen_string(g, (const u_char *) finish,
                                     strlen(finish))
                   : yajl_gen_null(g))
        || yajl_gen_map_close(g) || yajl_gen_array_close(g))
    {
        return CC_ERROR;
    }

    /* the spec: with include_usage, the chunks before the last say null */
    if (s->include_usage
        && (cc_gen_lit(g, "usage") || yajl_gen_null(g)))
    {
        return CC_ERROR;
    }

    if (yajl_gen_map_close(g)) {
        return CC_ERROR;
    }

    cc_gen_add(&s->sse->out, "\n\n", 2);

    return CC_OK;
}


static int
cc_sse_role(cc_stream_t *s)
{
    yajl_gen  g;

    g = s->sse->gen;

    if (cc_sse_head(s) != CC_OK || cc_sse_choice_open(s) != CC_OK) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "role") || cc_gen_lit(g, "assistant")
        || cc_gen_lit(g, "content") || cc_gen_lit(g, "")
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    s->role_sent = 1;

    return cc_sse_choice_close(s, NULL);
}


/*
 * A text chunk is the same bytes around the text's JSON string for the
 * whole response: yajl prints them once, with an empty string, and they
 * are kept (the most frequent chunk then costs one yajl_gen_string()).
 */
static int
cc_sse_content(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *text,
    int utf8)
{
    size_t         start;
    cc_gen_out_t  *o;

    if (s->text_head.data == NULL && cc_sse_text_frame(a, s) != CC_OK) {
        return CC_ERROR;
    }

    o = &s->sse->out;
    start = o->buf.len;

    cc_gen_add(o, (const char *) s->text_head.data, s->text_head.len);

    yajl_gen_reset(s->sse->gen, NULL);

    if (cc_gen_str(s->sse->gen, text)) {
        return CC_ERROR;
    }

    cc_gen_add(o, (const char *) s->text_tail.data, s->text_tail.len);

    /*
     * UTF-8 text in a checked frame is UTF-8 as yajl prints it (it
     * escapes control characters only): cc_gen_output() need not look.
     */

    if (utf8 && s->text_frame_utf8 && o->valid == start) {
        o->valid = o->buf.len;
    }

    return CC_OK;
}


/* the chunk with "content":"" printed, its two parts kept */
static int
cc_sse_text_frame(cc_alloc_t *a, cc_stream_t *s)
{
    size_t         start, at;
    u_char        *p;
    yajl_gen       g;
    cc_gen_out_t  *o;

    g = s->sse->gen;
    o = &s->sse->out;
    start = o->buf.len;

    if (cc_sse_head(s) != CC_OK || cc_sse_choice_open(s) != CC_OK) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "content") || cc_gen_lit(g, ""))
    {
        return CC_ERROR;
    }

    at = o->buf.len;

    if (yajl_gen_map_close(g) || cc_sse_choice_close(s, NULL) != CC_OK
        || o->nomem || at < start + 2
        || memcmp(o->buf.data + at - 2, "\"\"", 2) != 0)
    {
        return CC_ERROR;
    }

    /* kept in the stream's own arena: it lives as long as the response */

    p = cc_alloc(a, o->buf.len - start - 2);
    if (p == NULL) {
        return CC_ERROR;
    }

    s->text_head.data = p;
    s->text_head.len = at - 2 - start;
    memcpy(p, o->buf.data + start, s->text_head.len);

    s->text_tail.data = p + s->text_head.len;
    s->text_tail.len = o->buf.len - at;
    memcpy(s->text_tail.data, o->buf.data + at, s->text_tail.len);

    /* printed from the response's id and model: checked once */
    s->text_frame_utf8 =
        cc_utf8_check(p, o->buf.len - start - 2) == o->buf.len - start - 2;

    o->buf.len = start;

    return CC_OK;
}


/* {"reasoning_content":..}, {"reasoning_signature":..} and the like */
static int
cc_sse_reasoning(cc_stream_t *s, const char *key, const cc_str_t *value)
{
    yajl_gen  g;

    g = s->sse->gen;

    if (cc_sse_head(s) != CC_OK || cc_sse_choice_open(s) != CC_OK) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g)
        || yajl_gen_string(g, (const u_char *) key, strlen(key))
        || cc_gen_str(g, value)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return cc_sse_choice_close(s, NULL);
}


/* {"tool_calls":[{"index":k,"id":..,"type":"function",
 *                 "function":{"name":..,"arguments":""}}]} */
static int
cc_sse_tool_start(cc_stream_t *s, cc_tool_use_t *t)
{
    yajl_gen  g;

    g = s->sse->gen;

    if (cc_sse_head(s) != CC_OK || cc_sse_choice_open(s) != CC_OK) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "tool_calls") || yajl_gen_array_open(g)
        || yajl_gen_map_open(g)
        || cc_gen_lit(g, "index") || yajl_gen_integer(g, t->index)
        || cc_gen_lit(g, "id") || cc_gen_str(g, &t->id)
        || cc_gen_lit(g, "type") || cc_gen_lit(g, "function")
        || cc_gen_lit(g, "function") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "name") || cc_gen_str(g, &t->name)
        || cc_gen_lit(g, "arguments") || cc_gen_lit(g, "")
        || yajl_gen_map_close(g)
        || yajl_gen_map_close(g) || yajl_gen_array_close(g)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return cc_sse_choice_close(s, NULL);
}


/* {"tool_calls":[{"index":k,"function":{"arguments":..}}]} */
static int
cc_sse_tool_args(cc_stream_t *s, cc_tool_use_t *t, const u_char *p,
    size_t len)
{
    yajl_gen  g;

    g = s->sse->gen;

    if (cc_sse_head(s) != CC_OK || cc_sse_choice_open(s) != CC_OK) {
        return CC_ERROR;
    }

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "tool_calls") || yajl_gen_array_open(g)
        || yajl_gen_map_open(g)
        || cc_gen_lit(g, "index") || yajl_gen_integer(g, t->index)
        || cc_gen_lit(g, "function") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "arguments") || yajl_gen_string(g, p, len)
        || yajl_gen_map_close(g)
        || yajl_gen_map_close(g) || yajl_gen_array_close(g)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    return cc_sse_choice_close(s, NULL);
}


/* events */

int
cc_stream_event(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *message_type,
    const cc_str_t *type, const u_char *payload, size_t len, cc_str_t *out,
    cc_stream_fault_t *fault)
{
    int          rc;
    int64_t      block;
    cc_json_t   *ev, *v;
    cc_alloc_t  *tmp;
    cc_delta_t   fast;

    /* what lives only as long as the event */
    tmp = s->scratch ? s->scratch : a;

    if (type == NULL) {
        type = &cc_sse_no_type;
    }

    if (cc_sse_begin(a, s) != CC_OK) {
        goto nomem;
    }

    if (!cc_str_eq(message_type, "event")) {
        return cc_stream_exception(a, tmp,
                                   message_type, type, payload, len, fault);
    }

    /* in order of frequency: one delta per token */

    if (cc_str_eq(type, "contentBlockDelta")) {

        /* text, most of them: read without a DOM */

        if (cc_delta_scan(tmp, payload, len, &fast)
            == CC_OK)
        {
            /* with the forced tool, only its input is the answer */
            rc = (fast.text.len == 0 || s->structured_tool.len)
                 ? CC_OK : cc_sse_on_text(a, s, &fast.text);

            goto output;
        }

        ev = cc_sse_parse(s, a, type, payload, len, fault);
        if (ev == NULL) {
            return CC_ERROR;
        }

        rc = cc_sse_on_delta(a, s, ev);

    } else if (cc_str_eq(type, "messageStart")) {
        /* the payload is {"role":"assistant"}: nothing to learn from it */
        rc = s->role_sent ? CC_OK : cc_sse_role(s);

    } else if (cc_str_eq(type, "contentBlockStart")) {
        ev = cc_sse_parse(s, a, type, payload, len, fault);
        if (ev == NULL) {
            return CC_ERROR;
        }

        rc = cc_sse_on_block_start(a, s, ev);

    } else if (cc_str_eq(type, "contentBlockStop")) {
        if (cc_delta_scan(tmp, payload, len, &fast)
            == CC_OK)
        {
            rc = (fast.index < 0) ? CC_OK
                                  : cc_sse_block_stop(a, s, fast.index);
            goto output;
        }

        ev = cc_sse_parse(s, a, type, payload, len, fault);
        if (ev == NULL) {
            return CC_ERROR;
        }

        rc = (cc_sse_block_index(ev, &block) != CC_OK)
             ? CC_OK : cc_sse_block_stop(a, s, block);

    } else if (cc_str_eq(type, "messageStop")) {
        if (cc_delta_scan(tmp, payload, len, &fast)
            == CC_OK)
        {
            rc = (fast.stop_reason.data == NULL)
                 ? CC_OK : cc_sse_message_stop(a, s, &fast.stop_reason);
            goto output;
        }

        ev = cc_sse_parse(s, a, type, payload, len, fault);
        if (ev == NULL) {
            return CC_ERROR;
        }

        v = cc_json_get(ev, "stopReason");

        rc = (v == NULL || v->type != CC_JSON_STRING)
             ? CC_OK : cc_sse_message_stop(a, s, &v->str);

    } else if (cc_str_eq(type, "metadata")) {

        /* the counts alone, without a trace or a tier: no DOM */

        if (cc_delta_scan(tmp, payload, len, &fast)
            == CC_OK)
        {
            if (fast.has_usage) {
                cc_round_end_usage(s, &fast.usage);

            } else {
                cc_round_end(s, NULL);
            }

            rc = CC_DONE;
            goto output;
        }

        ev = cc_sse_parse(s, a, type, payload, len, fault);
        if (ev == NULL) {
            return CC_ERROR;
        }

        cc_round_end(s, cc_json_get(ev, "usage"));
        rc = (cc_extras_meta(a, s, ev) == CC_OK) ? CC_DONE : CC_ERROR;

    } else {
        /* new event types appear: ignore what is not understood */
        rc = CC_OK;
    }

output:

    /* the event's SSE bytes are the caller's to copy: scratch, if any */

    if (rc == CC_ERROR
        || cc_gen_output(tmp, &s->sse->out, out)
           != CC_OK)
    {
        goto nomem;
    }

    return rc;

nomem:

    cc_stream_fault(fault, "server_error", NULL, "internal error", type);
    snprintf(fault->detail, sizeof(fault->detail),
             "out of memory handling a Bedrock event");

    return CC_ERROR;
}


static cc_json_t *
cc_sse_parse(cc_stream_t *s, cc_alloc_t *a, const cc_str_t *type,
    const u_char *payload, size_t len, cc_stream_fault_t *fault)
{
    char        err[96];
    cc_json_t  *ev;

    err[0] = '\0';

    ev = cc_json_parse(s->scratch ? s->scratch : a, payload, len, err,
                       sizeof(err));

    if (ev != NULL && ev->type == CC_JSON_OBJECT) {
        return ev;
    }

    cc_stream_fault(fault, "server_error", NULL,
                 "Amazon Bedrock sent an invalid event", type);

    snprintf(fault->detail, sizeof(fault->detail),
             "invalid %.*s event payload: %s",
             (int) (type->len > 32 ? 32 : type->len), (char *) type->data,
             ev ? "not an object" : err);

    return NULL;
}


/*
 * An event's contentBlockIndex: a block's index is never negative (-1
 * stands for "none" in cc_stream_t), as cc_delta_scan() reads it too
 */
static int
cc_sse_block_index(const cc_json_t *ev, int64_t *block)
{
    if (cc_json_int(cc_json_get(ev, "contentBlockIndex"), block) != CC_OK
        || *block < 0)
    {
        return CC_ERROR;
    }

    return CC_OK;
}


static int
cc_sse_on_delta(cc_alloc_t *a, cc_stream_t *s, const cc_json_t *ev)
{
    int64_t         block;
    cc_json_t      *delta, *v, *input;
    cc_tool_use_t  *t;

    delta = cc_json_get(ev, "delta");
    if (delta == NULL || delta->type != CC_JSON_OBJECT) {
        return CC_OK;
    }

    v = cc_json_get(delta, "text");
    if (v != NULL) {
        /* with the forced tool, only its input is the answer */
        if (v->type != CC_JSON_STRING || v->str.len == 0
            || s->structured_tool.len)
        {
            return CC_OK;
        }

        return cc_sse_on_text(a, s, &v->str);
    }

    v = cc_json_get(delta, "reasoningContent");
    if (v != NULL) {
        /* never in "content": a voice agent would speak it */
        return cc_sse_on_reasoning(a, s, v);
    }

    v = cc_json_get(delta, "toolUse");
    if (v == NULL) {
        return CC_OK;
    }

    input = cc_json_get(v, "input");

    if (input == NULL || input->type != CC_JSON_STRING
        || cc_sse_block_index(ev, &block) != CC_OK)
    {
        return CC_OK;
    }

    if (block == s->structured_block) {
        return cc_sse_on_structured(a, s, &input->str);
    }

    t = cc_round_tool_find(s, block);
    if (t == NULL || t->stopped || input->str.len == 0) {
        return CC_OK;
    }

    if (cc_buf_append(a, &t->input, input->str.data, input->str.len)
        != CC_OK)
    {
        return CC_ERROR;
    }

    t->nonempty = 1;

    if (t->server) {
        return CC_OK;
    }

    if (!s->role_sent && cc_sse_role(s) != CC_OK) {
        return CC_ERROR;
    }

    return cc_sse_tool_args(s, t, input->str.data, input->str.len);
}


/*
 * reasoningContent deltas: text, signature (the reasoning block's, which
 * a client sends back with it) or redactedContent, each as its own
 * field of the delta
 */
static int
cc_sse_on_reasoning(cc_alloc_t *a, cc_stream_t *s, const cc_json_t *rc)
{
    cc_json_t       *v;
    const char      *key;
    const cc_str_t  *text, *sig, *red;

    text = NULL;
    sig = NULL;
    red = NULL;

    if ((v = cc_json_get(rc, "text")) != NULL && v->type == CC_JSON_STRING)
    {
        text = &v->str;
        key = "reasoning_content";

    } else if ((v = cc_json_get(rc, "signature")) != NULL
               && v->type == CC_JSON_STRING)
    {
        sig = &v->str;
        key = "reasoning_signature";

    } else if ((v = cc_json_get(rc, "redactedContent")) != NULL
               && v->type == CC_JSON_STRING)
    {
        red = &v->str;
        key = "reasoning_redacted";

    } else {
        return CC_OK;
    }

    if (v->str.len == 0) {
        return CC_OK;
    }

    if (cc_round_reasoning(a, s, text, sig, red) != CC_OK) {
        return CC_ERROR;
    }

    if (!s->role_sent && cc_sse_role(s) != CC_OK) {
        return CC_ERROR;
    }

    return cc_sse_reasoning(s, key, &v->str);
}


/* the forced tool's input is the answer: content deltas */
static int
cc_sse_on_structured(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *input)
{
    if (input->len == 0) {
        return CC_OK;
    }

    s->structured_seen = 1;

    return cc_sse_on_text(a, s, input);
}


static int
cc_sse_on_text(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *text)
{
    int              rc;
    cc_str_t         joined;
    const cc_str_t  *sep;

    if (cc_round_text(a, s, text, &sep) != CC_OK) {
        return CC_ERROR;
    }

    if (!s->role_sent && cc_sse_role(s) != CC_OK) {
        return CC_ERROR;
    }

    /* every string of a parsed payload is UTF-8 (cc_json.h) */

    if (sep == NULL) {
        rc = cc_sse_content(a, s, text, 1);

    } else {
        /* once a round at most */
        joined.len = sep->len + text->len;
        joined.data = cc_alloc(s->scratch ? s->scratch : a, joined.len);
        if (joined.data == NULL) {
            return CC_ERROR;
        }

        memcpy(joined.data, sep->data, sep->len);

        if (text->len) {
            memcpy(joined.data + sep->len, text->data, text->len);
        }

        rc = cc_sse_content(a, s, &joined, 0);
    }

    return rc;
}


static int
cc_sse_on_block_start(cc_alloc_t *a, cc_stream_t *s, const cc_json_t *ev)
{
    int64_t         block;
    cc_json_t      *tu, *id, *name;
    cc_tool_use_t  *t;

    /* text blocks need no state; toolResult, image and others are not ours */
    tu = cc_json_get(cc_json_get(ev, "start"), "toolUse");
    if (tu == NULL) {
        return CC_OK;
    }

    id = cc_json_get(tu, "toolUseId");
    name = cc_json_get(tu, "name");

    if (id == NULL || id->type != CC_JSON_STRING
        || name == NULL || name->type != CC_JSON_STRING
        || cc_sse_block_index(ev, &block) != CC_OK
        || cc_round_tool_find(s, block) != NULL
        || cc_extras_drop_tool_call(s, &name->str))
    {
        return CC_OK;
    }

    if (cc_round_is_structured(s, &name->str)) {
        s->structured_block = block;
        return (s->role_sent || cc_sse_role(s) == CC_OK) ? CC_OK : CC_ERROR;
    }

    t = cc_round_tool_add(a, s, &id->str, &name->str, block);
    if (t == NULL) {
        return CC_ERROR;
    }

    if (t->server) {
        return CC_OK;
    }

    if (!s->role_sent && cc_sse_role(s) != CC_OK) {
        return CC_ERROR;
    }

    return cc_sse_tool_start(s, t);
}


static int
cc_sse_block_stop(cc_alloc_t *a, cc_stream_t *s, int64_t block)
{
    cc_tool_use_t    *t;
    static cc_str_t   empty = cc_string("{}");

    if (block == s->structured_block) {
        /* a forced tool with no input still answers a JSON object */
        return s->structured_seen ? CC_OK
                                  : cc_sse_on_structured(a, s, &empty);
    }

    t = cc_round_tool_find(s, block);
    if (t == NULL || t->stopped) {
        return CC_OK;
    }

    t->stopped = 1;

    if (t->nonempty) {
        return CC_OK;
    }

    /* no arguments: "{}", never "", which SDKs fail to JSON.parse */
    t->input.data = (u_char *) "{}";
    t->input.len = 2;

    if (t->server) {
        return CC_OK;
    }

    return cc_sse_tool_args(s, t, t->input.data, t->input.len);
}


static int
cc_sse_message_stop(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *stop)
{
    cc_str_t  reason;

    if (cc_str_dup(a, stop, &reason) != CC_OK) {
        return CC_ERROR;
    }

    cc_round_stop(s, &reason);

    return CC_OK;
}


/* the end of the stream */

int
cc_stream_finish(cc_alloc_t *a, cc_stream_t *s, cc_str_t *out)
{
    size_t          i;
    yajl_gen        g;
    const char     *finish;
    cc_tool_use_t  *t;

    if (cc_sse_begin(a, s) != CC_OK) {
        return CC_ERROR;
    }

    g = s->sse->gen;

    if (!s->role_sent && cc_sse_role(s) != CC_OK) {
        return CC_ERROR;
    }

    /* a block that never stopped must not leave "" arguments either */
    for (i = 0; i < s->round.nclient; i++) {
        t = s->round.client[i];

        if (!t->stopped && !t->nonempty) {
            t->input.data = (u_char *) "{}";
            t->input.len = 2;

            if (cc_sse_tool_args(s, t, t->input.data, t->input.len)
                != CC_OK)
            {
                return CC_ERROR;
            }
        }

        t->stopped = 1;
    }

    finish = cc_round_finish_reason(s);

    if (cc_sse_head(s) != CC_OK
        || cc_sse_choice_open(s) != CC_OK
        || yajl_gen_map_open(g) || yajl_gen_map_close(g)
        || cc_sse_choice_close(s, finish) != CC_OK)
    {
        return CC_ERROR;
    }

    if (s->include_usage) {
        if (cc_sse_head(s) != CC_OK
            || cc_gen_lit(g, "choices")
            || yajl_gen_array_open(g) || yajl_gen_array_close(g)
            || cc_gen_lit(g, "usage")
            || cc_usage_gen(g, &s->usage) != CC_OK
            || cc_extras_gen_tier(g, s) != CC_OK
            || yajl_gen_map_close(g))
        {
            return CC_ERROR;
        }

        cc_gen_add(&s->sse->out, "\n\n", 2);
    }

    cc_gen_add(&s->sse->out, "data: [DONE]\n\n",
               sizeof("data: [DONE]\n\n") - 1);

    out->len = 0;
    out->data = NULL;

    if (cc_gen_output(a, &s->sse->out, out) != CC_OK) {
        return CC_ERROR;
    }

    s->finish_reason = finish;
    s->finished = 1;

    return CC_OK;
}


int
cc_stream_error(cc_alloc_t *a, cc_stream_t *s, const char *type,
    const char *code, const cc_str_t *message, cc_str_t *out)
{
    int           rc;
    cc_str_t      body;
    cc_gen_out_t  b;

    rc = cc_error_body(a, type, code, NULL, message, &body);
    if (rc != CC_OK) {
        return rc;
    }

    cc_gen_out_init(&b, a);

    cc_gen_add(&b, "data: ", sizeof("data: ") - 1);
    cc_gen_add(&b, (char *) body.data, body.len);
    cc_gen_add(&b, "\n\ndata: [DONE]\n\n",
               sizeof("\n\ndata: [DONE]\n\n") - 1);

    out->len = 0;
    out->data = NULL;

    if (cc_gen_output(a, &b, out) != CC_OK) {
        return CC_ERROR;
    }

    if (s != NULL) {
        s->finished = 1;
    }

    return CC_OK;
}
