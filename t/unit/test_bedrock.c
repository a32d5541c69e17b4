
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * OpenAI request -> Bedrock Converse translation: every case parses a
 * request, then asserts the exact body bytes or the exact OpenAI error.
 *
 *     make -C t/unit build/test_bedrock && t/unit/build/test_bedrock
 */


#include "test_util.h"

#include "cc_chat.h"
#include "cc_turns.h"
#include "cc_bedrock.h"


/* options a case can turn on */
#define T_PROMPT        0x01     /* system_prompt "Configured prompt." */
#define T_SERVER        0x02     /* server tool lookup_balance */
#define T_LIMIT         0x04     /* max_tokens_limit 40 */
#define T_FIRST         0x08     /* first_user_text "(call connected)" */


/*
 * In request and body, ' stands for " so the JSON stays readable; the
 * texts therefore avoid apostrophes (\u0027 spells one in a request).
 */
typedef struct {
    const char               *name;
    unsigned                  options;
    const char               *request;
    const char               *body;      /* NULL: an error is expected */
    int                       status;
    const char               *param;     /* NULL: JSON null */
    const char               *code;      /* NULL: JSON null */
    const char               *message;
} test_case_t;


static const test_case_t  cases[] = {

    /* translation */

    { "vapi request: system, greeting first, unknown fields", 0,
      "{'model':'amazon.nova-lite-v1:0','messages':["
      "{'role':'system','content':'You are Ava, a banking assistant.'},"
      "{'role':'assistant','content':'Hi, this is Ava. How can I help?'},"
      "{'role':'user','content':'What is my balance?'}],"
      "'temperature':0,'max_tokens':250,'stream':true,"
      "'call':{'id':'c-1','type':'inboundPhoneCall','status':'in-progress',"
      "'customer':{'number':'+15551234567'}},"
      "'phoneNumber':{'id':'p-1','number':'+15557654321',"
      "'provider':'twilio'},"
      "'customer':{'number':'+15551234567','name':'Kim'},"
      "'metadata':{'tier':'gold'},'timestamp':1736942400}",
      "{'system':[{'text':'You are Ava, a banking assistant.'}],"
      "'messages':["
      "{'role':'user','content':[{'text':'Hello.'}]},"
      "{'role':'assistant','content':"
      "[{'text':'Hi, this is Ava. How can I help?'}]},"
      "{'role':'user','content':[{'text':'What is my balance?'}]}],"
      "'inferenceConfig':{'maxTokens':250,'temperature':0}}",
      0, NULL, NULL, NULL },

    { "configured first user text", T_FIRST,
      "{'messages':[{'role':'assistant','content':'Hi.'},"
      "{'role':'user','content':'Hey'}]}",
      "{'messages':[{'role':'user','content':[{'text':'(call connected)'}]},"
      "{'role':'assistant','content':[{'text':'Hi.'}]},"
      "{'role':'user','content':[{'text':'Hey'}]}]}",
      0, NULL, NULL, NULL },

    { "greeting only still gets a user turn first", 0,
      "{'messages':[{'role':'system','content':'S'},"
      "{'role':'assistant','content':'Hi.'}]}",
      "{'system':[{'text':'S'}],"
      "'messages':[{'role':'user','content':[{'text':'Hello.'}]},"
      "{'role':'assistant','content':[{'text':'Hi.'}]}]}",
      0, NULL, NULL, NULL },

    { "content as text parts; system and developer hoisted in order", 0,
      "{'messages':[{'role':'system','content':"
      "[{'type':'text','text':'One.'},{'type':'text','text':'Two.'}]},"
      "{'role':'user','content':[{'type':'text','text':'a'},"
      "{'type':'text','text':'b','extra':1}],'name':'kim'},"
      "{'role':'developer','content':'Three.'},"
      "{'role':'assistant','content':[{'type':'text','text':'c'},"
      "{'type':'refusal','refusal':'no'}]},"
      "{'role':'user','content':'d'}]}",
      "{'system':[{'text':'One.'},{'text':'Two.'},{'text':'Three.'}],"
      "'messages':["
      "{'role':'user','content':[{'text':'a'},{'text':'b'}]},"
      "{'role':'assistant','content':[{'text':'c'},{'text':'no'}]},"
      "{'role':'user','content':[{'text':'d'}]}]}",
      0, NULL, NULL, NULL },

    { "consecutive same-role messages merge", 0,
      "{'messages':[{'role':'user','content':'a'},"
      "{'role':'user','content':'b'},"
      "{'role':'assistant','content':'c'},"
      "{'role':'assistant','content':[{'type':'text','text':'d'}]},"
      "{'role':'user','content':'e'}]}",
      "{'messages':[{'role':'user','content':[{'text':'a'},{'text':'b'}]},"
      "{'role':'assistant','content':[{'text':'c'},{'text':'d'}]},"
      "{'role':'user','content':[{'text':'e'}]}]}",
      0, NULL, NULL, NULL },

    { "blank text dropped, emptied messages dropped, neighbours merged", 0,
      "{'messages':[{'role':'system','content':' \\n '},"
      "{'role':'user','content':'  '},"
      "{'role':'user','content':'hi'},"
      "{'role':'assistant','content':'\\n\\t'},"
      "{'role':'assistant','content':''},"
      "{'role':'assistant','content':null},"
      "{'role':'assistant','content':'\\u3000\\u00a0x'},"
      "{'role':'assistant','content':'\\u3000\\u2003'},"
      "{'role':'user','content':[{'type':'text','text':''},"
      "{'type':'text','text':'there'}]}]}",
      "{'messages':[{'role':'user','content':[{'text':'hi'}]},"
      "{'role':'assistant','content':[{'text':'\xe3\x80\x80\xc2\xa0x'}]},"
      "{'role':'user','content':[{'text':'there'}]}]}",
      0, NULL, NULL, NULL },

    { "blank assistant between user turns: users merge", 0,
      "{'messages':[{'role':'user','content':'a'},"
      "{'role':'assistant','content':' '},"
      "{'role':'user','content':'b'}]}",
      "{'messages':[{'role':'user','content':[{'text':'a'},{'text':'b'}]}]}",
      0, NULL, NULL, NULL },

    { "stop as a string", 0,
      "{'messages':[{'role':'user','content':'hi'}],'stop':'END'}",
      "{'messages':[{'role':'user','content':[{'text':'hi'}]}],"
      "'inferenceConfig':{'stopSequences':['END']}}",
      0, NULL, NULL, NULL },

    { "stop as an array", 0,
      "{'messages':[{'role':'user','content':'hi'}],"
      "'stop':['\\nUser:','###']}",
      "{'messages':[{'role':'user','content':[{'text':'hi'}]}],"
      "'inferenceConfig':{'stopSequences':['\\nUser:','###']}}",
      0, NULL, NULL, NULL },

    { "an empty stop string in an array is refused, as OpenAI does", 0,
      "{'messages':[{'role':'user','content':'hi'}],"
      "'stop':['\\nUser:','','###']}",
      NULL, 400, "stop[1]", "empty_string",
      "Invalid 'stop[1]': empty string. Expected a string with minimum "
      "length 1, but got an empty string instead." },

    { "stop null: none", 0,
      "{'messages':[{'role':'user','content':'hi'}],'stop':null}",
      "{'messages':[{'role':'user','content':[{'text':'hi'}]}]}",
      0, NULL, NULL, NULL },

    { "stop empty string is refused", 0,
      "{'messages':[{'role':'user','content':'hi'}],'stop':''}",
      NULL, 400, "stop", "empty_string",
      "Invalid 'stop': empty string. Expected a string with minimum "
      "length 1, but got an empty string instead." },

    { "max_completion_tokens wins over max_tokens", 0,
      "{'messages':[{'role':'user','content':'hi'}],"
      "'max_tokens':100,'max_completion_tokens':50}",
      "{'messages':[{'role':'user','content':[{'text':'hi'}]}],"
      "'inferenceConfig':{'maxTokens':50}}",
      0, NULL, NULL, NULL },

    { "max_tokens alone; null max_completion_tokens ignored", 0,
      "{'messages':[{'role':'user','content':'hi'}],"
      "'max_tokens':100,'max_completion_tokens':null}",
      "{'messages':[{'role':'user','content':[{'text':'hi'}]}],"
      "'inferenceConfig':{'maxTokens':100}}",
      0, NULL, NULL, NULL },

    { "max tokens clamped to the configured limit", T_LIMIT,
      "{'messages':[{'role':'user','content':'hi'}],'max_tokens':100}",
      "{'messages':[{'role':'user','content':[{'text':'hi'}]}],"
      "'inferenceConfig':{'maxTokens':40}}",
      0, NULL, NULL, NULL },

    { "configured limit applies when unset", T_LIMIT,
      "{'messages':[{'role':'user','content':'hi'}]}",
      "{'messages':[{'role':'user','content':[{'text':'hi'}]}],"
      "'inferenceConfig':{'maxTokens':40}}",
      0, NULL, NULL, NULL },

    { "below the limit stays", T_LIMIT,
      "{'messages':[{'role':'user','content':'hi'}],'max_tokens':7}",
      "{'messages':[{'role':'user','content':[{'text':'hi'}]}],"
      "'inferenceConfig':{'maxTokens':7}}",
      0, NULL, NULL, NULL },

    { "temperature literal kept, top_p kept, all four in order", 0,
      "{'messages':[{'role':'user','content':'hi'}],'stop':['x'],"
      "'top_p':0.9,'temperature':0.7,'max_tokens':512,'n':1,"
      "'seed':3,'presence_penalty':0.5,'user':'u-1'}",
      "{'messages':[{'role':'user','content':[{'text':'hi'}]}],"
      "'inferenceConfig':{'maxTokens':512,'temperature':0.7,'topP':0.9,"
      "'stopSequences':['x']}}",
      0, NULL, NULL, NULL },

    { "temperature 1.5 clamped to 1", 0,
      "{'messages':[{'role':'user','content':'hi'}],'temperature':1.5}",
      "{'messages':[{'role':'user','content':[{'text':'hi'}]}],"
      "'inferenceConfig':{'temperature':1}}",
      0, NULL, NULL, NULL },

    { "temperature 2 clamped to 1; null top_p ignored", 0,
      "{'messages':[{'role':'user','content':'hi'}],'temperature':2,"
      "'top_p':null}",
      "{'messages':[{'role':'user','content':[{'text':'hi'}]}],"
      "'inferenceConfig':{'temperature':1}}",
      0, NULL, NULL, NULL },

    { "system prompt before the request system messages", T_PROMPT,
      "{'messages':[{'role':'system','content':'Request system.'},"
      "{'role':'user','content':'hi'},"
      "{'role':'developer','content':'Developer.'}]}",
      "{'system':[{'text':'Configured prompt.'},{'text':'Request system.'},"
      "{'text':'Developer.'}],"
      "'messages':[{'role':'user','content':[{'text':'hi'}]}]}",
      0, NULL, NULL, NULL },

    /* tools */

    { "tools with tool_choice auto", 0,
      "{'messages':[{'role':'user','content':'Weather in Oslo?'}],"
      "'tools':[{'type':'function','function':{'name':'get_weather',"
      "'description':'Weather by city','parameters':{'type':'object',"
      "'properties':{'city':{'type':'string'}},'required':['city']},"
      "'strict':false}}],'tool_choice':'auto','parallel_tool_calls':true}",
      "{'messages':[{'role':'user','content':[{'text':'Weather in Oslo?'}]}],"
      "'toolConfig':{'tools':[{'toolSpec':{'name':'get_weather',"
      "'description':'Weather by city','inputSchema':{'json':"
      "{'type':'object','properties':{'city':{'type':'string'}},"
      "'required':['city']}}}}],'toolChoice':{'auto':{}}}}",
      0, NULL, NULL, NULL },

    { "tool_choice required", 0,
      "{'messages':[{'role':'user','content':'x'}],"
      "'tools':[{'type':'function','function':{'name':'a'}},"
      "{'type':'function','function':{'name':'b','description':''}}],"
      "'tool_choice':'required'}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]}],"
      "'toolConfig':{'tools':["
      "{'toolSpec':{'name':'a','inputSchema':{'json':"
      "{'type':'object','properties':{}}}}},"
      "{'toolSpec':{'name':'b','inputSchema':{'json':"
      "{'type':'object','properties':{}}}}}],"
      "'toolChoice':{'any':{}}}}",
      0, NULL, NULL, NULL },

    { "tool_choice naming a function", 0,
      "{'messages':[{'role':'user','content':'x'}],"
      "'tools':[{'type':'function','function':{'name':'a',"
      "'parameters':{}}},{'type':'function','function':{'name':'b'}}],"
      "'tool_choice':{'type':'function','function':{'name':'b'}}}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]}],"
      "'toolConfig':{'tools':["
      "{'toolSpec':{'name':'a','inputSchema':{'json':"
      "{'type':'object','properties':{}}}}},"
      "{'toolSpec':{'name':'b','inputSchema':{'json':"
      "{'type':'object','properties':{}}}}}],"
      "'toolChoice':{'tool':{'name':'b'}}}}",
      0, NULL, NULL, NULL },

    { "tool_choice none without tool history: no toolConfig", 0,
      "{'messages':[{'role':'user','content':'x'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}],"
      "'tool_choice':'none'}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]}]}",
      0, NULL, NULL, NULL },

    { "tool_choice none with tool history: the blocks as text, no tools",
      0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':[{'id':'call_1','type':'function',"
      "'function':{'name':'a','arguments':'{}'}}]},"
      "{'role':'tool','tool_call_id':'call_1','content':'ok'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}],"
      "'tool_choice':'none'}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]},"
      "{'role':'assistant','content':[{'text':'[tool call call_1: a {}]'}]},"
      "{'role':'user','content':[{'text':'[tool result call_1: ok]'}]}]}",
      0, NULL, NULL, NULL },

    { "default tool_choice: no toolChoice", 0,
      "{'messages':[{'role':'user','content':'x'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]}],"
      "'toolConfig':{'tools':[{'toolSpec':{'name':'a','inputSchema':"
      "{'json':{'type':'object','properties':{}}}}}]}}",
      0, NULL, NULL, NULL },

    { "schemas: type added in front, properties added at the end", 0,
      "{'messages':[{'role':'user','content':'x'}],"
      "'tools':[{'type':'function','function':{'name':'a','parameters':"
      "{'properties':{'n':{'type':'integer'}}}}},"
      "{'type':'function','function':{'name':'b','parameters':"
      "{'type':'object','additionalProperties':false}}},"
      "{'type':'function','function':{'name':'c','parameters':null}}]}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]}],"
      "'toolConfig':{'tools':["
      "{'toolSpec':{'name':'a','inputSchema':{'json':{'type':'object',"
      "'properties':{'n':{'type':'integer'}}}}}},"
      "{'toolSpec':{'name':'b','inputSchema':{'json':{'type':'object',"
      "'additionalProperties':false,'properties':{}}}}},"
      "{'toolSpec':{'name':'c','inputSchema':{'json':{'type':'object',"
      "'properties':{}}}}}]}}",
      0, NULL, NULL, NULL },

    { "tool calls and two results of one turn in one user message", 0,
      "{'messages':[{'role':'user','content':'Weather in Oslo and Bergen?'},"
      "{'role':'assistant','content':'Checking.','tool_calls':["
      "{'id':'call_1','type':'function','function':{'name':'get_weather',"
      "'arguments':'{\\'city\\':\\'Oslo\\'}'}},"
      "{'id':'call_2','type':'function','function':{'name':'get_weather',"
      "'arguments':'{\\'city\\':\\'Bergen\\'}'}}]},"
      "{'role':'tool','tool_call_id':'call_1','content':'3C, rain'},"
      "{'role':'tool','tool_call_id':'call_2','content':"
      "[{'type':'text','text':' {\\'temp\\': 5,'},"
      "{'type':'text','text':'\\'sky\\':\\'clear\\'}'}]},"
      "{'role':'user','content':'Thanks'}],"
      "'tools':[{'type':'function','function':{'name':'get_weather'}}]}",
      "{'messages':[{'role':'user','content':"
      "[{'text':'Weather in Oslo and Bergen?'}]},"
      "{'role':'assistant','content':[{'text':'Checking.'},"
      "{'toolUse':{'toolUseId':'call_1','name':'get_weather',"
      "'input':{'city':'Oslo'}}},"
      "{'toolUse':{'toolUseId':'call_2','name':'get_weather',"
      "'input':{'city':'Bergen'}}}]},"
      "{'role':'user','content':["
      "{'toolResult':{'toolUseId':'call_1','content':[{'text':'3C, rain'}]}},"
      "{'toolResult':{'toolUseId':'call_2','content':"
      "[{'json':{'temp':5,'sky':'clear'}}]}},"
      "{'text':'Thanks'}]}],"
      "'toolConfig':{'tools':[{'toolSpec':{'name':'get_weather',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}}]}}",
      0, NULL, NULL, NULL },

    { "a user message before the results is refused", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':[{'id':'c1','type':'function',"
      "'function':{'name':'a','arguments':'{}'}},{'id':'c0',"
      "'type':'function','function':{'name':'a','arguments':'{}'}}]},"
      "{'role':'user','content':'hurry'},"
      "{'role':'tool','tool_call_id':'c1','content':'[1,2]'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      NULL, 400, "messages[1].tool_calls", "invalid_value",
      "An assistant message with 'tool_calls' must be followed by tool "
      "messages responding to each 'tool_call_id'. The following "
      "tool_call_ids did not have response messages: c1, c0" },

    { "a system message before the results is refused too", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':[{'id':'c1','type':'function',"
      "'function':{'name':'a','arguments':'{}'}},{'id':'c2',"
      "'type':'function','function':{'name':'a','arguments':'{}'}}]},"
      "{'role':'tool','tool_call_id':'c2','content':'two'},"
      "{'role':'system','content':'S'},"
      "{'role':'tool','tool_call_id':'c1','content':'one'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      NULL, 400, "messages[1].tool_calls", "invalid_value",
      "An assistant message with 'tool_calls' must be followed by tool "
      "messages responding to each 'tool_call_id'. The following "
      "tool_call_ids did not have response messages: c1" },

    { "results in any order, then the next user turn", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':[{'id':'c1','type':'function',"
      "'function':{'name':'a','arguments':'{}'}},{'id':'c2',"
      "'type':'function','function':{'name':'a','arguments':'{}'}}]},"
      "{'role':'tool','tool_call_id':'c2','content':'two'},"
      "{'role':'tool','tool_call_id':'c1','content':'one'},"
      "{'role':'user','content':'and?'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]},"
      "{'role':'assistant','content':["
      "{'toolUse':{'toolUseId':'c1','name':'a','input':{}}},"
      "{'toolUse':{'toolUseId':'c2','name':'a','input':{}}}]},"
      "{'role':'user','content':["
      "{'toolResult':{'toolUseId':'c2','content':[{'text':'two'}]}},"
      "{'toolResult':{'toolUseId':'c1','content':[{'text':'one'}]}},"
      "{'text':'and?'}]}],"
      "'toolConfig':{'tools':[{'toolSpec':{'name':'a','inputSchema':"
      "{'json':{'type':'object','properties':{}}}}}]}}",
      0, NULL, NULL, NULL },

    /* found by t/fuzz/fuzz_request: Bedrock 400s repeated toolUse ids */
    { "a repeated tool call id is refused", 0,
      "{'messages':[{'role':'user','content':'Weather and time?'},"
      "{'role':'assistant','content':null,'tool_calls':["
      "{'id':'call_1','type':'function','function':{'name':'a',"
      "'arguments':'{}'}},"
      "{'id':'call_2','type':'function','function':{'name':'a',"
      "'arguments':'{}'}},"
      "{'id':'call_1','type':'function','function':{'name':'b',"
      "'arguments':''}},"
      "{'id':'call_2','type':'function','function':{'name':'b',"
      "'arguments':''}}]},"
      "{'role':'tool','tool_call_id':'call_1','content':'3C'},"
      "{'role':'tool','tool_call_id':'call_2','content':'12:00'},"
      "{'role':'tool','tool_call_id':'call_1','content':'3C'},"
      "{'role':'tool','tool_call_id':'call_2','content':'12:00'}],"
      "'tools':[{'type':'function','function':{'name':'a'}},"
      "{'type':'function','function':{'name':'b'}}]}",
      NULL, 400, "messages[1].tool_calls[2].id", "invalid_value",
      "Invalid 'messages[1].tool_calls[2].id': duplicate tool call id "
      "'call_1'; the tool calls of a message must have unique ids." },

    /* an empty tool_calls and no content: no blocks, none to compare */
    { "an assistant message of tool_calls [] and content null", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','content':null,'tool_calls':[]},"
      "{'role':'user','content':'y'}]}",
      "{'messages':[{'role':'user','content':[{'text':'x'},"
      "{'text':'y'}]}]}",
      0, NULL, NULL, NULL },

    /* ids Bedrock cannot take are rewritten: compared as rewritten */
    { "tool call ids that differ after the rewrite are accepted", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':["
      "{'id':'c 1','type':'function','function':{'name':'a',"
      "'arguments':'{}'}},"
      "{'id':'c 2','type':'function','function':{'name':'a',"
      "'arguments':'{}'}}]},"
      "{'role':'tool','tool_call_id':'c 2','content':'two'},"
      "{'role':'tool','tool_call_id':'c 1','content':'one'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]},"
      "{'role':'assistant','content':["
      "{'toolUse':{'toolUseId':'call_f6b93e190d9abb85','name':'a',"
      "'input':{}}},"
      "{'toolUse':{'toolUseId':'call_f6b93b190d9ab66c','name':'a',"
      "'input':{}}}]},"
      "{'role':'user','content':["
      "{'toolResult':{'toolUseId':'call_f6b93b190d9ab66c',"
      "'content':[{'text':'two'}]}},"
      "{'toolResult':{'toolUseId':'call_f6b93e190d9abb85',"
      "'content':[{'text':'one'}]}}]}],"
      "'toolConfig':{'tools':[{'toolSpec':{'name':'a','inputSchema':"
      "{'json':{'type':'object','properties':{}}}}}]}}",
      0, NULL, NULL, NULL },

    { "arguments that are not JSON are refused", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','content':null,'tool_calls':["
      "{'id':'c1','type':'function','function':{'name':'a',"
      "'arguments':'{not json'}}]}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      NULL, 400, "messages[1].tool_calls[0].function.arguments",
      "invalid_value",
      "Invalid 'messages[1].tool_calls[0].function.arguments': the "
      "arguments must be a JSON object encoded as a string, but they are "
      "not valid JSON (lexical error: invalid string in json text at "
      "offset 2)." },

    { "blank arguments are taken as {}", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','content':null,'tool_calls':["
      "{'id':'c1','type':'function','function':{'name':'a',"
      "'arguments':''}},"
      "{'id':'c2','type':'function','function':{'name':'a',"
      "'arguments':' \\n'}}]},"
      "{'role':'tool','tool_call_id':'c1','content':'r1'},"
      "{'role':'tool','tool_call_id':'c2','content':'r2'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]},"
      "{'role':'assistant','content':["
      "{'toolUse':{'toolUseId':'c1','name':'a','input':{}}},"
      "{'toolUse':{'toolUseId':'c2','name':'a','input':{}}}]},"
      "{'role':'user','content':["
      "{'toolResult':{'toolUseId':'c1','content':[{'text':'r1'}]}},"
      "{'toolResult':{'toolUseId':'c2','content':[{'text':'r2'}]}}]}],"
      "'toolConfig':{'tools':[{'toolSpec':{'name':'a','inputSchema':"
      "{'json':{'type':'object','properties':{}}}}}]}}",
      0, NULL, NULL, NULL },

    { "arguments that are not an object are refused", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','content':null,'tool_calls':["
      "{'id':'c3','type':'function','function':{'name':'a',"
      "'arguments':'[1]'}}]}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      NULL, 400, "messages[1].tool_calls[0].function.arguments",
      "invalid_value",
      "Invalid 'messages[1].tool_calls[0].function.arguments': the "
      "arguments must be a JSON object encoded as a string, but they are "
      "an array." },

    { "arguments with a lone surrogate escape are refused", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','content':null,'tool_calls':["
      "{'id':'c3','type':'function','function':{'name':'a',"
      "'arguments':'{\\'k\\':\\'\\\\udc00\\'}'}}]}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      NULL, 400, "messages[1].tool_calls[0].function.arguments",
      "invalid_value",
      "Invalid 'messages[1].tool_calls[0].function.arguments': the "
      "arguments must be a JSON object encoded as a string, but they are "
      "not valid JSON (invalid UTF-8 in k at byte 0)." },

    { "missing and object arguments become {} and the object", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','content':null,'tool_calls':["
      "{'id':'c4','function':{'name':'a'}},"
      "{'id':'c5','function':{'name':'a','arguments':{'k':true}}},"
      "{'id':'c6','function':{'name':'a','arguments':' {} '}}]},"
      "{'role':'tool','tool_call_id':'c4','content':'r4'},"
      "{'role':'tool','tool_call_id':'c5','content':'r5'},"
      "{'role':'tool','tool_call_id':'c6','content':'r6'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]},"
      "{'role':'assistant','content':["
      "{'toolUse':{'toolUseId':'c4','name':'a','input':{}}},"
      "{'toolUse':{'toolUseId':'c5','name':'a','input':{'k':true}}},"
      "{'toolUse':{'toolUseId':'c6','name':'a','input':{}}}]},"
      "{'role':'user','content':["
      "{'toolResult':{'toolUseId':'c4','content':[{'text':'r4'}]}},"
      "{'toolResult':{'toolUseId':'c5','content':[{'text':'r5'}]}},"
      "{'toolResult':{'toolUseId':'c6','content':[{'text':'r6'}]}}]}],"
      "'toolConfig':{'tools':[{'toolSpec':{'name':'a','inputSchema':"
      "{'json':{'type':'object','properties':{}}}}}]}}",
      0, NULL, NULL, NULL },

    { "stub toolConfig when the history has tool blocks but no tools", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':["
      "{'id':'c1','type':'function','function':{'name':'lookup',"
      "'arguments':'{}'}},"
      "{'id':'c2','type':'function','function':{'name':'block_card',"
      "'arguments':'{}'}},"
      "{'id':'c3','type':'function','function':{'name':'lookup',"
      "'arguments':'{}'}}]},"
      "{'role':'tool','tool_call_id':'c1','content':'a'},"
      "{'role':'tool','tool_call_id':'c2','content':''},"
      "{'role':'tool','tool_call_id':'c3','content':'c'},"
      "{'role':'assistant','content':'Done.'},"
      "{'role':'user','content':'ok'}]}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]},"
      "{'role':'assistant','content':["
      "{'toolUse':{'toolUseId':'c1','name':'lookup','input':{}}},"
      "{'toolUse':{'toolUseId':'c2','name':'block_card','input':{}}},"
      "{'toolUse':{'toolUseId':'c3','name':'lookup','input':{}}}]},"
      "{'role':'user','content':["
      "{'toolResult':{'toolUseId':'c1','content':[{'text':'a'}]}},"
      "{'toolResult':{'toolUseId':'c2','content':"
      "[{'text':'(empty result)'}]}},"
      "{'toolResult':{'toolUseId':'c3','content':[{'text':'c'}]}}]},"
      "{'role':'assistant','content':[{'text':'Done.'}]},"
      "{'role':'user','content':[{'text':'ok'}]}],"
      "'toolConfig':{'tools':["
      "{'toolSpec':{'name':'block_card',"
      "'description':'Tool used earlier in this conversation.',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}},"
      "{'toolSpec':{'name':'lookup',"
      "'description':'Tool used earlier in this conversation.',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}}]}}",
      0, NULL, NULL, NULL },

    { "server tools first; a request tool of the same name left out",
      T_SERVER,
      "{'messages':[{'role':'user','content':'x'}],"
      "'tools':[{'type':'function','function':{'name':'transferCall',"
      "'description':'Transfer the call'}},"
      "{'type':'function','function':{'name':'lookup_balance'}}],"
      "'tool_choice':'auto'}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]}],"
      "'toolConfig':{'tools':["
      "{'toolSpec':{'name':'lookup_balance',"
      "'description':'Card balance by phone number',"
      "'inputSchema':{'json':{'type':'object','properties':"
      "{'phone':{'type':'string'}}}}}},"
      "{'toolSpec':{'name':'transferCall','description':'Transfer the call',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}}],"
      "'toolChoice':{'auto':{}}}}",
      0, NULL, NULL, NULL },

    { "server tools alone; none keeps them, without toolChoice",
      T_SERVER | T_PROMPT,
      "{'messages':[{'role':'user','content':'x'}],'tool_choice':'none'}",
      "{'system':[{'text':'Configured prompt.'}],"
      "'messages':[{'role':'user','content':[{'text':'x'}]}],"
      "'toolConfig':{'tools':["
      "{'toolSpec':{'name':'lookup_balance',"
      "'description':'Card balance by phone number',"
      "'inputSchema':{'json':{'type':'object','properties':"
      "{'phone':{'type':'string'}}}}}}]}}",
      0, NULL, NULL, NULL },

    { "tool_choice naming a server tool", T_SERVER,
      "{'messages':[{'role':'user','content':'x'}],"
      "'tool_choice':{'type':'function','function':"
      "{'name':'lookup_balance'}}}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]}],"
      "'toolConfig':{'tools':["
      "{'toolSpec':{'name':'lookup_balance',"
      "'description':'Card balance by phone number',"
      "'inputSchema':{'json':{'type':'object','properties':"
      "{'phone':{'type':'string'}}}}}}],"
      "'toolChoice':{'tool':{'name':'lookup_balance'}}}}",
      0, NULL, NULL, NULL },

    { "ids Bedrock rejects are rewritten the same on both sides", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':[{'id':'call 1/\\u00e9',"
      "'type':'function','function':{'name':'a','arguments':'{}'}}]},"
      "{'role':'tool','tool_call_id':'call 1/\\u00e9','content':'ok'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]},"
      "{'role':'assistant','content':[{'toolUse':{"
      "'toolUseId':'call_2cc316f35e3d007b','name':'a','input':{}}}]},"
      "{'role':'user','content':[{'toolResult':{"
      "'toolUseId':'call_2cc316f35e3d007b','content':[{'text':'ok'}]}}]}],"
      "'toolConfig':{'tools':[{'toolSpec':{'name':'a','inputSchema':"
      "{'json':{'type':'object','properties':{}}}}}]}}",
      0, NULL, NULL, NULL },

    { "a result that answers no call is refused", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':["
      "{'id':'c1','type':'function','function':{'name':'a',"
      "'arguments':'{}'}},"
      "{'id':'c2','type':'function','function':{'name':'a',"
      "'arguments':'{}'}}]},"
      "{'role':'tool','tool_call_id':'c2','content':'two'},"
      "{'role':'tool','tool_call_id':'c9','content':'nine'},"
      "{'role':'user','content':'and?'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      NULL, 400, "messages[3].tool_call_id", "invalid_value",
      "Invalid parameter: 'tool_call_id' of 'c9' not found in "
      "'tool_calls' of previous message." },

    { "a call answered twice is refused", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':["
      "{'id':'c1','type':'function','function':{'name':'a',"
      "'arguments':'{}'}}]},"
      "{'role':'tool','tool_call_id':'c1','content':'one'},"
      "{'role':'tool','tool_call_id':'c1','content':'again'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      NULL, 400, "messages[3].tool_call_id", "invalid_value",
      "Invalid parameter: 'tool_call_id' of 'c1' not found in "
      "'tool_calls' of previous message." },

    { "an unanswered call before the next assistant message", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':["
      "{'id':'c1','type':'function','function':{'name':'a',"
      "'arguments':'{}'}}]},"
      "{'role':'assistant','content':'later'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      NULL, 400, "messages[1].tool_calls", "invalid_value",
      "An assistant message with 'tool_calls' must be followed by tool "
      "messages responding to each 'tool_call_id'. The following "
      "tool_call_ids did not have response messages: c1" },

    { "history ending in tool calls gets a turn of error results", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':["
      "{'id':'c1','type':'function','function':{'name':'a',"
      "'arguments':'{}'}}]}]}",
      "{'messages':[{'role':'user','content':[{'text':'x'}]},"
      "{'role':'assistant','content':["
      "{'toolUse':{'toolUseId':'c1','name':'a','input':{}}}]},"
      "{'role':'user','content':["
      "{'toolResult':{'toolUseId':'c1','content':"
      "[{'text':'No result was provided for this tool call.'}],"
      "'status':'error'}}]}],"
      "'toolConfig':{'tools':[{'toolSpec':{'name':'a',"
      "'description':'Tool used earlier in this conversation.',"
      "'inputSchema':{'json':{'type':'object','properties':{}}}}}]}}",
      0, NULL, NULL, NULL },

    { "a tool message in the first turn is refused", 0,
      "{'messages':[{'role':'tool','tool_call_id':'c1','content':'old'},"
      "{'role':'user','content':'hi'}]}",
      NULL, 400, "messages[0].role", "invalid_value",
      "Invalid parameter: messages with role 'tool' must be a response "
      "to a preceding message with 'tool_calls'." },

    { "a tool message after a user turn is refused", 0,
      "{'messages':[{'role':'user','content':'x'},"
      "{'role':'assistant','tool_calls':["
      "{'id':'c1','type':'function','function':{'name':'a',"
      "'arguments':'{}'}}]},"
      "{'role':'tool','tool_call_id':'c1','content':'one'},"
      "{'role':'user','content':'hi'},"
      "{'role':'tool','tool_call_id':'c1','content':'one'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}]}",
      NULL, 400, "messages[4].role", "invalid_value",
      "Invalid parameter: messages with role 'tool' must be a response "
      "to a preceding message with 'tool_calls'." },

    /* errors */

    { "body not an object", 0,
      "['x']", NULL, 400, NULL, "invalid_type",
      "Invalid type for the request body: expected an object, but got an "
      "array instead." },

    { "messages missing", 0,
      "{'model':'m'}", NULL, 400, "messages",
      "missing_required_parameter",
      "Missing required parameter: 'messages'." },

    { "messages null", 0,
      "{'messages':null}", NULL, 400, "messages",
      "missing_required_parameter",
      "Missing required parameter: 'messages'." },

    { "messages not an array", 0,
      "{'messages':'hi'}", NULL, 400, "messages", "invalid_type",
      "Invalid type for 'messages': expected an array, but got a string "
      "instead." },

    { "messages empty", 0,
      "{'messages':[]}", NULL, 400, "messages", "empty_array",
      "Invalid 'messages': empty array. Expected an array with minimum "
      "length 1, but got an empty array instead." },

    { "message not an object", 0,
      "{'messages':[{'role':'user','content':'a'},42]}", NULL, 400,
      "messages[1]", "invalid_type",
      "Invalid type for 'messages[1]': expected an object, but got an "
      "integer instead." },

    { "role missing", 0,
      "{'messages':[{'content':'a'}]}", NULL, 400, "messages[0].role",
      "missing_required_parameter",
      "Missing required parameter: 'messages[0].role'." },

    { "role not a string", 0,
      "{'messages':[{'role':1,'content':'a'}]}", NULL, 400,
      "messages[0].role", "invalid_type",
      "Invalid type for 'messages[0].role': expected a string, but got an "
      "integer instead." },

    { "unknown role", 0,
      "{'messages':[{'role':'user','content':'a'},"
      "{'role':'robot','content':'b'}]}", NULL, 400,
      "messages[1].role", "invalid_value",
      "Invalid value for 'messages[1].role': 'robot'. Supported values "
      "are: 'system', 'developer', 'user', 'assistant' and 'tool'." },

    { "long unknown role is cut in the message", 0,
      "{'messages':[{'role':'"
      "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz','content':'b'}"
      "]}", NULL, 400,
      "messages[0].role", "invalid_value",
      "Invalid value for 'messages[0].role': "
      "'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv...'. Supported "
      "values are: 'system', 'developer', 'user', 'assistant' and "
      "'tool'." },

    { "legacy function role", 0,
      "{'messages':[{'role':'user','content':'a'},"
      "{'role':'assistant','content':'b'},"
      "{'role':'function','name':'f','content':'c'}]}", NULL, 400,
      "messages[2].role", "unsupported_value",
      "Invalid value for 'messages[2].role': 'function'. The legacy "
      "'function' role is not supported; send the result as a 'tool' "
      "message with a 'tool_call_id' instead." },

    { "user content missing", 0,
      "{'messages':[{'role':'user'}]}", NULL, 400, "messages[0].content",
      "missing_required_parameter",
      "Missing required parameter: 'messages[0].content'." },

    { "content of the wrong type", 0,
      "{'messages':[{'role':'user','content':'a'},"
      "{'role':'assistant','content':'b'},"
      "{'role':'user','content':{'text':'c'}}]}", NULL, 400,
      "messages[2].content", "invalid_type",
      "Invalid type for 'messages[2].content': expected a string or an "
      "array of content parts, but got an object instead." },

    { "user content null", 0,
      "{'messages':[{'role':'user','content':null}]}", NULL, 400,
      "messages[0].content", "invalid_type",
      "Invalid type for 'messages[0].content': expected a string or an "
      "array of content parts, but got null instead." },

    { "image part with an https URL", 0,
      "{'messages':[{'role':'user','content':[{'type':'text','text':'see'},"
      "{'type':'image_url','image_url':{'url':'https://x/y.png'}}]}]}",
      NULL, 400, "messages[0].content[1].image_url.url",
      "invalid_image_url",
      "Invalid 'messages[0].content[1].image_url.url': this server does "
      "not fetch image URLs. Send the image inline as a base64 data URL "
      "(data:image/png;base64,...)." },

    { "audio part", 0,
      "{'messages':[{'role':'user','content':[{'type':'input_audio',"
      "'input_audio':{'data':'AA==','format':'wav'}}]}]}",
      NULL, 400, "messages[0].content[0].type", "unsupported_value",
      "Invalid value for 'messages[0].content[0].type': 'input_audio'. "
      "Content parts of type 'input_audio' are not supported by this "
      "server; only 'text' and 'image_url' parts are." },

    { "unknown part type", 0,
      "{'messages':[{'role':'user','content':[{'type':'video'}]}]}",
      NULL, 400, "messages[0].content[0].type", "invalid_value",
      "Invalid value for 'messages[0].content[0].type': 'video'. Supported "
      "values are: 'text' and 'image_url'." },

    { "refusal part outside an assistant message", 0,
      "{'messages':[{'role':'system','content':[{'type':'refusal',"
      "'refusal':'x'}]}]}",
      NULL, 400, "messages[0].content[0].type", "invalid_value",
      "Invalid value for 'messages[0].content[0].type': 'refusal'. "
      "Supported values are: 'text'." },

    { "text part without text", 0,
      "{'messages':[{'role':'user','content':[{'type':'text'}]}]}",
      NULL, 400, "messages[0].content[0].text",
      "missing_required_parameter",
      "Missing required parameter: 'messages[0].content[0].text'." },

    { "text part with a number", 0,
      "{'messages':[{'role':'user','content':[{'type':'text','text':5}]}]}",
      NULL, 400, "messages[0].content[0].text", "invalid_type",
      "Invalid type for 'messages[0].content[0].text': expected a string, "
      "but got an integer instead." },

    { "part not an object", 0,
      "{'messages':[{'role':'user','content':['hi']}]}",
      NULL, 400, "messages[0].content[0]", "invalid_type",
      "Invalid type for 'messages[0].content[0]': expected an object, but "
      "got a string instead." },

    { "only system messages", 0,
      "{'messages':[{'role':'system','content':'S'},"
      "{'role':'user','content':'   '}]}",
      NULL, 400, "messages", "invalid_value",
      "Invalid 'messages': no user or assistant message with non-empty "
      "content was found. At least one is required." },

    { "model not a string", 0,
      "{'model':7,'messages':[{'role':'user','content':'a'}]}",
      NULL, 400, "model", "invalid_type",
      "Invalid type for 'model': expected a string, but got an integer "
      "instead." },

    { "stream not a boolean", 0,
      "{'messages':[{'role':'user','content':'a'}],'stream':'yes'}",
      NULL, 400, "stream", "invalid_type",
      "Invalid type for 'stream': expected a boolean, but got a string "
      "instead." },

    { "include_usage not a boolean", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'stream_options':{'include_usage':1}}",
      NULL, 400, "stream_options.include_usage", "invalid_type",
      "Invalid type for 'stream_options.include_usage': expected a "
      "boolean, but got an integer instead." },

    { "temperature as a string", 0,
      "{'messages':[{'role':'user','content':'a'}],'temperature':'0.5'}",
      NULL, 400, "temperature", "invalid_type",
      "Invalid type for 'temperature': expected a number, but got a string "
      "instead." },

    { "temperature 2.5", 0,
      "{'messages':[{'role':'user','content':'a'}],'temperature':2.5}",
      NULL, 400, "temperature", "decimal_above_max_value",
      "Invalid 'temperature': decimal above maximum value. Expected a "
      "value <= 2, but got 2.5 instead." },

    { "temperature below 0", 0,
      "{'messages':[{'role':'user','content':'a'}],'temperature':-0.1}",
      NULL, 400, "temperature", "decimal_below_min_value",
      "Invalid 'temperature': decimal below minimum value. Expected a "
      "value >= 0, but got -0.1 instead." },

    { "temperature out of double range", 0,
      "{'messages':[{'role':'user','content':'a'}],'temperature':1e999}",
      NULL, 400, "temperature", "invalid_value",
      "Invalid 'temperature': expected a value between 0 and 2, but got "
      "1e999 instead." },

    { "top_p 1.5", 0,
      "{'messages':[{'role':'user','content':'a'}],'top_p':1.5}",
      NULL, 400, "top_p", "decimal_above_max_value",
      "Invalid 'top_p': decimal above maximum value. Expected a value <= "
      "1, but got 1.5 instead." },

    { "max_tokens 0", 0,
      "{'messages':[{'role':'user','content':'a'}],'max_tokens':0}",
      NULL, 400, "max_tokens", "integer_below_min_value",
      "Invalid 'max_tokens': integer below minimum value. Expected a value "
      ">= 1, but got 0 instead." },

    { "max_tokens as a string", 0,
      "{'messages':[{'role':'user','content':'a'}],'max_tokens':'100'}",
      NULL, 400, "max_tokens", "invalid_type",
      "Invalid type for 'max_tokens': expected an integer, but got a "
      "string instead." },

    { "max_completion_tokens as a decimal", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'max_completion_tokens':1.5}",
      NULL, 400, "max_completion_tokens", "invalid_type",
      "Invalid type for 'max_completion_tokens': expected an integer, but "
      "got a decimal instead." },

    { "max_completion_tokens too large", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'max_completion_tokens':99999999999999999999}",
      NULL, 400, "max_completion_tokens", "integer_above_max_value",
      "Invalid 'max_completion_tokens': integer above maximum value. "
      "Expected a value <= 2147483647, but got 99999999999999999999 "
      "instead." },

    { "n=2", 0,
      "{'messages':[{'role':'user','content':'a'}],'n':2}",
      NULL, 400, "n", "unsupported_value",
      "Invalid 'n': 2. Only n=1 is supported." },

    { "n=0", 0,
      "{'messages':[{'role':'user','content':'a'}],'n':0}",
      NULL, 400, "n", "integer_below_min_value",
      "Invalid 'n': integer below minimum value. Expected a value >= 1, but "
      "got 0 instead." },

    { "five stop sequences", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'stop':['a','b','c','d','e']}",
      NULL, 400, "stop", "array_above_max_length",
      "Invalid 'stop': array too long. Expected an array with maximum "
      "length 4, but got an array with length 5 instead." },

    { "stop sequence not a string", 0,
      "{'messages':[{'role':'user','content':'a'}],'stop':['a',1]}",
      NULL, 400, "stop[1]", "invalid_type",
      "Invalid type for 'stop[1]': expected a string, but got an integer "
      "instead." },

    { "stop an object", 0,
      "{'messages':[{'role':'user','content':'a'}],'stop':{}}",
      NULL, 400, "stop", "invalid_type",
      "Invalid type for 'stop': expected a string or an array of strings, "
      "but got an object instead." },

    { "tools not an array", 0,
      "{'messages':[{'role':'user','content':'a'}],'tools':{}}",
      NULL, 400, "tools", "invalid_type",
      "Invalid type for 'tools': expected an array, but got an object "
      "instead." },

    { "tool without function", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tools':[{'type':'function'}]}",
      NULL, 400, "tools[0].function", "missing_required_parameter",
      "Missing required parameter: 'tools[0].function'." },

    { "tool of another type", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tools':[{'type':'custom','custom':{'name':'x'}}]}",
      NULL, 400, "tools[0].type", "invalid_value",
      "Invalid value for 'tools[0].type': 'custom'. Supported values are: "
      "'function'." },

    { "tool name with a space", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tools':[{'type':'function','function':{'name':'a'}},"
      "{'type':'function','function':{'name':'get weather'}}]}",
      NULL, 400, "tools[1].function.name", "invalid_value",
      "Invalid 'tools[1].function.name': string does not match pattern. "
      "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'." },

    { "tool name too long", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tools':[{'type':'function','function':{'name':"
      "'a123456789b123456789c123456789d123456789e123456789f123456789g1234'"
      "}}]}",
      NULL, 400, "tools[0].function.name", "string_above_max_length",
      "Invalid 'tools[0].function.name': string too long. Expected a "
      "string with maximum length 64, but got a string with length 65 "
      "instead." },

    { "tool name empty", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tools':[{'type':'function','function':{'name':''}}]}",
      NULL, 400, "tools[0].function.name", "empty_string",
      "Invalid 'tools[0].function.name': empty string. Expected a string "
      "with minimum length 1, but got an empty string instead." },

    { "tool name missing", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tools':[{'type':'function','function':{'description':'d'}}]}",
      NULL, 400, "tools[0].function.name", "missing_required_parameter",
      "Missing required parameter: 'tools[0].function.name'." },

    { "duplicate tool names", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tools':[{'type':'function','function':{'name':'b'}},"
      "{'type':'function','function':{'name':'a'}},"
      "{'type':'function','function':{'name':'b'}}]}",
      NULL, 400, "tools[2].function.name", "invalid_value",
      "Invalid 'tools': duplicate function name 'b' at "
      "'tools[2].function.name'. Function names must be unique." },

    { "schema of another top-level type", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tools':[{'type':'function','function':{'name':'f',"
      "'parameters':{'type':'string'}}}]}",
      NULL, 400, "tools[0].function.parameters",
      "invalid_function_parameters",
      "Invalid schema for function 'f': schema must be a JSON Schema of "
      "'type: \"object\"', got 'type: \"string\"'." },

    { "schema not an object", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tools':[{'type':'function','function':{'name':'f',"
      "'parameters':'{}'}}]}",
      NULL, 400, "tools[0].function.parameters", "invalid_type",
      "Invalid type for 'tools[0].function.parameters': expected an "
      "object, but got a string instead." },

    { "named tool_choice not in tools", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}],"
      "'tool_choice':{'type':'function','function':{'name':'b'}}}",
      NULL, 400, "tool_choice", "invalid_value",
      "Invalid value for 'tool_choice': function 'b' is not among the "
      "functions in 'tools'." },

    { "named tool_choice without tools", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tool_choice':{'type':'function','function':{'name':'b'}}}",
      NULL, 400, "tool_choice", "invalid_value",
      "Invalid value for 'tool_choice': 'tool_choice' is only allowed when "
      "'tools' are specified." },

    { "tool_choice required without tools", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tool_choice':'required'}",
      NULL, 400, "tool_choice", "invalid_value",
      "Invalid value for 'tool_choice': 'tool_choice' is only allowed when "
      "'tools' are specified." },

    { "tool_choice unknown string", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}],"
      "'tool_choice':'sometimes'}",
      NULL, 400, "tool_choice", "invalid_value",
      "Invalid value for 'tool_choice': 'sometimes'. Supported values are: "
      "'none', 'auto' and 'required'." },

    { "tool_choice without function", 0,
      "{'messages':[{'role':'user','content':'a'}],"
      "'tools':[{'type':'function','function':{'name':'a'}}],"
      "'tool_choice':{'type':'function'}}",
      NULL, 400, "tool_choice.function", "missing_required_parameter",
      "Missing required parameter: 'tool_choice.function'." },

    { "tool message without tool_call_id", 0,
      "{'messages':[{'role':'user','content':'a'},"
      "{'role':'tool','content':'r'}]}",
      NULL, 400, "messages[1].tool_call_id", "missing_required_parameter",
      "Missing required parameter: 'messages[1].tool_call_id'." },

    { "tool_calls not an array", 0,
      "{'messages':[{'role':'user','content':'a'},"
      "{'role':'assistant','tool_calls':{'id':'c1'}}]}",
      NULL, 400, "messages[1].tool_calls", "invalid_type",
      "Invalid type for 'messages[1].tool_calls': expected an array, but "
      "got an object instead." },

    { "tool call without function", 0,
      "{'messages':[{'role':'user','content':'a'},"
      "{'role':'assistant','tool_calls':[{'id':'c1','type':'function'}]}]}",
      NULL, 400, "messages[1].tool_calls[0].function",
      "missing_required_parameter",
      "Missing required parameter: 'messages[1].tool_calls[0].function'." },

    { "tool call without id", 0,
      "{'messages':[{'role':'user','content':'a'},"
      "{'role':'assistant','tool_calls':[{'type':'function',"
      "'function':{'name':'f','arguments':'{}'}}]}]}",
      NULL, 400, "messages[1].tool_calls[0].id",
      "missing_required_parameter",
      "Missing required parameter: 'messages[1].tool_calls[0].id'." },

    { "tool call arguments a number", 0,
      "{'messages':[{'role':'user','content':'a'},"
      "{'role':'assistant','tool_calls':[{'id':'c1','type':'function',"
      "'function':{'name':'f','arguments':5}}]}]}",
      NULL, 400, "messages[1].tool_calls[0].function.arguments",
      "invalid_type",
      "Invalid type for 'messages[1].tool_calls[0].function.arguments': "
      "expected a string, but got an integer instead." },

    { "tool call with a bad function name", 0,
      "{'messages':[{'role':'user','content':'a'},"
      "{'role':'assistant','tool_calls':[{'id':'c1','type':'function',"
      "'function':{'name':'a.b','arguments':'{}'}}]}]}",
      NULL, 400, "messages[1].tool_calls[0].function.name",
      "invalid_value",
      "Invalid 'messages[1].tool_calls[0].function.name': string does not "
      "match pattern. Expected a string that matches the pattern "
      "'^[a-zA-Z0-9_-]+$'." },
};


static cc_tool_t  server_tool;


static char *test_unquote(const char *s);
static void test_options(cc_test_arena_t *ar, unsigned options,
    cc_chat_options_t *opts);
static cc_json_t *test_parse(cc_test_arena_t *ar, const char *request);
static void test_case(const test_case_t *t);
static void test_fields(void);
static void test_append(void);
static void test_model_path(void);
static void test_ids(void);
static void test_no_memory(void);


int
main(void)
{
    size_t  i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        test_case(&cases[i]);
    }

    /* a text block with no text: blank, and no NULL + 0 (UBSan) */
    CHECK(cc_is_blank(NULL, 0) == 1);

    test_fields();
    test_append();
    test_model_path();
    test_ids();
    test_no_memory();

    return cc_test_done("test_bedrock");
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
    static cc_str_t  prompt = cc_string("Configured prompt.");
    static cc_str_t  first = cc_string("(call connected)");
    static cc_str_t  name = cc_string("lookup_balance");
    static cc_str_t  desc = cc_string("Card balance by phone number");

    memset(opts, 0, sizeof(cc_chat_options_t));

    if (options & T_PROMPT) {
        opts->system_prompt = prompt;
    }

    if (options & T_FIRST) {
        opts->first_user_text = first;
    }

    if (options & T_LIMIT) {
        opts->max_tokens_limit = 40;
    }

    if (options & T_SERVER) {
        server_tool.name = name;
        server_tool.description = desc;
        server_tool.schema = test_parse(ar,
            "{'type':'object','properties':{'phone':{'type':'string'}}}");

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

        EXPECT_INT(err.status, t->status);
        EXPECT_STR(err.param, t->param);
        CHECK(err.type != NULL
              && strcmp(err.type, "invalid_request_error") == 0);
        CHECK((err.code == NULL && t->code == NULL)
              || (err.code != NULL && t->code != NULL
                  && strcmp(err.code, t->code) == 0));

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
test_fields(void)
{
    cc_chat_t        chat;
    cc_error_t       err;
    cc_test_arena_t  ar;

    cc_test_arena_init(&ar);

    /* defaults: no options at all */

    CHECK(cc_chat_parse(&ar.alloc,
                        test_parse(&ar, "{'messages':[{'role':'user',"
                                        "'content':'hi'}]}"),
                        NULL, &chat, &err)
          == CC_OK);
    EXPECT_INT(chat.stream, -1);
    EXPECT_INT(chat.include_usage, 0);
    EXPECT_INT(chat.model.len, 0);
    EXPECT_INT(chat.max_tokens, 0);
    EXPECT_INT(chat.has_temperature, 0);
    EXPECT_INT(chat.tool_choice, CC_TOOL_CHOICE_DEFAULT);

    CHECK(cc_chat_parse(&ar.alloc,
                        test_parse(&ar, "{'model':'gpt-4o','stream':true,"
                                        "'stream_options':{'include_usage':"
                                        "true},'temperature':0.25,"
                                        "'messages':[{'role':'user',"
                                        "'content':'hi'}],'stream':false}"),
                        NULL, &chat, &err)
          == CC_OK);
    EXPECT_INT(chat.stream, 0);
    EXPECT_INT(chat.include_usage, 1);
    EXPECT_STR(chat.model, "gpt-4o");
    EXPECT_INT(chat.has_temperature, 1);
    CHECK(chat.temperature == 0.25);
    EXPECT_STR(chat.temperature_text, "0.25");

    CHECK(cc_chat_parse(&ar.alloc,
                        test_parse(&ar, "{'stream':null,'stream_options':"
                                        "null,'messages':[{'role':'user',"
                                        "'content':'hi'}],'tool_choice':"
                                        "'auto','temperature':1.25}"),
                        NULL, &chat, &err)
          == CC_OK);
    EXPECT_INT(chat.stream, -1);
    EXPECT_INT(chat.tool_choice, CC_TOOL_CHOICE_AUTO);
    CHECK(chat.temperature == 1);
    EXPECT_STR(chat.temperature_text, "1");

    cc_test_arena_destroy(&ar);
}


/*
 * The server-side loop: after the parsed history, the assistant's round
 * (text + toolUse) and the results; then a second round.
 */

static void
test_append(void)
{
    char               errbuf[64];
    char              *want;
    cc_str_t           body;
    cc_chat_t          chat;
    cc_error_t         err;
    cc_block_t         round[3], results[2], blank;
    cc_test_arena_t    ar;
    cc_chat_options_t  opts;

    cc_test_arena_init(&ar);
    test_options(&ar, T_SERVER, &opts);

    CHECK(cc_chat_parse(&ar.alloc,
                        test_parse(&ar, "{'messages':[{'role':'assistant',"
                                        "'content':'Hi.'},{'role':'user',"
                                        "'content':'Balance?'}]}"),
                        &opts, &chat, &err)
          == CC_OK);

    memset(round, 0, sizeof(round));
    memset(results, 0, sizeof(results));
    memset(&blank, 0, sizeof(blank));

    round[0].type = CC_BLOCK_TEXT;
    round[0].text = (cc_str_t) cc_string("Let me check.");
    round[1].type = CC_BLOCK_TOOL_USE;
    round[1].id = (cc_str_t) cc_string("tooluse_1");
    round[1].name = (cc_str_t) cc_string("lookup_balance");
    round[1].input = cc_json_parse(&ar.alloc, (u_char *) "{\"phone\":\"+1\"}",
                                   14, errbuf, sizeof(errbuf));
    round[2].type = CC_BLOCK_TEXT;
    round[2].text = (cc_str_t) cc_string(" ");

    results[0].type = CC_BLOCK_TOOL_RESULT;
    results[0].id = (cc_str_t) cc_string("tooluse_1");
    results[0].result_text = (cc_str_t) cc_string("{\"balance\":12.5}");
    results[0].result_json = cc_json_parse(&ar.alloc,
                                           results[0].result_text.data,
                                           results[0].result_text.len,
                                           errbuf, sizeof(errbuf));

    CHECK(cc_chat_append_message(&ar.alloc, &chat, CC_ROLE_ASSISTANT, round,
                                 3)
          == CC_OK);
    CHECK(cc_chat_append_message(&ar.alloc, &chat, CC_ROLE_USER, results, 1)
          == CC_OK);

    /* nothing but blank text appends nothing */
    blank.type = CC_BLOCK_TEXT;
    blank.text = (cc_str_t) cc_string("\n");
    CHECK(cc_chat_append_message(&ar.alloc, &chat, CC_ROLE_ASSISTANT, &blank,
                                 1)
          == CC_OK);

    EXPECT_INT(chat.nmessages, 5);

    /* second round: one tool fails */

    round[0].text = (cc_str_t) cc_string("One more.");
    round[1].id = (cc_str_t) cc_string("tooluse_2");
    round[1].input = NULL;

    results[0].id = (cc_str_t) cc_string("tooluse_2");
    results[0].result_text = (cc_str_t) cc_string("");
    results[0].result_json = NULL;
    results[0].is_error = 1;

    CHECK(cc_chat_append_message(&ar.alloc, &chat, CC_ROLE_ASSISTANT, round,
                                 2)
          == CC_OK);
    CHECK(cc_chat_append_message(&ar.alloc, &chat, CC_ROLE_USER, results, 1)
          == CC_OK);

    CHECK(cc_bedrock_body(&ar.alloc, &chat, &opts, &body) == CC_OK);

    want = test_unquote(
        "{'messages':[{'role':'user','content':[{'text':'Hello.'}]},"
        "{'role':'assistant','content':[{'text':'Hi.'}]},"
        "{'role':'user','content':[{'text':'Balance?'}]},"
        "{'role':'assistant','content':[{'text':'Let me check.'},"
        "{'toolUse':{'toolUseId':'tooluse_1','name':'lookup_balance',"
        "'input':{'phone':'+1'}}}]},"
        "{'role':'user','content':[{'toolResult':{'toolUseId':'tooluse_1',"
        "'content':[{'json':{'balance':12.5}}]}}]},"
        "{'role':'assistant','content':[{'text':'One more.'},"
        "{'toolUse':{'toolUseId':'tooluse_2','name':'lookup_balance',"
        "'input':{}}}]},"
        "{'role':'user','content':[{'toolResult':{'toolUseId':'tooluse_2',"
        "'content':[{'text':'(empty result)'}],'status':'error'}}]}],"
        "'toolConfig':{'tools':[{'toolSpec':{'name':'lookup_balance',"
        "'description':'Card balance by phone number',"
        "'inputSchema':{'json':{'type':'object','properties':"
        "{'phone':{'type':'string'}}}}}}]}}");

    EXPECT_STR(body, want);
    free(want);

    /* results merged into a trailing user message go before its text */

    CHECK(cc_chat_parse(&ar.alloc,
                        test_parse(&ar, "{'messages':[{'role':'user',"
                                        "'content':'a'}]}"),
                        NULL, &chat, &err)
          == CC_OK);

    results[0].id = (cc_str_t) cc_string("t1");
    results[0].result_text = (cc_str_t) cc_string("one");
    results[0].is_error = 0;
    results[1] = results[0];
    results[1].id = (cc_str_t) cc_string("t2");
    results[1].result_text = (cc_str_t) cc_string("two");

    CHECK(cc_chat_append_message(&ar.alloc, &chat, CC_ROLE_USER, results, 2)
          == CC_OK);
    CHECK(cc_chat_append_message(&ar.alloc, &chat, CC_ROLE_USER, round, 1)
          == CC_OK);
    CHECK(cc_chat_append_message(&ar.alloc, &chat, CC_ROLE_USER, results, 1)
          == CC_OK);

    CHECK(cc_bedrock_body(&ar.alloc, &chat, NULL, &body) == CC_OK);

    want = test_unquote(
        "{'messages':[{'role':'user','content':["
        "{'toolResult':{'toolUseId':'t1','content':[{'text':'one'}]}},"
        "{'toolResult':{'toolUseId':'t2','content':[{'text':'two'}]}},"
        "{'toolResult':{'toolUseId':'t1','content':[{'text':'one'}]}},"
        "{'text':'a'},{'text':'One more.'}]}],"
        "'toolConfig':{'tools':[{'toolSpec':{'name':'tool',"
        "'description':'Tool used earlier in this conversation.',"
        "'inputSchema':{'json':{'type':'object','properties':{}}}}}]}}");

    EXPECT_STR(body, want);
    free(want);

    /* a chat built from nothing by appends alone */

    memset(&chat, 0, sizeof(cc_chat_t));

    CHECK(cc_chat_append_message(&ar.alloc, &chat, CC_ROLE_USER, round, 1)
          == CC_OK);

    chat.has_top_p = 1;
    chat.top_p = 0.1;

    CHECK(cc_bedrock_body(&ar.alloc, &chat, NULL, &body) == CC_OK);
    EXPECT_STR(body, "{\"messages\":[{\"role\":\"user\",\"content\":"
                     "[{\"text\":\"One more.\"}]}],"
                     "\"inferenceConfig\":{\"topP\":0.1}}");

    cc_test_arena_destroy(&ar);
}


static void
test_model_path(void)
{
    cc_str_t         path;
    cc_test_arena_t  ar;
    static cc_str_t  nova = cc_string("amazon.nova-lite-v1:0");
    static cc_str_t  arn = cc_string("arn:aws:bedrock:us-east-1:"
                                     "123456789012:inference-profile/"
                                     "us.amazon.nova-lite-v1:0");
    static cc_str_t  odd = cc_string("a b~c%\xff");

    cc_test_arena_init(&ar);

    CHECK(cc_model_path(&ar.alloc, &nova, 1, &path) == CC_OK);
    EXPECT_STR(path, "/model/amazon.nova-lite-v1%3A0/converse-stream");
    CHECK(path.data[path.len] == '\0');

    CHECK(cc_model_path(&ar.alloc, &nova, 0, &path) == CC_OK);
    EXPECT_STR(path, "/model/amazon.nova-lite-v1%3A0/converse");

    CHECK(cc_model_path(&ar.alloc, &arn, 0, &path) == CC_OK);
    EXPECT_STR(path, "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012"
                     "%3Ainference-profile%2Fus.amazon.nova-lite-v1%3A0"
                     "/converse");

    CHECK(cc_model_path(&ar.alloc, &odd, 1, &path) == CC_OK);
    EXPECT_STR(path, "/model/a%20b~c%25%FF/converse-stream");

    cc_test_arena_destroy(&ar);
}


static void
test_ids(void)
{
    cc_str_t  s;

    s = (cc_str_t) cc_string("tooluse_AbC-1.2:3");
    CHECK(cc_tool_id_valid(&s));

    s = (cc_str_t) cc_string("call 1");
    CHECK(!cc_tool_id_valid(&s));

    s = (cc_str_t) cc_string("");
    CHECK(!cc_tool_id_valid(&s));

    s = (cc_str_t) cc_string("x123456789x123456789x123456789x123456789"
                             "x123456789x123456789x1234");
    CHECK(!cc_tool_id_valid(&s));

    s = (cc_str_t) cc_string("get_weather-2");
    CHECK(cc_tool_name_valid(&s));

    s = (cc_str_t) cc_string("a:b");
    CHECK(!cc_tool_name_valid(&s));
}


/*
 * Every allocation of cc_chat_parse() failing in turn: it must fail
 * cleanly (ASan watches) with status 500.  yajl 2.1 does not check its
 * own allocations (yajl_alloc, yajl_buf), so the request avoids string
 * arguments and JSON results, which go through yajl, and the body is
 * serialized with the arena no longer failing.
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

    cc_test_arena_init(&dom);
    test_options(&dom, T_SERVER | T_PROMPT, &opts);

    root = test_parse(&dom,
        "{'messages':[{'role':'system','content':'S'},"
        "{'role':'assistant','content':'Hi.'},"
        "{'role':'user','content':[{'type':'text','text':'x'},"
        "{'type':'text','text':'y'}]},"
        "{'role':'assistant','tool_calls':[{'id':'bad id',"
        "'function':{'name':'a','arguments':{'k':[1,2]}}},"
        "{'id':'c2','function':{'name':'a'}}]},"
        "{'role':'tool','tool_call_id':'bad id','content':"
        "[{'type':'text','text':'one'},{'type':'text','text':'z'}]},"
        "{'role':'tool','tool_call_id':'c2','content':'{\\'j\\':1}'}],"
        "'tools':[{'type':'function','function':{'name':'a','parameters':"
        "{'properties':{}}}},{'type':'function','function':{'name':'b'}}],"
        "'tool_choice':'auto','stop':['a','b'],'temperature':1.5}");

    for (n = 0; /* void */ ; n++) {
        cc_test_arena_init(&ar);
        ar.fail_after = n;

        rc = cc_chat_parse(&ar.alloc, root, &opts, &chat, &err);

        if (rc == CC_OK) {
            ar.fail_after = -1;
            CHECK(cc_bedrock_body(&ar.alloc, &chat, &opts, &body) == CC_OK);

        } else {
            EXPECT_INT(err.status, 500);
            CHECK(err.type != NULL && strcmp(err.type, "server_error") == 0);
        }

        cc_test_arena_destroy(&ar);

        if (rc == CC_OK || !CHECK(n < 10000)) {
            break;
        }
    }

    CHECK(n > 10);

    cc_test_arena_destroy(&dom);
}
