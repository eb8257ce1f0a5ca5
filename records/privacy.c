/* privacy.c - masks and pseudonyms of parties in records (privacy.h, docs/privacy.md). */
#include "privacy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

void ct_privacy_init(struct ct_privacy *p)
{
	memset(p, 0, sizeof(*p));
	p->mask_keep = 4;
	ct_devset_init(&p->clear);
}

void ct_privacy_wipe(struct ct_privacy *p)
{
	sodium_memzero(p->key, sizeof(p->key));
	p->have_key = false;
}

int ct_privacy_set_numbers(struct ct_privacy *p, const char *val, char *err, size_t errlen)
{
	if (strcmp(val, "clear") == 0)
		p->numbers = CT_PRIVACY_CLEAR;
	else if (strcmp(val, "mask") == 0)
		p->numbers = CT_PRIVACY_MASK;
	else if (strcmp(val, "pseudonymise") == 0 || strcmp(val, "pseudonymize") == 0)
		p->numbers = CT_PRIVACY_PSEUDONYMISE;
	else {
		snprintf(err, errlen, "'%.40s' is not clear, mask or pseudonymise", val);
		return CT_EINVAL;
	}
	return CT_OK;
}

int ct_privacy_set_dtmf(struct ct_privacy *p, const char *val, char *err, size_t errlen)
{
	if (strcmp(val, "mask") == 0)
		p->dtmf_clear = false;
	else if (strcmp(val, "clear") == 0)
		p->dtmf_clear = true;
	else {
		snprintf(err, errlen, "'%.40s' is not mask or clear", val);
		return CT_EINVAL;
	}
	return CT_OK;
}

/* ---- the site key -------------------------------------------------------------------------- */

#define KEY_HOWTO "make one with: (umask 077; head -c 32 /dev/urandom > FILE)"

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The key from the file's bytes: 32 raw bytes, or 64 hex digits and blanks after them. */
static bool key_parse(const uint8_t *b, size_t n, uint8_t key[CT_PRIVACY_KEY_LEN])
{
	if (n == CT_PRIVACY_KEY_LEN) {
		memcpy(key, b, n);
		return true;
	}
	while (n > 2 * CT_PRIVACY_KEY_LEN && (b[n - 1] == '\n' || b[n - 1] == '\r' || b[n - 1] == ' '))
		n--;
	if (n != 2 * CT_PRIVACY_KEY_LEN)
		return false;
	for (size_t i = 0; i < CT_PRIVACY_KEY_LEN; i++) {
		int hi = hexval(b[2 * i]), lo = hexval(b[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

int ct_privacy_load_key(struct ct_privacy *p, const char *path, char *err, size_t errlen)
{
	if (!path || !path[0]) {
		snprintf(err, errlen, "privacy.numbers=pseudonymise needs privacy.key_file (%s)", KEY_HOWTO);
		return CT_EINVAL;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot read privacy.key_file %s: %s (%s)", path, strerror(errno), KEY_HOWTO);
		return CT_ENOENT;
	}
	struct stat st;
	uint8_t b[2 * CT_PRIVACY_KEY_LEN + 8];
	size_t n = 0;
	int rc = CT_OK;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "privacy.key_file %s is not a regular file", path);
		rc = CT_EINVAL;
	} else if (st.st_mode & S_IRWXO) {
		/* with the key, every number's pseudonym can be computed: a dictionary of all numbers
		 * of a country reverses them */
		snprintf(err, errlen, "privacy.key_file %s is open to every user (mode %04o): chmod o= %s", path,
			 (unsigned)(st.st_mode & 07777), path);
		rc = CT_EPERM;
	} else {
		while (n < sizeof(b)) {
			ssize_t r = read(fd, b + n, sizeof(b) - n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				snprintf(err, errlen, "cannot read privacy.key_file %s: %s", path, strerror(errno));
				rc = CT_ENOENT;
				break;
			}
			if (r == 0)
				break;
			n += (size_t)r;
		}
	}
	close(fd);
	uint8_t key[CT_PRIVACY_KEY_LEN];
	if (rc == CT_OK && (!key_parse(b, n, key) || sodium_is_zero(key, sizeof(key)))) {
		snprintf(err, errlen, "privacy.key_file %s must hold 32 random bytes, or 64 hex digits (%s)", path,
			 KEY_HOWTO);
		rc = CT_EINVAL;
	}
	if (rc == CT_OK) {
		if (sodium_init() < 0) {
			snprintf(err, errlen, "libsodium did not initialise");
			rc = CT_EIO;
		} else {
			memcpy(p->key, key, sizeof(key));
			p->have_key = true;
		}
	}
	sodium_memzero(b, sizeof(b));
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* ---- output with a cap: what is put is whole or not at all --------------------------------- */

struct out {
	char *p;
	size_t len, cap; /* cap >= 1: room for the NUL */
	bool full;
};

static bool put(struct out *o, const void *b, size_t n)
{
	if (o->full || n > o->cap - 1 - o->len) {
		o->full = true;
		return false;
	}
	memcpy(o->p + o->len, b, n);
	o->len += n;
	return true;
}

static bool putc_(struct out *o, char c)
{
	return put(o, &c, 1);
}

/* ---- parties ------------------------------------------------------------------------------- */

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(uint8_t c)
{
	c = (uint8_t)(c | 0x20);
	return c >= 'a' && c <= 'z';
}

static bool is_alnum(uint8_t c)
{
	return is_digit(c) || is_alpha(c);
}

static bool is_hex(uint8_t c)
{
	return hexval(c) >= 0;
}

static bool istarts(const uint8_t *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((s[i] | 0x20) != lit[i])
			return false;
	return true;
}

/* The user part of a party value, as numbers.h step 1 takes it: inside <...> if there is one,
 * without a sip:, sips: or tel: scheme, up to the first @ ; ? > or : (a password). */
static void user_part(const uint8_t *s, size_t len, size_t *off, size_t *ulen)
{
	size_t b = 0, e = len;
	const uint8_t *lt = memchr(s, '<', len);
	if (lt) {
		b = (size_t)(lt - s) + 1;
		const uint8_t *gt = memchr(s + b, '>', len - b);
		e = gt ? (size_t)(gt - s) : len;
	}
	if (istarts(s + b, e - b, "sip:") || istarts(s + b, e - b, "tel:"))
		b += 4;
	else if (istarts(s + b, e - b, "sips:"))
		b += 5;
	for (size_t i = b; i < e; i++) {
		if (s[i] == '@' || s[i] == ';' || s[i] == '?' || s[i] == '>' || s[i] == ':') {
			e = i;
			break;
		}
	}
	*off = b;
	*ulen = e - b;
}

/* User names that identify nobody (RFC 3323 section 4.1.1.3 anonymous, and what carriers write
 * for a withheld or unknown caller): they stay, a dashboard counts them. */
static bool identifies_nobody(const uint8_t *u, size_t len)
{
	static const char *const names[] = { "anonymous", "unknown", "unavailable", "restricted", "private",
					     "withheld" };
	for (size_t i = 0; i < CT_ARRAY_SIZE(names); i++)
		if (len == strlen(names[i]) && istarts(u, len, names[i]))
			return true;
	return false;
}

/* `p:` and base32 (RFC 4648 alphabet, lower case) of the first 80 bits of BLAKE2b-128 keyed. */
static void pseudonym(const struct ct_privacy *p, const uint8_t *in, size_t len, char out[CT_PSEUDONYM_LEN])
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint8_t h[crypto_generichash_BYTES_MIN];
	crypto_generichash(h, sizeof(h), in, len, p->key, sizeof(p->key));
	out[0] = 'p';
	out[1] = ':';
	uint64_t acc = 0;
	unsigned bits = 0, k = 2;
	for (unsigned i = 0; i < 10; i++) {
		acc = acc << 8 | h[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[k++] = b32[(acc >> bits) & 31];
		}
	}
}

/* A canonical number c: `+`, the own country code, and the last keep digits (at most half of
 * those after the country code) shown; every other digit (or * #) a `*`. */
static void mask_number(const struct ct_privacy *p, const struct ct_numbers *n, const char *c, size_t len,
			struct out *o)
{
	size_t i = 0;
	if (c[0] == '+') {
		putc_(o, '+');
		i = 1;
		size_t cl = n ? strlen(n->country_code) : 0;
		if (cl && len > 1 + cl && memcmp(c + 1, n->country_code, cl) == 0) {
			put(o, c + 1, cl);
			i += cl;
		}
	}
	size_t rest = len - i, keep = CT_MIN((size_t)p->mask_keep, rest / 2);
	for (size_t k = 0; k < rest - keep; k++)
		putc_(o, '*');
	put(o, c + len - keep, keep);
}

/* A name, character by character (a UTF-8 sequence is one): the last keep (at most half) stay. */
static void mask_name(const struct ct_privacy *p, const uint8_t *s, size_t len, struct out *o)
{
	size_t nch = 0;
	for (size_t i = 0; i < len; i++)
		if (i == 0 || (s[i] & 0xC0) != 0x80)
			nch++;
	size_t keep = CT_MIN((size_t)p->mask_keep, nch / 2), ch = 0;
	for (size_t i = 0; i < len; i++) {
		if (i == 0 || (s[i] & 0xC0) != 0x80)
			ch++;
		if (ch + keep > nch) {
			put(o, s + i, len - i);
			return;
		}
		if (i == 0 || (s[i] & 0xC0) != 0x80)
			putc_(o, '*');
	}
}

/* What to show for the party s[0..len), appended to o whole or not at all. */
static void party_to(const struct ct_privacy *p, const struct ct_numbers *n, const uint8_t *s, size_t len,
		     struct out *o)
{
	if (!len)
		return;
	size_t saved = o->len;
	char z[CT_NUMBER_SCAN_MAX + 1];
	bool text = len <= CT_NUMBER_SCAN_MAX && !memchr(s, '\0', len);
	if (text) {
		memcpy(z, s, len);
		z[len] = '\0';
	}
	size_t uoff, ulen;
	user_part(s, len, &uoff, &ulen);
	if (!ct_privacy_on(p) || (text && ct_devset_has_number(&p->clear, n, z)) || identifies_nobody(s + uoff, ulen)) {
		put(o, s, len);
	} else {
		char canon[CT_NUMBER_NORM_MAX];
		size_t cl = 0;
		if (text)
			cl = n ? ct_number_norm(n, z, canon, sizeof(canon)) : ct_number_clean(z, canon, sizeof(canon));
		/* a name is its user part; a value with none (`<>`) is taken whole */
		const uint8_t *name = ulen ? s + uoff : s;
		size_t nlen = ulen ? ulen : len;
		if (p->numbers == CT_PRIVACY_PSEUDONYMISE && p->have_key) {
			char ps[CT_PSEUDONYM_LEN];
			if (cl)
				pseudonym(p, (const uint8_t *)canon, cl, ps);
			else
				pseudonym(p, name, nlen, ps);
			put(o, ps, sizeof(ps));
		} else if (cl) {
			mask_number(p, n, canon, cl, o);
		} else {
			mask_name(p, name, nlen, o);
		}
	}
	if (o->full)
		o->len = saved;
}

size_t ct_privacy_party(const struct ct_privacy *p, const struct ct_numbers *n, const uint8_t *s, size_t len,
			char *out, size_t cap)
{
	if (!cap)
		return 0;
	struct out o = { out, 0, cap, false };
	party_to(p, n, s, len, &o);
	out[o.len] = '\0';
	return o.len;
}

/* ---- free text ----------------------------------------------------------------------------- */

#define URI_USER_MAX 160 /* a longer user part is not taken for one */

/* A sip:, sips: or tel: scheme starting a word at s[i]: its length (4 or 5), else 0. */
static size_t scheme_at(const uint8_t *s, size_t len, size_t i, bool *tel)
{
	if (i > 0 && (is_alnum(s[i - 1]) || s[i - 1] == '+' || s[i - 1] == '.' || s[i - 1] == '-'))
		return 0;
	*tel = istarts(s + i, len - i, "tel:");
	if (*tel || istarts(s + i, len - i, "sip:"))
		return 4;
	return istarts(s + i, len - i, "sips:") ? 5 : 0;
}

/* The end of the user part of a URI whose scheme ends at b: a tel URI's number runs to its
 * parameters; a SIP URI has one only when an @ comes before the URI ends. 0 when none. */
static size_t uri_user_end(const uint8_t *s, size_t len, size_t b, bool tel)
{
	for (size_t k = b; k < len && k - b <= URI_USER_MAX; k++) {
		uint8_t c = s[k];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '<' || c == '>' || c == '"' || c == ',')
			return tel && k > b ? k : 0;
		if (tel && (c == ';' || c == '?' || c == '@'))
			return k > b ? k : 0;
		if (!tel && c == '@')
			return k > b ? k : 0;
	}
	return tel && len > b && len - b <= URI_USER_MAX ? len : 0;
}

/* True when the ':' at s[i] ends an address or a time (10.1.0.5:1040, [2001:db8::1]:5060,
 * fe80::1, 09:00): the word before it, looked at up to 64 bytes back, is made of hex digits,
 * '.', ':' and brackets and holds a digit, '.', ':' or ']'. */
static bool colon_after_address(const uint8_t *s, size_t i)
{
	bool mark = false;
	for (size_t k = i, n = 0; k > 0 && n < 64; k--, n++) {
		uint8_t c = s[k - 1];
		if (is_digit(c) || c == '.' || c == ':' || c == ']')
			mark = true;
		else if (!(is_hex(c) || c == '['))
			break;
	}
	return mark;
}

/* Digits s[b..e) that measure something or name a call rather than a party, as ctitap's own
 * details write them: followed by a blank and a unit of time or size (3000 ms, 1460 bytes), or
 * after the name of an id (CSTA call 0016, UCID 00005000011767607800, invoke 9999), which the
 * record also carries as it came (csta[].call_id, ucid). */
static bool not_a_party(const uint8_t *s, size_t len, size_t b, size_t e)
{
	static const char *const units[] = { "ms", "us", "s", "seconds", "bytes" };
	static const char *const ids[] = { "invoke ", "CSTA call ", "ACD call ", "UCID ", "globalCallLinkageID ",
					   "SIP dialog ", "monitor " };
	for (size_t k = 0; k < CT_ARRAY_SIZE(ids); k++) {
		size_t n = strlen(ids[k]);
		if (b >= n && memcmp(s + b - n, ids[k], n) == 0 && (b == n || !is_alnum(s[b - n - 1])))
			return true;
	}
	if (e >= len || s[e] != ' ')
		return false;
	for (size_t u = 0; u < CT_ARRAY_SIZE(units); u++) {
		size_t n = strlen(units[u]);
		if (istarts(s + e + 1, len - e - 1, units[u]) && (e + 1 + n == len || !is_alnum(s[e + 1 + n])))
			return true;
	}
	return false;
}

enum scan { SCAN_NUMBER, SCAN_NOT };

/* Is there a number starting at s[i]? On SCAN_NUMBER *end is where it ends; on SCAN_NOT *end
 * is how far the bytes can be copied as they are (past the digits that cannot start one). */
static enum scan number_at(const uint8_t *s, size_t len, size_t i, bool cut, size_t *end)
{
	size_t j = i;
	*end = i + 1;
	if (!is_digit(s[i]) && s[i] != '+' && s[i] != '%' && s[i] != '(')
		return SCAN_NOT;
	if (i > 0) {
		uint8_t c = s[i - 1];
		if (is_alnum(c) || c == '_' || (c == '.' && i >= 2 && is_digit(s[i - 2])) ||
		    (c == ':' && colon_after_address(s, i - 1)))
			goto not_here;
	}
	if (s[j] == '+')
		j++;
	else if (len - j >= 3 && s[j] == '%' && s[j + 1] == '2' && (s[j + 2] | 0x20) == 'b')
		j += 3;
	else if (s[j] == '(')
		j++;
	if (j >= len || !is_digit(s[j]))
		return SCAN_NOT;
	size_t digits = 0, last, first = j;
	bool plain = j == i; /* no +, %2B or ( in front, no separator inside */
	for (;;) {
		while (j < len && is_digit(s[j])) {
			j++;
			digits++;
		}
		last = j;
		if (j < len && (s[j] == '-' || s[j] == '(' || s[j] == ')')) {
			size_t k = j + 1;
			if (s[j] == ')' && k < len && s[k] == ' ')
				k++;
			if (k < len && is_digit(s[k])) {
				j = k;
				plain = false;
				continue;
			}
		}
		break;
	}
	*end = last;
	if (last < len) {
		uint8_t c = s[last];
		bool next_digit = last + 1 < len && is_digit(s[last + 1]);
		if (is_alpha(c) || c == '_' || (c == '.' && next_digit) ||
		    (c == ':' && last + 1 < len && (is_hex(s[last + 1]) || s[last + 1] == ':')))
			return SCAN_NOT; /* a word, a decimal, an IP address, an IPv6 address, a time */
	}
	if (plain && not_a_party(s, len, first, last))
		return SCAN_NOT;
	if (digits >= 4 || (cut && last == len))
		return SCAN_NUMBER;
	return SCAN_NOT;
not_here:
	/* inside a word or an address: its digits are copied, a later group may still be a number */
	if (is_digit(s[i]))
		while (*end < len && is_digit(s[*end]))
			(*end)++;
	return SCAN_NOT;
}

size_t ct_privacy_text(const struct ct_privacy *p, const struct ct_numbers *n, const uint8_t *s, size_t len,
		       bool cut, char *out, size_t cap, bool *short_out)
{
	*short_out = false;
	if (!cap)
		return 0;
	struct out o = { out, 0, cap, false };
	size_t i = 0;
	while (i < len && !o.full) {
		bool tel;
		size_t sl = scheme_at(s, len, i, &tel);
		if (sl) {
			size_t ue = uri_user_end(s, len, i + sl, tel);
			put(&o, s + i, sl);
			if (ue) {
				party_to(p, n, s + i + sl, ue - i - sl, &o);
				i = ue;
			} else {
				i += sl;
			}
			continue;
		}
		size_t end;
		if (number_at(s, len, i, cut, &end) == SCAN_NUMBER)
			party_to(p, n, s + i, end - i, &o);
		else
			put(&o, s + i, end - i);
		i = end;
	}
	*short_out = o.full;
	out[o.len] = '\0';
	return o.len;
}
