
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * Bedrock features, both ways: response_format (outputConfig or the
 * forced tool), reasoning_effort (Claude thinking, Nova 2 reasoningConfig,
 * reasoning blocks in the history), prompt caching (cachePoint); then the
 * answers: reasoning deltas and blocks, the forced tool's input as
 * content.  Every case asserts exact bytes.
 *
 *     make -C t/unit build/test_features && t/unit/build/test_features
 */


#include "test_util.h"

#include "cc_chat.h"
#include "cc_bedrock.h"
#include "cc_sse.h"
#include "cc_converse.h"


#define NOVA     "amazon.nova-lite-v1:0"
#define NOVA2    "us.amazon.nova-2-lite-v1:0"
#define SONNET   "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
#define CLAUDE37 "anthropic.claude-3-7-sonnet-20250219-v1:0"
#define CLAUDE35 "anthropic.claude-3-5-haiku-20241022-v1:0"

/* options */
#define F_NATIVE   0x01          /* chat_completions_structured_output */
#define F_TOOL     0x02
#define F_SYSTEM   0x04          /* chat_completions_prompt_cache */
#define F_TOOLS    0x08
#define F_SERVER   0x10          /* a server tool "lookup" */
#define F_PROMPT   0x20          /* system prompt "Be brief." */


/* in request and body, ' stands for " (and \' for \"); not in message */
typedef struct {
    const char               *name;
    const char               *model;
    unsigned                  options;
    cc_reasoning_e            reasoning;   /* the directive's default */
    const char               *request;
    const char               *body;        /* NULL: an error */
    const char               *param;
    const char               *message;
} f_case_t;


#define SCHEMA                                                              \
    "{'type':'object','properties':{'city':{'type':'string'}},"             \
    "'required':['city'],'additionalProperties':false}"
#define SCHEMA_STR                                                          \
    "'{\\'type\\':\\'object\\',\\'properties\\':{\\'city\\':"               \
    "{\\'type\\':\\'string\\'}},\\'required\\':[\\'city\\'],"               \
    "\\'additionalProperties\\':false}'"
#define TOOL_TEXT                                                           \
    "Give the final answer with this tool: its input is the answer, a "     \
    "JSON object that follows the schema."
#define HI        "{'role':'user','content':[{'text':'Hi'}]}"
#define MSGS      "'messages':[" HI "]"
#define RF_SCHEMA                                                           \
    "'response_format':{'type':'json_schema','json_schema':"                \
    "{'name':'weather','schema':" SCHEMA "}}"
#define FORCED(name, desc, schema)                                          \
    "'toolConfig':{'tools':[{'toolSpec':{'name':'" name "',"                \
    "'description':'" desc "','inputSchema':{'json':" schema "}}}],"        \
    "'toolChoice':{'tool':{'name':'" name "'}}}"
#define OPEN      "{'type':'object','additionalProperties':true}"
#define THINK(n)                                                            \
    "'additionalModelRequestFields':{'thinking':{'type':'enabled',"         \
    "'budget_tokens':" #n "}}"
#define NOVA_R(e)                                                           \
    "'additionalModelRequestFields':{'reasoningConfig':{'type':'enabled',"  \
    "'maxReasoningEffort':'" e "'}}"
#define Q(s)      "{'messages':[{'role':'user','content':'Hi'}]," s "}"


static const f_case_t  cases[] = {

    /* response_format */

    { "json_schema on Nova: the forced tool", NOVA, 0, 0,
      Q(RF_SCHEMA),
      "{" MSGS "," FORCED("weather", TOOL_TEXT, SCHEMA) "}", NULL, NULL },

    { "json_schema on Sonnet 4.5: outputConfig, the schema a string",
      SONNET, 0, 0,
      Q(RF_SCHEMA),
      "{" MSGS ",'outputConfig':{'textFormat':{'type':'json_schema',"
      "'structure':{'jsonSchema':{'schema':" SCHEMA_STR ","
      "'name':'weather'}}}}}", NULL, NULL },

    { "native forced by the directive on Nova", NOVA, F_NATIVE, 0,
      Q(RF_SCHEMA),
      "{" MSGS ",'outputConfig':{'textFormat':{'type':'json_schema',"
      "'structure':{'jsonSchema':{'schema':" SCHEMA_STR ","
      "'name':'weather'}}}}}", NULL, NULL },

    { "the tool forced by the directive on Sonnet 4.5", SONNET, F_TOOL, 0,
      Q(RF_SCHEMA),
      "{" MSGS "," FORCED("weather", TOOL_TEXT, SCHEMA) "}", NULL, NULL },

    { "description: in outputConfig", SONNET, 0, 0,
      Q("'response_format':{'type':'json_schema','json_schema':"
        "{'name':'w','description':'The weather','strict':true,"
        "'schema':{'type':'object','properties':{}}}}"),
      "{" MSGS ",'outputConfig':{'textFormat':{'type':'json_schema',"
      "'structure':{'jsonSchema':{'schema':'{\\'type\\':\\'object\\',"
      "\\'properties\\':{}}','name':'w','description':'The weather'}}}}}",
      NULL, NULL },

    { "description: the forced tool's", NOVA, 0, 0,
      Q("'response_format':{'type':'json_schema','json_schema':"
        "{'name':'w','description':'The weather',"
        "'schema':{'type':'object','properties':{}}}}"),
      "{" MSGS "," FORCED("w", "The weather",
                          "{'type':'object','properties':{}}") "}",
      NULL, NULL },

    { "json_object is the forced tool even on Sonnet 4.5", SONNET, 0, 0,
      Q("'response_format':{'type':'json_object'}"),
      "{" MSGS "," FORCED("json_object", TOOL_TEXT, OPEN) "}", NULL, NULL },

    { "json_schema without a schema: an open object", SONNET, 0, 0,
      Q("'response_format':{'type':'json_schema','json_schema':"
        "{'name':'any'}}"),
      "{" MSGS "," FORCED("any", TOOL_TEXT, OPEN) "}", NULL, NULL },

    { "text asks for nothing", SONNET, 0, 0,
      Q("'response_format':{'type':'text'}"),
      "{" MSGS "}", NULL, NULL },

    { "null asks for nothing", NOVA, 0, 0,
      Q("'response_format':null"),
      "{" MSGS "}", NULL, NULL },

    { "the forced tool leaves out the server tools", NOVA, F_SERVER, 0,
      Q("'response_format':{'type':'json_object'}"),
      "{" MSGS "," FORCED("json_object", TOOL_TEXT, OPEN) "}", NULL, NULL },

    { "native keeps the server tools", SONNET, F_SERVER, 0,
      Q(RF_SCHEMA),
      "{" MSGS ",'toolConfig':{'tools':[{'toolSpec':{'name':'lookup',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}}]},"
      "'outputConfig':{'textFormat':{'type':'json_schema',"
      "'structure':{'jsonSchema':{'schema':" SCHEMA_STR ","
      "'name':'weather'}}}}}", NULL, NULL },

    { "response_format not an object", NOVA, 0, 0,
      Q("'response_format':'json'"), NULL, "response_format",
      "Invalid type for 'response_format': expected an object, but got a "
      "string instead." },

    { "unknown type", NOVA, 0, 0,
      Q("'response_format':{'type':'yaml'}"), NULL, "response_format.type",
      "Invalid value for 'response_format.type': 'yaml'. Supported values "
      "are: 'text', 'json_object' and 'json_schema'." },

    { "json_schema missing", NOVA, 0, 0,
      Q("'response_format':{'type':'json_schema'}"), NULL,
      "response_format.json_schema",
      "Missing required parameter: 'response_format.json_schema'." },

    { "a name that is not a tool name", NOVA, 0, 0,
      Q("'response_format':{'type':'json_schema','json_schema':"
        "{'name':'the weather'}}"), NULL, "response_format.json_schema.name",
      "Invalid 'response_format.json_schema.name': string does not match "
      "pattern. Expected a string that matches the pattern "
      "'^[a-zA-Z0-9_-]+$'." },

    { "a root that is not an object", NOVA, 0, 0,
      Q("'response_format':{'type':'json_schema','json_schema':"
        "{'name':'n','schema':{'type':'string'}}}"), NULL,
      "response_format.json_schema.schema",
      "Invalid schema for response_format 'n': schema must be a JSON Schema "
      "of 'type: \"object\"'." },

    { "strict not a boolean", NOVA, 0, 0,
      Q("'response_format':{'type':'json_schema','json_schema':"
        "{'name':'n','strict':'yes'}}"), NULL,
      "response_format.json_schema.strict",
      "Invalid type for 'response_format.json_schema.strict': expected a "
      "boolean, but got a string instead." },

    /* reasoning_effort */

    { "Claude low: budget 1024, maxTokens 1024 + 250, no temperature",
      SONNET, 0, 0,
      Q("'reasoning_effort':'low','max_tokens':250,'temperature':0.5,"
        "'top_p':0.9"),
      "{" MSGS ",'inferenceConfig':{'maxTokens':1274}," THINK(1024) "}",
      NULL, NULL },

    { "Claude minimal is low", SONNET, 0, 0,
      Q("'reasoning_effort':'minimal'"),
      "{" MSGS ",'inferenceConfig':{'maxTokens':2048}," THINK(1024) "}",
      NULL, NULL },

    { "Claude high from the default; topP 0.97 stays", SONNET, 0,
      CC_REASONING_HIGH,
      Q("'top_p':0.97,'stop':'END'"),
      "{" MSGS ",'inferenceConfig':{'maxTokens':5120,'topP':0.97,"
      "'stopSequences':['END']}," THINK(4096) "}", NULL, NULL },

    { "Claude 3.7 thinks", CLAUDE37, 0, 0,
      Q("'reasoning_effort':'medium'"),
      "{" MSGS ",'inferenceConfig':{'maxTokens':3072}," THINK(2048) "}",
      NULL, NULL },

    { "Claude 3.5 does not", CLAUDE35, 0, 0,
      Q("'reasoning_effort':'medium','temperature':0.5"),
      "{" MSGS ",'inferenceConfig':{'temperature':0.5}}", NULL, NULL },

    { "none turns the default off", SONNET, 0, CC_REASONING_HIGH,
      Q("'reasoning_effort':'none'"),
      "{" MSGS "}", NULL, NULL },

    { "Nova 2 minimal is low", NOVA2, 0, 0,
      Q("'reasoning_effort':'minimal','max_tokens':100"),
      "{" MSGS ",'inferenceConfig':{'maxTokens':100}," NOVA_R("low") "}",
      NULL, NULL },

    { "Nova 2 high: no temperature, topP or maxTokens", NOVA2, 0, 0,
      Q("'reasoning_effort':'high','max_tokens':100,'temperature':0.1,"
        "'top_p':0.2"),
      "{" MSGS "," NOVA_R("high") "}", NULL, NULL },

    { "Nova v1 does not reason", NOVA, 0, CC_REASONING_LOW,
      Q("'max_tokens':100"),
      "{" MSGS ",'inferenceConfig':{'maxTokens':100}}", NULL, NULL },

    { "Claude with the forced tool: no thinking", SONNET, F_TOOL, 0,
      Q("'reasoning_effort':'high','response_format':{'type':'json_object'}"),
      "{" MSGS "," FORCED("json_object", TOOL_TEXT, OPEN) "}", NULL, NULL },

    { "Nova 2 with the forced tool still reasons", NOVA2, 0, 0,
      Q("'reasoning_effort':'low','response_format':{'type':'json_object'}"),
      "{" MSGS "," FORCED("json_object", TOOL_TEXT, OPEN) ","
      NOVA_R("low") "}", NULL, NULL },

    { "Claude with the client's required tool_choice: no thinking",
      SONNET, 0, 0,
      Q("'reasoning_effort':'low','tools':[{'type':'function','function':"
        "{'name':'mine'}}],'tool_choice':'required'"),
      "{" MSGS ",'toolConfig':{'tools':[{'toolSpec':{'name':'mine',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}}],"
      "'toolChoice':{'any':{}}}}", NULL, NULL },

    { "Claude, a tool turn without its thinking block: no thinking",
      SONNET, 0, CC_REASONING_LOW,
      "{'messages':[{'role':'user','content':'Hi'},{'role':'assistant',"
      "'tool_calls':[{'id':'c1','type':'function','function':{'name':'x',"
      "'arguments':'{}'}}]},{'role':'tool','tool_call_id':'c1',"
      "'content':'ok'}],'tools':[{'type':'function','function':"
      "{'name':'x'}}]}",
      "{'messages':[" HI ",{'role':'assistant','content':[{'toolUse':"
      "{'toolUseId':'c1','name':'x','input':{}}}]},{'role':'user',"
      "'content':[{'toolResult':{'toolUseId':'c1','content':[{'text':"
      "'ok'}]}}]}],'toolConfig':{'tools':[{'toolSpec':{'name':'x',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}}]}}",
      NULL, NULL },

    { "Claude, a tool turn with its redacted block: thinking",
      SONNET, 0, CC_REASONING_LOW,
      "{'messages':[{'role':'user','content':'Hi'},{'role':'assistant',"
      "'reasoning_redacted':'QUJD',"
      "'tool_calls':[{'id':'c1','type':'function','function':{'name':'x',"
      "'arguments':'{}'}}]},{'role':'tool','tool_call_id':'c1',"
      "'content':'ok'}],'tools':[{'type':'function','function':"
      "{'name':'x'}}]}",
      "{'messages':[" HI ",{'role':'assistant','content':["
      "{'reasoningContent':{'redactedContent':'QUJD'}},{'toolUse':"
      "{'toolUseId':'c1','name':'x','input':{}}}]},{'role':'user',"
      "'content':[{'toolResult':{'toolUseId':'c1','content':[{'text':"
      "'ok'}]}}]}],'inferenceConfig':{'maxTokens':2048},"
      "'toolConfig':{'tools':[{'toolSpec':{'name':'x',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}}]},"
      THINK(1024) "}", NULL, NULL },

    { "an unknown effort", SONNET, 0, 0,
      Q("'reasoning_effort':'off'"), NULL, "reasoning_effort",
      "Invalid value for 'reasoning_effort': 'off'. Supported values are: "
      "'none', 'minimal', 'low', 'medium' and 'high'." },

    { "an effort that is not a string", SONNET, 0, 0,
      Q("'reasoning_effort':2"), NULL, "reasoning_effort",
      "Invalid type for 'reasoning_effort': expected a string, but got an "
      "integer instead." },

    /* reasoning in the history */

    { "reasoning and redacted go first in the assistant turn", SONNET, 0,
      CC_REASONING_LOW,
      "{'messages':[{'role':'user','content':'Hi'},"
      "{'role':'assistant','content':'Hello','reasoning_content':'r1',"
      "'reasoning_signature':'s1','reasoning_redacted':'QUJD'},"
      "{'role':'user','content':'More'}]}",
      "{'messages':[" HI ",{'role':'assistant','content':["
      "{'reasoningContent':{'reasoningText':{'text':'r1','signature':'s1'}}},"
      "{'reasoningContent':{'redactedContent':'QUJD'}},{'text':'Hello'}]},"
      "{'role':'user','content':[{'text':'More'}]}],"
      "'inferenceConfig':{'maxTokens':2048}," THINK(1024) "}", NULL, NULL },

    { "no reasoning in this call: the blocks stay out", SONNET, 0, 0,
      "{'messages':[{'role':'user','content':'Hi'},"
      "{'role':'assistant','content':'Hello','reasoning_content':'r1',"
      "'reasoning_signature':'s1'},{'role':'user','content':'More'}]}",
      "{'messages':[" HI ",{'role':'assistant','content':"
      "[{'text':'Hello'}]},{'role':'user','content':[{'text':'More'}]}]}",
      NULL, NULL },

    { "reasoning text without a signature is not sent", SONNET, 0,
      CC_REASONING_LOW,
      "{'messages':[{'role':'user','content':'Hi'},"
      "{'role':'assistant','content':'Hello','reasoning_content':'r1'},"
      "{'role':'user','content':'More'}]}",
      "{'messages':[" HI ",{'role':'assistant','content':"
      "[{'text':'Hello'}]},{'role':'user','content':[{'text':'More'}]}],"
      "'inferenceConfig':{'maxTokens':2048}," THINK(1024) "}", NULL, NULL },

    { "a turn of reasoning alone is no turn", SONNET, 0, CC_REASONING_LOW,
      "{'messages':[{'role':'user','content':'Hi'},"
      "{'role':'assistant','content':' ','reasoning_content':'r1',"
      "'reasoning_signature':'s1'},{'role':'user','content':'More'}]}",
      "{'messages':[{'role':'user','content':[{'text':'Hi'},"
      "{'text':'More'}]}],'inferenceConfig':{'maxTokens':2048},"
      THINK(1024) "}", NULL, NULL },

    { "reasoning_signature not a string", SONNET, 0, 0,
      "{'messages':[{'role':'user','content':'Hi'},"
      "{'role':'assistant','content':'Hello','reasoning_signature':1}]}",
      NULL, "messages[1].reasoning_signature",
      "Invalid type for 'messages[1].reasoning_signature': expected a "
      "string, but got an integer instead." },

    /* prompt caching */

    { "cachePoint after the system list", NOVA, F_SYSTEM | F_PROMPT, 0,
      "{'messages':[{'role':'system','content':'Mind the caller.'},"
      "{'role':'user','content':'Hi'}]}",
      "{'system':[{'text':'Be brief.'},{'text':'Mind the caller.'},"
      "{'cachePoint':{'type':'default'}}]," MSGS "}", NULL, NULL },

    { "cachePoint after the tools", SONNET, F_TOOLS | F_SERVER, 0,
      Q("'tools':[{'type':'function','function':{'name':'mine'}}]"),
      "{" MSGS ",'toolConfig':{'tools':[{'toolSpec':{'name':'lookup',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}},"
      "{'toolSpec':{'name':'mine','inputSchema':{'json':{'type':'object',"
      "'properties':{}}}}},{'cachePoint':{'type':'default'}}]}}",
      NULL, NULL },

    { "Nova: no cachePoint in the tools (Bedrock refuses it)", NOVA,
      F_SYSTEM | F_TOOLS | F_PROMPT, 0,
      Q("'tools':[{'type':'function','function':{'name':'mine'}}]"),
      "{'system':[{'text':'Be brief.'},{'cachePoint':{'type':'default'}}],"
      MSGS ",'toolConfig':{'tools':[{'toolSpec':{'name':'mine',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}}]}}",
      NULL, NULL },

    { "no system and no tools: no cachePoint", NOVA, F_SYSTEM | F_TOOLS, 0,
      Q("'max_tokens':5"),
      "{" MSGS ",'inferenceConfig':{'maxTokens':5}}", NULL, NULL },

    { "the stub tools of a history are not cached", SONNET, F_TOOLS, 0,
      "{'messages':[{'role':'user','content':'Hi'},{'role':'assistant',"
      "'tool_calls':[{'id':'c1','type':'function','function':{'name':'x',"
      "'arguments':'{}'}}]},{'role':'tool','tool_call_id':'c1',"
      "'content':'ok'}]}",
      "{'messages':[" HI ",{'role':'assistant','content':[{'toolUse':"
      "{'toolUseId':'c1','name':'x','input':{}}}]},{'role':'user',"
      "'content':[{'toolResult':{'toolUseId':'c1','content':[{'text':"
      "'ok'}]}}]}],'toolConfig':{'tools':[{'toolSpec':{'name':'x',"
      "'description':'Tool used earlier in this conversation.',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}}]}}",
      NULL, NULL },

    { "the forced tool is cached", SONNET, F_TOOLS, 0,
      Q("'response_format':{'type':'json_object'}"),
      "{" MSGS ",'toolConfig':{'tools':[{'toolSpec':{'name':'json_object',"
      "'description':'" TOOL_TEXT "','inputSchema':{'json':" OPEN "}}},"
      "{'cachePoint':{'type':'default'}}],'toolChoice':{'tool':"
      "{'name':'json_object'}}}}", NULL, NULL },
};


static cc_tool_t  server_tool;


static char *f_unquote(const char *s);
static cc_json_t *f_parse(cc_test_arena_t *ar, const char *json);
static void f_options(cc_test_arena_t *ar, const f_case_t *c,
    cc_chat_options_t *opts);
static void f_case(const f_case_t *c);
static void test_check_model(void);
static void test_families(void);
static void f_str(cc_str_t *s, const char *v);
static void f_stream(cc_test_arena_t *ar, cc_stream_t *s);
static int f_ev(cc_test_arena_t *ar, cc_stream_t *s, const char *type,
    const char *payload, cc_str_t *out);
static void test_stream_reasoning(void);
static void test_stream_structured(void);
static void test_converse_features(void);
static void test_no_memory(void);


int
main(void)
{
    size_t  i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        f_case(&cases[i]);
    }

    test_check_model();
    test_families();
    test_stream_reasoning();
    test_stream_structured();
    test_converse_features();
    test_no_memory();

    return cc_test_done("test_features");
}


static char *
f_unquote(const char *s)
{
    char    *p;
    size_t   i, j;

    p = strdup(s);
    if (p == NULL) {
        abort();
    }

    /* ' is ", and \' an escaped quote, \" in JSON */
    for (i = 0, j = 0; s[i]; i++) {
        if (s[i] == '\\' && s[i + 1] == '\'') {
            p[j++] = '\\';
            p[j++] = '"';
            i++;
            continue;
        }

        p[j++] = (s[i] == '\'') ? '"' : s[i];
    }

    p[j] = '\0';

    return p;
}


static cc_json_t *
f_parse(cc_test_arena_t *ar, const char *json)
{
    char       *s, err[128];
    cc_json_t  *v;

    s = f_unquote(json);

    v = cc_json_parse(&ar->alloc, (u_char *) s, strlen(s), err, sizeof(err));
    if (v == NULL) {
        fprintf(stderr, "bad test JSON (%s): %s\n", err, s);
        abort();
    }

    free(s);

    return v;
}


static void
f_options(cc_test_arena_t *ar, const f_case_t *c, cc_chat_options_t *opts)
{
    static cc_str_t  prompt = cc_string("Be brief.");
    static cc_str_t  name = cc_string("lookup");

    memset(opts, 0, sizeof(cc_chat_options_t));

    f_str(&opts->model_id, c->model);

    opts->structured_mode = (c->options & F_NATIVE) ? CC_STRUCTURED_NATIVE
                            : (c->options & F_TOOL) ? CC_STRUCTURED_TOOL
                            : CC_STRUCTURED_AUTO;
    opts->reasoning_default = c->reasoning;
    opts->cache_system = (c->options & F_SYSTEM) != 0;
    opts->cache_tools = (c->options & F_TOOLS) != 0;

    if (c->options & F_PROMPT) {
        opts->system_prompt = prompt;
    }

    if (c->options & F_SERVER) {
        server_tool.name = name;
        server_tool.schema = f_parse(ar, "{'type':'object','properties':{}}");
        opts->server_tools = &server_tool;
        opts->nserver_tools = 1;
    }
}


static void
f_case(const f_case_t *c)
{
    int                rc;
    char              *want;
    cc_str_t           body;
    cc_chat_t          chat;
    cc_json_t         *root;
    cc_error_t         err;
    cc_test_arena_t    ar;
    cc_chat_options_t  opts;

    cc_test_arena_init(&ar);

    f_options(&ar, c, &opts);
    root = f_parse(&ar, c->request);

    rc = cc_chat_parse(&ar.alloc, root, &opts, &chat, &err);

    if (c->body == NULL) {
        if (!CHECK(rc == CC_ERROR)) {
            fprintf(stderr, "    case: %s\n", c->name);
            goto done;
        }

        EXPECT_INT(err.status, 400);
        EXPECT_STR(err.param, c->param);

        if (!EXPECT_STR(err.message, c->message)) {
            fprintf(stderr, "    case: %s\n", c->name);
        }

        goto done;
    }

    if (!CHECK(rc == CC_OK)) {
        fprintf(stderr, "    case: %s: %.*s\n", c->name,
                (int) err.message.len, err.message.data);
        goto done;
    }

    if (!CHECK(cc_bedrock_body(&ar.alloc, &chat, &opts, &body) == CC_OK)) {
        goto done;
    }

    want = f_unquote(c->body);

    if (!EXPECT_STR(body, want)) {
        fprintf(stderr, "    case: %s\n    got:  %.*s\n    want: %s\n",
                c->name, (int) body.len, body.data, want);
    }

    free(want);

done:

    cc_test_arena_destroy(&ar);
}


/* the forced tool refuses the request's tools; native takes them */
static void
test_check_model(void)
{
    cc_chat_t          chat;
    cc_json_t         *root;
    cc_error_t         err;
    cc_test_arena_t    ar;
    cc_chat_options_t  opts;
    static f_case_t    c = { "", NOVA, 0, 0, NULL, NULL, NULL, NULL };

    cc_test_arena_init(&ar);

    f_options(&ar, &c, &opts);
    root = f_parse(&ar, Q("'tools':[{'type':'function','function':"
                          "{'name':'mine'}}]," RF_SCHEMA));

    EXPECT_INT(cc_chat_parse(&ar.alloc, root, &opts, &chat, &err), CC_OK);
    EXPECT_INT(cc_chat_check_model(&ar.alloc, &chat, &opts, &err),
               CC_ERROR);
    EXPECT_INT(err.status, 400);
    EXPECT_STR(err.param, "response_format");
    CHECK(err.code != NULL && strcmp(err.code, "unsupported_parameter") == 0);

    f_str(&opts.model_id, SONNET);
    EXPECT_INT(cc_chat_check_model(&ar.alloc, &chat, &opts, &err), CC_OK);

    /* without tools the forced tool is fine */
    f_str(&opts.model_id, NOVA);
    chat.ntools = 0;
    EXPECT_INT(cc_chat_check_model(&ar.alloc, &chat, &opts, &err), CC_OK);

    cc_test_arena_destroy(&ar);
}


static void
test_families(void)
{
    cc_str_t  m;

    f_str(&m, "arn:aws:bedrock:us-east-1:1:inference-profile/"
              "global.anthropic.claude-opus-4-6-v1");
    EXPECT_INT(cc_reasoning_family(&m), CC_REASONING_CLAUDE);
    EXPECT_INT(cc_structured_model_native(&m), 1);

    f_str(&m, "anthropic.claude-3-haiku-20240307-v1:0");
    EXPECT_INT(cc_reasoning_family(&m), CC_REASONING_OTHER);
    EXPECT_INT(cc_structured_model_native(&m), 0);

    f_str(&m, "global.amazon.nova-2-lite-v1:0");
    EXPECT_INT(cc_reasoning_family(&m), CC_REASONING_NOVA2);
    EXPECT_INT(cc_structured_model_native(&m), 0);

    f_str(&m, "meta.llama3-70b-instruct-v1:0");
    EXPECT_INT(cc_reasoning_family(&m), CC_REASONING_OTHER);

    f_str(&m, "");
    EXPECT_INT(cc_reasoning_family(&m), CC_REASONING_OTHER);
    EXPECT_INT(cc_structured_model_native(&m), 0);
}


static void
f_str(cc_str_t *s, const char *v)
{
    s->data = (u_char *) v;
    s->len = v ? strlen(v) : 0;
}


static void
f_stream(cc_test_arena_t *ar, cc_stream_t *s)
{
    cc_test_arena_init(ar);
    cc_stream_init(s);

    f_str(&s->id, "chatcmpl-abc");
    f_str(&s->model, "m");
    s->created = 1;
}


static int
f_ev(cc_test_arena_t *ar, cc_stream_t *s, const char *type,
    const char *payload, cc_str_t *out)
{
    int                rc;
    char              *p;
    cc_str_t           mt, ty;
    cc_stream_fault_t  fault;

    f_str(&mt, "event");
    f_str(&ty, type);

    p = f_unquote(payload);

    out->len = 0;
    out->data = NULL;

    rc = cc_stream_event(&ar->alloc, s, &mt, &ty, (u_char *) p, strlen(p),
                         out, &fault);

    memset(p, 'X', strlen(p));
    free(p);

    return rc;
}


#define H  "data: {\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion." \
           "chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0," \
           "\"delta\":"
#define T  ",\"logprobs\":null,\"finish_reason\":null}]}\n\n"
#define ROLE     H "{\"role\":\"assistant\",\"content\":\"\"}" T


static void
test_stream_reasoning(void)
{
    cc_str_t         out;
    cc_round_t       r;
    cc_stream_t      s;
    cc_test_arena_t  ar;

    f_stream(&ar, &s);

    EXPECT_INT(f_ev(&ar, &s, "messageStart", "{'role':'assistant'}", &out),
               CC_OK);
    EXPECT_STR(out, ROLE);

    EXPECT_INT(f_ev(&ar, &s, "contentBlockDelta",
                    "{'contentBlockIndex':0,'delta':{'reasoningContent':"
                    "{'text':'Think'}},'p':'abc'}", &out), CC_OK);
    EXPECT_STR(out, H "{\"reasoning_content\":\"Think\"}" T);

    EXPECT_INT(f_ev(&ar, &s, "contentBlockDelta",
                    "{'contentBlockIndex':0,'delta':{'reasoningContent':"
                    "{'text':'ing.'}}}", &out), CC_OK);
    EXPECT_STR(out, H "{\"reasoning_content\":\"ing.\"}" T);

    EXPECT_INT(f_ev(&ar, &s, "contentBlockDelta",
                    "{'contentBlockIndex':0,'delta':{'reasoningContent':"
                    "{'signature':'c2ln'}}}", &out), CC_OK);
    EXPECT_STR(out, H "{\"reasoning_signature\":\"c2ln\"}" T);

    EXPECT_INT(f_ev(&ar, &s, "contentBlockDelta",
                    "{'contentBlockIndex':1,'delta':{'reasoningContent':"
                    "{'redactedContent':'QUJD'}}}", &out), CC_OK);
    EXPECT_STR(out, H "{\"reasoning_redacted\":\"QUJD\"}" T);

    /* an empty piece says nothing */
    EXPECT_INT(f_ev(&ar, &s, "contentBlockDelta",
                    "{'contentBlockIndex':0,'delta':{'reasoningContent':"
                    "{'text':''}}}", &out), CC_OK);
    EXPECT_INT(out.len, 0);

    EXPECT_INT(f_ev(&ar, &s, "contentBlockDelta",
                    "{'contentBlockIndex':2,'delta':{'text':'Hello'}}",
                    &out), CC_OK);
    EXPECT_STR(out, H "{\"content\":\"Hello\"}" T);

    /* the round keeps them for the history, apart from the text */
    cc_stream_round_tool_uses(&s, &r);
    EXPECT_STR(r.reasoning, "Thinking.");
    EXPECT_STR(r.signature, "c2ln");
    EXPECT_STR(r.redacted, "QUJD");
    EXPECT_STR(r.text, "Hello");

    /* a new round starts without them */
    cc_stream_next_round(&s);
    cc_stream_round_tool_uses(&s, &r);
    EXPECT_INT(r.reasoning.len, 0);
    EXPECT_INT(r.signature.len, 0);

    cc_test_arena_destroy(&ar);
}


static void
test_stream_structured(void)
{
    cc_str_t         out;
    cc_stream_t      s;
    cc_test_arena_t  ar;

    f_stream(&ar, &s);
    f_str(&s.structured_tool, "weather");

    EXPECT_INT(f_ev(&ar, &s, "messageStart", "{'role':'assistant'}", &out),
               CC_OK);

    /* Nova's words before the forced tool are not the answer */
    EXPECT_INT(f_ev(&ar, &s, "contentBlockDelta",
                    "{'contentBlockIndex':0,'delta':{'text':'Sure.'}}",
                    &out), CC_OK);
    EXPECT_INT(out.len, 0);

    EXPECT_INT(f_ev(&ar, &s, "contentBlockStart",
                    "{'contentBlockIndex':1,'start':{'toolUse':"
                    "{'toolUseId':'t1','name':'weather'}}}", &out), CC_OK);
    EXPECT_INT(out.len, 0);

    EXPECT_INT(f_ev(&ar, &s, "contentBlockDelta",
                    "{'contentBlockIndex':1,'delta':{'toolUse':"
                    "{'input':'{\\'city\\':'}}}", &out), CC_OK);
    EXPECT_STR(out, H "{\"content\":\"{\\\"city\\\":\"}" T);

    EXPECT_INT(f_ev(&ar, &s, "contentBlockDelta",
                    "{'contentBlockIndex':1,'delta':{'toolUse':"
                    "{'input':'\\'Oslo\\'}'}}}", &out), CC_OK);
    EXPECT_STR(out, H "{\"content\":\"\\\"Oslo\\\"}\"}" T);

    EXPECT_INT(f_ev(&ar, &s, "contentBlockStop", "{'contentBlockIndex':1}",
                    &out), CC_OK);
    EXPECT_INT(out.len, 0);

    EXPECT_INT(f_ev(&ar, &s, "messageStop", "{'stopReason':'tool_use'}",
                    &out), CC_OK);
    EXPECT_INT(f_ev(&ar, &s, "metadata", "{'usage':{'inputTokens':1,"
                    "'outputTokens':2,'totalTokens':3}}", &out), CC_DONE);

    EXPECT_INT(cc_stream_finish(&ar.alloc, &s, &out), CC_OK);
    EXPECT_STR(out, H "{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}"
                    "\n\ndata: [DONE]\n\n");
    EXPECT_INT(s.next_index, 0);

    cc_test_arena_destroy(&ar);

    /* no input at all: "{}" */

    f_stream(&ar, &s);
    f_str(&s.structured_tool, "json_object");

    EXPECT_INT(f_ev(&ar, &s, "contentBlockStart",
                    "{'contentBlockIndex':0,'start':{'toolUse':"
                    "{'toolUseId':'t1','name':'json_object'}}}", &out),
               CC_OK);
    EXPECT_STR(out, ROLE);

    EXPECT_INT(f_ev(&ar, &s, "contentBlockStop", "{'contentBlockIndex':0}",
                    &out), CC_OK);
    EXPECT_STR(out, H "{\"content\":\"{}\"}" T);

    cc_test_arena_destroy(&ar);

    /* another tool of the same stream is a tool call as ever */

    f_stream(&ar, &s);
    f_str(&s.structured_tool, "weather");

    EXPECT_INT(f_ev(&ar, &s, "contentBlockStart",
                    "{'contentBlockIndex':0,'start':{'toolUse':"
                    "{'toolUseId':'t2','name':'other'}}}", &out), CC_OK);
    EXPECT_STR(out, ROLE H "{\"tool_calls\":[{\"index\":0,\"id\":\"t2\","
               "\"type\":\"function\",\"function\":{\"name\":\"other\","
               "\"arguments\":\"\"}}]}" T);

    cc_test_arena_destroy(&ar);
}


static void
test_converse_features(void)
{
    char             *json;
    cc_str_t          out;
    cc_round_t        r;
    cc_stream_t       s;
    cc_http_error_t   err;
    cc_test_arena_t   ar;

    f_stream(&ar, &s);
    f_str(&s.structured_tool, "weather");

    json = f_unquote(
        "{'output':{'message':{'role':'assistant','content':["
        "{'reasoningContent':{'reasoningText':{'text':'Hmm.',"
        "'signature':'c2ln'}}},"
        "{'reasoningContent':{'redactedContent':'QUJD'}},"
        "{'text':'Here it is:'},"
        "{'toolUse':{'toolUseId':'t1','name':'weather',"
        "'input':{'city':'Oslo'}}}]}},"
        "'stopReason':'tool_use','usage':{'inputTokens':10,"
        "'outputTokens':5,'totalTokens':15,'cacheReadInputTokens':100,"
        "'cacheWriteInputTokens':7}}");

    EXPECT_INT(cc_converse_round(&ar.alloc, &s, (u_char *) json,
                                 strlen(json), &err), CC_OK);
    free(json);

    cc_stream_round_tool_uses(&s, &r);
    EXPECT_STR(r.reasoning, "Hmm.");
    EXPECT_STR(r.signature, "c2ln");
    EXPECT_STR(r.redacted, "QUJD");
    EXPECT_INT(r.ntools, 0);

    EXPECT_INT(cc_completion_build(&ar.alloc, &s, &out), CC_OK);
    EXPECT_STR(out,
               "{\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion\","
               "\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
               "\"message\":{\"role\":\"assistant\",\"content\":"
               "\"{\\\"city\\\":\\\"Oslo\\\"}\",\"refusal\":null,"
               "\"reasoning_content\":\"Hmm.\","
               "\"reasoning_signature\":\"c2ln\","
               "\"reasoning_redacted\":\"QUJD\"},\"logprobs\":null,"
               "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":117,"
               "\"completion_tokens\":5,\"total_tokens\":122,"
               "\"prompt_tokens_details\":{\"cached_tokens\":100},"
               "\"cache_read_input_tokens\":100,"
               "\"cache_creation_input_tokens\":7}}");

    cc_test_arena_destroy(&ar);
}


/*
 * every allocation of the parse failing in turn (yajl, which serializes
 * the body, does not check all of its own: the body is made without)
 */
static void
test_no_memory(void)
{
    int                rc;
    long               n;
    cc_str_t           body;
    cc_json_t         *root;
    cc_chat_t          chat;
    cc_error_t         err;
    cc_test_arena_t    dom, ar;
    cc_chat_options_t  opts;
    static f_case_t    c = { "", SONNET, F_SYSTEM | F_TOOLS | F_PROMPT
                                         | F_SERVER,
                             CC_REASONING_LOW, NULL, NULL, NULL, NULL };

    cc_test_arena_init(&dom);
    f_options(&dom, &c, &opts);

    root = f_parse(&dom,
        "{'messages':[{'role':'user','content':'Hi'},"
        "{'role':'assistant','content':'Hello','reasoning_content':'r',"
        "'reasoning_signature':'s','reasoning_redacted':'QUJD'},"
        "{'role':'user','content':'More'}],"
        "'reasoning_effort':'medium'," RF_SCHEMA "}");

    for (n = 0; /* void */ ; n++) {
        cc_test_arena_init(&ar);
        ar.fail_after = n;

        rc = cc_chat_parse(&ar.alloc, root, &opts, &chat, &err);

        if (rc == CC_OK) {
            ar.fail_after = -1;
            CHECK(cc_bedrock_body(&ar.alloc, &chat, &opts, &body) == CC_OK);
            CHECK(body.len > 0);

        } else {
            EXPECT_INT(err.status, 500);
        }

        cc_test_arena_destroy(&ar);

        if (rc == CC_OK || !CHECK(n < 10000)) {
            break;
        }
    }

    cc_test_arena_destroy(&dom);
}
