
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The caller's phone number, all through cc_phone_find(): normalization
 * of single candidates (as the header), the free-text scanner (as a user
 * message), and the lookup over a request body with its order of
 * sources.  Every case asserts the exact E.164 result or its absence.
 *
 *     make -C t/unit build/test_phone && t/unit/build/test_phone
 */


#include "test_util.h"

#include "cc_phone.h"


typedef struct {
    const char               *cc;        /* default country code */
    const char               *in;
    const char               *out;       /* NULL: not a phone number */
} test_case_t;


static const test_case_t  normalize_cases[] = {

    { "1", "+15550100199", "+15550100199" },
    { "1", "+1 (555) 010-0199", "+15550100199" },
    { "1", "(555) 010-0199", "+15550100199" },
    { "1", "555.010.0199", "+15550100199" },
    { "1", "555/010/0199", "+15550100199" },
    { "1", "1-555-010-0199", "+15550100199" },
    { "1", "15550100199", "+15550100199" },
    { "1", "5550100199", "+15550100199" },
    { "1", "  555 010 0199\t", "+15550100199" },
    { "1", "tel:+15550100199", "+15550100199" },
    { "1", "TEL:555-010-0199", "+15550100199" },
    { "1", "plus 1 555 010 0199", "+15550100199" },
    { "1", "Plus44 20 7946 0958", "+442079460958" },
    { "1", "+44 20 7946 0958", "+442079460958" },
    { "1", "+44 (0)20 7946 0958", "+442079460958" },
    { "1", "0044 20 7946 0958", "+442079460958" },
    { "1", "011 44 20 7946 0958", "+442079460958" },
    { "1", "+123456789012345", "+123456789012345" },
    { "1", "+1234567", "+1234567" },

    /* Unicode separators */
    { "1", "555\xc2\xa0" "010\xc2\xa0" "0199", "+15550100199" },
    { "1", "555\xe2\x80\x93" "010\xe2\x80\x93" "0199", "+15550100199" },
    { "1", "555\xe2\x80\xaf" "010\xe2\x80\x89" "0199", "+15550100199" },

    /* not phone numbers */
    { "1", "+1234567890123456", NULL },
    { "1", "0044 1234 5678 9012 34", NULL },
    { "1", "+123456", NULL },
    { "1", "123456", NULL },
    { "1", "555 0199", NULL },
    { "1", "1555010019", NULL },
    { "1", "0555010019", NULL },
    { "1", "555010019", NULL },
    { "1", "155501001999", NULL },
    { "1", "+05550100199", NULL },
    { "1", "555-010-0199 ext 12", NULL },
    { "1", "555-010-0199x12", NULL },
    { "1", "++15550100199", NULL },
    { "1", "1+5550100199", NULL },
    { "1", "plus", NULL },
    { "1", "plush 5550100199", NULL },
    { "1", "anonymous", NULL },
    { "1", "sip:alice@example.com", NULL },
    { "1", "", NULL },
    { "1", "   ", NULL },
    { "1", "555\xc3\xa9" "0100199", NULL },
    { "1", "5550100199\xe2\x80", NULL },
    { "1", "5550100199\xc2", NULL },
    { "1", "\xef\xbc\x95\xef\xbc\x95\xef\xbc\x95" "0100199", NULL },

    /* the default country code */
    { NULL, "5550100199", NULL },
    { NULL, "+15550100199", "+15550100199" },
    { "", "5550100199", NULL },
    { "+1", "5550100199", "+15550100199" },
    { "x", "5550100199", NULL },
    { "0", "5550100199", NULL },
    { "1234", "5550100199", NULL },
    { "44", "020 7946 0958", "+442079460958" },
    { "44", "442079460958", "+442079460958" },
    { "44", "2079460958", "+442079460958" },
    { "44", "07700 900123", "+447700900123" },
    { "44", "+1 555 010 0199", "+15550100199" },
    { "44", "011 44 20 7946 0958", NULL },
    { "49", "030 1234567", "+49301234567" },
    { "33", "06.12.34.56.78", "+33612345678" },
    { "353", "0851234567", "+353851234567" },
    { "44", "123456", NULL },
    { "44", "0123456789012345", NULL },

    { NULL, NULL, NULL }
};


static const test_case_t  text_cases[] = {

    /* digit groups */
    { "1", "My number is 555 010 0199", "+15550100199" },
    { "1", "It's +1 (555) 010-0199.", "+15550100199" },
    { "1", "555-010-0199", "+15550100199" },
    { "1", "you can reach me on 555.010.0199 anytime", "+15550100199" },
    { "1", "1-800-555-0199", "+18005550199" },
    { "1", "+44 20 7946 0958", "+442079460958" },
    { "1", "+44 (0)20 7946 0958, that is London", "+442079460958" },
    { "1", "0044 20 7946 0958", "+442079460958" },
    { "1", "my number:5550100199.", "+15550100199" },
    { "1", "5550100199", "+15550100199" },
    { "1", "(555)010-0199", "+15550100199" },

    /* the last one wins */
    { "1", "call me at 555.010.0199, not 555-010-0000", "+15550100000" },
    { "1", "555 010 0199, sorry, I mean 555 010 0198", "+15550100198" },
    { "1", "555 010 0199, 555 010 0198", "+15550100198" },
    { "1", "it is 555 010 0199 or 555 010 0198", "+15550100198" },

    /* digit words as speech-to-text writes them */
    { "1", "five five five zero one zero zero one nine nine",
      "+15550100199" },
    { "1", "Five five five, oh one oh, oh one nine nine.", "+15550100199" },
    { "1", "FIVE FIVE FIVE O ONE O O ONE NINE NINE", "+15550100199" },
    { "1", "double five five oh one oh oh one double nine",
      "+15550100199" },
    { "1", "triple five oh one oh oh one nine nine", "+15550100199" },
    { "1", "double 5 5 0 1 0 0 1 9 9", "+15550100199" },
    { "1", "555 zero one zero 0199", "+15550100199" },
    { "1", "one five five five zero one zero zero one nine nine",
      "+15550100199" },
    { "1", "plus one five five five zero one zero zero one nine nine",
      "+15550100199" },
    { "1", "plus four four two oh seven nine four six oh nine five eight",
      "+442079460958" },
    { "1", "oh, five five five zero one zero zero one nine nine",
      "+15550100199" },
    { "1", "Oh five five five zero one zero zero one nine nine",
      "+15550100199" },
    { "1", "five five five zero one zero zero one nine nine one more thing",
      "+15550100199" },
    { "1", "5, 5, 5, 0, 1, 0, 0, 1, 9, 9", "+15550100199" },
    { "1", "555, uh, 010, um, 0199", "+15550100199" },
    { "1", "It's five five five. Zero one zero. Zero one nine nine.",
      "+15550100199" },
    { "1", "My number is 555 010 0199. 2 loans", "+15550100199" },
    { "44", "oh two oh seven nine four six oh nine five eight",
      "+442079460958" },

    /* amounts and other numbers */
    { "1", "I owe $1,200 on it", NULL },
    { "1", "card ending 4821", NULL },
    { "1", "I have 2 loans", NULL },
    { "1", "I have two loans and one card", NULL },
    { "1", "$5,550,100,199", NULL },
    { "1", "$ 5550100199", NULL },
    { "1", "\xe2\x82\xac" "5550100199", NULL },
    { "1", "5550100199 dollars", NULL },
    { "1", "5550100199%", NULL },
    { "1", "5550100199 percent", NULL },
    { "1", "paid 1,234,567.89 so far", NULL },
    { "1", "5550100199.50", NULL },
    { "1", "my account number is 2345678901", NULL },
    { "1", "Account: 2345678901", NULL },
    { "1", "the card 2345 6789 0123", NULL },
    { "1", "my card number is four one one one one one one one one one",
      NULL },
    { "1", "the 1st and 2nd of 3rd", NULL },
    { "1", "A2345678901", NULL },
    { "1", "2345678901st", NULL },
    { "1", "born 03/15/1985", NULL },
    { "1", "at 10:30 on 2024-03-15", NULL },
    { "44", "on 15.03.2024", NULL },
    { "44", "on 15/03/24", NULL },
    { "44", "on 2024-03-15", NULL },
    { "1", "I owe $1,200 on card ending 4821, my number is 555-010-0199, "
      "and I have 2 loans, one since 03/15/2020", "+15550100199" },
    { "1", "account number 2345678901 and my phone is 555 010 0199",
      "+15550100199" },
    { "1", "My card was lost, call me at 555 010 0199", "+15550100199" },
    { "1", "I am a member, my number is 555 010 0199", "+15550100199" },
    { "1", "1st 555 010 0199", "+15550100199" },
    { "1", "card ending 4821, 555 010 0199", "+15550100199" },
    { "1", "card ending 4821. 555 010 0199", "+15550100199" },
    { "1", "My number is 555 010 0199. Account 2345678901.",
      "+15550100199" },

    /* too many digits, too few */
    { "1", "4111 1111 1111 1111", NULL },
    { "1", "12345678901234567", NULL },
    { "1", "+1 555 010 0199 1234 5", NULL },
    { "1", "555 0199", NULL },
    { "1", "call 911", NULL },

    /* nothing */
    { "1", "", NULL },
    { "1", "What loan options are available?", NULL },
    { "1", "one", NULL },
    { "1", "plus", NULL },
    { "1", "double", NULL },
    { "1", "double trouble 5550100199", "+15550100199" },
    { NULL, "555 010 0199", NULL },
    { NULL, "+1 555 010 0199", "+15550100199" },

    /* other scripts and bytes */
    { "1", "Mi n\xc3\xbamero es 555 010 0199 \xf0\x9f\x99\x82",
      "+15550100199" },
    { "1", "\xe7\x94\xb5\xe8\xaf\x9d" "5550100199" "\xe5\x8f\xb7",
      "+15550100199" },
    { "1", "555\xc2\xa0" "010\xc2\xa0" "0199", "+15550100199" },
    { "1", "555\xe2\x80\x93" "010\xe2\x80\x94" "0199", "+15550100199" },
    { "1", "\xff\xfe" "555 010 0199" "\xe2\x80", "+15550100199" },
    { "1", "555 010 0199\xe2", "+15550100199" },
    { "1", "555\xc3\xa9" "010 0199", NULL },
    { "1", "\xef\xbc\x95\xef\xbc\x95\xef\xbc\x95\xef\xbc\x90\xef\xbc\x91"
      "\xef\xbc\x90\xef\xbc\x90\xef\xbc\x91\xef\xbc\x99\xef\xbc\x99", NULL },
    { "1", "\xe2\x80\x9c" "555 010 0199" "\xe2\x80\x9d", "+15550100199" },
    { "33", "06.12.34.56.78", "+33612345678" },

    { NULL, NULL, NULL }
};


static char *test_unquote(const char *s);
static cc_json_t *test_parse(cc_test_arena_t *ar, const char *body);
static cc_json_t *test_said(cc_test_arena_t *ar, const char *text,
    size_t len);
static cc_json_t *test_value(cc_test_arena_t *ar, cc_json_type_e type,
    size_t n);
static void test_normalize(void);
static void test_text(void);
static void test_find(void);
static void test_find_one(const char *body, const char *header,
    const char *expected, cc_phone_source_e expected_source, int line);
static void test_no_memory(void);
static void test_source_names(void);


int
main(void)
{
    test_normalize();
    test_text();
    test_find();
    test_no_memory();
    test_source_names();

    return cc_test_done("test_phone");
}


/* ' stands for " so that the bodies stay readable */
static char *
test_unquote(const char *s)
{
    char    *t;
    size_t   i;

    t = strdup(s);
    if (t == NULL) {
        abort();
    }

    for (i = 0; t[i]; i++) {
        if (t[i] == '\'') {
            t[i] = '"';
        }
    }

    return t;
}


static cc_json_t *
test_parse(cc_test_arena_t *ar, const char *body)
{
    char       *json, err[128];
    cc_json_t  *root;

    json = test_unquote(body);

    root = cc_json_parse(&ar->alloc, (u_char *) json, strlen(json), err,
                         sizeof(err));
    if (root == NULL) {
        fprintf(stderr, "bad test body: %s: %s\n", err, json);
        abort();
    }

    free(json);

    return root;
}


/*
 * {"messages":[{"role":"user","content":text}]}, built by hand: the text
 * may hold bytes that are not UTF-8, which the parser would refuse
 */
static cc_json_t *
test_said(cc_test_arena_t *ar, const char *text, size_t len)
{
    cc_json_t  *root, *msgs, *m, *content;

    root = test_value(ar, CC_JSON_OBJECT, 1);
    msgs = test_value(ar, CC_JSON_ARRAY, 1);
    m = test_value(ar, CC_JSON_OBJECT, 2);
    content = test_value(ar, CC_JSON_STRING, 0);

    content->str.data = (u_char *) text;
    content->str.len = len;

    root->keys[0] = (cc_str_t) cc_string("messages");
    root->values[0] = msgs;
    msgs->values[0] = m;
    m->keys[0] = (cc_str_t) cc_string("role");
    m->values[0] = test_value(ar, CC_JSON_STRING, 0);
    m->values[0]->str = (cc_str_t) cc_string("user");
    m->keys[1] = (cc_str_t) cc_string("content");
    m->values[1] = content;

    return root;
}


static cc_json_t *
test_value(cc_test_arena_t *ar, cc_json_type_e type, size_t n)
{
    cc_json_t  *v;

    v = cc_test_arena_alloc(ar, sizeof(cc_json_t));
    if (v == NULL) {
        abort();
    }

    memset(v, 0, sizeof(cc_json_t));
    v->type = type;
    v->n = n;

    if (n) {
        v->keys = cc_test_arena_alloc(ar, n * sizeof(cc_str_t));
        v->values = cc_test_arena_alloc(ar, n * sizeof(cc_json_t *));
        if (v->keys == NULL || v->values == NULL) {
            abort();
        }
    }

    return v;
}


/* one candidate: the header, with no body */
static void
test_normalize(void)
{
    int                 rc;
    cc_str_t            out, cc, *ccp, hdr;
    cc_test_arena_t     ar;
    cc_phone_source_e   source;
    const test_case_t  *t;

    for (t = normalize_cases; t->in; t++) {
        cc_test_arena_init(&ar);

        ccp = NULL;

        if (t->cc) {
            cc.len = strlen(t->cc);
            cc.data = (u_char *) t->cc;
            ccp = &cc;
        }

        hdr.len = strlen(t->in);
        hdr.data = (u_char *) t->in;

        rc = cc_phone_find(&ar.alloc, NULL, NULL, 0, &hdr, ccp, &out,
                           &source);

        if (!EXPECT_INT(rc, t->out ? CC_OK : CC_DONE)
            || !EXPECT_STR(out, t->out)
            || !EXPECT_INT(source, t->out ? CC_PHONE_HEADER : CC_PHONE_NONE))
        {
            cc_test_print_mem("normalize", t->in, strlen(t->in));
        }

        if (rc == CC_OK) {
            /* NUL-terminated for the glue's convenience */
            CHECK(out.data[out.len] == '\0');
        }

        cc_test_arena_destroy(&ar);
    }
}


/* free text: a user message */
static void
test_text(void)
{
    int                 rc;
    cc_str_t            out, cc, *ccp;
    cc_test_arena_t     ar;
    cc_phone_source_e   source;
    const test_case_t  *t;

    for (t = text_cases; t->in; t++) {
        cc_test_arena_init(&ar);

        ccp = NULL;

        if (t->cc) {
            cc.len = strlen(t->cc);
            cc.data = (u_char *) t->cc;
            ccp = &cc;
        }

        rc = cc_phone_find(&ar.alloc, test_said(&ar, t->in, strlen(t->in)),
                           NULL, 0, NULL, ccp, &out, &source);

        if (!EXPECT_INT(rc, t->out ? CC_OK : CC_DONE)
            || !EXPECT_STR(out, t->out)
            || !EXPECT_INT(source, t->out ? CC_PHONE_TEXT : CC_PHONE_NONE))
        {
            cc_test_print_mem("text", t->in, strlen(t->in));
        }

        cc_test_arena_destroy(&ar);
    }

    /* the length is respected: the number is cut after 9 digits */
    cc_test_arena_init(&ar);
    cc.len = 1;
    cc.data = (u_char *) "1";
    EXPECT_INT(cc_phone_find(&ar.alloc, test_said(&ar, "555 010 0199", 11),
                             NULL, 0, NULL, &cc, &out, &source), CC_DONE);
    cc_test_arena_destroy(&ar);
}


static void
test_find_one(const char *body, const char *header, const char *expected,
    cc_phone_source_e expected_source, int line)
{
    int                 rc;
    cc_str_t            out, cc, hdr, *hdrp;
    cc_json_t          *root;
    cc_test_arena_t     ar;
    cc_phone_source_e   source;
    static cc_str_t     names[] = {
        cc_string("caller_phone"),
        cc_string("phone")
    };

    cc_test_arena_init(&ar);

    root = body ? test_parse(&ar, body) : NULL;

    cc.len = 1;
    cc.data = (u_char *) "1";

    hdrp = NULL;

    if (header) {
        hdr.len = strlen(header);
        hdr.data = (u_char *) header;
        hdrp = &hdr;
    }

    source = CC_PHONE_TEXT;

    rc = cc_phone_find(&ar.alloc, root, names, 2, hdrp, &cc, &out, &source);

    if (!EXPECT_INT(rc, expected ? CC_OK : CC_DONE)
        || !EXPECT_STR(out, expected)
        || !EXPECT_INT(source, expected_source))
    {
        fprintf(stderr, "    in the case at line %d\n", line);
    }

    cc_test_arena_destroy(&ar);
}


#define T(body, header, expected, source)                                   \
    test_find_one(body, header, expected, source, __LINE__)


static void
test_find(void)
{
    /* a Vapi body: call data first, whatever else is there */
    T("{'model':'m','messages':["
      "{'role':'system','content':'You are Ava.'},"
      "{'role':'assistant','content':'Hi, this is Ava.'},"
      "{'role':'user','content':'My number is 555 010 0177'}],"
      "'call':{'id':'c-1','type':'inboundPhoneCall',"
      "'customer':{'number':'+15551234567'}},"
      "'phoneNumber':{'id':'p-1','number':'+15557654321'},"
      "'customer':{'number':'+15551234568','name':'Kim'},"
      "'metadata':{'phone':'+15550000001'}}",
      "+15550000002", "+15551234567", CC_PHONE_CALL);

    /* the top-level customer when call data has none */
    T("{'call':{'id':'c-1','type':'webCall'},"
      "'customer':{'number':'+15551234568'},"
      "'metadata':{'phone':'+15550000001'}}",
      "+15550000002", "+15551234568", CC_PHONE_CALL);

    /* invalid call numbers fall through to metadata, in name order */
    T("{'call':{'customer':{'number':'anonymous'}},"
      "'customer':{'number':'sip:kim@example.com'},"
      "'metadata':{'phone':'+15550000001','caller_phone':'555-000-0003'}}",
      "+15550000002", "+15550000003", CC_PHONE_METADATA);

    T("{'call':{'customer':{'number':12}},"
      "'metadata':{'phone':'+15550000001','caller_phone':'n/a'}}",
      "+15550000002", "+15550000001", CC_PHONE_METADATA);

    /* a JSON integer; a number that is no integer literal is skipped */
    T("{'metadata':{'caller_phone':5550000004}}",
      NULL, "+15550000004", CC_PHONE_METADATA);

    T("{'metadata':{'caller_phone':5.550000004e9,'phone':['5550000005']}}",
      "5550000006", "+15550000006", CC_PHONE_HEADER);

    /* metadataSendMode "destructured": the fields at the top level */
    T("{'caller_phone':'+15550000007','messages':[]}",
      NULL, "+15550000007", CC_PHONE_METADATA);

    T("{'metadata':{'phone':'+15550000008'},'caller_phone':'+15550000007'}",
      NULL, "+15550000008", CC_PHONE_METADATA);

    /* phoneNumber is the assistant's own number: never the caller's */
    T("{'phoneNumber':{'number':'+15557654321'},'metadata':{}}",
      "tel:+1-555-000-0009", "+15550000009", CC_PHONE_HEADER);

    /* an invalid header falls through to the caller's words */
    T("{'messages':[{'role':'user','content':'555 010 0199'}]}",
      "unknown", "+15550100199", CC_PHONE_TEXT);

    T("{'messages':[{'role':'user','content':'555 010 0199'}]}",
      "", "+15550100199", CC_PHONE_TEXT);

    /* the latest user message first; other roles are not the caller */
    T("{'messages':["
      "{'role':'user','content':'It is 555 010 0111'},"
      "{'role':'assistant','content':'Is it 555 010 0122?'},"
      "{'role':'user','content':'No, five five five zero one zero zero "
      "one three three'},"
      "{'role':'assistant','content':'Thanks.'},"
      "{'role':'tool','tool_call_id':'t1','content':'555 010 0144'},"
      "{'role':'system','content':'555 010 0155'}]}",
      NULL, "+15550100133", CC_PHONE_TEXT);

    /* a latest message without a number: an earlier one has it */
    T("{'messages':["
      "{'role':'user','content':'My number is 555 010 0199'},"
      "{'role':'assistant','content':'How can I help?'},"
      "{'role':'user','content':'What is my card balance? I owe $1,200'}]}",
      NULL, "+15550100199", CC_PHONE_TEXT);

    /* a content array: text parts from the last backwards */
    T("{'messages':[{'role':'user','content':["
      "{'type':'text','text':'It is 555 010 0111'},"
      "{'type':'text','text':'or rather 555 010 0122'},"
      "{'type':'image_url','image_url':{'url':'555 010 0133'}},"
      "{'type':'input_audio','text':'555 010 0144'},"
      "{'type':'text','text':'thanks'},"
      "{'type':'text','text':42},"
      "{'text':'x'}]}]}",
      NULL, "+15550100122", CC_PHONE_TEXT);

    /* odd shapes are skipped, not trusted */
    T("{'messages':[{'role':'user'},{'role':'user','content':null},"
      "{'role':'user','content':{'text':'555 010 0199'}},"
      "{'role':['user'],'content':'555 010 0199'},"
      "{'content':'555 010 0199'},"
      "'555 010 0199',"
      "{'role':'user','content':[null,'555 010 0199',{'type':1}]}],"
      "'call':'+15551234567','customer':[],'metadata':'+15550000001'}",
      NULL, NULL, CC_PHONE_NONE);

    /* nothing anywhere */
    T("{'messages':[{'role':'user','content':'Hello'}]}",
      NULL, NULL, CC_PHONE_NONE);

    T("[1,2]", NULL, NULL, CC_PHONE_NONE);

    /* no body (not parsed): the header still counts */
    T(NULL, "+44 20 7946 0958", "+442079460958", CC_PHONE_HEADER);
    T(NULL, NULL, NULL, CC_PHONE_NONE);
}


#undef T


static void
test_no_memory(void)
{
    cc_str_t            out, cc, hdr;
    cc_json_t          *root;
    cc_test_arena_t     ar, dom;
    cc_phone_source_e   source;

    cc.len = 1;
    cc.data = (u_char *) "1";

    cc_test_arena_init(&dom);
    root = test_parse(&dom, "{'messages':[{'role':'user',"
                            "'content':'555 010 0199'}]}");

    cc_test_arena_init(&ar);
    ar.fail_after = 0;

    hdr.len = 10;
    hdr.data = (u_char *) "5550100199";

    EXPECT_INT(cc_phone_find(&ar.alloc, NULL, NULL, 0, &hdr, &cc, &out,
                             &source), CC_ERROR);
    EXPECT_INT(cc_phone_find(&ar.alloc, root, NULL, 0, NULL, &cc, &out,
                             &source), CC_ERROR);
    EXPECT_INT(source, CC_PHONE_NONE);

    /* nothing is allocated when there is no number */
    EXPECT_INT(cc_phone_find(&ar.alloc, test_said(&dom, "none", 4), NULL, 0,
                             NULL, &cc, &out, &source), CC_DONE);

    /* a found number costs one allocation */
    ar.fail_after = 1;
    EXPECT_INT(cc_phone_find(&ar.alloc, root, NULL, 0, NULL, &cc, &out,
                             &source), CC_OK);
    EXPECT_STR(out, "+15550100199");
    EXPECT_INT(source, CC_PHONE_TEXT);

    cc_test_arena_destroy(&ar);
    cc_test_arena_destroy(&dom);
}


static void
test_source_names(void)
{
    CHECK(strcmp(cc_phone_source_name(CC_PHONE_NONE), "none") == 0);
    CHECK(strcmp(cc_phone_source_name(CC_PHONE_CALL), "call") == 0);
    CHECK(strcmp(cc_phone_source_name(CC_PHONE_METADATA), "metadata") == 0);
    CHECK(strcmp(cc_phone_source_name(CC_PHONE_HEADER), "header") == 0);
    CHECK(strcmp(cc_phone_source_name(CC_PHONE_TEXT), "text") == 0);
    CHECK(strcmp(cc_phone_source_name((cc_phone_source_e) 99), "none")
          == 0);
}
