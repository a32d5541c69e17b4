
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * Bedrock Converse answers -> an OpenAI chat.completion (cc_converse,
 * cc_round), round after round, as lifecycle.c and tools.c drive them;
 * and the same bytes as a Bedrock error answer (cc_bedrock_error) ->
 * the client's error body (cc_error_body).
 *
 * Input: the Converse answers of the rounds, separated by the byte 0x1e
 * (ASCII RS).  The server tool is "get_loan_options"; the error answer's
 * status is chosen by the input's length.
 *
 * Asserted: the completion and every error body are valid UTF-8 JSON
 * objects; a failed round says what the client gets (a status, a
 * type); a server tool's input is always an object.  And what an OpenAI
 * client relies on: the completion carries the response's id,
 * "chat.completion", created and model, one choice of index 0 with an
 * assistant message (content a string or null) and a finish_reason of
 * OpenAI's, tool calls with an id, type "function", a name and
 * arguments that are a JSON object, and the usage.
 */


#include "fuzz_util.h"
#include "fuzz_stream.h"
#include "cc_converse.h"


#define FZ_MAX_ROUNDS  4


static void fz_error_body(cc_alloc_t *a, const char *what,
    const cc_http_error_t *err);
static void fz_bedrock_error(cc_alloc_t *a, const u_char *p, size_t len,
    size_t size);
static void fz_completion(cc_alloc_t *a, const cc_str_t *out);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int               rc;
    char              err[128];
    size_t            i, n;
    u_char           *copy;
    unsigned          rounds;
    cc_str_t          out;
    cc_json_t        *input;
    fz_arena_t        arena;
    cc_alloc_t       *a;
    cc_round_t        round;
    cc_stream_t      *s;
    const u_char     *p, *end, *rs;
    cc_http_error_t   herr;

    /* the answers stay, as a->converse does in the pool */
    copy = fz_mem(data, size);

    s = calloc(1, sizeof(cc_stream_t));
    if (s == NULL) {
        fz_fail("calloc failed", NULL, 0);
    }

    fz_arena_init(&arena);
    a = &arena.alloc;

    fz_stream_init(s, 1);

    p = copy;
    end = copy + size;
    rounds = 0;

    for ( ;; ) {
        rs = memchr(p, 0x1e, end - p);
        if (rs == NULL) {
            rs = end;
        }

        n = rs - p;

        fz_bedrock_error(a, p, n, size);

        memset(&herr, 0, sizeof(cc_http_error_t));

        rc = cc_converse_round(a, s, p, n, &herr);

        if (rc != CC_OK) {
            if (rc != CC_ERROR) {
                fz_fail("cc_converse_round() returned an unknown code",
                        NULL, 0);
            }

            if (herr.status == 0) {
                fz_fail("cc_converse_round() failed without an error",
                        NULL, 0);
            }

            fz_error_body(a, "a Converse answer's error", &herr);
            break;
        }

        if (cc_stream_round_tool_uses(s, &round) != CC_OK) {
            fz_fail("cc_stream_round_tool_uses() failed", NULL, 0);
        }

        fz_utf8("a round's text", round.text.data, round.text.len);

        if (rs < end && round.nserver && round.nclient == 0
            && rounds < FZ_MAX_ROUNDS)
        {
            /* tools.c: the server tools' inputs, then the next round */

            for (i = 0; i < round.nserver; i++) {
                input = cc_tool_input(a, round.server[i], err, sizeof(err));

                if (input == NULL || input->type != CC_JSON_OBJECT) {
                    fz_fail("a server tool's input is not an object",
                            NULL, 0);
                }

                if (cc_json_serialize(a, input, &out) != CC_OK) {
                    fz_fail("cc_json_serialize() failed", NULL, 0);
                }

                fz_json("a server tool's input", out.data, out.len);
            }

            cc_stream_next_round(s);
            rounds++;
            p = rs + 1;
            continue;
        }

        if (cc_completion_build(a, s, &out) != CC_OK) {
            fz_fail("cc_completion_build() failed", NULL, 0);
        }

        if (out.len == 0 || out.data[0] != '{') {
            fz_fail("the completion is not an object", out.data, out.len);
        }

        fz_json("the completion", out.data, out.len);
        fz_completion(a, &out);
        break;
    }

    fz_arena_reset(&arena);
    free(s);
    free(copy);

    return 0;
}


static void
fz_error_body(cc_alloc_t *a, const char *what, const cc_http_error_t *err)
{
    cc_str_t  out;

    if (err->type == NULL) {
        fz_fail("an error without a type", NULL, 0);
    }

    fz_utf8(what, err->message.data, err->message.len);

    if (cc_error_body(a, err->type, err->code, NULL, &err->message, &out)
        != CC_OK)
    {
        fz_fail("cc_error_body() failed", NULL, 0);
    }

    if (out.len == 0 || out.data[0] != '{') {
        fz_fail("an error body is not an object", out.data, out.len);
    }

    fz_json(what, out.data, out.len);
}


/* the same bytes as the body of a Bedrock error answer */
static void
fz_bedrock_error(cc_alloc_t *a, const u_char *p, size_t len, size_t size)
{
    cc_http_error_t  herr;

    static const int       status[] = { 400, 403, 404, 408, 424, 429, 500,
                                        503, 504 };
    static const cc_str_t  type = cc_string("ValidationException");

    memset(&herr, 0, sizeof(cc_http_error_t));

    if (cc_bedrock_error(a, status[size % 9], (size & 16) ? &type : NULL, p,
                         len, &herr)
        != CC_OK)
    {
        fz_fail("cc_bedrock_error() failed", NULL, 0);
    }

    if (herr.status < 400 || herr.status > 599) {
        fz_fail("a Bedrock error became no error status", NULL, 0);
    }

    fz_error_body(a, "a Bedrock error's body", &herr);
}


static void
fz_completion(cc_alloc_t *a, const cc_str_t *out)
{
    char          err[128];
    size_t        i;
    int64_t       n;
    cc_json_t    *v, *choices, *choice, *msg, *content, *finish, *calls;
    cc_json_t    *fn, *args, *usage;

    v = cc_json_parse(a, out->data, out->len, err, sizeof(err));
    if (v == NULL) {
        fz_fail("the completion does not parse back", out->data, out->len);
    }

    choices = cc_json_get(v, "choices");
    usage = cc_json_get(v, "usage");

    if (!cc_json_is(cc_json_get(v, "id"), FZ_ID)
        || !cc_json_is(cc_json_get(v, "object"), "chat.completion")
        || !cc_json_is(cc_json_get(v, "model"), FZ_MODEL)
        || cc_json_int(cc_json_get(v, "created"), &n) != CC_OK
        || n != FZ_CREATED
        || usage == NULL || usage->type != CC_JSON_OBJECT
        || choices == NULL || choices->type != CC_JSON_ARRAY
        || choices->n != 1)
    {
        fz_fail("a completion without its id, object, created, model, "
                "usage and one choice", out->data, out->len);
    }

    choice = choices->values[0];
    msg = cc_json_get(choice, "message");
    content = cc_json_get(msg, "content");
    finish = cc_json_get(choice, "finish_reason");

    if (cc_json_int(cc_json_get(choice, "index"), &n) != CC_OK || n != 0
        || !cc_json_is(cc_json_get(msg, "role"), "assistant")
        || content == NULL
        || (content->type != CC_JSON_STRING
            && content->type != CC_JSON_NULL)
        || !(cc_json_is(finish, "stop") || cc_json_is(finish, "length")
             || cc_json_is(finish, "tool_calls")
             || cc_json_is(finish, "content_filter")))
    {
        fz_fail("a choice without index 0, an assistant message and an "
                "OpenAI finish_reason", out->data, out->len);
    }

    calls = cc_json_get(msg, "tool_calls");

    if (calls == NULL) {
        return;
    }

    if (calls->type != CC_JSON_ARRAY || calls->n == 0) {
        fz_fail("tool_calls is not a non-empty array", out->data, out->len);
    }

    for (i = 0; i < calls->n; i++) {
        fn = cc_json_get(calls->values[i], "function");
        args = cc_json_get(fn, "arguments");

        if (cc_json_get(calls->values[i], "id") == NULL
            || cc_json_get(calls->values[i], "id")->type != CC_JSON_STRING
            || !cc_json_is(cc_json_get(calls->values[i], "type"),
                           "function")
            || cc_json_get(fn, "name") == NULL
            || cc_json_get(fn, "name")->type != CC_JSON_STRING
            || args == NULL || args->type != CC_JSON_STRING)
        {
            fz_fail("a tool call without its id, type, name and arguments",
                    out->data, out->len);
        }

        v = cc_json_parse(a, args->str.data, args->str.len, err,
                          sizeof(err));

        if (v == NULL || v->type != CC_JSON_OBJECT) {
            fz_fail("a tool call's arguments are not a JSON object",
                    out->data, out->len);
        }
    }
}
