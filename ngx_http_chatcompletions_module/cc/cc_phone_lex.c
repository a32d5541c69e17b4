
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The caller's characters and words, classified: separators inside a
 * number, currency signs, the word lists, amounts.
 */


#include <string.h>

#include "cc_phone_lex.h"


/* the longest word compared with the word lists */
#define CC_PHONE_WORD_MAX    16


static int cc_phone_is_unit(const u_char *p, const u_char *end);


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


/*
 * A separator inside a number: space, tab, - . ( ) /, no-break and thin
 * spaces, Unicode hyphens and dashes (word processors and some engines
 * write "555–010–0199").  Returns its length in bytes; kind is ' ' for a
 * space, '-' for any dash, else the character.
 */
size_t
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
size_t
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


const cc_phone_word_t *
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
size_t
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
const u_char *
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
