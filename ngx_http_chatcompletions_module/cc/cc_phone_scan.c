
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#include <string.h>

#include "cc_phone.h"


/*
 * Candidates are checked in stack buffers and only a number found valid
 * is copied into the arena: a lookup can then fail for want of memory
 * only, never half-way through a candidate.
 *
 * The text scanner reads the text once, left to right.  Digit groups
 * (numerals, digit words) joined by separators form a chain; a comma, a
 * full stop or a filler word splits a chain into pieces; anything else
 * ends it.  When a chain ends it is judged: the whole chain if it is a
 * phone number, else its last valid piece.  The last chain judged valid
 * wins.  A chain that follows an "account"-like word has its first piece
 * and its whole refused.
 */


/* written digits kept: "011" + 15 digits + dropped words + slack */
#define CC_PHONE_BUF         24

/* '+', 15 digits, NUL */
#define CC_PHONE_E164_BUF    (CC_PHONE_MAX_DIGITS + 2)

/* the longest word compared with the word lists */
#define CC_PHONE_WORD_MAX    16

/* how many ambiguous words ("oh", "one") may be dropped at either end */
#define CC_PHONE_AMB_MAX     2

#define cc_phone_digit(c)    ((c) >= '0' && (c) <= '9')
#define cc_phone_alpha(c)                                                   \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))


typedef struct {
    u_char                    d[3];
    size_t                    n;          /* 0: national numbers refused */
} cc_phone_cc_t;


/* a chain or one of its pieces */
typedef struct {
    u_char                    digits[CC_PHONE_BUF];
    size_t                    n;          /* digits seen, may exceed BUF */
    size_t                    lead_amb;   /* leading "oh"/"o"/"one" words */
    size_t                    trail_amb;  /* trailing ones */
    unsigned                  plus:1;
} cc_phone_run_t;


typedef struct {
    cc_phone_cc_t             cc;

    cc_phone_run_t            whole;
    cc_phone_run_t            piece;
    u_char                    piece_best[CC_PHONE_E164_BUF];
    size_t                    piece_best_len;

    u_char                    best[CC_PHONE_E164_BUF];
    size_t                    best_len;

    /* the shape of the chain's first groups, to tell dates */
    size_t                    ngroups;
    size_t                    glen[3];
    u_char                    gsep[2];

    /* separator bytes since the last group, and the last one */
    size_t                    nsep;
    u_char                    sep;

    unsigned                  open:1;     /* a chain is open */
    unsigned                  numerals:1; /* its groups are all numerals */
    unsigned                  soft:1;     /* a comma or filler since the
                                             last group */
    unsigned                  plus:1;     /* '+' or "plus" just before */
    unsigned                  deny:1;     /* an "account"-like word leads
                                             up to here */
    unsigned                  chain_deny:1;
    unsigned                  first_piece:1;
    unsigned                  currency:1; /* a currency sign just before */
} cc_phone_scan_t;


typedef enum {
    CC_PHONE_W_OTHER = 0,
    CC_PHONE_W_DIGIT,
    CC_PHONE_W_REPEAT,      /* double, triple */
    CC_PHONE_W_PLUS,
    CC_PHONE_W_FILLER,
    CC_PHONE_W_DENY,
    CC_PHONE_W_CONNECTOR
} cc_phone_word_e;


typedef struct {
    const char               *word;
    cc_phone_word_e           kind;
    u_char                    value;      /* DIGIT: the digit;
                                             REPEAT: the count */
    unsigned                  amb:1;      /* DIGIT: often not a digit */
} cc_phone_word_t;


static void cc_phone_cc_init(cc_phone_cc_t *cc, const cc_str_t *s);
static size_t cc_phone_e164(const cc_phone_cc_t *cc, int intl,
    const u_char *d, size_t n, u_char *buf);
static size_t cc_phone_parse(const cc_phone_cc_t *cc, const u_char *p,
    size_t len, u_char *buf);
static int cc_phone_copy(cc_alloc_t *a, const u_char *buf, size_t len,
    cc_str_t *out);
static size_t cc_phone_separator(const u_char *p, const u_char *end,
    u_char *kind);
static size_t cc_phone_currency(const u_char *p, const u_char *end);
static const cc_phone_word_t *cc_phone_word(const u_char *p, size_t len);
static size_t cc_phone_word_len(const u_char *p, const u_char *end);
static int cc_phone_is_unit(const u_char *p, const u_char *end);
static const u_char *cc_phone_amount(const u_char *start, const u_char *p,
    const u_char *q, const u_char *end);
static void cc_phone_scan(cc_phone_scan_t *s, const u_char *p, size_t len);
static const u_char *cc_phone_scan_digits(cc_phone_scan_t *s,
    const u_char *start, const u_char *p, const u_char *end, int currency);
static const u_char *cc_phone_scan_word(cc_phone_scan_t *s, const u_char *p,
    const u_char *end);
static const u_char *cc_phone_scan_repeat(cc_phone_scan_t *s,
    const cc_phone_word_t *w, const u_char *q, const u_char *end);
static const u_char *cc_phone_scan_other(cc_phone_scan_t *s,
    const u_char *p, const u_char *end, int currency);
static void cc_phone_group(cc_phone_scan_t *s, const u_char *d, size_t n,
    int numeral, int amb);
static void cc_phone_run_add(cc_phone_run_t *r, const u_char *d, size_t n,
    int amb);
static size_t cc_phone_run_e164(const cc_phone_scan_t *s,
    const cc_phone_run_t *r, u_char *buf);
static void cc_phone_piece_end(cc_phone_scan_t *s);
static void cc_phone_chain_end(cc_phone_scan_t *s);
static void cc_phone_chain_break(cc_phone_scan_t *s);
static int cc_phone_is_date(const cc_phone_scan_t *s);
static size_t cc_phone_text(const cc_phone_cc_t *cc, const u_char *p,
    size_t len, u_char *buf);
static size_t cc_phone_value(const cc_phone_cc_t *cc, const cc_json_t *v,
    u_char *buf);
static size_t cc_phone_messages(const cc_phone_cc_t *cc,
    const cc_json_t *messages, u_char *buf);
static const cc_json_t *cc_phone_member(const cc_json_t *obj,
    const cc_str_t *name);


/*
 * English only, as speech-to-text engines write them.  "oh", "o" and
 * "one" are ambiguous ("oh, it's...", "one more thing"): a chain that is
 * no number with them may be tried without them at its ends.
 */
static const cc_phone_word_t  cc_phone_words[] = {
    { "zero", CC_PHONE_W_DIGIT, '0', 0 },
    { "oh", CC_PHONE_W_DIGIT, '0', 1 },
    { "o", CC_PHONE_W_DIGIT, '0', 1 },
    { "nought", CC_PHONE_W_DIGIT, '0', 0 },
    { "naught", CC_PHONE_W_DIGIT, '0', 0 },
    { "one", CC_PHONE_W_DIGIT, '1', 1 },
    { "two", CC_PHONE_W_DIGIT, '2', 0 },
    { "three", CC_PHONE_W_DIGIT, '3', 0 },
    { "four", CC_PHONE_W_DIGIT, '4', 0 },
    { "five", CC_PHONE_W_DIGIT, '5', 0 },
    { "six", CC_PHONE_W_DIGIT, '6', 0 },
    { "seven", CC_PHONE_W_DIGIT, '7', 0 },
    { "eight", CC_PHONE_W_DIGIT, '8', 0 },
    { "nine", CC_PHONE_W_DIGIT, '9', 0 },

    { "double", CC_PHONE_W_REPEAT, 2, 0 },
    { "triple", CC_PHONE_W_REPEAT, 3, 0 },

    { "plus", CC_PHONE_W_PLUS, 0, 0 },

    { "uh", CC_PHONE_W_FILLER, 0, 0 },
    { "uhm", CC_PHONE_W_FILLER, 0, 0 },
    { "um", CC_PHONE_W_FILLER, 0, 0 },
    { "umm", CC_PHONE_W_FILLER, 0, 0 },
    { "er", CC_PHONE_W_FILLER, 0, 0 },
    { "erm", CC_PHONE_W_FILLER, 0, 0 },
    { "ah", CC_PHONE_W_FILLER, 0, 0 },
    { "hmm", CC_PHONE_W_FILLER, 0, 0 },

    /*
     * A banking caller also says account, card and other numbers: a
     * number that follows one of these (through connector words only)
     * is not taken for the phone number a tool would look up.
     */
    { "account", CC_PHONE_W_DENY, 0, 0 },
    { "acct", CC_PHONE_W_DENY, 0, 0 },
    { "card", CC_PHONE_W_DENY, 0, 0 },
    { "ending", CC_PHONE_W_DENY, 0, 0 },
    { "pin", CC_PHONE_W_DENY, 0, 0 },
    { "ssn", CC_PHONE_W_DENY, 0, 0 },
    { "social", CC_PHONE_W_DENY, 0, 0 },
    { "security", CC_PHONE_W_DENY, 0, 0 },
    { "routing", CC_PHONE_W_DENY, 0, 0 },
    { "iban", CC_PHONE_W_DENY, 0, 0 },
    { "swift", CC_PHONE_W_DENY, 0, 0 },
    { "sort", CC_PHONE_W_DENY, 0, 0 },
    { "reference", CC_PHONE_W_DENY, 0, 0 },
    { "ref", CC_PHONE_W_DENY, 0, 0 },
    { "confirmation", CC_PHONE_W_DENY, 0, 0 },
    { "order", CC_PHONE_W_DENY, 0, 0 },
    { "policy", CC_PHONE_W_DENY, 0, 0 },
    { "member", CC_PHONE_W_DENY, 0, 0 },
    { "tracking", CC_PHONE_W_DENY, 0, 0 },
    { "transaction", CC_PHONE_W_DENY, 0, 0 },
    { "loan", CC_PHONE_W_DENY, 0, 0 },
    { "id", CC_PHONE_W_DENY, 0, 0 },
    { "zip", CC_PHONE_W_DENY, 0, 0 },
    { "postcode", CC_PHONE_W_DENY, 0, 0 },

    { "is", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "was", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "are", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "number", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "no", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "num", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "nr", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "in", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "on", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "with", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "my", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "the", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "of", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "a", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "an", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "its", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "it's", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "that", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "which", CC_PHONE_W_CONNECTOR, 0, 0 },
    { "ends", CC_PHONE_W_CONNECTOR, 0, 0 },

    { NULL, CC_PHONE_W_OTHER, 0, 0 }
};


/* words after a number that make it an amount */
static const char  *cc_phone_units[] = {
    "dollar", "dollars", "buck", "bucks", "cent", "cents", "percent",
    "euro", "euros", "pound", "pounds", "pence", "usd", "eur", "gbp",
    NULL
};


int
cc_phone_find(cc_alloc_t *a, const cc_json_t *root,
    const cc_str_t *metadata_names, size_t nnames,
    const cc_str_t *header_value, const cc_str_t *default_cc, cc_str_t *out,
    cc_phone_source_e *source)
{
    size_t             i, n;
    u_char             buf[CC_PHONE_E164_BUF];
    cc_phone_cc_t      cc;
    const cc_json_t   *v, *metadata;
    cc_phone_source_e  src;

    out->len = 0;
    out->data = NULL;
    *source = CC_PHONE_NONE;

    cc_phone_cc_init(&cc, default_cc);

    n = 0;
    src = CC_PHONE_NONE;

    if (root != NULL && root->type == CC_JSON_OBJECT) {

        v = cc_json_get(cc_json_get(cc_json_get(root, "call"), "customer"),
                        "number");
        n = cc_phone_value(&cc, v, buf);

        if (n == 0) {
            v = cc_json_get(cc_json_get(root, "customer"), "number");
            n = cc_phone_value(&cc, v, buf);
        }

        if (n) {
            src = CC_PHONE_CALL;
        }

        /*
         * the metadata object, then the top level, where Vapi's
         * metadataSendMode "destructured" spreads the same fields
         */

        metadata = cc_json_get(root, "metadata");

        for (i = 0; n == 0 && i < 2 * nnames; i++) {
            n = cc_phone_value(&cc,
                               cc_phone_member(i < nnames ? metadata : root,
                                               &metadata_names[i % nnames]),
                               buf);
        }

        if (src == CC_PHONE_NONE && n) {
            src = CC_PHONE_METADATA;
        }
    }

    if (n == 0 && header_value != NULL && header_value->len
        && header_value->data != NULL)
    {
        n = cc_phone_parse(&cc, header_value->data, header_value->len, buf);

        if (n) {
            src = CC_PHONE_HEADER;
        }
    }

    if (n == 0 && root != NULL && root->type == CC_JSON_OBJECT) {
        n = cc_phone_messages(&cc, cc_json_get(root, "messages"), buf);

        if (n) {
            src = CC_PHONE_TEXT;
        }
    }

    if (n == 0) {
        return CC_DONE;
    }

    if (cc_phone_copy(a, buf, n, out) != CC_OK) {
        return CC_ERROR;
    }

    *source = src;

    return CC_OK;
}


const char *
cc_phone_source_name(cc_phone_source_e s)
{
    switch (s) {

    case CC_PHONE_CALL:
        return "call";

    case CC_PHONE_METADATA:
        return "metadata";

    case CC_PHONE_HEADER:
        return "header";

    case CC_PHONE_TEXT:
        return "text";

    default:
        return "none";
    }
}


/* "1", "+44", "353"; anything else refuses national numbers */
static void
cc_phone_cc_init(cc_phone_cc_t *cc, const cc_str_t *s)
{
    size_t         i, len;
    const u_char  *p;

    cc->n = 0;

    if (s == NULL || s->data == NULL) {
        return;
    }

    p = s->data;
    len = s->len;

    if (len && p[0] == '+') {
        p++;
        len--;
    }

    if (len == 0 || len > 3 || p[0] == '0') {
        return;
    }

    for (i = 0; i < len; i++) {
        if (!cc_phone_digit(p[i])) {
            return;
        }

        cc->d[i] = p[i];
    }

    cc->n = len;
}


/*
 * The digits as written (d, n) to E.164 in buf; returns its length with
 * the '+', or 0 when the digits are no phone number.
 */
static size_t
cc_phone_e164(const cc_phone_cc_t *cc, int intl, const u_char *d, size_t n,
    u_char *buf)
{
    size_t  pre;

    if (n > CC_PHONE_BUF) {
        return 0;
    }

    if (!intl) {

        if (n >= 2 && d[0] == '0' && d[1] == '0') {
            intl = 1;
            d += 2;
            n -= 2;

        } else if (cc->n == 1 && cc->d[0] == '1'
                   && n >= 3 && d[0] == '0' && d[1] == '1' && d[2] == '1')
        {
            /* NANP's international prefix; no NANP number starts with 0 */
            intl = 1;
            d += 3;
            n -= 3;
        }
    }

    if (intl) {
        if (n < CC_PHONE_MIN_DIGITS || n > CC_PHONE_MAX_DIGITS
            || d[0] == '0')
        {
            return 0;
        }

        buf[0] = '+';
        memcpy(buf + 1, d, n);
        buf[n + 1] = '\0';

        return n + 1;
    }

    if (cc->n == 0 || n < CC_PHONE_MIN_DIGITS) {
        return 0;
    }

    if (cc->n == 1 && cc->d[0] == '1') {

        /*
         * NANP numbers have exactly 10 digits and area codes start with
         * 2-9, which tells "1 555 010 0199" from a mistyped number
         */

        if (n == 11 && d[0] == '1') {
            d++;
            n--;
        }

        if (n != 10 || d[0] < '2') {
            return 0;
        }

        pre = 1;

    } else if (d[0] == '0') {
        /* a trunk prefix, as in most of Europe: 020 -> +44 20 */
        d++;
        n--;
        pre = cc->n;

    } else if (n >= cc->n + CC_PHONE_MIN_DIGITS
               && memcmp(d, cc->d, cc->n) == 0)
    {
        pre = 0;

    } else {
        pre = cc->n;
    }

    if (pre + n > CC_PHONE_MAX_DIGITS || pre + n < CC_PHONE_MIN_DIGITS) {
        return 0;
    }

    buf[0] = '+';
    memcpy(buf + 1, cc->d, pre);
    memcpy(buf + 1 + pre, d, n);
    buf[1 + pre + n] = '\0';

    return 1 + pre + n;
}


/* one candidate from call data, metadata or a header */
static size_t
cc_phone_parse(const cc_phone_cc_t *cc, const u_char *p, size_t len,
    u_char *buf)
{
    int            intl;
    size_t         n, k;
    u_char         kind, digits[CC_PHONE_BUF];
    const u_char  *end;

    if (p == NULL) {
        return 0;
    }

    end = p + len;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    /* RFC 3966, as some telephony gateways pass the caller on */
    if (end - p >= 4 && (p[0] | 0x20) == 't' && (p[1] | 0x20) == 'e'
        && (p[2] | 0x20) == 'l' && p[3] == ':')
    {
        p += 4;
    }

    intl = 0;
    n = 0;

    while (p < end) {

        if (cc_phone_digit(*p)) {
            if (n < CC_PHONE_BUF) {
                digits[n] = *p;
            }

            n++;
            p++;
            continue;
        }

        /* "+44 (0)20 7946 0958": the trunk prefix dialled at home */
        if (intl && n && end - p >= 3 && p[0] == '(' && p[1] == '0'
            && p[2] == ')')
        {
            p += 3;
            continue;
        }

        k = cc_phone_separator(p, end, &kind);
        if (k) {
            p += k;
            continue;
        }

        if (*p == '+' && n == 0 && !intl) {
            intl = 1;
            p++;
            continue;
        }

        if (n == 0 && !intl && end - p >= 4
            && (p[0] | 0x20) == 'p' && (p[1] | 0x20) == 'l'
            && (p[2] | 0x20) == 'u' && (p[3] | 0x20) == 's'
            && (end - p == 4 || !cc_phone_alpha(p[4])))
        {
            intl = 1;
            p += 4;
            continue;
        }

        return 0;
    }

    return cc_phone_e164(cc, intl, digits, n, buf);
}


static int
cc_phone_copy(cc_alloc_t *a, const u_char *buf, size_t len, cc_str_t *out)
{
    u_char  *p;

    p = cc_alloc(a, len + 1);
    if (p == NULL) {
        return CC_ERROR;
    }

    memcpy(p, buf, len);
    p[len] = '\0';

    out->len = len;
    out->data = p;

    return CC_OK;
}


/*
 * A separator inside a number: space, tab, - . ( ) /, no-break and thin
 * spaces, Unicode hyphens and dashes (word processors and some engines
 * write "555–010–0199").  Returns its length in bytes; kind is ' ' for a
 * space, '-' for any dash, else the character.
 */
static size_t
cc_phone_separator(const u_char *p, const u_char *end, u_char *kind)
{
    switch (*p) {

    case ' ':
    case '\t':
        *kind = ' ';
        return 1;

    case '-':
    case '.':
    case '(':
    case ')':
    case '/':
        *kind = *p;
        return 1;

    case 0xc2:
        /* U+00A0 no-break space */
        if (end - p >= 2 && p[1] == 0xa0) {
            *kind = ' ';
            return 2;
        }

        return 0;

    case 0xe2:
        if (end - p < 3) {
            return 0;
        }

        /* U+2000..U+200A spaces, U+202F narrow no-break space */
        if (p[1] == 0x80 && (p[2] <= 0x8a || p[2] == 0xaf)
            && p[2] >= 0x80)
        {
            *kind = ' ';
            return 3;
        }

        /* U+2010..U+2015 hyphens and dashes, U+2212 minus */
        if ((p[1] == 0x80 && p[2] >= 0x90 && p[2] <= 0x95)
            || (p[1] == 0x88 && p[2] == 0x92))
        {
            *kind = '-';
            return 3;
        }

        return 0;

    case 0xe3:
        /* U+3000 ideographic space */
        if (end - p >= 3 && p[1] == 0x80 && p[2] == 0x80) {
            *kind = ' ';
            return 3;
        }

        return 0;

    default:
        return 0;
    }
}


/* $, pound, yen, euro and rupee signs: the length, or 0 */
static size_t
cc_phone_currency(const u_char *p, const u_char *end)
{
    if (*p == '$') {
        return 1;
    }

    if (end - p >= 2 && p[0] == 0xc2 && (p[1] == 0xa3 || p[1] == 0xa5)) {
        return 2;
    }

    if (end - p >= 3 && p[0] == 0xe2 && p[1] == 0x82
        && (p[2] == 0xac || p[2] == 0xb9))
    {
        return 3;
    }

    return 0;
}


static const cc_phone_word_t *
cc_phone_word(const u_char *p, size_t len)
{
    size_t                  i;
    u_char                  w[CC_PHONE_WORD_MAX];
    const cc_phone_word_t  *t;

    if (len >= CC_PHONE_WORD_MAX) {
        return NULL;
    }

    for (i = 0; i < len; i++) {
        w[i] = (u_char) (p[i] | (cc_phone_alpha(p[i]) ? 0x20 : 0));
    }

    w[len] = '\0';

    for (t = cc_phone_words; t->word; t++) {
        if (strcmp((const char *) w, t->word) == 0) {
            return t;
        }
    }

    return NULL;
}


/* letters, with apostrophes inside ("it's") */
static size_t
cc_phone_word_len(const u_char *p, const u_char *end)
{
    const u_char  *q;

    q = p;

    while (q < end) {

        if (cc_phone_alpha(*q)) {
            q++;
            continue;
        }

        if (*q == '\'' && q > p && end - q >= 2 && cc_phone_alpha(q[1])) {
            q++;
            continue;
        }

        break;
    }

    return q - p;
}


/* is the next word (after spaces) a currency or percent word */
static int
cc_phone_is_unit(const u_char *p, const u_char *end)
{
    size_t         i, n;
    const u_char  *w;
    const char   **u;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (p < end && *p == '%') {
        return 1;
    }

    w = p;
    n = cc_phone_word_len(w, end);

    if (n == 0) {
        return 0;
    }

    for (u = cc_phone_units; *u; u++) {

        if (strlen(*u) != n) {
            continue;
        }

        for (i = 0; i < n; i++) {
            if ((w[i] | 0x20) != (u_char) (*u)[i]) {
                break;
            }
        }

        if (i == n) {
            return 1;
        }
    }

    return 0;
}


/*
 * A numeral p..q that is an amount rather than a digit group: thousands
 * separators ("1,200", but not "555,010,0199"), decimals ("12.50", but
 * not the "56.78" of "06.12.34.56.78"), or a unit word or '%' after it.
 * Returns the end of the amount, or NULL.
 */
static const u_char *
cc_phone_amount(const u_char *start, const u_char *p, const u_char *q,
    const u_char *end)
{
    size_t         k;
    const u_char  *r, *t;

    r = q;

    if (q - p <= 3 && !(p > start && p[-1] == ',')) {

        for ( ;; ) {
            if (!(end - r >= 4 && r[0] == ',' && cc_phone_digit(r[1])
                  && cc_phone_digit(r[2]) && cc_phone_digit(r[3])
                  && (end - r == 4 || !cc_phone_digit(r[4]))))
            {
                break;
            }

            r += 4;
        }

        if (r > q && end - r >= 2 && r[0] == ',' && cc_phone_digit(r[1])) {
            /* ",0199" after "555,010": digit groups, not thousands */
            r = q;
        }
    }

    if (end - r >= 2 && r[0] == '.' && cc_phone_digit(r[1])
        && !(p > start && p[-1] == '.'))
    {
        t = r + 1;
        k = 0;

        while (t < end && cc_phone_digit(*t)) {
            t++;
            k++;
        }

        if (k <= 2 && (t == end || *t != '.')) {
            r = t;
        }
    }

    if (r > q) {
        return r;
    }

    if (cc_phone_is_unit(q, end)) {
        return q;
    }

    return NULL;
}


static size_t
cc_phone_text(const cc_phone_cc_t *cc, const u_char *p, size_t len,
    u_char *buf)
{
    cc_phone_scan_t  s;

    if (p == NULL) {
        return 0;
    }

    memset(&s, 0, sizeof(cc_phone_scan_t));
    s.cc = *cc;

    cc_phone_scan(&s, p, len);

    if (s.best_len) {
        memcpy(buf, s.best, s.best_len + 1);
    }

    return s.best_len;
}


static void
cc_phone_scan(cc_phone_scan_t *s, const u_char *p, size_t len)
{
    int            currency;
    const u_char  *start, *end;

    start = p;
    end = p + len;

    while (p < end) {

        /* a currency sign reaches over spaces only */
        currency = s->currency;
        s->currency = 0;

        if (cc_phone_digit(*p)) {
            p = cc_phone_scan_digits(s, start, p, end, currency);

        } else if (cc_phone_alpha(*p)) {
            p = cc_phone_scan_word(s, p, end);

        } else {
            p = cc_phone_scan_other(s, p, end, currency);
        }
    }

    cc_phone_chain_end(s);
}


/* a run of digits at p: a group of the chain, or an amount that ends it */
static const u_char *
cc_phone_scan_digits(cc_phone_scan_t *s, const u_char *start,
    const u_char *p, const u_char *end, int currency)
{
    const u_char  *q, *r;

    for (q = p; q < end && cc_phone_digit(*q); q++) {
        /* void */
    }

    r = cc_phone_amount(start, p, q, end);

    if (r == NULL && currency) {
        r = q;
    }

    /* "1st", "A12", "20k": not digits of a phone number */
    if (r == NULL && ((p > start && cc_phone_alpha(p[-1]))
                      || (q < end && cc_phone_alpha(*q))))
    {
        r = q;
    }

    if (r) {
        cc_phone_chain_end(s);
        return r;
    }

    cc_phone_group(s, p, q - p, 1, 0);

    return q;
}


/* a word at p: a digit, "double", "plus", a filler, "account", ... */
static const u_char *
cc_phone_scan_word(cc_phone_scan_t *s, const u_char *p, const u_char *end)
{
    size_t                  k;
    const u_char           *q;
    const cc_phone_word_t  *w;

    k = cc_phone_word_len(p, end);
    w = cc_phone_word(p, k);
    q = p + k;

    if (w == NULL) {
        cc_phone_chain_break(s);
        return q;
    }

    switch (w->kind) {

    case CC_PHONE_W_DIGIT:
        cc_phone_group(s, &w->value, 1, 0, w->amb);
        break;

    case CC_PHONE_W_REPEAT:
        q = cc_phone_scan_repeat(s, w, q, end);
        break;

    case CC_PHONE_W_PLUS:
        cc_phone_chain_break(s);
        s->plus = 1;
        break;

    case CC_PHONE_W_FILLER:
        if (s->open) {
            s->soft = 1;
        }

        break;

    case CC_PHONE_W_DENY:
        cc_phone_chain_end(s);
        s->deny = 1;
        break;

    case CC_PHONE_W_CONNECTOR:
        cc_phone_chain_end(s);
        break;

    default:
        cc_phone_chain_break(s);
        break;
    }

    return q;
}


/* "double five", "triple 0" after the word w, which ends at q; else an
 * ordinary word */
static const u_char *
cc_phone_scan_repeat(cc_phone_scan_t *s, const cc_phone_word_t *w,
    const u_char *q, const u_char *end)
{
    u_char                  c, d[3];
    size_t                  k, i;
    const u_char           *r;
    const cc_phone_word_t  *w2;

    for (r = q; r < end && *r == ' '; r++) {
        /* void */
    }

    c = 0;
    k = 0;

    if (r < end && cc_phone_digit(*r)
        && (end - r == 1
            || (!cc_phone_digit(r[1]) && !cc_phone_alpha(r[1]))))
    {
        c = *r;
        k = 1;

    } else if (r < end && cc_phone_alpha(*r)) {
        k = cc_phone_word_len(r, end);
        w2 = cc_phone_word(r, k);

        if (w2 != NULL && w2->kind == CC_PHONE_W_DIGIT) {
            c = w2->value;

        } else {
            k = 0;
        }
    }

    if (k == 0) {
        cc_phone_chain_break(s);
        return q;
    }

    for (i = 0; i < w->value; i++) {
        d[i] = c;
    }

    cc_phone_group(s, d, w->value, 0, 0);

    return r + k;
}


/* anything else at p: a separator, a currency sign, punctuation */
static const u_char *
cc_phone_scan_other(cc_phone_scan_t *s, const u_char *p, const u_char *end,
    int currency)
{
    u_char  c, kind;
    size_t  k;

    c = *p;

    /* "+44 (0)20 7946 0958": the trunk prefix dialled at home */
    if (c == '(' && s->open && s->whole.plus && end - p >= 3
        && p[1] == '0' && p[2] == ')')
    {
        return p + 3;
    }

    /* a dot followed by a digit separates groups; else it ends */
    if (c != '.' || (end - p >= 2 && cc_phone_digit(p[1]))) {

        k = cc_phone_separator(p, end, &kind);

        if (k) {
            if (kind == ' ') {
                s->currency = currency;
            }

            if (s->open) {
                s->nsep++;
                s->sep = kind;
            }

            return p + k;
        }
    }

    k = cc_phone_currency(p, end);

    if (k) {
        cc_phone_chain_break(s);
        s->currency = 1;
        return p + k;
    }

    switch (c) {

    case '.':
    case ',':
        /*
         * a comma, or a full stop as engines put between spoken
         * groups ("five five five. zero one zero."), may split one
         * number; a word after it ends the chain anyway
         */
        if (s->open) {
            s->soft = 1;

        } else {
            s->deny = 0;
        }

        break;

    case '+':
        cc_phone_chain_end(s);
        s->plus = 1;
        break;

    case ':':
    case '#':
        /* "account: 2345678901" still follows "account" */
        cc_phone_chain_end(s);
        break;

    default:
        /* "?", "!", other punctuation, other scripts */
        cc_phone_chain_break(s);
        break;
    }

    return p + 1;
}


static void
cc_phone_group(cc_phone_scan_t *s, const u_char *d, size_t n, int numeral,
    int amb)
{
    if (!s->open) {
        memset(&s->whole, 0, sizeof(cc_phone_run_t));
        memset(&s->piece, 0, sizeof(cc_phone_run_t));

        s->whole.plus = s->plus;
        s->piece.plus = s->plus;
        s->piece_best_len = 0;
        s->ngroups = 0;
        s->open = 1;
        s->numerals = 1;
        s->chain_deny = s->deny;
        s->first_piece = 1;

    } else if (s->soft) {
        cc_phone_piece_end(s);
        memset(&s->piece, 0, sizeof(cc_phone_run_t));
        s->first_piece = 0;
    }

    if (s->ngroups < 3) {
        s->glen[s->ngroups] = n;

        if (s->ngroups) {
            /* one plain separator: the '/' of "03/15/2024", not " / " */
            s->gsep[s->ngroups - 1] = (s->nsep == 1 && !s->soft) ? s->sep
                                                                  : ' ';
        }
    }

    if (s->ngroups < 4) {
        s->ngroups++;
    }

    if (!numeral) {
        s->numerals = 0;
    }

    cc_phone_run_add(&s->whole, d, n, amb);
    cc_phone_run_add(&s->piece, d, n, amb);

    s->plus = 0;
    s->soft = 0;
    s->nsep = 0;
}


static void
cc_phone_run_add(cc_phone_run_t *r, const u_char *d, size_t n, int amb)
{
    size_t  i;

    if (amb && r->lead_amb == r->n) {
        r->lead_amb += n;
    }

    r->trail_amb = amb ? r->trail_amb + n : 0;

    for (i = 0; i < n; i++) {
        if (r->n < CC_PHONE_BUF) {
            r->digits[r->n] = d[i];
        }

        r->n++;
    }
}


/*
 * The run as it is, else without up to two ambiguous words at either
 * end: "oh, five five five..." and "...nine nine one more thing"
 */
static size_t
cc_phone_run_e164(const cc_phone_scan_t *s, const cc_phone_run_t *r,
    u_char *buf)
{
    size_t  lead, trail, nl, nt, len;

    if (r->n == 0 || r->n > CC_PHONE_BUF) {
        return 0;
    }

    lead = r->lead_amb < CC_PHONE_AMB_MAX ? r->lead_amb : CC_PHONE_AMB_MAX;
    trail = r->trail_amb < CC_PHONE_AMB_MAX ? r->trail_amb
                                            : CC_PHONE_AMB_MAX;

    for (nl = 0; nl <= lead; nl++) {

        /* "+" belongs to the first digit said */
        if (nl && r->plus) {
            break;
        }

        for (nt = 0; nt <= trail; nt++) {

            if (nl + nt >= r->n) {
                break;
            }

            len = cc_phone_e164(&s->cc, r->plus, r->digits + nl,
                                r->n - nl - nt, buf);
            if (len) {
                return len;
            }
        }
    }

    return 0;
}


static void
cc_phone_piece_end(cc_phone_scan_t *s)
{
    size_t  len;
    u_char  buf[CC_PHONE_E164_BUF];

    /* "card ending 4821, 555 010 0199": only the first piece is denied */
    if (s->chain_deny && s->first_piece) {
        return;
    }

    len = cc_phone_run_e164(s, &s->piece, buf);

    if (len) {
        memcpy(s->piece_best, buf, len + 1);
        s->piece_best_len = len;
    }
}


static void
cc_phone_chain_end(cc_phone_scan_t *s)
{
    size_t  len;
    u_char  buf[CC_PHONE_E164_BUF];

    s->plus = 0;
    s->soft = 0;
    s->nsep = 0;

    if (!s->open) {
        return;
    }

    s->open = 0;
    s->deny = 0;

    if (cc_phone_is_date(s)) {
        return;
    }

    cc_phone_piece_end(s);

    len = s->chain_deny ? 0 : cc_phone_run_e164(s, &s->whole, buf);

    if (len) {
        memcpy(s->best, buf, len + 1);
        s->best_len = len;

    } else if (s->piece_best_len) {
        memcpy(s->best, s->piece_best, s->piece_best_len + 1);
        s->best_len = s->piece_best_len;
    }
}


/*
 * Something that is no part of a number and leads to none: the chain
 * ends, and an "account"-like word before reaches no further.
 */
static void
cc_phone_chain_break(cc_phone_scan_t *s)
{
    cc_phone_chain_end(s);
    s->deny = 0;
}


/* 03/15/2024, 15.03.24, 2024-03-15 */
static int
cc_phone_is_date(const cc_phone_scan_t *s)
{
    const size_t  *g;

    if (s->ngroups != 3 || !s->numerals || s->gsep[0] != s->gsep[1]
        || (s->gsep[0] != '/' && s->gsep[0] != '.' && s->gsep[0] != '-'))
    {
        return 0;
    }

    g = s->glen;

    if (g[0] <= 2 && g[1] <= 2 && (g[2] == 2 || g[2] == 4)) {
        return 1;
    }

    return g[0] == 4 && g[1] <= 2 && g[2] <= 2;
}


/* a string, or a JSON integer literal ("15550100199" unquoted) */
static size_t
cc_phone_value(const cc_phone_cc_t *cc, const cc_json_t *v, u_char *buf)
{
    size_t  i;

    if (v == NULL || v->str.data == NULL) {
        return 0;
    }

    if (v->type == CC_JSON_NUMBER) {
        for (i = 0; i < v->str.len; i++) {
            if (!cc_phone_digit(v->str.data[i])) {
                return 0;
            }
        }

    } else if (v->type != CC_JSON_STRING) {
        return 0;
    }

    return cc_phone_parse(cc, v->str.data, v->str.len, buf);
}


/* the latest user message first: callers correct themselves */
static size_t
cc_phone_messages(const cc_phone_cc_t *cc, const cc_json_t *messages,
    u_char *buf)
{
    size_t            i, j, n;
    const cc_json_t  *m, *role, *content, *part, *type, *text;

    if (messages == NULL || messages->type != CC_JSON_ARRAY) {
        return 0;
    }

    for (i = messages->n; i > 0; i--) {

        m = messages->values[i - 1];
        role = cc_json_get(m, "role");

        if (role == NULL || role->type != CC_JSON_STRING
            || role->str.len != 4 || memcmp(role->str.data, "user", 4) != 0)
        {
            continue;
        }

        content = cc_json_get(m, "content");

        if (content == NULL) {
            continue;
        }

        if (content->type == CC_JSON_STRING) {
            n = cc_phone_text(cc, content->str.data, content->str.len, buf);
            if (n) {
                return n;
            }

            continue;
        }

        if (content->type != CC_JSON_ARRAY) {
            continue;
        }

        for (j = content->n; j > 0; j--) {

            part = content->values[j - 1];
            type = cc_json_get(part, "type");
            text = cc_json_get(part, "text");

            if (type != NULL
                && (type->type != CC_JSON_STRING || type->str.len != 4
                    || memcmp(type->str.data, "text", 4) != 0))
            {
                continue;
            }

            if (text == NULL || text->type != CC_JSON_STRING) {
                continue;
            }

            n = cc_phone_text(cc, text->str.data, text->str.len, buf);
            if (n) {
                return n;
            }
        }
    }

    return 0;
}


/* cc_json_get() for a name that is not NUL-terminated */
static const cc_json_t *
cc_phone_member(const cc_json_t *obj, const cc_str_t *name)
{
    size_t  i;

    if (obj == NULL || obj->type != CC_JSON_OBJECT || name->data == NULL) {
        return NULL;
    }

    /* the last duplicate wins, as in cc_json_get() */
    for (i = obj->n; i > 0; i--) {
        if (obj->keys[i - 1].len == name->len
            && memcmp(obj->keys[i - 1].data, name->data, name->len) == 0)
        {
            return obj->values[i - 1];
        }
    }

    return NULL;
}
