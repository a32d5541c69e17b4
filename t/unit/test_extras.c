
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The Converse fields beyond the conversation (cc_extras.h) and images
 * (cc_image.h): every case parses a request with a configuration, then
 * asserts the exact body bytes or the exact OpenAI error; then the
 * answer's side: the guardrail trace and the service tier.
 *
 *     make -C t/unit build/test_extras && t/unit/build/test_extras
 */


#include "test_util.h"

#include "cc_chat.h"
#include "cc_converse.h"
#include "cc_sse.h"
#include "cc_extras.h"
#include "cc_image.h"
#include "cc_models.h"


/* options a case can turn on */
#define T_GUARD         0x0001   /* guardrail gr1 version 3, trace on */
#define T_STREAM        0x0002   /* the attempt streams, mode async */
#define T_LATENCY       0x0004   /* latency optimized */
#define T_TIER          0x0008   /* configured tier priority */
#define T_ALLOW         0x0010   /* clients may ask for flex, default */
#define T_META          0x0020   /* metadata and user forwarded */
#define T_CLAUDE        0x0040   /* the model is Claude, else Nova */
#define T_SERVER        0x0080   /* server tool lookup */
#define T_SMALL         0x0100   /* images: 8 bytes, 2 at most */


typedef struct {
    const char               *name;
    unsigned                  options;
    const char               *request;
    const char               *body;      /* NULL: an error is expected */
    const char               *param;     /* NULL: JSON null */
    const char               *code;
    const char               *message;
} test_case_t;


#define PNG   "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="
#define MSG   "'messages':[{'role':'user','content':'x'}]"
#define BODY  "{'messages':[{'role':'user','content':[{'text':'x'}]}]"
#define TOOLS "'tools':[{'type':'function','function':{'name':'a'}}]"
#define SPEC  "'toolConfig':{'tools':[{'toolSpec':{'name':'a','inputSchema':" \
              "{'json':{'type':'object','properties':{}}}}}]"


static const test_case_t  cases[] = {

    /* guardrails */

    { "guardrail on Converse: no streamProcessingMode", T_GUARD,
      "{" MSG "}",
      BODY ",'guardrailConfig':{'guardrailIdentifier':'gr1',"
      "'guardrailVersion':'3','trace':'enabled'}}",
      NULL, NULL, NULL },

    { "guardrail on ConverseStream: its mode", T_GUARD | T_STREAM,
      "{" MSG "}",
      BODY ",'guardrailConfig':{'guardrailIdentifier':'gr1',"
      "'guardrailVersion':'3','trace':'enabled',"
      "'streamProcessingMode':'async'}}",
      NULL, NULL, NULL },

    /* latency and service tier */

    { "latency", T_LATENCY, "{" MSG "}",
      BODY ",'performanceConfig':{'latency':'optimized'}}",
      NULL, NULL, NULL },

    { "configured tier", T_TIER, "{" MSG "}",
      BODY ",'serviceTier':{'type':'priority'}}", NULL, NULL, NULL },

    { "auto is the configured tier", T_TIER | T_ALLOW,
      "{" MSG ",'service_tier':'auto'}",
      BODY ",'serviceTier':{'type':'priority'}}", NULL, NULL, NULL },

    { "an allowed tier replaces it", T_TIER | T_ALLOW,
      "{" MSG ",'service_tier':'flex'}",
      BODY ",'serviceTier':{'type':'flex'}}", NULL, NULL, NULL },

    { "a tier not allowed is ignored", T_TIER | T_ALLOW,
      "{" MSG ",'service_tier':'priority'}",
      BODY ",'serviceTier':{'type':'priority'}}", NULL, NULL, NULL },

    { "no tier allowed, none configured: nothing", 0,
      "{" MSG ",'service_tier':'flex'}", BODY "}", NULL, NULL, NULL },

    { "scale is known and ignored", T_ALLOW,
      "{" MSG ",'service_tier':'scale'}", BODY "}", NULL, NULL, NULL },

    { "an unknown tier", T_ALLOW, "{" MSG ",'service_tier':'turbo'}",
      NULL, "service_tier", "invalid_value",
      "Invalid value for 'service_tier': 'turbo'. Supported values are: "
      "'auto', 'default', 'flex', 'scale' and 'priority'." },

    { "a tier of the wrong type", 0, "{" MSG ",'service_tier':1}",
      NULL, "service_tier", "invalid_type",
      "Invalid type for 'service_tier': expected a string, but got an "
      "integer instead." },

    /* metadata and user */

    { "metadata and user", T_META,
      "{" MSG ",'metadata':{'team':'voice','run':'a b/c=d'},'user':'u-1'}",
      BODY ",'requestMetadata':{'team':'voice','run':'a b/c=d',"
      "'user':'u-1'}}", NULL, NULL, NULL },

    { "metadata names user itself", T_META,
      "{" MSG ",'metadata':{'user':'m'},'user':'u-1'}",
      BODY ",'requestMetadata':{'user':'m'}}", NULL, NULL, NULL },

    { "user alone", T_META, "{" MSG ",'user':'alice@example.com'}",
      BODY ",'requestMetadata':{'user':'alice@example.com'}}",
      NULL, NULL, NULL },

    { "forwarding off: any metadata is ignored", 0,
      "{" MSG ",'metadata':{'call':{'id':1}},'user':'u-1'}", BODY "}",
      NULL, NULL, NULL },

    { "pairs Bedrock refuses are left out", T_META,
      "{" MSG ",'metadata':{'ok':'1','bad!':'2','':'3','v':'caf\\u00e9',"
      "'long':'" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "'},'user':'no?'}",
      BODY ",'requestMetadata':{'ok':'1'}}", NULL, NULL, NULL },

    { "metadata of the wrong type", T_META, "{" MSG ",'metadata':[1]}",
      NULL, "metadata", "invalid_type",
      "Invalid type for 'metadata': expected an object, but got an array "
      "instead." },

    { "a metadata value not a string", T_META,
      "{" MSG ",'metadata':{'n':5}}",
      NULL, "metadata.n", "invalid_type",
      "Invalid type for 'metadata.n': expected a string, but got an "
      "integer instead." },

    { "17 metadata pairs", T_META,
      "{" MSG ",'metadata':{'a':'','b':'','c':'','d':'','e':'','f':'',"
      "'g':'','h':'','i':'','j':'','k':'','l':'','m':'','n':'','o':'',"
      "'p':'','q':''}}",
      NULL, "metadata", "object_above_max_properties",
      "Invalid 'metadata': too many properties. Expected an object with at "
      "most 16 properties, but got an object with 17 properties instead." },

    { "a metadata key over 64", T_META,
      "{" MSG ",'metadata':{'"
      "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
      "':'v'}}",
      NULL, "metadata", "string_above_max_length",
      "Invalid 'metadata': key 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
      "k...' too long. Expected a key with maximum length 64, but got a key "
      "with length 65 instead." },

    { "user of the wrong type", T_META, "{" MSG ",'user':5}",
      NULL, "user", "invalid_type",
      "Invalid type for 'user': expected a string, but got an integer "
      "instead." },

    /* parallel_tool_calls */

    { "parallel_tool_calls false, Claude: Anthropic's tool_choice",
      T_CLAUDE, "{" MSG "," TOOLS ",'parallel_tool_calls':false}",
      BODY "," SPEC "},'additionalModelRequestFields':{'tool_choice':"
      "{'type':'auto','disable_parallel_tool_use':true}}}",
      NULL, NULL, NULL },

    { "... with required: any, and no toolChoice", T_CLAUDE,
      "{" MSG "," TOOLS ",'parallel_tool_calls':false,"
      "'tool_choice':'required'}",
      BODY "," SPEC "},'additionalModelRequestFields':{'tool_choice':"
      "{'type':'any','disable_parallel_tool_use':true}}}",
      NULL, NULL, NULL },

    { "... with a named function", T_CLAUDE,
      "{" MSG "," TOOLS ",'parallel_tool_calls':false,"
      "'tool_choice':{'type':'function','function':{'name':'a'}}}",
      BODY "," SPEC "},'additionalModelRequestFields':{'tool_choice':"
      "{'type':'tool','name':'a','disable_parallel_tool_use':true}}}",
      NULL, NULL, NULL },

    { "... Claude with server tools only", T_CLAUDE | T_SERVER,
      "{" MSG ",'parallel_tool_calls':false}",
      BODY ",'toolConfig':{'tools':[{'toolSpec':{'name':'lookup',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}}]},"
      "'additionalModelRequestFields':{'tool_choice':"
      "{'type':'auto','disable_parallel_tool_use':true}}}",
      NULL, NULL, NULL },

    { "... with thinking: one additionalModelRequestFields for both",
      T_CLAUDE,
      "{" MSG "," TOOLS ",'parallel_tool_calls':false,"
      "'reasoning_effort':'low'}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]}],"
      "'inferenceConfig':{'maxTokens':2048}," SPEC "},"
      "'additionalModelRequestFields':{'thinking':{'type':'enabled',"
      "'budget_tokens':1024},'tool_choice':{'type':'auto',"
      "'disable_parallel_tool_use':true}}}",
      NULL, NULL, NULL },

    { "... Claude without tools: nothing", T_CLAUDE,
      "{" MSG ",'parallel_tool_calls':false}", BODY "}", NULL, NULL, NULL },

    { "... true: nothing", T_CLAUDE,
      "{" MSG "," TOOLS ",'parallel_tool_calls':true,'tool_choice':'auto'}",
      BODY "," SPEC ",'toolChoice':{'auto':{}}}}", NULL, NULL, NULL },

    { "... Nova: nothing to send", 0,
      "{" MSG "," TOOLS ",'parallel_tool_calls':false,'tool_choice':'auto'}",
      BODY "," SPEC ",'toolChoice':{'auto':{}}}}", NULL, NULL, NULL },

    { "parallel_tool_calls of the wrong type", 0,
      "{" MSG ",'parallel_tool_calls':'no'}",
      NULL, "parallel_tool_calls", "invalid_type",
      "Invalid type for 'parallel_tool_calls': expected a boolean, but got "
      "a string instead." },

    /* tool_choice none on a history with tool blocks */

    { "none: calls and results as text, errors and JSON too", T_CLAUDE,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','content':'Let me see.','tool_calls':["
      "{'id':'c1','type':'function','function':{'name':'a',"
      "'arguments':'{\\'q\\':1}'}},"
      "{'id':'c2','type':'function','function':{'name':'a',"
      "'arguments':''}}]},"
      "{'role':'tool','tool_call_id':'c1','content':'{\\'r\\': 2}'},"
      "{'role':'tool','tool_call_id':'c2','content':' '},"
      "{'role':'user','content':'and?'}]," TOOLS ",'tool_choice':'none'}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]},"
      "{'role':'assistant','content':[{'text':'Let me see.'},"
      "{'text':'[tool call c1: a {\\'q\\':1}]'},"
      "{'text':'[tool call c2: a {}]'}]},"
      "{'role':'user','content':[{'text':'[tool result c1: {\\'r\\':2}]'},"
      "{'text':'[tool result c2: (empty result)]'},{'text':'and?'}]}]}",
      NULL, NULL, NULL },

    { "none with server tools: only they are offered", T_SERVER,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':[{'id':'c1','type':'function',"
      "'function':{'name':'a','arguments':'{}'}}]},"
      "{'role':'tool','tool_call_id':'c1','content':'ok'}],"
      TOOLS ",'tool_choice':'none'}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]},"
      "{'role':'assistant','content':[{'text':'[tool call c1: a {}]'}]},"
      "{'role':'user','content':[{'text':'[tool result c1: ok]'}]}],"
      "'toolConfig':{'tools':[{'toolSpec':{'name':'lookup','inputSchema':"
      "{'json':{'type':'object','properties':{}}}}}]}}",
      NULL, NULL, NULL },

    /* images */

    { "a PNG data URL", 0,
      "{'messages':[{'role':'user','content':[{'type':'text',"
      "'text':'What is this?'},{'type':'image_url','image_url':{'url':'"
      PNG "','detail':'low'}}]}]}",
      "{'messages':[{'role':'user','content':[{'text':'What is this?'},"
      "{'image':{'format':'png','source':{'bytes':"
      "'iVBORw0KGgoAAAANSUhEUg=='}}}]}]}",
      NULL, NULL, NULL },

    { "JPEG as image/jpg, GIF, WebP; an image alone", 0,
      "{'messages':[{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':'data:image/jpg;base64,/9j/4A=='}},"
      "{'type':'image_url','image_url':{'url':'DATA:IMAGE/GIF;BASE64,"
      "R0lGODlh'}},{'type':'image_url','image_url':{'url':"
      "'data:image/webp;base64,UklGRgAAAABXRUJQ'}}]}]}",
      "{'messages':[{'role':'user','content':["
      "{'image':{'format':'jpeg','source':{'bytes':'/9j/4A=='}}},"
      "{'image':{'format':'gif','source':{'bytes':'R0lGODlh'}}},"
      "{'image':{'format':'webp','source':{'bytes':'UklGRgAAAABXRUJQ'}}}"
      "]}]}",
      NULL, NULL, NULL },

    { "an http URL is not fetched", 0,
      "{'messages':[{'role':'system','content':'s'},{'role':'user',"
      "'content':[{'type':'text','text':'a'},{'type':'text','text':'b'},"
      "{'type':'image_url','image_url':{'url':'HTTP://example.com/a.png'}}"
      "]}]}",
      NULL, "messages[1].content[2].image_url.url", "invalid_image_url",
      "Invalid 'messages[1].content[2].image_url.url': this server does not "
      "fetch image URLs. Send the image inline as a base64 data URL "
      "(data:image/png;base64,...)." },

    { "not a data URL", 0,
      "{'messages':[{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':'ftp://x'}}]}]}",
      NULL, "messages[0].content[0].image_url.url", "invalid_image_url",
      "Invalid 'messages[0].content[0].image_url.url': expected a base64 "
      "data URL (data:image/png;base64,...)." },

    { "a data URL without base64", 0,
      "{'messages':[{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':'data:image/png,abcd'}}]}]}",
      NULL, "messages[0].content[0].image_url.url", "invalid_image_url",
      "Invalid 'messages[0].content[0].image_url.url': expected a base64 "
      "data URL (data:image/png;base64,...)." },

    { "an unsupported type", 0,
      "{'messages':[{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':'data:image/tiff;base64,AAAA'}}]}]}",
      NULL, "messages[0].content[0].image_url.url", "invalid_image_format",
      "Invalid 'messages[0].content[0].image_url.url': unsupported image "
      "type. Supported types are image/png, image/jpeg, image/gif and "
      "image/webp." },

    { "base64 with a bad character", 0,
      "{'messages':[{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':'data:image/png;base64,iVBORw0K*go='}}]}]}",
      NULL, "messages[0].content[0].image_url.url", "invalid_image",
      "Invalid 'messages[0].content[0].image_url.url': the image data is "
      "not valid base64." },

    { "base64 of a bad length", 0,
      "{'messages':[{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':'data:image/png;base64,iVBORw0KGgo'}}]}]}",
      NULL, "messages[0].content[0].image_url.url", "invalid_image",
      "Invalid 'messages[0].content[0].image_url.url': the image data is "
      "not valid base64." },

    { "empty data", 0,
      "{'messages':[{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':'data:image/png;base64,'}}]}]}",
      NULL, "messages[0].content[0].image_url.url", "invalid_image",
      "Invalid 'messages[0].content[0].image_url.url': the image data is "
      "not valid base64." },

    { "a GIF that is a PNG", 0,
      "{'messages':[{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':'data:image/gif;base64,iVBORw0KGgo='}}]}]}",
      NULL, "messages[0].content[0].image_url.url", "invalid_image",
      "Invalid 'messages[0].content[0].image_url.url': the image data is "
      "not a gif image." },

    { "over the size limit", T_SMALL,
      "{'messages':[{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':'" PNG "'}}]}]}",
      NULL, "messages[0].content[0].image_url.url", "image_too_large",
      "Invalid 'messages[0].content[0].image_url.url': the image is 16 "
      "bytes; the limit is 8 bytes." },

    { "at the size limit", T_SMALL,
      "{'messages':[{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':'data:image/png;base64,iVBORw0KGgo='}}]}]}",
      "{'messages':[{'role':'user','content':["
      "{'image':{'format':'png','source':{'bytes':'iVBORw0KGgo='}}}]}]}",
      NULL, NULL, NULL },

    { "too many images", T_SMALL,
      "{'messages':[{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':'data:image/gif;base64,R0lGODlh'}}]},"
      "{'role':'assistant','content':'ok'},"
      "{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':'data:image/gif;base64,R0lGODlh'}},"
      "{'type':'image_url','image_url':{'url':"
      "'data:image/gif;base64,R0lGODlh'}}]}]}",
      NULL, "messages[2].content[1].image_url.url", "invalid_value",
      "Invalid 'messages[2].content[1].image_url.url': too many images. At "
      "most 2 images are allowed in a request." },

    { "image_url missing", 0,
      "{'messages':[{'role':'user','content':[{'type':'image_url'}]}]}",
      NULL, "messages[0].content[0].image_url",
      "missing_required_parameter",
      "Missing required parameter: 'messages[0].content[0].image_url'." },

    { "url not a string", 0,
      "{'messages':[{'role':'user','content':[{'type':'image_url',"
      "'image_url':{'url':5}}]}]}",
      NULL, "messages[0].content[0].image_url.url", "invalid_type",
      "Invalid type for 'messages[0].content[0].image_url.url': expected a "
      "string, but got an integer instead." },

    { "an image in a system message", 0,
      "{'messages':[{'role':'system','content':[{'type':'image_url',"
      "'image_url':{'url':'" PNG "'}}]},{'role':'user','content':'x'}]}",
      NULL, "messages[0].content[0].type", "invalid_value",
      "Invalid value for 'messages[0].content[0].type': 'image_url'. "
      "Supported values are: 'text'." },

    { "an image in an assistant message", 0,
      "{'messages':[{'role':'user','content':'x'},{'role':'assistant',"
      "'content':[{'type':'image_url','image_url':{'url':'" PNG "'}}]}]}",
      NULL, "messages[1].content[0].type", "invalid_value",
      "Invalid value for 'messages[1].content[0].type': 'image_url'. "
      "Supported values are: 'text' and 'refusal'." },

    { "an image in a tool message", 0,
      "{'messages':[{'role':'user','content':'x'},{'role':'assistant',"
      "'tool_calls':[{'id':'c1','type':'function','function':{'name':'a',"
      "'arguments':'{}'}}]},{'role':'tool','tool_call_id':'c1','content':"
      "[{'type':'image_url','image_url':{'url':'" PNG "'}}]}]}",
      NULL, "messages[2].content[0].type", "invalid_value",
      "Invalid value for 'messages[2].content[0].type': 'image_url'. "
      "Supported values are: 'text'." },
};


static cc_tool_t  server_tool;


static char *test_unquote(const char *s);
static void test_options(cc_test_arena_t *ar, unsigned options,
    cc_chat_options_t *opts);
static cc_json_t *test_parse(cc_test_arena_t *ar, const char *request);
static void test_case(const test_case_t *t);
static void test_base64(void);
static void test_answer(void);
static void test_one_tool_call(void);
static void test_stream_meta(void);
static void test_models(void);
static int test_event(cc_test_arena_t *ar, cc_stream_t *s, const char *type,
    const char *payload, cc_str_t *out);


int
main(void)
{
    size_t  i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        test_case(&cases[i]);
    }

    test_base64();
    test_answer();
    test_one_tool_call();
    test_stream_meta();
    test_models();

    return cc_test_done("test_extras");
}


/* a copy with ' turned into " (malloc'ed; the caller frees it) */

static char *
test_unquote(const char *s)
{
    char    *p;
    size_t   i;

    p = strdup(s);
    if (p == NULL) {
        abort();
    }

    for (i = 0; p[i]; i++) {
        if (p[i] == '\'') {
            p[i] = '"';
        }
    }

    return p;
}


static void
test_options(cc_test_arena_t *ar, unsigned options, cc_chat_options_t *opts)
{
    cc_extras_conf_t  *x;

    memset(opts, 0, sizeof(cc_chat_options_t));

    x = &opts->extras;

    x->model = (cc_str_t) cc_string("amazon.nova-lite-v1:0");

    if (options & T_GUARD) {
        x->guardrail_id = (cc_str_t) cc_string("gr1");
        x->guardrail_version = (cc_str_t) cc_string("3");
        x->guardrail_trace = (cc_str_t) cc_string("enabled");
        x->guardrail_stream = (cc_str_t) cc_string("async");
    }

    x->stream = (options & T_STREAM) ? 1 : 0;

    if (options & T_LATENCY) {
        x->latency = (cc_str_t) cc_string("optimized");
    }

    if (options & T_TIER) {
        x->service_tier = (cc_str_t) cc_string("priority");
    }

    if (options & T_ALLOW) {
        x->tiers_allowed = CC_TIER_FLEX | CC_TIER_DEFAULT;
    }

    x->request_metadata = (options & T_META) ? 1 : 0;

    if (options & T_CLAUDE) {
        x->model = (cc_str_t)
                   cc_string("us.anthropic.claude-sonnet-4-20250514-v1:0");
    }

    opts->model_id = x->model;

    if (options & T_SMALL) {
        x->image_max = 8;
        x->images_max = 2;
    }

    if (options & T_SERVER) {
        server_tool.name = (cc_str_t) cc_string("lookup");
        server_tool.schema = test_parse(ar,
                                     "{'type':'object','properties':{}}");

        opts->server_tools = &server_tool;
        opts->nserver_tools = 1;
    }
}


static cc_json_t *
test_parse(cc_test_arena_t *ar, const char *request)
{
    char       *json, err[128];
    cc_json_t  *root;

    json = test_unquote(request);

    root = cc_json_parse(&ar->alloc, (u_char *) json, strlen(json), err,
                         sizeof(err));
    if (root == NULL) {
        fprintf(stderr, "bad test JSON (%s): %s\n", err, json);
        abort();
    }

    free(json);

    return root;
}


static void
test_case(const test_case_t *t)
{
    int                rc;
    char              *want;
    cc_str_t           body;
    cc_json_t         *root;
    cc_chat_t          chat;
    cc_error_t         err;
    cc_test_arena_t    ar;
    cc_chat_options_t  opts;

    cc_test_arena_init(&ar);

    test_options(&ar, t->options, &opts);
    root = test_parse(&ar, t->request);

    rc = cc_chat_parse(&ar.alloc, root, &opts, &chat, &err);

    if (t->body == NULL) {
        if (!CHECK(rc == CC_ERROR)) {
            fprintf(stderr, "    case: %s\n", t->name);
            goto done;
        }

        EXPECT_INT(err.status, 400);
        EXPECT_STR(err.param, t->param);
        CHECK(err.type != NULL
              && strcmp(err.type, "invalid_request_error") == 0);

        if (!CHECK(err.code != NULL && strcmp(err.code, t->code) == 0)) {
            fprintf(stderr, "    case: %s: code %s\n", t->name,
                    err.code ? err.code : "null");
        }

        if (!EXPECT_STR(err.message, t->message)) {
            fprintf(stderr, "    case: %s\n", t->name);
        }

        goto done;
    }

    if (!CHECK(rc == CC_OK)) {
        fprintf(stderr, "    case: %s: %.*s\n", t->name,
                (int) err.message.len, err.message.data);
        goto done;
    }

    if (!CHECK(cc_bedrock_body(&ar.alloc, &chat, &opts, &body) == CC_OK)) {
        fprintf(stderr, "    case: %s\n", t->name);
        goto done;
    }

    want = test_unquote(t->body);

    if (!EXPECT_STR(body, want)) {
        fprintf(stderr, "    case: %s\n    got:  %.*s\n    want: %s\n",
                t->name, (int) body.len, body.data, want);
    }

    free(want);

done:

    cc_test_arena_destroy(&ar);
}


static void
test_base64(void)
{
    EXPECT_INT(cc_base64_decoded_len((u_char *) "QQ==", 4), 1);
    EXPECT_INT(cc_base64_decoded_len((u_char *) "QUI=", 4), 2);
    EXPECT_INT(cc_base64_decoded_len((u_char *) "QUJD", 4), 3);
    EXPECT_INT(cc_base64_decoded_len((u_char *) "QUJDRA==", 8), 4);
    EXPECT_INT(cc_base64_decoded_len((u_char *) "", 0), -1);
    EXPECT_INT(cc_base64_decoded_len((u_char *) "QQ=", 3), -1);
    EXPECT_INT(cc_base64_decoded_len((u_char *) "Q===", 4), -1);
    EXPECT_INT(cc_base64_decoded_len((u_char *) "Q=Q=", 4), -1);
    EXPECT_INT(cc_base64_decoded_len((u_char *) "QU J", 4), -1);
    EXPECT_INT(cc_base64_decoded_len((u_char *) "QU-_", 4), -1);
}


/*
 * The answer: a guardrail's intervention is content_filter, its trace is
 * kept for the log (never in the answer), the tier reported is echoed.
 */

static void
test_answer(void)
{
    char              *json;
    cc_str_t           out;
    cc_stream_t        s;
    cc_test_arena_t    ar;
    cc_http_error_t    err;

    cc_test_arena_init(&ar);

    cc_stream_init(&s);
    s.id = (cc_str_t) cc_string("chatcmpl-1");
    s.created = 1;
    s.model = (cc_str_t) cc_string("m");

    json = test_unquote(
        "{'output':{'message':{'role':'assistant','content':[{'text':"
        "'Sorry, the model cannot answer this question.'}]}},"
        "'stopReason':'guardrail_intervened',"
        "'usage':{'inputTokens':3,'outputTokens':0,'totalTokens':3},"
        "'metrics':{'latencyMs':5},"
        "'trace':{'guardrail':{'inputAssessment':{'gr1':{'contentPolicy':"
        "{'filters':[{'type':'VIOLENCE','confidence':'HIGH',"
        "'action':'BLOCKED'}]}}}}},"
        "'serviceTier':{'type':'priority'}}");

    CHECK(cc_converse_round(&ar.alloc, &s, (u_char *) json, strlen(json),
                            &err)
          == CC_OK);
    free(json);

    EXPECT_STR(s.guardrail_trace,
               "{\"inputAssessment\":{\"gr1\":{\"contentPolicy\":"
               "{\"filters\":[{\"type\":\"VIOLENCE\",\"confidence\":"
               "\"HIGH\",\"action\":\"BLOCKED\"}]}}}}");
    EXPECT_STR(s.service_tier, "priority");

    CHECK(cc_completion_build(&ar.alloc, &s, &out) == CC_OK);

    json = test_unquote(
        "{'id':'chatcmpl-1','object':'chat.completion','created':1,"
        "'model':'m','choices':[{'index':0,'message':{'role':'assistant',"
        "'content':'Sorry, the model cannot answer this question.',"
        "'refusal':null},'logprobs':null,'finish_reason':'content_filter'}],"
        "'usage':{'prompt_tokens':3,'completion_tokens':0,"
        "'total_tokens':3,'prompt_tokens_details':{'cached_tokens':0}},"
        "'service_tier':'priority'}");
    EXPECT_STR(out, json);
    free(json);

    cc_test_arena_destroy(&ar);
}


/* parallel_tool_calls false: the second client call is left out */

static void
test_one_tool_call(void)
{
    int                one;
    char              *json, want[1024];
    cc_str_t           out;
    cc_stream_t        s;
    cc_test_arena_t    ar;
    cc_http_error_t    err;

    for (one = 0; one <= 1; one++) {
        cc_test_arena_init(&ar);

        cc_stream_init(&s);
        s.id = (cc_str_t) cc_string("chatcmpl-1");
        s.created = 1;
        s.model = (cc_str_t) cc_string("m");
        s.one_tool_call = one;

        json = test_unquote(
            "{'output':{'message':{'role':'assistant','content':["
            "{'toolUse':{'toolUseId':'t1','name':'a','input':{'x':1}}},"
            "{'toolUse':{'toolUseId':'t2','name':'b','input':{}}}]}},"
            "'stopReason':'tool_use',"
            "'usage':{'inputTokens':3,'outputTokens':2,'totalTokens':5}}");

        CHECK(cc_converse_round(&ar.alloc, &s, (u_char *) json,
                                strlen(json), &err)
              == CC_OK);
        free(json);

        CHECK(cc_completion_build(&ar.alloc, &s, &out) == CC_OK);

        json = test_unquote(
            "{'id':'chatcmpl-1','object':'chat.completion','created':1,"
            "'model':'m','choices':[{'index':0,'message':{'role':"
            "'assistant','content':null,'refusal':null,'tool_calls':["
            "{'id':'t1','type':'function','function':{'name':'a',"
            "'arguments':'{\\'x\\':1}'}}%s]},'logprobs':null,"
            "'finish_reason':'tool_calls'}],'usage':{'prompt_tokens':3,"
            "'completion_tokens':2,'total_tokens':5,"
            "'prompt_tokens_details':{'cached_tokens':0}}}");

        snprintf(want, sizeof(want), json,
                 one ? "" : ",{\"id\":\"t2\",\"type\":\"function\","
                            "\"function\":{\"name\":\"b\","
                            "\"arguments\":\"{}\"}}");
        EXPECT_STR(out, want);

        free(json);
        cc_test_arena_destroy(&ar);
    }
}


/*
 * A stream: an intervention's text, then the metadata event with the
 * trace and the tier; the trace is kept, not sent; the usage chunk
 * carries the tier
 */

static void
test_stream_meta(void)
{
    char              *json;
    cc_str_t           out;
    cc_stream_t        s;
    cc_test_arena_t    ar;

    cc_test_arena_init(&ar);

    cc_stream_init(&s);
    s.id = (cc_str_t) cc_string("chatcmpl-1");
    s.created = 1;
    s.model = (cc_str_t) cc_string("m");
    s.include_usage = 1;

    CHECK(test_event(&ar, &s, "messageStart", "{\"role\":\"assistant\"}",
                     &out)
          == CC_OK);
    CHECK(test_event(&ar, &s, "contentBlockDelta",
                     "{\"contentBlockIndex\":0,\"delta\":{\"text\":"
                     "\"Blocked.\"}}", &out)
          == CC_OK);
    CHECK(test_event(&ar, &s, "messageStop",
                     "{\"stopReason\":\"guardrail_intervened\"}", &out)
          == CC_OK);

    json = test_unquote(
        "{'usage':{'inputTokens':2,'outputTokens':1,'totalTokens':3},"
        "'metrics':{'latencyMs':1},'trace':{'guardrail':{'outputAssessments':"
        "{'g':[{'wordPolicy':{'customWords':[{'match':'x',"
        "'action':'BLOCKED'}]}}]}}},'serviceTier':{'type':'flex'}}");

    CHECK(test_event(&ar, &s, "metadata", json, &out) == CC_DONE);
    free(json);

    EXPECT_INT(out.len, 0);
    EXPECT_STR(s.guardrail_trace,
               "{\"outputAssessments\":{\"g\":[{\"wordPolicy\":"
               "{\"customWords\":[{\"match\":\"x\",\"action\":"
               "\"BLOCKED\"}]}}]}}");
    EXPECT_STR(s.service_tier, "flex");

    CHECK(cc_stream_finish(&ar.alloc, &s, &out) == CC_OK);

    json = test_unquote(
        "data: {'id':'chatcmpl-1','object':'chat.completion.chunk',"
        "'created':1,'model':'m','choices':[{'index':0,'delta':{},"
        "'logprobs':null,'finish_reason':'content_filter'}],'usage':null}"
        "\n\n"
        "data: {'id':'chatcmpl-1','object':'chat.completion.chunk',"
        "'created':1,'model':'m','choices':[],'usage':{'prompt_tokens':2,"
        "'completion_tokens':1,'total_tokens':3,'prompt_tokens_details':"
        "{'cached_tokens':0}},'service_tier':'flex'}\n\n"
        "data: [DONE]\n\n");
    EXPECT_STR(out, json);
    free(json);

    cc_test_arena_destroy(&ar);
}


static int
test_event(cc_test_arena_t *ar, cc_stream_t *s, const char *type,
    const char *payload, cc_str_t *out)
{
    cc_str_t           m, ty;
    cc_stream_fault_t  fault;

    m = (cc_str_t) cc_string("event");
    ty.data = (u_char *) type;
    ty.len = strlen(type);

    out->len = 0;
    out->data = NULL;

    return cc_stream_event(&ar->alloc, s, &m, &ty, (const u_char *) payload,
                           strlen(payload), out, &fault);
}


/* the models endpoint: owned_by from the model id, the list's bytes */

static void
test_models(void)
{
    size_t             i;
    cc_str_t           id, owner, out;
    cc_test_arena_t    ar;
    cc_model_entry_t   m[2];

    static const char  *owners[][2] = {
        { "amazon.nova-lite-v1:0", "amazon" },
        { "us.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic" },
        { "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic" },
        { "eu.amazon.nova-pro-v1:0", "amazon" },
        { "meta.llama3-8b-instruct-v1:0", "meta" },
        { "us.deepseek", "us" },
        { "arn:aws:bedrock:us-east-1:1:inference-profile/x", "aws-bedrock" },
        { "nodot", "aws-bedrock" },
        { ".x", "aws-bedrock" },
        { "", "aws-bedrock" },
    };

    for (i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
        id.data = (u_char *) owners[i][0];
        id.len = strlen(owners[i][0]);

        cc_model_owner(&id, &owner);

        if (!EXPECT_STR(owner, owners[i][1])) {
            fprintf(stderr, "    model id: %s\n", owners[i][0]);
        }
    }

    cc_test_arena_init(&ar);

    m[0].id = (cc_str_t) cc_string("amazon.nova-lite-v1:0");
    m[0].model_id = m[0].id;
    m[1].id = (cc_str_t) cc_string("claude");
    m[1].model_id = (cc_str_t) cc_string("us.anthropic.claude-x-v1:0");

    CHECK(cc_models_list(&ar.alloc, m, 2, 42, &out) == CC_OK);
    EXPECT_STR(out, "{\"object\":\"list\",\"data\":[{\"id\":"
               "\"amazon.nova-lite-v1:0\",\"object\":\"model\","
               "\"created\":42,\"owned_by\":\"amazon\"},{\"id\":"
               "\"claude\",\"object\":\"model\",\"created\":42,"
               "\"owned_by\":\"anthropic\"}]}");

    CHECK(cc_models_list(&ar.alloc, m, 0, 42, &out) == CC_OK);
    EXPECT_STR(out, "{\"object\":\"list\",\"data\":[]}");

    CHECK(cc_model_object(&ar.alloc, &m[1], 7, &out) == CC_OK);
    EXPECT_STR(out, "{\"id\":\"claude\",\"object\":\"model\","
               "\"created\":7,\"owned_by\":\"anthropic\"}");

    cc_test_arena_destroy(&ar);
}
