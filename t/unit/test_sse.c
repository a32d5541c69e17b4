
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * SSE unit tests: Bedrock ConverseStream events to OpenAI chunks, byte
 * for byte; the finish and usage chunks; multi-round responses; stream
 * faults; Bedrock HTTP error mapping; non-streaming completions.
 *
 *     make -C t/unit build/test_sse && t/unit/build/test_sse
 */


#include "test_util.h"

#include "cc_sse.h"
#include "cc_converse.h"


#define T_ID       "chatcmpl-abc"
#define T_CREATED  1736942400
#define T_MODEL    "amazon.nova-lite-v1:0"

#define T_META                                                              \
    "\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\","         \
    "\"created\":1736942400,\"model\":\"amazon.nova-lite-v1:0\","

#define T_HEAD                                                              \
    "data: {" T_META "\"choices\":[{\"index\":0,\"delta\":"

#define T_TAIL   ",\"logprobs\":null,\"finish_reason\":null}]}\n\n"
#define T_TAILU                                                             \
    ",\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n"

#define CHUNK(d)    T_HEAD d T_TAIL
#define CHUNKU(d)   T_HEAD d T_TAILU

#define ROLE        "{\"role\":\"assistant\",\"content\":\"\"}"
#define TEXT(t)     "{\"content\":\"" t "\"}"

#define TOOL(k, id, name)                                                   \
    "{\"tool_calls\":[{\"index\":" #k ",\"id\":\"" id "\","                 \
    "\"type\":\"function\",\"function\":{\"name\":\"" name "\","            \
    "\"arguments\":\"\"}}]}"

#define ARGS(k, a)                                                          \
    "{\"tool_calls\":[{\"index\":" #k ",\"function\":"                      \
    "{\"arguments\":\"" a "\"}}]}"

#define FIN(f)                                                              \
    T_HEAD "{},\"logprobs\":null,\"finish_reason\":\"" f "\"}]}\n\n"
#define FINU(f)                                                             \
    T_HEAD "{},\"logprobs\":null,\"finish_reason\":\"" f "\"}],"            \
    "\"usage\":null}\n\n"

#define USAGE(i, o, t, c)                                                   \
    "data: {" T_META "\"choices\":[],\"usage\":{\"prompt_tokens\":" #i      \
    ",\"completion_tokens\":" #o ",\"total_tokens\":" #t                    \
    ",\"prompt_tokens_details\":{\"cached_tokens\":" #c "}}}\n\n"

/* with prompt caching: prompt counts the cache, the two counts follow */
#define USAGEC(p, o, t, r, w)                                               \
    "data: {" T_META "\"choices\":[],\"usage\":{\"prompt_tokens\":" #p      \
    ",\"completion_tokens\":" #o ",\"total_tokens\":" #t                    \
    ",\"prompt_tokens_details\":{\"cached_tokens\":" #r "},"                \
    "\"cache_read_input_tokens\":" #r                                       \
    ",\"cache_creation_input_tokens\":" #w "}}\n\n"

#define DONE        "data: [DONE]\n\n"


/* Bedrock payloads */

#define P_TEXT(i, t)                                                        \
    "{\"contentBlockIndex\":" #i ",\"delta\":{\"text\":\"" t "\"}}"
#define P_TOOL_START(i, id, name)                                           \
    "{\"contentBlockIndex\":" #i ",\"start\":{\"toolUse\":"                 \
    "{\"toolUseId\":\"" id "\",\"name\":\"" name "\"}}}"
#define P_TOOL_INPUT(i, in)                                                 \
    "{\"contentBlockIndex\":" #i ",\"delta\":{\"toolUse\":"                 \
    "{\"input\":\"" in "\"}}}"
#define P_STOP(i)   "{\"contentBlockIndex\":" #i "}"
#define P_MSTOP(r)  "{\"stopReason\":\"" r "\"}"
#define P_META(i, o, t)                                                     \
    "{\"usage\":{\"inputTokens\":" #i ",\"outputTokens\":" #o               \
    ",\"totalTokens\":" #t "},\"metrics\":{\"latencyMs\":702}}"


typedef struct {
    cc_test_arena_t           arena;
    cc_alloc_t               *a;
    cc_stream_t               s;
    cc_str_t                  out;
    cc_stream_fault_t         fault;
} t_ctx_t;


static int t_server_tool(void *data, const cc_str_t *name);
static void t_begin(t_ctx_t *t, unsigned include_usage);
static void t_end(t_ctx_t *t);
static int t_msg(t_ctx_t *t, const char *mt, const char *type,
    const char *payload);
static int t_ev(t_ctx_t *t, const char *type, const char *payload);
static int t_finish(t_ctx_t *t);
static void t_str(cc_str_t *s, const char *v);
static void t_buf(cc_buf_t *b, const char *v);
static int t_has(const cc_str_t *s, const char *lit);
static int t_completion(cc_alloc_t *a, const cc_stream_t *meta,
    const u_char *json, size_t len, cc_str_t *out, cc_http_error_t *err);

static void test_role(void);
static void test_text(void);
static void test_ignored(void);
static void test_text_then_tool(void);
static void test_two_tools(void);
static void test_empty_input(void);
static void test_server_tool(void);
static void test_finish_reason(void);
static void test_finish(void);
static void test_usage(void);
static void test_two_rounds(void);
static void test_separator(void);
static void test_faults(void);
static void test_stream_error(void);
static void test_error_body(void);
static void test_bedrock_error(void);
static void test_completion(void);
static void test_converse_rounds(void);
static void test_escaping(void);
static void test_memory(void);
static void test_shared_gen(void);


static int
t_server_tool(void *data, const cc_str_t *name)
{
    const char  *server;

    server = data;

    return name->len == strlen(server)
           && memcmp(name->data, server, name->len) == 0;
}


static void
t_begin(t_ctx_t *t, unsigned include_usage)
{
    memset(t, 0, sizeof(t_ctx_t));

    cc_test_arena_init(&t->arena);
    t->a = &t->arena.alloc;

    cc_stream_init(&t->s);

    t_str(&t->s.id, T_ID);
    t_str(&t->s.model, T_MODEL);
    t->s.created = T_CREATED;
    t->s.include_usage = include_usage;
    t->s.is_server_tool = t_server_tool;
    t->s.is_server_tool_data = "get_loan_options";
}


static void
t_end(t_ctx_t *t)
{
    cc_test_arena_destroy(&t->arena);
}


/*
 * The payload lives in its own malloc'd copy, scribbled over and freed
 * after the call: anything kept pointing into it trips ASan later.
 */
static int
t_msg(t_ctx_t *t, const char *mt, const char *type, const char *payload)
{
    int        rc;
    size_t     len;
    u_char    *p;
    cc_str_t   m, ty;

    t_str(&m, mt);
    t_str(&ty, type);

    len = strlen(payload);

    p = malloc(len + 1);
    if (p == NULL) {
        abort();
    }

    memcpy(p, payload, len + 1);

    t->out.len = 0;
    t->out.data = NULL;
    memset(&t->fault, 0, sizeof(cc_stream_fault_t));

    rc = cc_stream_event(t->a, &t->s, &m, &ty, p, len, &t->out, &t->fault);

    memset(p, 'X', len);
    free(p);

    /* whatever came in, every byte that goes out is UTF-8 */
    CHECK(cc_utf8_check(t->out.data, t->out.len) == t->out.len);

    return rc;
}


static int
t_ev(t_ctx_t *t, const char *type, const char *payload)
{
    return t_msg(t, "event", type, payload);
}


static int
t_finish(t_ctx_t *t)
{
    /* cc_stream_finish() stores, it does not append */
    int  rc;

    t->out.len = 777;
    t->out.data = NULL;

    rc = cc_stream_finish(t->a, &t->s, &t->out);

    /* whatever came in, every byte that goes out is UTF-8 */
    CHECK(rc != CC_OK || cc_utf8_check(t->out.data, t->out.len) == t->out.len);

    return rc;
}


static void
t_str(cc_str_t *s, const char *v)
{
    s->data = (u_char *) v;
    s->len = v ? strlen(v) : 0;
}


/* whether s holds the literal */
static int
t_has(const cc_str_t *s, const char *lit)
{
    size_t  i, n;

    n = strlen(lit);

    for (i = 0; i + n <= s->len; i++) {
        if (memcmp(s->data + i, lit, n) == 0) {
            return 1;
        }
    }

    return 0;
}


/* a literal in a buffer: not the buffer's own (cap 0) */
static void
t_buf(cc_buf_t *b, const char *v)
{
    b->data = (u_char *) v;
    b->len = strlen(v);
    b->cap = 0;
}


static void
test_role(void)
{
    t_ctx_t  t;

    t_begin(&t, 0);

    EXPECT_INT(t_ev(&t, "messageStart", "{\"role\":\"assistant\"}"), CC_OK);
    EXPECT_STR(t.out, CHUNK(ROLE));

    /* once per response */
    EXPECT_INT(t_ev(&t, "messageStart", "{\"role\":\"assistant\"}"), CC_OK);
    EXPECT_INT(t.out.len, 0);

    t_end(&t);
}


static void
test_text(void)
{
    t_ctx_t   t;
    cc_round_t  r;

    t_begin(&t, 0);

    EXPECT_INT(t_ev(&t, "messageStart", "{\"role\":\"assistant\"}"), CC_OK);

    EXPECT_INT(t_ev(&t, "contentBlockDelta", P_TEXT(0, "Hel")), CC_OK);
    EXPECT_STR(t.out, CHUNK(TEXT("Hel")));

    EXPECT_INT(t_ev(&t, "contentBlockDelta", P_TEXT(0, "lo")), CC_OK);
    EXPECT_STR(t.out, CHUNK(TEXT("lo")));

    /* empty text: nothing to send */
    EXPECT_INT(t_ev(&t, "contentBlockDelta", P_TEXT(0, "")), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "contentBlockStop", P_STOP(0)), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "messageStop", P_MSTOP("end_turn")), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "metadata", P_META(12, 3, 15)), CC_DONE);
    EXPECT_INT(t.out.len, 0);

    cc_stream_round_tool_uses(&t.s, &r);
    EXPECT_STR(r.text, "Hello");
    EXPECT_STR(r.stop_reason, "end_turn");
    EXPECT_INT(r.ntools, 0);
    EXPECT_INT(r.usage.input, 12);
    EXPECT_INT(r.usage.output, 3);
    EXPECT_INT(r.usage.total, 15);

    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FIN("stop") DONE);
    CHECK(strcmp(t.s.finish_reason, "stop") == 0);

    t_end(&t);
}


static void
test_ignored(void)
{
    t_ctx_t  t;

    t_begin(&t, 0);

    EXPECT_INT(t_ev(&t, "messageStart",
                    "{\"role\":\"assistant\",\"p\":\"abcdefghij\"}"), CC_OK);
    EXPECT_STR(t.out, CHUNK(ROLE));

    /* the "p" padding is neither text nor an error */
    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hi\"},"
                    "\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\"}"),
               CC_OK);
    EXPECT_STR(t.out, CHUNK(TEXT("Hi")));

    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    "{\"p\":\"abc\",\"contentBlockIndex\":0,"
                    "\"delta\":{\"text\":\"!\"}}"), CC_OK);
    EXPECT_STR(t.out, CHUNK(TEXT("!")));

    /* unknown events, unknown union members, reasoning: nothing */
    EXPECT_INT(t_ev(&t, "someFutureEvent", "{\"x\":1}"), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "someFutureEvent", "not even json"), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    "{\"contentBlockIndex\":1,\"delta\":{\"citation\":"
                    "{\"title\":\"x\"}},\"p\":\"ab\"}"), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    "{\"contentBlockIndex\":2,\"delta\":{\"reasoningContent\":"
                    "{\"text\":\"let me think\"}}}"), CC_OK);
    EXPECT_STR(t.out, CHUNK("{\"reasoning_content\":\"let me think\"}"));

    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    "{\"contentBlockIndex\":3,\"start\":{}}"), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    "{\"contentBlockIndex\":3,\"start\":{\"image\":"
                    "{\"format\":\"png\"}}}"), CC_OK);
    EXPECT_INT(t.out.len, 0);

    /* a tool delta for a block that never started */
    EXPECT_INT(t_ev(&t, "contentBlockDelta", P_TOOL_INPUT(7, "{}")), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "contentBlockStop", P_STOP(7)), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "messageStop",
                    "{\"stopReason\":\"end_turn\","
                    "\"additionalModelResponseFields\":{},\"p\":\"a\"}"),
               CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t.s.next_index, 0);
    EXPECT_STR(t.s.round.text, "Hi!");

    t_end(&t);
}


static void
test_text_then_tool(void)
{
    t_ctx_t     t;
    cc_round_t  r;

    t_begin(&t, 0);

    t_ev(&t, "messageStart", "{\"role\":\"assistant\"}");

    EXPECT_INT(t_ev(&t, "contentBlockDelta", P_TEXT(0, "Checking.")), CC_OK);
    EXPECT_STR(t.out, CHUNK(TEXT("Checking.")));

    EXPECT_INT(t_ev(&t, "contentBlockStop", P_STOP(0)), CC_OK);
    EXPECT_INT(t.out.len, 0);

    /* contentBlockIndex 1, tool index 0 */
    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    P_TOOL_START(1, "tooluse_x", "get_weather")), CC_OK);
    EXPECT_STR(t.out, CHUNK(TOOL(0, "tooluse_x", "get_weather")));

    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    P_TOOL_INPUT(1, "{\\\"city\\\":")), CC_OK);
    EXPECT_STR(t.out, CHUNK(ARGS(0, "{\\\"city\\\":")));

    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    P_TOOL_INPUT(1, "\\\"Oslo\\\"}")), CC_OK);
    EXPECT_STR(t.out, CHUNK(ARGS(0, "\\\"Oslo\\\"}")));

    /* an empty fragment is not worth a chunk */
    EXPECT_INT(t_ev(&t, "contentBlockDelta", P_TOOL_INPUT(1, "")), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "contentBlockStop", P_STOP(1)), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "messageStop", P_MSTOP("tool_use")), CC_OK);
    EXPECT_INT(t_ev(&t, "metadata", P_META(412, 31, 443)), CC_DONE);

    cc_stream_round_tool_uses(&t.s, &r);
    EXPECT_INT(r.ntools, 1);
    EXPECT_INT(r.nclient, 1);
    EXPECT_INT(r.nserver, 0);
    EXPECT_STR(r.text, "Checking.");
    EXPECT_STR(r.client[0]->id, "tooluse_x");
    EXPECT_STR(r.client[0]->name, "get_weather");
    EXPECT_STR(r.client[0]->input, "{\"city\":\"Oslo\"}");
    EXPECT_INT(r.client[0]->index, 0);
    EXPECT_INT(r.client[0]->block, 1);

    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FIN("tool_calls") DONE);

    t_end(&t);
}


static void
test_two_tools(void)
{
    t_ctx_t     t;
    cc_round_t  r;

    t_begin(&t, 0);

    t_ev(&t, "messageStart", "{\"role\":\"assistant\"}");

    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    P_TOOL_START(0, "tooluse_a", "get_weather")), CC_OK);
    EXPECT_STR(t.out, CHUNK(TOOL(0, "tooluse_a", "get_weather")));

    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    P_TOOL_INPUT(0, "{\\\"city\\\":\\\"Oslo\\\"}")), CC_OK);
    EXPECT_STR(t.out, CHUNK(ARGS(0, "{\\\"city\\\":\\\"Oslo\\\"}")));

    t_ev(&t, "contentBlockStop", P_STOP(0));
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    P_TOOL_START(1, "tooluse_b", "get_time")), CC_OK);
    EXPECT_STR(t.out, CHUNK(TOOL(1, "tooluse_b", "get_time")));

    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    P_TOOL_INPUT(1, "{\\\"tz\\\":\\\"CET\\\"}")), CC_OK);
    EXPECT_STR(t.out, CHUNK(ARGS(1, "{\\\"tz\\\":\\\"CET\\\"}")));

    t_ev(&t, "contentBlockStop", P_STOP(1));
    t_ev(&t, "messageStop", P_MSTOP("tool_use"));
    EXPECT_INT(t_ev(&t, "metadata", P_META(1, 2, 3)), CC_DONE);

    cc_stream_round_tool_uses(&t.s, &r);
    EXPECT_INT(r.nclient, 2);
    EXPECT_INT(r.client[0]->index, 0);
    EXPECT_INT(r.client[1]->index, 1);

    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FIN("tool_calls") DONE);

    t_end(&t);
}


static void
test_empty_input(void)
{
    t_ctx_t     t;
    cc_json_t  *in;
    cc_round_t  r;
    char        err[64];

    t_begin(&t, 0);

    t_ev(&t, "messageStart", "{\"role\":\"assistant\"}");

    /* no fragments at all */
    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    P_TOOL_START(0, "tooluse_n", "get_date")), CC_OK);
    EXPECT_STR(t.out, CHUNK(TOOL(0, "tooluse_n", "get_date")));

    EXPECT_INT(t_ev(&t, "contentBlockStop", P_STOP(0)), CC_OK);
    EXPECT_STR(t.out, CHUNK(ARGS(0, "{}")));

    /* a stop seen twice does not send "{}" twice */
    EXPECT_INT(t_ev(&t, "contentBlockStop", P_STOP(0)), CC_OK);
    EXPECT_INT(t.out.len, 0);

    /* only empty fragments */
    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    P_TOOL_START(1, "tooluse_m", "get_date")), CC_OK);
    EXPECT_STR(t.out, CHUNK(TOOL(1, "tooluse_m", "get_date")));

    EXPECT_INT(t_ev(&t, "contentBlockDelta", P_TOOL_INPUT(1, "")), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "contentBlockStop", P_STOP(1)), CC_OK);
    EXPECT_STR(t.out, CHUNK(ARGS(1, "{}")));

    cc_stream_round_tool_uses(&t.s, &r);
    EXPECT_STR(r.client[0]->input, "{}");
    EXPECT_STR(r.client[1]->input, "{}");

    in = cc_tool_input(t.a, r.client[0], err, sizeof(err));
    CHECK(in != NULL && in->type == CC_JSON_OBJECT && in->n == 0);

    /*
     * a tool block that never stopped still gets "{}" at the end; no
     * messageStop came, so the finish reason is the default
     */
    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    P_TOOL_START(2, "tooluse_o", "get_date")), CC_OK);
    EXPECT_STR(t.out, CHUNK(TOOL(2, "tooluse_o", "get_date")));

    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, CHUNK(ARGS(2, "{}")) FIN("stop") DONE);

    t_end(&t);
}


static void
test_server_tool(void)
{
    t_ctx_t     t;
    char        err[64];
    cc_json_t  *in;
    cc_round_t  r;

    t_begin(&t, 0);

    t_ev(&t, "messageStart", "{\"role\":\"assistant\"}");

    /* the server tool first: the client's tool still gets index 0 */
    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    P_TOOL_START(0, "tooluse_s", "get_loan_options")),
               CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    P_TOOL_INPUT(0, "{\\\"type\\\":")), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    P_TOOL_INPUT(0, "\\\"home\\\"}")), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "contentBlockStop", P_STOP(0)), CC_OK);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    P_TOOL_START(1, "tooluse_c", "transferCall")), CC_OK);
    EXPECT_STR(t.out, CHUNK(TOOL(0, "tooluse_c", "transferCall")));

    EXPECT_INT(t_ev(&t, "contentBlockStop", P_STOP(1)), CC_OK);
    EXPECT_STR(t.out, CHUNK(ARGS(0, "{}")));

    /* a second server tool, without input: hidden, input "{}" */
    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    P_TOOL_START(2, "tooluse_t", "get_loan_options")),
               CC_OK);
    EXPECT_INT(t.out.len, 0);
    EXPECT_INT(t_ev(&t, "contentBlockStop", P_STOP(2)), CC_OK);
    EXPECT_INT(t.out.len, 0);

    t_ev(&t, "messageStop", P_MSTOP("tool_use"));
    EXPECT_INT(t_ev(&t, "metadata", P_META(1, 2, 3)), CC_DONE);

    cc_stream_round_tool_uses(&t.s, &r);
    EXPECT_INT(r.ntools, 3);
    EXPECT_INT(r.nserver, 2);
    EXPECT_INT(r.nclient, 1);
    CHECK(r.tools[0] == r.server[0]);
    CHECK(r.tools[1] == r.client[0]);
    CHECK(r.tools[2] == r.server[1]);
    CHECK(r.server[0]->server);
    EXPECT_INT(r.server[0]->index, -1);
    EXPECT_STR(r.server[0]->id, "tooluse_s");
    EXPECT_STR(r.server[0]->name, "get_loan_options");
    EXPECT_STR(r.server[0]->input, "{\"type\":\"home\"}");
    EXPECT_STR(r.server[1]->input, "{}");
    EXPECT_INT(r.client[0]->index, 0);

    in = cc_tool_input(t.a, r.server[0], err, sizeof(err));
    CHECK(in != NULL && in->type == CC_JSON_OBJECT);
    CHECK(in != NULL && cc_json_get(in, "type") != NULL);
    EXPECT_INT(err[0], '\0');
    CHECK(cc_tool_input(t.a, r.server[0], err, sizeof(err)) == in);

    /* a model's broken or non-object input: {} and a reason */
    t_buf(&r.server[1]->input, "{\"type\":");
    in = cc_tool_input(t.a, r.server[1], err, sizeof(err));
    CHECK(in != NULL && in->type == CC_JSON_OBJECT && in->n == 0);
    CHECK(err[0] != '\0');

    r.client[0]->input_json = NULL;
    t_buf(&r.client[0]->input, "[1]");
    in = cc_tool_input(t.a, r.client[0], err, sizeof(err));
    CHECK(in != NULL && in->type == CC_JSON_OBJECT && in->n == 0);
    CHECK(strcmp(err, "not a JSON object") == 0);

    t_end(&t);
}


static void
test_finish_reason(void)
{
    size_t    i;
    cc_str_t  s;

    static const char  *map[][2] = {
        { "end_turn", "stop" },
        { "stop_sequence", "stop" },
        { "max_tokens", "length" },
        { "tool_use", "tool_calls" },
        { "content_filtered", "content_filter" },
        { "guardrail_intervened", "content_filter" },
        { "model_context_window_exceeded", "length" },
        { "malformed_model_output", "stop" },
        { "malformed_tool_use", "stop" },
        { "some_future_reason", "stop" },
        { "", "stop" },
        { "END_TURN", "stop" },
    };

    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        t_str(&s, map[i][0]);

        if (!CHECK(strcmp(cc_finish_reason(&s), map[i][1]) == 0)) {
            fprintf(stderr, "    %s -> %s\n", map[i][0],
                    cc_finish_reason(&s));
        }
    }

    CHECK(strcmp(cc_finish_reason(NULL), "stop") == 0);
}


static void
test_finish(void)
{
    t_ctx_t  t;

    /* the finish chunk for each stop reason, through a stream */

    t_begin(&t, 0);
    t_ev(&t, "messageStart", "{}");
    t_ev(&t, "messageStop", P_MSTOP("max_tokens"));
    t_ev(&t, "metadata", P_META(1, 1, 2));
    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FIN("length") DONE);
    t_end(&t);

    t_begin(&t, 0);
    t_ev(&t, "messageStart", "{}");
    t_ev(&t, "messageStop", P_MSTOP("guardrail_intervened"));
    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FIN("content_filter") DONE);
    t_end(&t);

    t_begin(&t, 0);
    t_ev(&t, "messageStart", "{}");
    t_ev(&t, "messageStop", P_MSTOP("content_filtered"));
    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FIN("content_filter") DONE);
    t_end(&t);

    t_begin(&t, 0);
    t_ev(&t, "messageStart", "{}");
    t_ev(&t, "messageStop", P_MSTOP("model_context_window_exceeded"));
    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FIN("length") DONE);
    t_end(&t);

    t_begin(&t, 0);
    t_ev(&t, "messageStart", "{}");
    t_ev(&t, "messageStop", P_MSTOP("malformed_tool_use"));
    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FIN("stop") DONE);
    t_end(&t);

    t_begin(&t, 0);
    t_ev(&t, "messageStart", "{}");
    t_ev(&t, "messageStop", P_MSTOP("stop_sequence"));
    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FIN("stop") DONE);
    t_end(&t);

    /* no stopReason at all */
    t_begin(&t, 0);
    t_ev(&t, "messageStart", "{}");
    t_ev(&t, "messageStop", "{}");
    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FIN("stop") DONE);
    t_end(&t);

    /* tool_use on a server tool only (the round bound hit): stop */
    t_begin(&t, 0);
    t_ev(&t, "messageStart", "{}");
    t_ev(&t, "contentBlockStart",
         P_TOOL_START(0, "tooluse_s", "get_loan_options"));
    t_ev(&t, "contentBlockStop", P_STOP(0));
    t_ev(&t, "messageStop", P_MSTOP("tool_use"));
    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FIN("stop") DONE);
    t_end(&t);

    /* no messageStart ever: the role chunk still comes first */
    t_begin(&t, 0);
    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, CHUNK(ROLE) FIN("stop") DONE);
    t_end(&t);

    /* text before any messageStart: the role chunk goes first */
    t_begin(&t, 0);
    EXPECT_INT(t_ev(&t, "contentBlockDelta", P_TEXT(0, "Hi")), CC_OK);
    EXPECT_STR(t.out, CHUNK(ROLE) CHUNK(TEXT("Hi")));
    EXPECT_INT(t_ev(&t, "messageStart", "{}"), CC_OK);
    EXPECT_INT(t.out.len, 0);
    t_end(&t);

    /* the same for a tool call */
    t_begin(&t, 0);
    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    P_TOOL_START(0, "tooluse_a", "f")), CC_OK);
    EXPECT_STR(t.out, CHUNK(ROLE) CHUNK(TOOL(0, "tooluse_a", "f")));
    t_end(&t);
}


static void
test_usage(void)
{
    t_ctx_t  t;

    /* include_usage: usage null on every chunk, then the usage chunk */
    t_begin(&t, 1);

    EXPECT_INT(t_ev(&t, "messageStart", "{\"role\":\"assistant\"}"), CC_OK);
    EXPECT_STR(t.out, CHUNKU(ROLE));

    EXPECT_INT(t_ev(&t, "contentBlockDelta", P_TEXT(0, "Hi")), CC_OK);
    EXPECT_STR(t.out, CHUNKU(TEXT("Hi")));

    EXPECT_INT(t_ev(&t, "contentBlockStart",
                    P_TOOL_START(1, "tooluse_a", "f")), CC_OK);
    EXPECT_STR(t.out, CHUNKU(TOOL(0, "tooluse_a", "f")));

    EXPECT_INT(t_ev(&t, "contentBlockStop", P_STOP(1)), CC_OK);
    EXPECT_STR(t.out, CHUNKU(ARGS(0, "{}")));

    t_ev(&t, "messageStop", P_MSTOP("tool_use"));

    EXPECT_INT(t_ev(&t, "metadata",
                    "{\"usage\":{\"inputTokens\":412,\"outputTokens\":31,"
                    "\"totalTokens\":443,\"cacheReadInputTokens\":128,"
                    "\"cacheWriteInputTokens\":0},"
                    "\"metrics\":{\"latencyMs\":702},\"p\":\"abc\"}"),
               CC_DONE);
    EXPECT_INT(t.out.len, 0);

    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FINU("tool_calls") USAGEC(540, 31, 571, 128, 0) DONE);

    t_end(&t);

    /* without include_usage: no usage anywhere */
    t_begin(&t, 0);

    t_ev(&t, "messageStart", "{\"role\":\"assistant\"}");
    EXPECT_STR(t.out, CHUNK(ROLE));
    t_ev(&t, "contentBlockDelta", P_TEXT(0, "Hi"));
    EXPECT_STR(t.out, CHUNK(TEXT("Hi")));
    t_ev(&t, "messageStop", P_MSTOP("end_turn"));
    EXPECT_INT(t_ev(&t, "metadata", P_META(5, 6, 11)), CC_DONE);

    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, FIN("stop") DONE);

    EXPECT_INT(t.s.usage.input, 5);
    EXPECT_INT(t.s.usage.output, 6);
    EXPECT_INT(t.s.usage.total, 11);

    t_end(&t);

    /*
     * a broken upstream: negative counts are 0, huge ones and their sums
     * stop at 2^53 - 1, nothing overflows (UBSan would tell)
     */
    t_begin(&t, 0);
    EXPECT_INT(t_ev(&t, "metadata",
                    "{\"usage\":{\"inputTokens\":9223372036854775807,"
                    "\"outputTokens\":-5,\"cacheReadInputTokens\":"
                    "99999999999999999999999,\"cacheWriteInputTokens\":"
                    "1.5}}"), CC_DONE);
    EXPECT_INT(t.s.usage.input, CC_USAGE_MAX);
    EXPECT_INT(t.s.usage.output, 0);
    EXPECT_INT(t.s.usage.total, CC_USAGE_MAX);
    EXPECT_INT(t.s.usage.cache_read, CC_USAGE_MAX);
    EXPECT_INT(t.s.usage.cache_write, 0);

    /* a second round's sums saturate */
    EXPECT_INT(t_ev(&t, "metadata",
                    "{\"usage\":{\"inputTokens\":9007199254740990,"
                    "\"outputTokens\":4,\"totalTokens\":-1}}"), CC_DONE);
    EXPECT_INT(t.s.usage.input, CC_USAGE_MAX);
    EXPECT_INT(t.s.usage.output, 4);
    EXPECT_INT(t.s.usage.total, CC_USAGE_MAX);
    t_end(&t);

    t_begin(&t, 1);
    EXPECT_INT(t_ev(&t, "metadata",
                    "{\"usage\":{\"inputTokens\":9007199254740990,"
                    "\"outputTokens\":9}}"), CC_DONE);
    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, CHUNKU(ROLE) FINU("stop")
                      USAGE(9007199254740990, 9, 9007199254740991, 0) DONE);
    t_end(&t);

    /* metadata without totalTokens or without usage */
    t_begin(&t, 1);
    EXPECT_INT(t_ev(&t, "metadata",
                    "{\"usage\":{\"inputTokens\":7,\"outputTokens\":2}}"),
               CC_DONE);
    EXPECT_INT(t_ev(&t, "metadata", "{\"metrics\":{}}"), CC_DONE);
    EXPECT_INT(t_finish(&t), CC_OK);
    EXPECT_STR(t.out, CHUNKU(ROLE) FINU("stop") USAGE(7, 2, 9, 0) DONE);
    t_end(&t);
}


static void
test_two_rounds(void)
{
    t_ctx_t     t;
    cc_str_t    all;
    cc_round_t  r;
    u_char     *p;

    t_begin(&t, 1);

    all.len = 0;
    all.data = NULL;

#define T_KEEP()                                                            \
    do {                                                                    \
        p = malloc(all.len + t.out.len + 1);                                \
        if (p == NULL) {                                                    \
            abort();                                                        \
        }                                                                   \
        if (all.len) {                                                      \
            memcpy(p, all.data, all.len);                                   \
        }                                                                   \
        if (t.out.len) {                                                    \
            memcpy(p + all.len, t.out.data, t.out.len);                     \
        }                                                                   \
        free(all.data);                                                     \
        all.data = p;                                                       \
        all.len += t.out.len;                                               \
    } while (0)

    /* round 1: a server tool only */
    t_ev(&t, "messageStart", "{\"role\":\"assistant\"}");
    T_KEEP();
    t_ev(&t, "contentBlockStart",
         P_TOOL_START(0, "tooluse_s", "get_loan_options"));
    T_KEEP();
    t_ev(&t, "contentBlockDelta", P_TOOL_INPUT(0, "{}"));
    T_KEEP();
    t_ev(&t, "contentBlockStop", P_STOP(0));
    T_KEEP();
    t_ev(&t, "messageStop", P_MSTOP("tool_use"));
    T_KEEP();
    EXPECT_INT(t_ev(&t, "metadata",
                    "{\"usage\":{\"inputTokens\":100,\"outputTokens\":20,"
                    "\"totalTokens\":120,\"cacheReadInputTokens\":3}}"),
               CC_DONE);
    T_KEEP();

    cc_stream_round_tool_uses(&t.s, &r);
    EXPECT_INT(r.nserver, 1);
    EXPECT_INT(r.nclient, 0);
    EXPECT_INT(r.text.len, 0);
    EXPECT_STR(r.server[0]->input, "{}");
    EXPECT_INT(r.usage.input, 100);

    cc_stream_next_round(&t.s);

    cc_stream_round_tool_uses(&t.s, &r);
    EXPECT_INT(r.ntools, 0);
    EXPECT_INT(r.stop_reason.len, 0);
    EXPECT_INT(r.usage.input, 0);

    /* round 2: the answer */
    EXPECT_INT(t_ev(&t, "messageStart", "{\"role\":\"assistant\"}"), CC_OK);
    EXPECT_INT(t.out.len, 0);
    t_ev(&t, "contentBlockDelta", P_TEXT(0, "We offer home loans."));
    T_KEEP();
    t_ev(&t, "contentBlockStop", P_STOP(0));
    T_KEEP();
    t_ev(&t, "messageStop", P_MSTOP("end_turn"));
    T_KEEP();
    EXPECT_INT(t_ev(&t, "metadata", P_META(150, 9, 159)), CC_DONE);
    T_KEEP();

    cc_stream_round_tool_uses(&t.s, &r);
    EXPECT_STR(r.text, "We offer home loans.");
    EXPECT_INT(r.usage.input, 150);

    EXPECT_INT(t_finish(&t), CC_OK);
    T_KEEP();

    EXPECT_MEM(all.data, all.len,
               CHUNKU(ROLE) CHUNKU(TEXT("We offer home loans."))
               FINU("stop") USAGEC(253, 29, 282, 3, 0) DONE,
               sizeof(CHUNKU(ROLE) CHUNKU(TEXT("We offer home loans."))
                      FINU("stop") USAGEC(253, 29, 282, 3, 0) DONE) - 1);

#undef T_KEEP

    free(all.data);
    t_end(&t);
}


static void
test_separator(void)
{
    t_ctx_t  t;

    t_begin(&t, 0);
    t_str(&t.s.separator, " ");

    t_ev(&t, "messageStart", "{}");
    t_ev(&t, "contentBlockDelta", P_TEXT(0, "Let me check."));
    EXPECT_STR(t.out, CHUNK(TEXT("Let me check.")));
    t_ev(&t, "contentBlockStart", P_TOOL_START(1, "s", "get_loan_options"));
    t_ev(&t, "metadata", P_META(1, 1, 2));

    cc_stream_next_round(&t.s);

    t_ev(&t, "contentBlockDelta", P_TEXT(0, "We offer"));
    EXPECT_STR(t.out, CHUNK(TEXT(" We offer")));
    t_ev(&t, "contentBlockDelta", P_TEXT(0, " loans."));
    EXPECT_STR(t.out, CHUNK(TEXT(" loans.")));

    /* the round's own text has no separator: it goes back to Bedrock */
    EXPECT_STR(t.s.round.text, "We offer loans.");

    cc_stream_next_round(&t.s);

    /* already separated by the model */
    t_ev(&t, "contentBlockDelta", P_TEXT(0, "\\nBye"));
    EXPECT_STR(t.out, CHUNK(TEXT("\\nBye")));

    t_end(&t);
}


static void
test_faults(void)
{
    t_ctx_t  t;

    t_begin(&t, 0);
    t_ev(&t, "messageStart", "{}");

    EXPECT_INT(t_msg(&t, "exception", "throttlingException",
                     "{\"message\":\"Too many tokens, please wait before "
                     "trying again.\"}"), CC_ERROR);
    EXPECT_INT(t.out.len, 0);
    CHECK(strcmp(t.fault.type, "rate_limit_error") == 0);
    CHECK(t.fault.code && strcmp(t.fault.code, "rate_limit_exceeded") == 0);
    EXPECT_STR(t.fault.message,
               "Too many tokens, please wait before trying again.");
    EXPECT_STR(t.fault.name, "throttlingException");
    CHECK(t.fault.detail[0] != '\0');

    EXPECT_INT(t_msg(&t, "exception", "modelStreamErrorException",
                     "{\"message\":\"Model stream error\","
                     "\"originalStatusCode\":500,"
                     "\"originalMessage\":\"boom\"}"), CC_ERROR);
    CHECK(strcmp(t.fault.type, "server_error") == 0);
    CHECK(t.fault.code == NULL);
    EXPECT_STR(t.fault.message, "Model stream error");
    EXPECT_STR(t.fault.name, "modelStreamErrorException");

    EXPECT_INT(t_msg(&t, "exception", "validationException",
                     "{\"message\":\"bad\"}"), CC_ERROR);
    CHECK(strcmp(t.fault.type, "invalid_request_error") == 0);

    EXPECT_INT(t_msg(&t, "exception", "serviceUnavailableException",
                     "{\"Message\":\"later\"}"), CC_ERROR);
    CHECK(strcmp(t.fault.type, "service_unavailable_error") == 0);
    EXPECT_STR(t.fault.message, "later");

    EXPECT_INT(t_msg(&t, "exception", "internalServerException", ""),
               CC_ERROR);
    CHECK(strcmp(t.fault.type, "server_error") == 0);
    EXPECT_STR(t.fault.message,
               "Amazon Bedrock ended the stream with internalServerException");

    /* "error" messages: :error-code, and :error-message as the payload */
    EXPECT_INT(t_msg(&t, "error", "InternalFailure",
                     "An internal error occurred"), CC_ERROR);
    CHECK(strcmp(t.fault.type, "server_error") == 0);
    CHECK(t.fault.code == NULL);
    EXPECT_STR(t.fault.message, "An internal error occurred");
    EXPECT_STR(t.fault.name, "InternalFailure");

    EXPECT_INT(t_msg(&t, "error", "ThrottlingException", ""), CC_ERROR);
    CHECK(strcmp(t.fault.type, "rate_limit_error") == 0);
    EXPECT_STR(t.fault.message,
               "Amazon Bedrock ended the stream with ThrottlingException");

    /* not UTF-8: never copied into JSON */
    EXPECT_INT(t_msg(&t, "error", "Oops", "bad \xff\xfe bytes"), CC_ERROR);
    EXPECT_STR(t.fault.message, "Amazon Bedrock ended the stream with Oops");

    EXPECT_INT(t_msg(&t, "error", "Oops", "caf\xc3\xa9 \xf0\x9f\x98\x80"),
               CC_ERROR);
    EXPECT_STR(t.fault.message, "caf\xc3\xa9 \xf0\x9f\x98\x80");

    EXPECT_INT(t_msg(&t, "error", "Oops", "cut \xc3"), CC_ERROR);
    EXPECT_STR(t.fault.message, "Amazon Bedrock ended the stream with Oops");

    EXPECT_INT(t_msg(&t, "error", "Oops", "overlong \xc0\xaf"), CC_ERROR);
    EXPECT_STR(t.fault.message, "Amazon Bedrock ended the stream with Oops");

    EXPECT_INT(t_msg(&t, "error", "Oops", "surrogate \xed\xa0\x80"),
               CC_ERROR);
    EXPECT_STR(t.fault.message, "Amazon Bedrock ended the stream with Oops");

    /* a name unfit to quote is left out of messages */
    EXPECT_INT(t_msg(&t, "error", "a b\"c", ""), CC_ERROR);
    EXPECT_STR(t.fault.message,
               "Amazon Bedrock ended the stream with an error");
    EXPECT_INT(t.fault.name.len, 0);

    /* an unknown message type */
    EXPECT_INT(t_msg(&t, "surprise", "", "{}"), CC_ERROR);
    CHECK(strcmp(t.fault.type, "server_error") == 0);

    /* unparseable payloads of events that matter */
    EXPECT_INT(t_ev(&t, "contentBlockDelta", "{\"contentBlockIndex\":0,"),
               CC_ERROR);
    CHECK(strcmp(t.fault.type, "server_error") == 0);
    EXPECT_STR(t.fault.message, "Amazon Bedrock sent an invalid event");
    EXPECT_STR(t.fault.name, "contentBlockDelta");
    CHECK(strstr(t.fault.detail, "contentBlockDelta") != NULL);

    EXPECT_INT(t_ev(&t, "metadata", "[1,2]"), CC_ERROR);
    EXPECT_INT(t_ev(&t, "messageStop", ""), CC_ERROR);

    t_end(&t);
}


static void
test_stream_error(void)
{
    t_ctx_t   t;
    cc_str_t  msg;

    t_begin(&t, 0);

    t_str(&msg, "Too many \"requests\"");
    EXPECT_INT(cc_stream_error(t.a, &t.s, "rate_limit_error",
                               "rate_limit_exceeded", &msg, &t.out), CC_OK);
    EXPECT_STR(t.out,
               "data: {\"error\":{\"message\":\"Too many \\\"requests\\\"\","
               "\"type\":\"rate_limit_error\",\"param\":null,"
               "\"code\":\"rate_limit_exceeded\"}}\n\n" DONE);

    t.out.len = 0;
    t.out.data = NULL;

    t_str(&msg, "upstream timed out");
    EXPECT_INT(cc_stream_error(t.a, NULL, "server_error", NULL, &msg,
                               &t.out), CC_OK);
    EXPECT_STR(t.out,
               "data: {\"error\":{\"message\":\"upstream timed out\","
               "\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"
               DONE);

    /* stored, not appended: callers need not clear out */
    t.out.len = 12345;
    EXPECT_INT(cc_stream_error(t.a, NULL, "server_error", "x", &msg,
                               &t.out), CC_OK);
    EXPECT_STR(t.out,
               "data: {\"error\":{\"message\":\"upstream timed out\","
               "\"type\":\"server_error\",\"param\":null,\"code\":\"x\"}}\n\n"
               DONE);

    t_end(&t);
}


static void
test_error_body(void)
{
    cc_str_t         out, msg, param;
    cc_test_arena_t  arena;

    cc_test_arena_init(&arena);

    t_str(&msg, "'messages' must not be empty");
    t_str(&param, "messages");

    EXPECT_INT(cc_error_body(&arena.alloc, "invalid_request_error", NULL,
                             &param, &msg, &out), CC_OK);
    EXPECT_STR(out, "{\"error\":{\"message\":\"'messages' must not be empty\","
                    "\"type\":\"invalid_request_error\",\"param\":\"messages\","
                    "\"code\":null}}");

    t_str(&msg, "The model `gpt-9` does not exist");
    EXPECT_INT(cc_error_body(&arena.alloc, "invalid_request_error",
                             "model_not_found", NULL, &msg, &out), CC_OK);
    EXPECT_STR(out, "{\"error\":{\"message\":\"The model `gpt-9` does not "
                    "exist\",\"type\":\"invalid_request_error\","
                    "\"param\":null,\"code\":\"model_not_found\"}}");

    cc_test_arena_destroy(&arena);
}


typedef struct {
    int                       bedrock_status;
    const char               *header;
    const char               *body;
    int                       status;
    const char               *type;
    const char               *code;
    const char               *message;
    const char               *name;
} t_bedrock_error_t;


static void
test_bedrock_error(void)
{
    size_t            i;
    cc_str_t          h;
    cc_test_arena_t   arena;
    cc_http_error_t   e;

    static const t_bedrock_error_t  cases[] = {

        /* the header with its coral suffix */
        { 400, "ValidationException:http://internal.amazon.com/coral/"
               "com.amazon.bedrock/",
          "{\"message\":\"A conversation must start with a user message.\"}",
          400, "invalid_request_error", NULL,
          "A conversation must start with a user message.",
          "ValidationException" },

        /* with a namespace prefix */
        { 400, "aws.bedrock#ServiceQuotaExceededException",
          "{\"message\":\"Quota exceeded\"}",
          429, "rate_limit_error", "rate_limit_exceeded", "Quota exceeded",
          "ServiceQuotaExceededException" },

        /* no header: body __type, itself with prefix and suffix */
        { 403, NULL,
          "{\"__type\":\"com.amazon.coral.service#"
          "UnrecognizedClientException\","
          "\"message\":\"The security token included in the request is "
          "invalid.\"}",
          502, "server_error", "upstream_auth_failed",
          "Amazon Bedrock refused the gateway's credentials: The security "
          "token included in the request is invalid.",
          "UnrecognizedClientException" },

        /* no header: body code */
        { 429, "", "{\"code\":\"ThrottlingException\","
                   "\"message\":\"Too many requests\"}",
          429, "rate_limit_error", "rate_limit_exceeded",
          "Too many requests", "ThrottlingException" },

        { 404, "ResourceNotFoundException",
          "{\"message\":\"Model not found\"}",
          404, "invalid_request_error", "model_not_found",
          "Model not found", "ResourceNotFoundException" },

        { 403, "AccessDeniedException",
          "{\"message\":\"You don't have access to the model with the "
          "specified model ID.\"}",
          502, "server_error", "upstream_access_denied",
          "Amazon Bedrock refused the gateway's AWS credentials (access "
          "denied: check the IAM policy and the model access of the "
          "gateway's identity): You don't have access to the model with "
          "the specified model ID.",
          "AccessDeniedException" },

        /* only the first line: the rest is the canonical request */
        { 403, "InvalidSignatureException",
          "{\"message\":\"The request signature we calculated does not "
          "match the signature you provided.\\n\\nThe Canonical String "
          "for this request should have been\\n'POST\\n/model\\n\\n"
          "x-amz-security-token:SECRETTOKEN\\n'\\n\"}",
          502, "server_error", "upstream_auth_failed",
          "Amazon Bedrock refused the gateway's credentials: The request "
          "signature we calculated does not match the signature you "
          "provided.",
          "InvalidSignatureException" },

        { 403, "ExpiredTokenException",
          "{\"message\":\"The security token included in the request is "
          "expired\"}",
          502, "server_error", "upstream_auth_failed",
          "Amazon Bedrock refused the gateway's credentials: The security "
          "token included in the request is expired",
          "ExpiredTokenException" },

        /* API Gateway-style: {"Message": ...} */
        { 403, "MissingAuthenticationTokenException",
          "{\"Message\":\"Missing Authentication Token\"}",
          502, "server_error", "upstream_auth_failed",
          "Amazon Bedrock refused the gateway's credentials: Missing "
          "Authentication Token",
          "MissingAuthenticationTokenException" },

        { 400, "IncompleteSignatureException",
          "{\"message\":\"Authorization header requires 'Signature' "
          "parameter.\"}",
          502, "server_error", "upstream_auth_failed",
          "Amazon Bedrock refused the gateway's credentials: Authorization "
          "header requires 'Signature' parameter.",
          "IncompleteSignatureException" },

        { 424, "ModelStreamErrorException", "{\"message\":\"stream\"}",
          502, "server_error", NULL, "stream",
          "ModelStreamErrorException" },

        { 403, "MissingAuthenticationToken", "",
          502, "server_error", "upstream_auth_failed",
          "Amazon Bedrock refused the gateway's credentials",
          "MissingAuthenticationToken" },

        { 429, "ThrottlingException",
          "{\"message\":\"Too many tokens\"}",
          429, "rate_limit_error", "rate_limit_exceeded", "Too many tokens",
          "ThrottlingException" },

        { 429, "ModelNotReadyException",
          "{\"message\":\"Model is not ready\"}",
          429, "rate_limit_error", "rate_limit_exceeded",
          "Model is not ready", "ModelNotReadyException" },

        { 408, "ModelTimeoutException", "{\"message\":\"slow\"}",
          504, "server_error", "timeout", "slow", "ModelTimeoutException" },

        { 424, "ModelErrorException",
          "{\"message\":\"model failed\",\"originalStatusCode\":500}",
          502, "server_error", NULL, "model failed", "ModelErrorException" },

        { 500, "InternalServerException", "{\"message\":\"oops\"}",
          500, "server_error", NULL, "oops", "InternalServerException" },

        { 503, "ServiceUnavailableException",
          "{\"message\":\"unavailable\"}",
          503, "service_unavailable_error", NULL, "unavailable",
          "ServiceUnavailableException" },

        /* a name not in the table */
        { 400, "ConflictException", "{\"message\":\"conflict\"}",
          502, "server_error", NULL, "conflict", "ConflictException" },

        /* no message: the name says what happened */
        { 500, "InternalServerException", "{}",
          500, "server_error", NULL,
          "Amazon Bedrock returned InternalServerException",
          "InternalServerException" },

        /* a proxy's HTML page: no name, no message, the status decides */
        { 502, NULL, "<html><body><h1>502 Bad Gateway</h1></body></html>",
          502, "server_error", NULL, "Amazon Bedrock returned HTTP 502",
          "" },

        { 429, NULL, "<html>slow down</html>",
          429, "rate_limit_error", "rate_limit_exceeded",
          "Amazon Bedrock returned HTTP 429", "" },

        { 503, NULL, "Service Unavailable",
          503, "service_unavailable_error", NULL,
          "Amazon Bedrock returned HTTP 503", "" },

        { 504, NULL, "", 504, "server_error", "timeout",
          "Amazon Bedrock returned HTTP 504", "" },

        /* JSON, but not an object */
        { 400, NULL, "[\"x\"]", 502, "server_error", NULL,
          "Amazon Bedrock returned HTTP 400", "" },

        /* a header that is not a name is not quoted back */
        { 500, "bad name\"<script>", "",
          502, "server_error", NULL, "Amazon Bedrock returned HTTP 500",
          "" },
    };

    cc_test_arena_init(&arena);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&e, 0, sizeof(cc_http_error_t));

        t_str(&h, cases[i].header);

        if (!EXPECT_INT(cc_bedrock_error(&arena.alloc,
                                         cases[i].bedrock_status,
                                         cases[i].header ? &h : NULL,
                                         (const u_char *) cases[i].body,
                                         strlen(cases[i].body), &e),
                        CC_OK))
        {
            continue;
        }

        if (!EXPECT_INT(e.status, cases[i].status)
            | !CHECK(strcmp(e.type, cases[i].type) == 0)
            | !CHECK(cases[i].code ? (e.code != NULL
                                      && strcmp(e.code, cases[i].code) == 0)
                                   : e.code == NULL)
            | !EXPECT_STR(e.message, cases[i].message)
            | !EXPECT_STR(e.name, cases[i].name))
        {
            fprintf(stderr, "    case %zu: %s\n", i,
                    cases[i].header ? cases[i].header : "(no header)");
        }
    }

    cc_test_arena_destroy(&arena);
}


/* one Converse response to a chat.completion, with meta's settings */
static int
t_completion(cc_alloc_t *a, const cc_stream_t *meta, const u_char *json,
    size_t len, cc_str_t *out, cc_http_error_t *err)
{
    cc_stream_t  s;

    cc_stream_init(&s);

    s.id = meta->id;
    s.created = meta->created;
    s.model = meta->model;
    s.is_server_tool = meta->is_server_tool;
    s.is_server_tool_data = meta->is_server_tool_data;

    if (cc_converse_round(a, &s, json, len, err) != CC_OK) {
        return CC_ERROR;
    }

    if (cc_completion_build(a, &s, out) != CC_OK) {
        return CC_ERROR;
    }

    /* whatever came in, every byte that goes out is UTF-8 */
    CHECK(cc_utf8_check(out->data, out->len) == out->len);

    return CC_OK;
}


static void
test_completion(void)
{
    cc_str_t         out;
    cc_stream_t      meta;
    cc_http_error_t  err;
    cc_test_arena_t  arena;

    cc_test_arena_init(&arena);

    cc_stream_init(&meta);
    t_str(&meta.id, T_ID);
    t_str(&meta.model, T_MODEL);
    meta.created = T_CREATED;
    meta.is_server_tool = t_server_tool;
    meta.is_server_tool_data = "get_loan_options";

#define C_HEAD                                                              \
    "{\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion\","              \
    "\"created\":1736942400,\"model\":\"amazon.nova-lite-v1:0\","           \
    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","

#define C_JSON(s)  (const u_char *) s, sizeof(s) - 1

    /* Bedrock's lone surrogate escapes: U+FFFD; a pair its character */
    EXPECT_INT(t_completion(&arena.alloc, &meta, C_JSON(
        "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":"
        "[{\"text\":\"a\\udc00b \\ud83d\\ude00 \\ud800\"}]}},"
        "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":1,"
        "\"outputTokens\":2,\"totalTokens\":3}}"), &out, &err), CC_OK);
    EXPECT_STR(out, C_HEAD
               "\"content\":\"a\xef\xbf\xbd" "b \xf0\x9f\x98\x80 "
               "\xef\xbf\xbd\","
               "\"refusal\":null},\"logprobs\":null,"
               "\"finish_reason\":\"stop\"}],"
               "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
               "\"total_tokens\":3,"
               "\"prompt_tokens_details\":{\"cached_tokens\":0}}}");

    /* text, with reasoning dropped and text blocks concatenated */
    EXPECT_INT(t_completion(&arena.alloc, &meta, C_JSON(
        "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
        "{\"reasoningContent\":{\"reasoningText\":{\"text\":\"hmm\"}}},"
        "{\"text\":\"It is 3C \"},{\"text\":\"and raining in Oslo.\"}]}},"
        "\"stopReason\":\"end_turn\","
        "\"usage\":{\"inputTokens\":412,\"outputTokens\":11,"
        "\"totalTokens\":423,\"cacheReadInputTokens\":0,"
        "\"cacheWriteInputTokens\":0},\"metrics\":{\"latencyMs\":358},"
        "\"additionalModelResponseFields\":{},\"trace\":{}}"),
        &out, &err), CC_OK);

    EXPECT_STR(out, C_HEAD
               "\"content\":\"It is 3C and raining in Oslo.\","
               "\"refusal\":null,\"reasoning_content\":\"hmm\"},"
               "\"logprobs\":null,"
               "\"finish_reason\":\"stop\"}],"
               "\"usage\":{\"prompt_tokens\":412,\"completion_tokens\":11,"
               "\"total_tokens\":423,"
               "\"prompt_tokens_details\":{\"cached_tokens\":0}}}");

    /* tool calls: content null; input compact; empty input "{}" */
    EXPECT_INT(t_completion(&arena.alloc, &meta, C_JSON(
        "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
        "{\"toolUse\":{\"toolUseId\":\"tooluse_abc\",\"name\":"
        "\"get_weather\",\"input\":{ \"city\" : \"Oslo\", \"days\": [1, 2] }}},"
        "{\"toolUse\":{\"toolUseId\":\"tooluse_def\",\"name\":\"get_date\","
        "\"input\":{}}},"
        "{\"toolUse\":{\"toolUseId\":\"tooluse_ghi\",\"name\":\"get_time\"}}"
        "]}},\"stopReason\":\"tool_use\","
        "\"usage\":{\"inputTokens\":412,\"outputTokens\":31,"
        "\"totalTokens\":443}}"),
        &out, &err), CC_OK);

    EXPECT_STR(out, C_HEAD
               "\"content\":null,\"refusal\":null,\"tool_calls\":["
               "{\"id\":\"tooluse_abc\",\"type\":\"function\",\"function\":"
               "{\"name\":\"get_weather\",\"arguments\":"
               "\"{\\\"city\\\":\\\"Oslo\\\",\\\"days\\\":[1,2]}\"}},"
               "{\"id\":\"tooluse_def\",\"type\":\"function\",\"function\":"
               "{\"name\":\"get_date\",\"arguments\":\"{}\"}},"
               "{\"id\":\"tooluse_ghi\",\"type\":\"function\",\"function\":"
               "{\"name\":\"get_time\",\"arguments\":\"{}\"}}]},"
               "\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],"
               "\"usage\":{\"prompt_tokens\":412,\"completion_tokens\":31,"
               "\"total_tokens\":443,"
               "\"prompt_tokens_details\":{\"cached_tokens\":0}}}");

    /* text and a tool call together; a server tool is not shown */
    EXPECT_INT(t_completion(&arena.alloc, &meta, C_JSON(
        "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
        "{\"text\":\"Checking.\"},"
        "{\"toolUse\":{\"toolUseId\":\"t1\",\"name\":\"get_loan_options\","
        "\"input\":{}}},"
        "{\"toolUse\":{\"toolUseId\":\"t2\",\"name\":\"f\",\"input\":{}}}"
        "]}},\"stopReason\":\"tool_use\"}"),
        &out, &err), CC_OK);

    EXPECT_STR(out, C_HEAD
               "\"content\":\"Checking.\",\"refusal\":null,\"tool_calls\":["
               "{\"id\":\"t2\",\"type\":\"function\",\"function\":"
               "{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
               "\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],"
               "\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,"
               "\"total_tokens\":0,"
               "\"prompt_tokens_details\":{\"cached_tokens\":0}}}");

    /* nothing said: "" rather than null */
    EXPECT_INT(t_completion(&arena.alloc, &meta, C_JSON(
        "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[]}},"
        "\"stopReason\":\"content_filtered\"}"),
        &out, &err), CC_OK);

    EXPECT_STR(out, C_HEAD
               "\"content\":\"\",\"refusal\":null},"
               "\"logprobs\":null,\"finish_reason\":\"content_filter\"}],"
               "\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,"
               "\"total_tokens\":0,"
               "\"prompt_tokens_details\":{\"cached_tokens\":0}}}");

    /* missing output, missing message, not JSON, content not an array */
    memset(&err, 0, sizeof(cc_http_error_t));
    EXPECT_INT(t_completion(&arena.alloc, &meta, C_JSON(
        "{\"stopReason\":\"end_turn\",\"usage\":{}}"), &out, &err),
        CC_ERROR);
    EXPECT_INT(err.status, 502);
    CHECK(strcmp(err.type, "server_error") == 0);
    CHECK(err.code == NULL);
    EXPECT_STR(err.message, "upstream sent an invalid Converse response");

    memset(&err, 0, sizeof(cc_http_error_t));
    EXPECT_INT(t_completion(&arena.alloc, &meta, C_JSON(
        "{\"output\":{},\"stopReason\":\"end_turn\"}"), &out, &err),
        CC_ERROR);
    EXPECT_INT(err.status, 502);

    memset(&err, 0, sizeof(cc_http_error_t));
    EXPECT_INT(t_completion(&arena.alloc, &meta, C_JSON("<html>"), &out,
                            &err), CC_ERROR);
    EXPECT_INT(err.status, 502);

    memset(&err, 0, sizeof(cc_http_error_t));
    EXPECT_INT(t_completion(&arena.alloc, &meta, C_JSON(
        "{\"output\":{\"message\":{\"content\":{}}}}"), &out, &err),
        CC_ERROR);
    EXPECT_INT(err.status, 502);

#undef C_JSON
#undef C_HEAD

    cc_test_arena_destroy(&arena);
}


static void
test_converse_rounds(void)
{
    cc_str_t         out;
    cc_round_t       r;
    cc_stream_t      s;
    cc_http_error_t  err;
    cc_test_arena_t  arena;

    static const char  round1[] =
        "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
        "{\"text\":\"Let me check.\"},"
        "{\"toolUse\":{\"toolUseId\":\"t1\",\"name\":\"get_loan_options\","
        "\"input\":{\"kind\":\"home\"}}}]}},"
        "\"stopReason\":\"tool_use\","
        "\"usage\":{\"inputTokens\":100,\"outputTokens\":20,"
        "\"totalTokens\":120,\"cacheReadInputTokens\":4}}";

    static const char  round2[] =
        "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":["
        "{\"text\":\"We offer home loans.\"}]}},"
        "\"stopReason\":\"end_turn\","
        "\"usage\":{\"inputTokens\":150,\"outputTokens\":9,"
        "\"totalTokens\":159}}";

    cc_test_arena_init(&arena);

    cc_stream_init(&s);
    t_str(&s.id, T_ID);
    t_str(&s.model, T_MODEL);
    t_str(&s.separator, " ");
    s.created = T_CREATED;
    s.is_server_tool = t_server_tool;
    s.is_server_tool_data = "get_loan_options";

    EXPECT_INT(cc_converse_round(&arena.alloc, &s, (const u_char *) round1,
                                 sizeof(round1) - 1, &err), CC_OK);

    cc_stream_round_tool_uses(&s, &r);
    EXPECT_STR(r.text, "Let me check.");
    EXPECT_STR(r.stop_reason, "tool_use");
    EXPECT_INT(r.nserver, 1);
    EXPECT_INT(r.nclient, 0);
    EXPECT_STR(r.server[0]->input, "{\"kind\":\"home\"}");
    CHECK(r.server[0]->input_json != NULL
          && cc_json_get(r.server[0]->input_json, "kind") != NULL);
    CHECK(r.message != NULL && cc_json_get(r.message, "content") != NULL);
    EXPECT_INT(r.usage.total, 120);

    cc_stream_next_round(&s);

    EXPECT_INT(cc_converse_round(&arena.alloc, &s, (const u_char *) round2,
                                 sizeof(round2) - 1, &err), CC_OK);

    cc_stream_round_tool_uses(&s, &r);
    EXPECT_STR(r.text, "We offer home loans.");

    EXPECT_INT(cc_completion_build(&arena.alloc, &s, &out), CC_OK);
    EXPECT_STR(out,
               "{\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion\","
               "\"created\":1736942400,\"model\":\"amazon.nova-lite-v1:0\","
               "\"choices\":[{\"index\":0,\"message\":{\"role\":"
               "\"assistant\",\"content\":\"Let me check. We offer home "
               "loans.\",\"refusal\":null},\"logprobs\":null,"
               "\"finish_reason\":\"stop\"}],"
               "\"usage\":{\"prompt_tokens\":254,\"completion_tokens\":29,"
               "\"total_tokens\":283,"
               "\"prompt_tokens_details\":{\"cached_tokens\":4},"
               "\"cache_read_input_tokens\":4,"
               "\"cache_creation_input_tokens\":0}}");

    cc_test_arena_destroy(&arena);
}


static void
test_escaping(void)
{
    t_ctx_t  t;

    t_begin(&t, 0);
    t_ev(&t, "messageStart", "{}");

    /* quotes, backslash, newline, tab, a control character */
    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    P_TEXT(0, "He said \\\"hi\\\"\\\\\\n\\tok\\u0001")),
               CC_OK);
    EXPECT_STR(t.out, CHUNK(TEXT("He said \\\"hi\\\"\\\\\\n\\tok\\u0001")));

    /* UTF-8 passes through as is, from raw bytes or from \u escapes */
    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    P_TEXT(0, "caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\x80")),
               CC_OK);
    EXPECT_STR(t.out,
               CHUNK(TEXT("caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\x80")));

    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    P_TEXT(0, "\\u00e9\\ud83d\\ude00 </script>")), CC_OK);
    EXPECT_STR(t.out, CHUNK(TEXT("\xc3\xa9\xf0\x9f\x98\x80 </script>")));

    /* invalid UTF-8 in a payload is a parse error, not garbage out */
    EXPECT_INT(t_ev(&t, "contentBlockDelta", P_TEXT(0, "bad \xff")),
               CC_ERROR);

    /* lone surrogates become U+FFFD; a pair its one character */
    EXPECT_INT(t_ev(&t, "contentBlockDelta",
                    P_TEXT(0, "a\\udc00b\\ud800\\u0041\\ud83d\\ude00"
                              "\\ud83d")), CC_OK);
    EXPECT_STR(t.out, CHUNK(TEXT("a\xef\xbf\xbd" "b\xef\xbf\xbd" "A"
                                 "\xf0\x9f\x98\x80\xef\xbf\xbd")));
    CHECK(cc_utf8_check(t.out.data, t.out.len) == t.out.len);

    t_end(&t);

    /* id and model are escaped too */
    t_begin(&t, 0);
    t_str(&t.s.model, "my\"model");
    EXPECT_INT(t_ev(&t, "messageStart", "{}"), CC_OK);
    EXPECT_STR(t.out,
               "data: {\"id\":\"chatcmpl-abc\",\"object\":"
               "\"chat.completion.chunk\",\"created\":1736942400,"
               "\"model\":\"my\\\"model\",\"choices\":[{\"index\":0,"
               "\"delta\":" ROLE T_TAIL);
    t_end(&t);

    /*
     * Text chunks are not checked again when their frame was (the text
     * of a parsed payload is UTF-8): a model that is not UTF-8 (never
     * from a client: its request is checked) makes the frame checked
     * each time, and the byte U+FFFD; so does the chunk after.
     */
    t_begin(&t, 0);
    t_str(&t.s.model, "m\xff");
    t_ev(&t, "messageStart", "{}");

    EXPECT_INT(t_ev(&t, "contentBlockDelta", P_TEXT(0, "a")), CC_OK);
    CHECK(t_has(&t.out, "\"model\":\"m\xef\xbf\xbd\""));

    EXPECT_INT(t_ev(&t, "contentBlockDelta", P_TEXT(0, "b")), CC_OK);
    CHECK(t_has(&t.out, "\"model\":\"m\xef\xbf\xbd\""));

    EXPECT_INT(t_ev(&t, "messageStop", P_MSTOP("end_turn")), CC_OK);
    EXPECT_INT(t_ev(&t, "metadata", P_META(1, 2, 3)), CC_DONE);
    EXPECT_INT(t_finish(&t), CC_OK);
    CHECK(t_has(&t.out, "\"model\":\"m\xef\xbf\xbd\""));
    t_end(&t);
}


/* what a long answer costs the arena per token */
static void
test_memory(void)
{
    int      i;
    size_t   bytes, nallocs, kept;
    t_ctx_t  t;

    t_begin(&t, 0);

    t_ev(&t, "messageStart", "{}");
    t_ev(&t, "contentBlockDelta", P_TEXT(0, "warm up"));

    bytes = t.arena.bytes;
    nallocs = t.arena.nallocs;

    for (i = 0; i < 1000; i++) {
        t_ev(&t, "contentBlockDelta",
             "{\"contentBlockIndex\":0,\"delta\":{\"text\":\" token\"},"
             "\"p\":\"abcdefghijklmnopqrstuvwxyz\"}");
    }

    fprintf(stderr, "test_sse: per text event: %zu bytes in %zu "
            "allocations from the arena\n",
            (t.arena.bytes - bytes) / 1000,
            (t.arena.nallocs - nallocs) / 1000);

    /*
     * with a scratch arena for the payloads and each event's SSE bytes,
     * only the round's text is kept (doubling as it grows)
     */
    {
        cc_test_arena_t  scratch;

        cc_test_arena_init(&scratch);
        t.s.scratch = &scratch.alloc;

        bytes = t.arena.bytes;

        for (i = 0; i < 1000; i++) {
            t_ev(&t, "contentBlockDelta",
                 "{\"contentBlockIndex\":0,\"delta\":{\"text\":\" token\"},"
                 "\"p\":\"abcdefghijklmnopqrstuvwxyz\"}");
            EXPECT_STR(t.out, CHUNK(TEXT(" token")));
            cc_test_arena_destroy(&scratch);
        }

        fprintf(stderr, "test_sse: per text event with a scratch arena: "
                "%zu bytes kept\n", (t.arena.bytes - bytes) / 1000);

        CHECK((t.arena.bytes - bytes) / 1000 < 64);

        /*
         * drop_text (a stream without server tools): nothing is kept, so
         * 20,000 tokens hold what 1 does
         */
        t.s.drop_text = 1;
        bytes = t.arena.bytes;
        kept = t.s.round.text.len;

        for (i = 0; i < 20000; i++) {
            t_ev(&t, "contentBlockDelta",
                 "{\"contentBlockIndex\":0,\"delta\":{\"text\":\" token\"},"
                 "\"p\":\"abcdefghijklmnopqrstuvwxyz\"}");
            EXPECT_STR(t.out, CHUNK(TEXT(" token")));
            cc_test_arena_destroy(&scratch);
        }

        fprintf(stderr, "test_sse: 20,000 text events with drop_text: "
                "%zu bytes kept\n", t.arena.bytes - bytes);

        CHECK(t.arena.bytes == bytes);
        CHECK(t.s.round.text.len == kept && t.s.round.has_text);
    }

    t_end(&t);
}


/*
 * Two streams that share one generator (the glue gives all of a worker's
 * the same), their events interleaved, say byte for byte what they say
 * with a generator each, and keep none in their own arenas.
 */
static void
test_shared_gen(void)
{
    int               i, k;
    t_ctx_t           own[2], shared[2];
    cc_gen_t         *g;
    cc_test_arena_t   arena;

    static const char  *steps[][2] = {
        { "messageStart", "{}" },
        { "contentBlockDelta", P_TEXT(0, "caf\\u00e9 \\\"quoted\\\"") },
        { "contentBlockStop", P_STOP(0) },
        { "contentBlockStart", P_TOOL_START(1, "tu-1", "lookup") },
        { "contentBlockDelta", P_TOOL_INPUT(1, "{\\\"a\\\":1}") },
        { "contentBlockStop", P_STOP(1) },
        { "messageStop", P_MSTOP("tool_use") },
        { "metadata", P_META(5, 7, 12) }
    };

    cc_test_arena_init(&arena);

    g = cc_gen_new(&arena.alloc);
    CHECK(g != NULL);

    for (k = 0; k < 2; k++) {
        t_begin(&own[k], k);
        t_begin(&shared[k], k);

        if (k) {
            t_str(&own[k].s.id, "chatcmpl-other");
            t_str(&shared[k].s.id, "chatcmpl-other");
        }

        shared[k].s.sse = g;
    }

    for (i = 0; i < (int) (sizeof(steps) / sizeof(steps[0])); i++) {
        for (k = 0; k < 2; k++) {
            EXPECT_INT(t_ev(&own[k], steps[i][0], steps[i][1]),
                       t_ev(&shared[k], steps[i][0], steps[i][1]));
            EXPECT_MEM(shared[k].out.data, shared[k].out.len,
                       own[k].out.data, own[k].out.len);
        }
    }

    for (k = 0; k < 2; k++) {
        EXPECT_INT(t_finish(&shared[k]), CC_OK);
        EXPECT_INT(t_finish(&own[k]), CC_OK);
        EXPECT_MEM(shared[k].out.data, shared[k].out.len,
                   own[k].out.data, own[k].out.len);

        /* the generator and its buffer (1 KB or more) are not the stream's */
        CHECK(shared[k].arena.bytes + 1024 <= own[k].arena.bytes);
        CHECK(shared[k].s.sse == g);

        t_end(&own[k]);
        t_end(&shared[k]);
    }

    cc_test_arena_destroy(&arena);
}


int
main(void)
{
    test_role();
    test_text();
    test_ignored();
    test_text_then_tool();
    test_two_tools();
    test_empty_input();
    test_server_tool();
    test_finish_reason();
    test_finish();
    test_usage();
    test_two_rounds();
    test_separator();
    test_faults();
    test_stream_error();
    test_error_body();
    test_bedrock_error();
    test_completion();
    test_converse_rounds();
    test_escaping();
    test_memory();
    test_shared_gen();

    return cc_test_done("test_sse");
}
