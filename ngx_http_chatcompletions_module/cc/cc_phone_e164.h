
/*
 * Copyright (C) ngx_http_chatcompletions_module authors
 */


#ifndef _CC_PHONE_E164_H_INCLUDED_
#define _CC_PHONE_E164_H_INCLUDED_


/*
 * One number as written, to E.164 ("+15550100199").
 *
 * National numbers get the configured default country calling code:
 *
 *     "1" (NANP)    10 digits with an area code that starts with 2-9
 *                   become +1XXXXXXXXXX; 11 digits starting with 1 get
 *                   the '+'; "011" is the international prefix;
 *     other codes   a single trunk '0' is dropped ("020 7946 0958" with
 *                   "44" becomes +442079460958); a number that already
 *                   starts with the code and has at least 7 digits after
 *                   it gets the '+'; otherwise the code is prepended.
 *
 * A leading '+', "plus" or "00" makes a number international.  E.164
 * numbers have 7 to 15 digits; country codes never start with 0.
 */


#include "cc_phone_lex.h"


/* the digits of an E.164 number, without the '+' */
#define CC_PHONE_MIN_DIGITS  7
#define CC_PHONE_MAX_DIGITS  15

/* written digits kept: "011" + 15 digits + dropped words + slack */
#define CC_PHONE_BUF         24

/* '+', 15 digits, NUL */
#define CC_PHONE_E164_BUF    (CC_PHONE_MAX_DIGITS + 2)


typedef struct {
    u_char                    d[3];
    size_t                    n;          /* 0: national numbers refused */
} cc_phone_cc_t;


/* the default country calling code s (NULL: none) into cc */
void cc_phone_cc_init(cc_phone_cc_t *cc, const cc_str_t *s);

/*
 * The n digits d as written, international or not (intl), to E.164 in
 * buf (CC_PHONE_E164_BUF bytes, NUL-terminated); returns its length with
 * the '+', or 0 when the digits are no phone number.
 */
size_t cc_phone_e164(const cc_phone_cc_t *cc, int intl, const u_char *d,
    size_t n, u_char *buf);

/*
 * One candidate (call data, metadata, a header): the whole of p is one
 * number, or none; E.164 in buf as cc_phone_e164()
 */
size_t cc_phone_parse(const cc_phone_cc_t *cc, const u_char *p, size_t len,
    u_char *buf);


#endif /* _CC_PHONE_E164_H_INCLUDED_ */
