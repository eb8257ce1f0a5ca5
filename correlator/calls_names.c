/* calls_names.c - one name for each device, however SIP and CTI write it (calls_int.h).
 *
 * Records name an agent's device by its extension, as CTI monitors it (2001), and a number by
 * its digits (+4917012345678). CTI may write the same device in a long form
 * (N<+4930344442001>;displayNumber=2001;noa=nk on OpenScape), SIP reaches it through its DDI
 * (+49 30 3444 42001) or a SIP user that is no number at all (0004f2a1b2c3, agent.smith).
 * What ctitap learns of a site, without being told:
 *  - a monitored device's long forms: CTI's event at the monitor of 2001 naming a number whose
 *    tail is 2001 says that number (the DDI) is 2001; from then on that number, wherever it
 *    comes from, is 2001. A number that merely ends in 2001 (a customer's) is not: only the
 *    learnt form is;
 *  - a SIP user's device: a SIP dialog that CTI showed reaching a device (by the UCID both
 *    carry, by the device CTI reported alerting on the dialog's only leg to a phone) names
 *    that device; from then on the user at that phone is that device, and the user alone is
 *    too, but not at another phone (two phones may register one account-style user).
 * Both tables are bounded (CALLS_NAMES entries each; when full the least recently learnt entry
 * goes, counted in calls_names_forgotten).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/log.h"
#include "calls_int.h"
#include "numbers.h"

struct alias {
	struct ct_hnode hn;        /* in its table, by what it names (the long form, the user) */
	struct alias *older, *newer; /* by when learnt */
	char from[CT_NUMBER_NORM_MAX > CT_CSTA_DEV ? CT_NUMBER_NORM_MAX : CT_CSTA_DEV];
	char dev[CT_CSTA_DEV];
	struct ct_addr host;       /* a SIP user alone: the phone it was learnt at */
	bool at_host;
};

struct names {
	struct ct_htab idx;
	struct alias pool[CALLS_NAMES];
	struct alias *free, *oldest, *newest;
	unsigned used;
};

int calls_names_init(struct ct_calls *t)
{
	t->names = calloc(1, sizeof(*t->names));
	if (!t->names)
		return CT_ENOMEM;
	if (ct_htab_init(&t->names->idx, CALLS_NAMES, CALLS_NAMES) != CT_OK) {
		free(t->names);
		return CT_ENOMEM;
	}
	return CT_OK;
}

void calls_names_free(struct ct_calls *t)
{
	if (!t->names)
		return;
	ct_htab_free(&t->names->idx);
	free(t->names);
}

static struct alias *alias_find(struct ct_calls *t, const char *from)
{
	uint64_t h = ct_hash(&t->key, from, strlen(from));
	for (struct ct_hnode *n = ct_htab_first(&t->names->idx, h); n; n = ct_htab_next(n)) {
		struct alias *a = CT_CONTAINER_OF(n, struct alias, hn);
		if (strcmp(a->from, from) == 0)
			return a;
	}
	return NULL;
}

static void unlink_age(struct names *nm, struct alias *a)
{
	if (a->older)
		a->older->newer = a->newer;
	else
		nm->oldest = a->newer;
	if (a->newer)
		a->newer->older = a->older;
	else
		nm->newest = a->older;
}

/* Learns that `from` (a long form, a SIP user) is device dev. */
/* Returns the entry (NULL: nothing to learn). */
static struct alias *learn(struct ct_calls *t, const char *from, const char *dev)
{
	struct names *nm = t->names;
	if (!from[0] || !dev[0] || strcmp(from, dev) == 0 || strlen(from) >= sizeof(nm->pool[0].from))
		return NULL;
	struct alias *a = alias_find(t, from);
	if (a) {
		unlink_age(nm, a);
	} else {
		if (nm->used < CALLS_NAMES) {
			a = &nm->pool[nm->used++];
		} else {
			a = nm->oldest; /* full: the least recently learnt goes */
			unlink_age(nm, a);
			ct_htab_del(&nm->idx, &a->hn);
			t->ctr->calls_names_forgotten++;
		}
		snprintf(a->from, sizeof(a->from), "%s", from);
		a->at_host = false;
		ct_htab_add(&nm->idx, &a->hn, ct_hash(&t->key, from, strlen(from)));
		t->ctr->calls_names_learnt++;
	}
	snprintf(a->dev, sizeof(a->dev), "%s", dev);
	a->older = nm->newest;
	a->newer = NULL;
	if (nm->newest)
		nm->newest->newer = a;
	else
		nm->oldest = a;
	nm->newest = a;
	return a;
}

const char *device_of(struct ct_calls *t, const char *user)
{
	if (calls_empty(user))
		return user;
	char c[CT_NUMBER_NORM_MAX];
	const char *key = ct_number_clean(user, c, sizeof(c)) ? c : user;
	const struct alias *a = alias_find(t, key);
	return a && a->dev[0] ? a->dev : user;
}

/* The key of a SIP user at the host it was reached at: "user@address". */
static const char *at_key(char *out, size_t cap, const char *user, const struct ct_addr *host)
{
	char ip[64];
	ct_addr_format(host, ip, sizeof(ip));
	if ((size_t)snprintf(out, cap, "%s@%s", user, ip) >= cap)
		return NULL;
	return out;
}

const char *device_at(struct ct_calls *t, const char *user, const struct ct_addr *host)
{
	if (calls_empty(user))
		return user;
	char c[CT_NUMBER_NORM_MAX], k[sizeof(((struct alias *)0)->from)];
	const char *plain = ct_number_clean(user, c, sizeof(c)) ? c : user; /* as learn_user keys it */
	const struct alias *a = host && at_key(k, sizeof(k), plain, host) ? alias_find(t, k) : NULL;
	if (a)
		return a->dev;
	/* a user learnt at another phone is not known at this one: two phones may register one
	 * account-style user (agent.smith on a desk phone and a softphone, two sites' 2001) */
	a = alias_find(t, plain);
	if (!a || !a->dev[0] || (host && a->at_host && memcmp(&a->host, host, sizeof(*host))))
		return user;
	return a->dev;
}

void learn_user(struct ct_calls *t, const char *user, const char *dev, const struct ct_addr *host)
{
	char c[CT_NUMBER_NORM_MAX], k[sizeof(((struct alias *)0)->from)];
	if (calls_empty(user) || calls_empty(dev))
		return;
	const char *plain = ct_number_clean(user, c, sizeof(c)) ? c : user;
	if (ct_log_get_level() >= CT_LOG_DEBUG && strcmp(plain, dev))
		ct_log(CT_LOG_DEBUG, "names: SIP user %s is device %s", plain, dev);
	if (host && at_key(k, sizeof(k), plain, host))
		learn(t, k, dev);
	/* the user alone names the device while no other device was seen answering to it (a user
	 * registered on several phones, a shared line: then only user@host does) */
	struct alias *a = alias_find(t, plain);
	if (a && a->dev[0] && strcmp(a->dev, dev)) {
		a->dev[0] = '\0';
	} else if (!a && (a = learn(t, plain, dev)) && host) {
		a->host = *host;
		a->at_host = true;
	}
}

/* Two callers both known as numbers that are not the same party: a dialog reaching a device
 * through a number (a DDI) from one caller is not the call another caller placed to it. */
bool callers_differ(const char *a, const char *b)
{
	char x[CT_NUMBER_NORM_MAX], y[CT_NUMBER_NORM_MAX];
	if (!ct_number_clean(a, x, sizeof(x)) || !ct_number_clean(b, y, sizeof(y)))
		return false; /* withheld, anonymous, a name: nothing to compare */
	if (strlen(x) < 6 || strlen(y) < 6)
		return false; /* an extension on one side: a B2BUA's own naming */
	return !ct_number_tail_same(x, y, 6);
}

/* One device field of a CSTA message, named as records name it. */
static void name_one(struct ct_calls *t, char *field, size_t cap, const char *monitored)
{
	char c[CT_NUMBER_NORM_MAX];
	if (!field[0] || !ct_number_clean(field, c, sizeof(c)))
		return; /* not a number (a trunk T001, a device agent7): as CTI wrote it */
	if (monitored && monitored[0] && strcmp(c, monitored) != 0 && ct_number_tail_same(c, monitored, 4)) {
		/* CTI's own long form of the device its monitor watches */
		learn(t, c, monitored);
		snprintf(field, cap, "%s", monitored);
		return;
	}
	const struct alias *a = alias_find(t, c);
	snprintf(field, cap, "%s", a ? a->dev : c);
}

void csta_names(struct ct_calls *t, struct ct_csta_msg *m, const char *monitored)
{
	/* the monitor's own device fields teach its long form; a caller's number that merely ends
	 * like the monitored extension is not it */
	name_one(t, m->subject, sizeof(m->subject), monitored);
	name_one(t, m->conn.device, sizeof(m->conn.device), monitored);
	name_one(t, m->conn2.device, sizeof(m->conn2.device), NULL);
	name_one(t, m->calling, sizeof(m->calling), NULL);
	name_one(t, m->called, sizeof(m->called), NULL);
	name_one(t, m->other, sizeof(m->other), NULL);
}
