
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_PHONE_LEX_H_INCLUDED_
#define _CC_PHONE_LEX_H_INCLUDED_


/*
 * The caller's characters and words, as the phone units read them: ASCII
 * digits and letters, the separators a written number may have inside,
 * currency signs, the English words of the text scanner (cc_phone_scan.h)
 * and the amounts it must not take for digit groups.
 */


#include "cc_core.h"


#define cc_phone_digit(c)    ((c) >= '0' && (c) <= '9')
#define cc_phone_alpha(c)                                                   \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))


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


/*
 * a separator at p (< end): its length in bytes, or 0; *kind is ' ' for a
 * space, '-' for a dash, else the byte
 */
size_t cc_phone_separator(const u_char *p, const u_char *end, u_char *kind);

/* a currency sign at p (< end): its length in bytes, or 0 */
size_t cc_phone_currency(const u_char *p, const u_char *end);

/* the word p (len letters, any case) in the lists, or NULL */
const cc_phone_word_t *cc_phone_word(const u_char *p, size_t len);

/* the length of the word at p: letters, with apostrophes inside */
size_t cc_phone_word_len(const u_char *p, const u_char *end);

/*
 * The numeral p..q of the text start..end when it is an amount ("1,200",
 * "12.50", "20%", "300 dollars"): the end of the amount; else NULL.
 */
const u_char *cc_phone_amount(const u_char *start, const u_char *p,
    const u_char *q, const u_char *end);


#endif /* _CC_PHONE_LEX_H_INCLUDED_ */
