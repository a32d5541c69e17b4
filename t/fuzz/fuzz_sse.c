
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * Bedrock ConverseStream events -> OpenAI SSE chunks (cc_sse, cc_round),
 * round after round, as the glue drives them (filter.c's decode(),
 * lifecycle.c, tools.c).
 *
 * Input: one decoded eventstream message a line,
 *
 *     message_type SP type SP payload LF
 *
 * ("event contentBlockDelta {...}", "exception throttlingException
 * {...}", "error InternalFailure the message"); an empty line ends the
 * attempt (the Bedrock response).  The server tool is "get_loan_options";
 * bit 0 of the input's length sets include_usage.
 *
 * Every payload lives in a malloc'ed block of its own, freed after its
 * event; the per-event scratch arena is emptied after every event, as in
 * the glue, so anything kept pointing into either trips ASan.  Asserted:
 * every event's chunks, the end of the stream (cc_stream_finish) and the
 * error events (cc_stream_error) are "data: " + valid UTF-8 JSON objects
 * + "\n\n", "data: [DONE]" ending the stream and only then; a server
 * tool's input is always an object.  And what an OpenAI client relies
 * on: every chunk carries the response's id, "chat.completion.chunk",
 * created and model, one choice of index 0 with a delta (or none, with
 * the usage, last); the role chunk comes first and once; one
 * finish_reason, of OpenAI's values, in the response; tool call indexes
 * count from 0 without gaps, the first delta of each with its id, type
 * "function" and name; an error event is {"error":{"message","type",..}}.
 * What cc_delta_scan() reads of an event without a DOM (delta.text,
 * stopReason, contentBlockIndex, usage) is what the DOM finds in it.
 */


#include "fuzz_util.h"
#include "fuzz_stream.h"
#include "cc_sse.h"
#include "cc_delta.h"


#define FZ_MAX_ROUNDS  4


typedef struct {
    fz_arena_t                arena;
    fz_arena_t                scratch;
    cc_alloc_t               *a;
    cc_stream_t               s;
    unsigned                  rounds;
    unsigned                  metadata:1;

    /* what the client saw so far */
    unsigned                  chunks;
    unsigned                  roles;
    unsigned                  finishes;
    unsigned                  usages;
    int64_t                   ntools;       /* tool call indexes seen */
} fz_ctx_t;


static void fz_word(const u_char **p, const u_char *end, cc_str_t *w);
static int fz_event(fz_ctx_t *c, const u_char *line, size_t len);
static int fz_attempt_end(fz_ctx_t *c);
static void fz_error(fz_ctx_t *c, const char *type, const char *code,
    const cc_str_t *message);
static void fz_delta(fz_ctx_t *c, const u_char *payload, size_t len);
static void fz_same(const char *what, const cc_str_t *s, const cc_json_t *v,
    const u_char *payload, size_t len);
static void fz_client(fz_ctx_t *c, const u_char *p, size_t len);
static void fz_chunk(fz_ctx_t *c, const cc_json_t *v, const u_char *p,
    size_t len);
static void fz_tool_calls(fz_ctx_t *c, const cc_json_t *calls,
    const u_char *p, size_t len);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int            rc;
    fz_ctx_t      *c;
    const u_char  *p, *end, *nl;

    c = calloc(1, sizeof(fz_ctx_t));
    if (c == NULL) {
        fz_fail("calloc failed", NULL, 0);
    }

    fz_arena_init(&c->arena);
    fz_arena_init(&c->scratch);
    c->a = &c->arena.alloc;

    fz_stream_init(&c->s, size & 1);

    p = data;
    end = data + size;
    rc = CC_OK;

    while (rc == CC_OK) {
        nl = memchr(p, '\n', end - p);
        if (nl == NULL) {
            nl = end;
        }

        if (nl == p) {
            /* an empty line, or the end: the attempt ended */
            rc = fz_attempt_end(c);

        } else {
            rc = fz_event(c, p, nl - p);
        }

        if (nl == end) {
            if (rc == CC_OK) {
                (void) fz_attempt_end(c);
            }

            break;
        }

        p = nl + 1;
    }

    fz_arena_reset(&c->scratch);
    fz_arena_reset(&c->arena);
    free(c);

    return 0;
}


static void
fz_word(const u_char **p, const u_char *end, cc_str_t *w)
{
    const u_char  *sp;

    sp = memchr(*p, ' ', end - *p);
    if (sp == NULL) {
        sp = end;
    }

    w->data = (u_char *) *p;
    w->len = sp - *p;

    *p = (sp == end) ? end : sp + 1;
}


/* one message, as filter.c's decode() hands it to cc_stream_event() */
static int
fz_event(fz_ctx_t *c, const u_char *line, size_t len)
{
    int                 rc;
    u_char             *payload;
    cc_str_t            mt, type, rest, chunk;
    const u_char       *p, *end;
    cc_stream_fault_t   fault;

    p = line;
    end = line + len;

    fz_word(&p, end, &mt);
    fz_word(&p, end, &type);

    rest.data = (u_char *) p;
    rest.len = end - p;

    payload = fz_mem(rest.data, rest.len);

    memset(&fault, 0, sizeof(cc_stream_fault_t));
    chunk.data = NULL;
    chunk.len = 0;

    c->s.scratch = &c->scratch.alloc;

    if (cc_str_eq(&mt, "event")) {
        fz_delta(c, payload, rest.len);
    }

    rc = cc_stream_event(c->a, &c->s, &mt, &type, payload, rest.len, &chunk,
                         &fault);

    if (rc != CC_OK && rc != CC_DONE && rc != CC_ERROR) {
        fz_fail("cc_stream_event() returned an unknown code", NULL, 0);
    }

    fz_sse("an event's chunks", chunk.data, chunk.len, 0);
    fz_client(c, chunk.data, chunk.len);

    /* the glue copies the chunks, then empties the scratch arena */

    memset(payload, 'X', rest.len);
    free(payload);

    c->s.scratch = NULL;
    fz_arena_reset(&c->scratch);

    if (rc == CC_DONE) {
        c->metadata = 1;
        return CC_OK;
    }

    if (rc == CC_ERROR) {
        if (fault.type == NULL) {
            fz_fail("CC_ERROR without a fault", NULL, 0);
        }

        fz_utf8("a fault's message", fault.message.data, fault.message.len);
        fz_error(c, fault.type, fault.code, &fault.message);

        return CC_ERROR;
    }

    return CC_OK;
}


/*
 * The Bedrock response ended: without metadata it was cut short; with
 * it, server tools run (the next round) or the stream ends.  CC_OK: the
 * next round goes on with the next lines; CC_DONE: the stream ended.
 */
static int
fz_attempt_end(fz_ctx_t *c)
{
    char           err[128];
    size_t         i;
    cc_str_t       out;
    cc_json_t     *input;
    cc_round_t     round;

    static cc_str_t  truncated =
        cc_string("The Amazon Bedrock stream ended early.");

    if (!c->metadata) {
        fz_error(c, "server_error", "upstream_truncated", &truncated);
        return CC_DONE;
    }

    if (cc_stream_round_tool_uses(&c->s, &round) != CC_OK) {
        fz_fail("cc_stream_round_tool_uses() failed", NULL, 0);
    }

    if (round.ntools != round.nserver + round.nclient) {
        fz_fail("the round's tool uses are not its server and client "
                "ones", NULL, 0);
    }

    fz_utf8("a round's text", round.text.data, round.text.len);

    if (round.nserver && round.nclient == 0 && c->rounds < FZ_MAX_ROUNDS) {

        /* tools.c: the server tools' inputs, then the next round */

        for (i = 0; i < round.nserver; i++) {
            input = cc_tool_input(c->a, round.server[i], err, sizeof(err));

            if (input == NULL || input->type != CC_JSON_OBJECT) {
                fz_fail("a server tool's input is not an object", NULL, 0);
            }

            if (cc_json_serialize(c->a, input, &out) != CC_OK) {
                fz_fail("cc_json_serialize() failed", NULL, 0);
            }

            fz_json("a server tool's input", out.data, out.len);
        }

        cc_stream_next_round(&c->s);
        c->rounds++;
        c->metadata = 0;

        return CC_OK;
    }

    if (cc_stream_finish(c->a, &c->s, &out) != CC_OK) {
        fz_fail("cc_stream_finish() failed", NULL, 0);
    }

    fz_sse("the end of the stream", out.data, out.len, 1);
    fz_client(c, out.data, out.len);

    if (c->finishes != 1 || c->roles != 1
        || c->usages != (unsigned) c->s.include_usage)
    {
        fz_fail("a finished stream without one role chunk, one "
                "finish_reason and the usage as asked", NULL, 0);
    }

    if (c->s.finish_reason == NULL) {
        fz_fail("no finish_reason after cc_stream_finish()", NULL, 0);
    }

    return CC_DONE;
}


/* what is read without a DOM is what the DOM finds */
static void
fz_delta(fz_ctx_t *c, const u_char *payload, size_t len)
{
    char          err[96];
    int64_t       index;
    cc_json_t    *ev, *v;
    cc_delta_t    d;
    cc_stream_t   dom, fast;

    if (cc_delta_scan(&c->scratch.alloc, payload, len, &d) != CC_OK) {
        return;
    }

    ev = cc_json_parse(&c->scratch.alloc, payload, len, err, sizeof(err));
    if (ev == NULL || ev->type != CC_JSON_OBJECT) {
        fz_fail("an event read without a DOM is no JSON object", payload,
                len);
    }

    fz_same("delta.text", &d.text,
            cc_json_get(cc_json_get(ev, "delta"), "text"), payload, len);
    fz_same("stopReason", &d.stop_reason, cc_json_get(ev, "stopReason"),
            payload, len);

    /* the counts, added to a round as each path adds them */

    cc_stream_init(&dom);
    cc_stream_init(&fast);

    cc_round_end(&dom, cc_json_get(ev, "usage"));
    cc_round_end_usage(&fast, &d.usage);

    if (memcmp(&dom.usage, &fast.usage, sizeof(cc_usage_t)) != 0) {
        fz_fail("usage differs without a DOM", payload, len);
    }

    v = cc_json_get(ev, "contentBlockIndex");

    if (d.index < 0) {
        if (v != NULL && cc_json_int(v, &index) == CC_OK && index >= 0) {
            fz_fail("an index missed without a DOM", payload, len);
        }

    } else if (cc_json_int(v, &index) != CC_OK || index != d.index) {
        fz_fail("an index differs without a DOM", payload, len);
    }
}


static void
fz_same(const char *what, const cc_str_t *s, const cc_json_t *v,
    const u_char *payload, size_t len)
{
    if (s->data == NULL) {
        if (v != NULL) {
            fprintf(stderr, "%s: ", what);
            fz_fail("a string missed without a DOM", payload, len);
        }

        return;
    }

    if (v == NULL || v->type != CC_JSON_STRING || v->str.len != s->len
        || (s->len && memcmp(v->str.data, s->data, s->len) != 0))
    {
        fprintf(stderr, "%s: ", what);
        fz_fail("a string differs without a DOM", payload, len);
    }
}


static void
fz_error(fz_ctx_t *c, const char *type, const char *code,
    const cc_str_t *message)
{
    cc_str_t  out;

    if (cc_stream_error(c->a, &c->s, type, code, message, &out) != CC_OK) {
        fz_fail("cc_stream_error() failed", NULL, 0);
    }

    fz_sse("an error event", out.data, out.len, 1);
    fz_client(c, out.data, out.len);
}


/* the events a client reads, one by one (fz_sse() checked the framing) */
static void
fz_client(fz_ctx_t *c, const u_char *p, size_t len)
{
    char           err[128];
    cc_json_t     *v;
    fz_arena_t     arena;
    const u_char  *end, *e;

    if (len == 0) {
        return;
    }

    fz_arena_init(&arena);

    end = p + len;

    while (p < end) {
        p += 6;

        for (e = p; e[0] != '\n' || e[1] != '\n'; e++) {
            /* void */
        }

        if (!(e - p == 6 && memcmp(p, "[DONE]", 6) == 0)) {
            v = cc_json_parse(&arena.alloc, p, e - p, err, sizeof(err));
            if (v == NULL) {
                fz_fail("an event does not parse back", p, e - p);
            }

            fz_chunk(c, v, p, e - p);
        }

        p = e + 2;
    }

    fz_arena_reset(&arena);
}


static void
fz_chunk(fz_ctx_t *c, const cc_json_t *v, const u_char *p, size_t len)
{
    int64_t       n;
    cc_json_t    *e, *choices, *choice, *delta, *finish, *usage;

    e = cc_json_get(v, "error");

    if (e != NULL) {
        if (v->n != 1 || cc_json_get(e, "message") == NULL
            || cc_json_get(e, "message")->type != CC_JSON_STRING
            || cc_json_get(e, "type") == NULL
            || cc_json_get(e, "type")->type != CC_JSON_STRING)
        {
            fz_fail("an error event is not {\"error\":{message,type}}", p,
                    len);
        }

        return;
    }

    if (!cc_json_is(cc_json_get(v, "id"), FZ_ID)
        || !cc_json_is(cc_json_get(v, "object"), "chat.completion.chunk")
        || !cc_json_is(cc_json_get(v, "model"), FZ_MODEL)
        || cc_json_int(cc_json_get(v, "created"), &n) != CC_OK
        || n != FZ_CREATED)
    {
        fz_fail("a chunk without the response's id, object, created and "
                "model", p, len);
    }

    if (c->usages) {
        fz_fail("a chunk after the usage chunk", p, len);
    }

    c->chunks++;

    choices = cc_json_get(v, "choices");
    usage = cc_json_get(v, "usage");

    if (choices == NULL || choices->type != CC_JSON_ARRAY) {
        fz_fail("a chunk without choices", p, len);
    }

    if (choices->n == 0) {
        if (usage == NULL || usage->type != CC_JSON_OBJECT
            || !c->s.include_usage)
        {
            fz_fail("a chunk of no choice that is not the usage", p, len);
        }

        c->usages++;
        return;
    }

    choice = choices->values[0];
    delta = cc_json_get(choice, "delta");
    finish = cc_json_get(choice, "finish_reason");

    if (choices->n != 1 || cc_json_int(cc_json_get(choice, "index"), &n)
                           != CC_OK
        || n != 0 || delta == NULL || delta->type != CC_JSON_OBJECT
        || finish == NULL)
    {
        fz_fail("a chunk not of one choice 0 with a delta and a "
                "finish_reason", p, len);
    }

    if (cc_json_get(delta, "role") != NULL) {
        if (!cc_json_is(cc_json_get(delta, "role"), "assistant")
            || c->chunks != 1)
        {
            fz_fail("a role chunk that is not the first, or not the "
                    "assistant's", p, len);
        }

        c->roles++;

    } else if (c->roles == 0) {
        fz_fail("a chunk before the role chunk", p, len);
    }

    if (finish->type != CC_JSON_NULL) {
        if (!cc_json_is(finish, "stop") && !cc_json_is(finish, "length")
            && !cc_json_is(finish, "tool_calls")
            && !cc_json_is(finish, "content_filter"))
        {
            fz_fail("a finish_reason that OpenAI does not have", p, len);
        }

        if (c->finishes++) {
            fz_fail("a second finish_reason", p, len);
        }

    } else if (c->finishes) {
        fz_fail("a chunk after the finish_reason", p, len);
    }

    if (cc_json_get(delta, "tool_calls") != NULL) {
        fz_tool_calls(c, cc_json_get(delta, "tool_calls"), p, len);
    }
}


static void
fz_tool_calls(fz_ctx_t *c, const cc_json_t *calls, const u_char *p,
    size_t len)
{
    size_t       i;
    int64_t      index;
    cc_json_t   *call, *fn;

    if (calls->type != CC_JSON_ARRAY || calls->n == 0) {
        fz_fail("tool_calls is not a non-empty array", p, len);
    }

    for (i = 0; i < calls->n; i++) {
        call = calls->values[i];
        fn = cc_json_get(call, "function");

        if (cc_json_int(cc_json_get(call, "index"), &index) != CC_OK
            || index < 0 || index > c->ntools || fn == NULL
            || fn->type != CC_JSON_OBJECT)
        {
            fz_fail("a tool call delta's index skips one", p, len);
        }

        if (index == c->ntools) {
            /* a new call: its first delta names it */

            if (cc_json_get(call, "id") == NULL
                || cc_json_get(call, "id")->type != CC_JSON_STRING
                || cc_json_get(call, "id")->str.len == 0
                || !cc_json_is(cc_json_get(call, "type"), "function")
                || cc_json_get(fn, "name") == NULL
                || cc_json_get(fn, "name")->type != CC_JSON_STRING)
            {
                fz_fail("a tool call's first delta without its id, type "
                        "and name", p, len);
            }

            c->ntools++;
        }

        if (cc_json_get(fn, "arguments") == NULL
            || cc_json_get(fn, "arguments")->type != CC_JSON_STRING)
        {
            fz_fail("a tool call delta without arguments", p, len);
        }
    }
}
