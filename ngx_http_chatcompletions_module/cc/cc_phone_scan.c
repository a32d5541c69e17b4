
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


/*
 * The text scanner reads the text once, left to right.  Digit groups
 * (numerals, digit words) joined by separators form a chain; a comma, a
 * full stop or a filler word splits a chain into pieces; anything else
 * ends it.  When a chain ends it is judged: the whole chain if it is a
 * phone number, else its last valid piece.  The last chain judged valid
 * wins.  A chain that follows an "account"-like word has its first piece
 * and its whole refused.
 */


#include <string.h>

#include "cc_phone_lex.h"
#include "cc_phone_scan.h"


/* how many ambiguous words ("oh", "one") may be dropped at either end */
#define CC_PHONE_AMB_MAX     2


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


size_t
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
