
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <stdio.h>
#include <string.h>

#include "cc_round.h"


/* the room a buffer gets at first: a token's worth is then a plain copy */
#define CC_ROUND_TEXT_MIN    256
#define CC_ROUND_TOOLS_MIN   (4 * sizeof(cc_tool_use_t *))


/*
 * The rounds of one response, shared by both paths: tool uses split into
 * server and client ones, the seam between two rounds' text, usage sums,
 * the finish reason.
 *
 * Every yajl_gen_* call returns yajl_gen_status_ok, which is 0, on
 * success: sequences of calls are chained with || and fail as a whole.
 */


static void cc_round_reset(cc_stream_t *s);
static int cc_round_push(cc_alloc_t *a, cc_buf_t *b, cc_tool_use_t ***arr,
    size_t *n, cc_tool_use_t *t);
static const cc_str_t *cc_round_seam(cc_stream_t *s, const cc_str_t *text);
static void cc_usage_read(const cc_json_t *u, cc_usage_t *usage);
static void cc_usage_add(cc_usage_t *sum, const cc_usage_t *u);
static int64_t cc_usage_value(const cc_json_t *v);
static int64_t cc_usage_sum(int64_t a, int64_t b);


void
cc_stream_init(cc_stream_t *s)
{
    memset(s, 0, sizeof(cc_stream_t));

    s->content.min = CC_ROUND_TEXT_MIN;
    s->reasoning_all.min = CC_ROUND_TEXT_MIN;
    s->calls.min = CC_ROUND_TOOLS_MIN;

    cc_round_reset(s);
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
    cc_round_reset(s);

    s->round_done = 0;
}


static void
cc_round_reset(cc_stream_t *s)
{
    memset(&s->round, 0, sizeof(cc_round_t));
    memset(&s->text, 0, sizeof(cc_buf_t));
    memset(&s->tools, 0, sizeof(cc_buf_t));
    memset(&s->server, 0, sizeof(cc_buf_t));
    memset(&s->client, 0, sizeof(cc_buf_t));
    memset(&s->reasoning, 0, sizeof(cc_buf_t));
    memset(&s->signature_buf, 0, sizeof(cc_buf_t));
    memset(&s->redacted_buf, 0, sizeof(cc_buf_t));

    s->structured_block = -1;
    s->structured_seen = 0;
    s->text.min = CC_ROUND_TEXT_MIN;
    s->tools.min = CC_ROUND_TOOLS_MIN;
    s->server.min = CC_ROUND_TOOLS_MIN;
    s->client.min = CC_ROUND_TOOLS_MIN;
}


/* appends t to the buffer b that the array *arr of *n shows */

static int
cc_round_push(cc_alloc_t *a, cc_buf_t *b, cc_tool_use_t ***arr, size_t *n,
    cc_tool_use_t *t)
{
    if (cc_buf_append(a, b, (u_char *) &t, sizeof(cc_tool_use_t *))
        != CC_OK)
    {
        return CC_ERROR;
    }

    *arr = (cc_tool_use_t **) b->data;
    *n = b->len / sizeof(cc_tool_use_t *);

    return CC_OK;
}


cc_tool_use_t *
cc_round_tool_add(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *id,
    const cc_str_t *name, int64_t block)
{
    cc_round_t     *r;
    cc_tool_use_t  *t;

    r = &s->round;

    t = cc_calloc(a, sizeof(cc_tool_use_t));
    if (t == NULL) {
        return NULL;
    }

    if (cc_str_dup(a, id, &t->id) != CC_OK
        || cc_str_dup(a, name, &t->name) != CC_OK)
    {
        return NULL;
    }

    t->block = block;

    if (s->is_server_tool && s->is_server_tool(s->is_server_tool_data, name))
    {
        t->server = 1;
        t->index = -1;

        if (cc_round_push(a, &s->server, &r->server, &r->nserver, t)
            != CC_OK)
        {
            return NULL;
        }

    } else {
        t->index = s->next_index++;

        if (cc_round_push(a, &s->client, &r->client, &r->nclient, t)
            != CC_OK)
        {
            return NULL;
        }
    }

    if (cc_round_push(a, &s->tools, &r->tools, &r->ntools, t) != CC_OK) {
        return NULL;
    }

    return t;
}


cc_tool_use_t *
cc_round_tool_find(cc_stream_t *s, int64_t block)
{
    size_t  i;

    /* a handful of blocks per round: a scan beats any map */
    for (i = 0; i < s->round.ntools; i++) {
        if (s->round.tools[i]->block == block) {
            return s->round.tools[i];
        }
    }

    return NULL;
}


int
cc_round_text(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *text,
    const cc_str_t **sep)
{
    *sep = cc_round_seam(s, text);

    if (!s->drop_text) {
        if (cc_buf_append(a, &s->text, text->data, text->len) != CC_OK) {
            return CC_ERROR;
        }

        s->round.text.data = s->text.data;
        s->round.text.len = s->text.len;
    }

    s->text_shown = 1;

    if (text->len) {
        s->round.has_text = 1;
        s->text_ws = cc_is_space(text->data[text->len - 1]);
    }

    return CC_OK;
}


/* the separator to put before a round's first text, if any */
static const cc_str_t *
cc_round_seam(cc_stream_t *s, const cc_str_t *text)
{
    if (s->separator.len == 0
        || !s->text_shown
        || s->text_ws
        || s->round.has_text
        || cc_is_space(text->data[0]))
    {
        return NULL;
    }

    return &s->separator;
}


int
cc_round_reasoning(cc_alloc_t *a, cc_stream_t *s, const cc_str_t *text,
    const cc_str_t *signature, const cc_str_t *redacted)
{
    cc_round_t  *r;

    r = &s->round;

    if (text != NULL && text->len) {
        if (cc_buf_append(a, &s->reasoning, text->data, text->len) != CC_OK)
        {
            return CC_ERROR;
        }

        r->reasoning.data = s->reasoning.data;
        r->reasoning.len = s->reasoning.len;
    }

    if (signature != NULL && signature->len) {
        if (cc_buf_append(a, &s->signature_buf, signature->data,
                          signature->len)
            != CC_OK)
        {
            return CC_ERROR;
        }

        r->signature.data = s->signature_buf.data;
        r->signature.len = s->signature_buf.len;
    }

    if (redacted != NULL && redacted->len) {
        if (cc_buf_append(a, &s->redacted_buf, redacted->data,
                          redacted->len)
            != CC_OK)
        {
            return CC_ERROR;
        }

        r->redacted.data = s->redacted_buf.data;
        r->redacted.len = s->redacted_buf.len;
    }

    return CC_OK;
}


int
cc_round_is_structured(cc_stream_t *s, const cc_str_t *name)
{
    return s->structured_tool.len
           && cc_str_cmp(&s->structured_tool, name) == 0;
}


void
cc_round_stop(cc_stream_t *s, const cc_str_t *stop_reason)
{
    s->round.stop_reason = *stop_reason;
    s->stop_reason = *stop_reason;
}


void
cc_round_end(cc_stream_t *s, const cc_json_t *usage)
{
    cc_usage_t  u;

    cc_usage_read(usage, &u);
    cc_round_end_usage(s, &u);
}


void
cc_round_end_usage(cc_stream_t *s, const cc_usage_t *u)
{
    cc_usage_add(&s->round.usage, u);
    cc_usage_add(&s->usage, u);

    s->round_done = 1;
}


/*
 * Bedrock's counts are int64; a broken upstream may send anything: a
 * count is clamped to 0..CC_USAGE_MAX and sums saturate there, so no sum
 * overflows and every count stays exact in a client's JSON reader.
 */

static void
cc_usage_read(const cc_json_t *u, cc_usage_t *usage)
{
    cc_json_t  *total;

    memset(usage, 0, sizeof(cc_usage_t));

    if (u == NULL || u->type != CC_JSON_OBJECT) {
        return;
    }

    usage->input = cc_usage_value(cc_json_get(u, "inputTokens"));
    usage->output = cc_usage_value(cc_json_get(u, "outputTokens"));
    usage->cache_read = cc_usage_value(cc_json_get(u,
                                                   "cacheReadInputTokens"));
    usage->cache_write = cc_usage_value(cc_json_get(u,
                                                    "cacheWriteInputTokens"));

    total = cc_json_get(u, "totalTokens");

    if (total != NULL && total->type == CC_JSON_NUMBER) {
        usage->total = cc_usage_value(total);

    } else {
        usage->total = cc_usage_sum(usage->input, usage->output);
    }
}


static int64_t
cc_usage_value(const cc_json_t *v)
{
    size_t   i;
    int64_t  n;

    if (v == NULL || v->type != CC_JSON_NUMBER || v->str.len == 0) {
        return 0;
    }

    if (cc_json_int(v, &n) == CC_OK) {
        return n < 0 ? 0 : (n > CC_USAGE_MAX ? CC_USAGE_MAX : n);
    }

    /* beyond int64, or not an integer: huge is the cap, the rest 0 */

    for (i = 0; i < v->str.len; i++) {
        if (v->str.data[i] < '0' || v->str.data[i] > '9') {
            return 0;
        }
    }

    return CC_USAGE_MAX;
}


static int64_t
cc_usage_sum(int64_t a, int64_t b)
{
    /* both are 0..CC_USAGE_MAX, so a + b cannot overflow int64 */
    return (a + b > CC_USAGE_MAX) ? CC_USAGE_MAX : a + b;
}


static void
cc_usage_add(cc_usage_t *sum, const cc_usage_t *u)
{
    sum->input = cc_usage_sum(sum->input, u->input);
    sum->output = cc_usage_sum(sum->output, u->output);
    sum->total = cc_usage_sum(sum->total, u->total);
    sum->cache_read = cc_usage_sum(sum->cache_read, u->cache_read);
    sum->cache_write = cc_usage_sum(sum->cache_write, u->cache_write);
}


const char *
cc_finish_reason(const cc_str_t *stop_reason)
{
    if (stop_reason == NULL || stop_reason->len == 0) {
        return "stop";
    }

    if (cc_str_eq(stop_reason, "end_turn")
        || cc_str_eq(stop_reason, "stop_sequence"))
    {
        return "stop";
    }

    if (cc_str_eq(stop_reason, "tool_use")) {
        return "tool_calls";
    }

    if (cc_str_eq(stop_reason, "max_tokens")
        || cc_str_eq(stop_reason, "model_context_window_exceeded"))
    {
        return "length";
    }

    if (cc_str_eq(stop_reason, "content_filtered")
        || cc_str_eq(stop_reason, "guardrail_intervened"))
    {
        return "content_filter";
    }

    /* malformed_model_output, malformed_tool_use, anything newer */
    return "stop";
}


const char *
cc_round_finish_reason(cc_stream_t *s)
{
    const char  *f;

    f = cc_finish_reason(&s->stop_reason);

    if (s->next_index == 0 && strcmp(f, "tool_calls") == 0) {
        f = "stop";
    }

    return f;
}


int64_t
cc_usage_prompt(const cc_usage_t *u)
{
    return cc_usage_sum(cc_usage_sum(u->input, u->cache_read),
                        u->cache_write);
}


int64_t
cc_usage_total(const cc_usage_t *u)
{
    if (u->cache_read || u->cache_write) {
        return cc_usage_sum(cc_usage_prompt(u), u->output);
    }

    return u->total;
}


int
cc_usage_gen(yajl_gen g, const cc_usage_t *u)
{
    int      cached;
    int64_t  prompt, total;

    /*
     * Bedrock's inputTokens leaves out what was read from or written to
     * the cache; OpenAI's prompt_tokens counts all of the prompt
     */
    cached = (u->cache_read || u->cache_write);
    prompt = cc_usage_prompt(u);
    total = cc_usage_total(u);

    if (yajl_gen_map_open(g)
        || cc_gen_lit(g, "prompt_tokens") || yajl_gen_integer(g, prompt)
        || cc_gen_lit(g, "completion_tokens")
        || yajl_gen_integer(g, u->output)
        || cc_gen_lit(g, "total_tokens") || yajl_gen_integer(g, total)
        || cc_gen_lit(g, "prompt_tokens_details") || yajl_gen_map_open(g)
        || cc_gen_lit(g, "cached_tokens")
        || yajl_gen_integer(g, u->cache_read)
        || yajl_gen_map_close(g))
    {
        return CC_ERROR;
    }

    /* the write count, as LiteLLM names it (Anthropic's names) */
    if (cached
        && (cc_gen_lit(g, "cache_read_input_tokens")
            || yajl_gen_integer(g, u->cache_read)
            || cc_gen_lit(g, "cache_creation_input_tokens")
            || yajl_gen_integer(g, u->cache_write)))
    {
        return CC_ERROR;
    }

    return yajl_gen_map_close(g) ? CC_ERROR : CC_OK;
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
