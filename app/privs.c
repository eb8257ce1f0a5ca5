/* privs.c - -Z USER: the steps privs.h describes, through libcap-ng. */
#define _GNU_SOURCE /* getresuid, getresgid */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cap-ng.h>

#include "../util/ct.h"
#include "../util/log.h"

int ct_privs_init(struct ct_privs *p, const char *user, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (!user || !user[0])
		return CT_OK;
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		char *end;
		errno = 0;
		unsigned long id = strtoul(user, &end, 10);
		if (!*end && end != user && !errno)
			pw = getpwuid((uid_t)id);
	}
	if (!pw) {
		snprintf(err, errlen, "run.user: no such user '%s'", user);
		return CT_ENOENT;
	}
	snprintf(p->user, sizeof(p->user), "%s", pw->pw_name);
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	if (geteuid() == 0) {
		p->change = p->uid != 0;
		return CT_OK;
	}
	if (p->uid != getuid()) {
		snprintf(err, errlen, "run.user: only root can become '%s' (ctitap runs as uid %u)", p->user,
			 (unsigned)getuid());
		return CT_EPERM;
	}
	return CT_OK; /* already that user: only capabilities to drop */
}

/* True when the calling thread holds no capability, effective, permitted or ambient. */
static bool no_caps_left(void)
{
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
		return false;
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
			return false;
	return true;
}

int ct_privs_drop_caps(const struct ct_privs *p, char *err, size_t errlen)
{
	if (geteuid() == 0 && !p->change)
		return CT_OK; /* stays root */
	/* from here no exec can gain a privilege; set while this is the only thread, so that
	 * every thread started later (librdkafka's) has it too */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(errno));
		return CT_EPERM;
	}
	if (capng_get_caps_process() != 0) {
		snprintf(err, errlen, "cannot read the process's capabilities: %s", strerror(errno));
		return CT_EPERM;
	}
	if (geteuid() == 0) {
		/* root becoming a user: the bounding set is per thread too, so it is emptied now, before
		 * the outputs start threads; root keeps what it holds until ct_privs_become() */
		capng_clear(CAPNG_SELECT_BOUNDS);
		if (capng_apply(CAPNG_SELECT_BOUNDS) != 0) {
			snprintf(err, errlen, "cannot clear the capability bounding set: %s", strerror(errno));
			return CT_EPERM;
		}
		return CT_OK;
	}
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE && no_caps_left())
		return CT_OK;
	if (capng_get_caps_process() != 0) {
		snprintf(err, errlen, "cannot read the process's capabilities: %s", strerror(errno));
		return CT_EPERM;
	}
	/* the bounding set needs CAP_SETPCAP to change, which file capabilities rarely give: it
	 * limits only what an exec could gain, and ctitap execs nothing */
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_apply(CAPNG_SELECT_CAPS) != 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
		return CT_EPERM;
	}
	if (!no_caps_left()) {
		snprintf(err, errlen, "capabilities still held after dropping them");
		return CT_EPERM;
	}
	return CT_OK;
}

int ct_privs_assume(const struct ct_privs *p, char *err, size_t errlen)
{
	if (!p->change)
		return CT_OK;
	if (initgroups(p->user, p->gid) != 0 || setegid(p->gid) != 0 || seteuid(p->uid) != 0) {
		snprintf(err, errlen, "cannot act as user %s: %s", p->user, strerror(errno));
		return CT_EPERM;
	}
	return CT_OK;
}

int ct_privs_resume(const struct ct_privs *p, char *err, size_t errlen)
{
	if (!p->change)
		return CT_OK;
	if (seteuid(0) != 0 || setegid(0) != 0) {
		snprintf(err, errlen, "cannot return to root after opening the outputs: %s", strerror(errno));
		return CT_EPERM;
	}
	return CT_OK;
}

int ct_privs_become(const struct ct_privs *p, char *err, size_t errlen)
{
	if (!p->change)
		return CT_OK;
	if (capng_get_caps_process() != 0) {
		snprintf(err, errlen, "cannot read the process's capabilities: %s", strerror(errno));
		return CT_EPERM;
	}
	/* nothing kept: libcap-ng's state is cleared before the change, so after setresuid the
	 * process has no capability; the bounding and ambient sets are cleared while CAP_SETPCAP is
	 * still there. The other threads (librdkafka's) lose theirs in setresuid itself: glibc
	 * changes every thread's ids, and the kernel clears a thread's capabilities when all its
	 * uids leave 0 (only the caller asked to keep them, and keeps none). */
	capng_clear(CAPNG_SELECT_ALL);
	int rc = capng_change_id((int)p->uid, (int)p->gid, CAPNG_INIT_SUPP_GRP | CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT);
	if (rc != 0) {
		snprintf(err, errlen, "cannot become user %s (uid %u, gid %u): %s (libcap-ng step %d)", p->user,
			 (unsigned)p->uid, (unsigned)p->gid, strerror(errno), -rc);
		return CT_EPERM;
	}
	/* check, rather than trust: the ids are the user's, root cannot be had back, and no
	 * capability is left */
	uid_t r, e, s;
	gid_t rg, eg, sg;
	if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0 || r != p->uid || e != p->uid || s != p->uid ||
	    rg != p->gid || eg != p->gid || sg != p->gid) {
		snprintf(err, errlen, "user %s: the ids did not change as asked", p->user);
		return CT_EPERM;
	}
	if (setuid(0) == 0 || setgid(0) == 0) {
		/* should be impossible: end now rather than run with root within reach */
		ct_err("privileges: root could be regained after becoming %s; stopping", p->user);
		abort();
	}
	if (!no_caps_left()) {
		snprintf(err, errlen, "capabilities still held after becoming %s", p->user);
		return CT_EPERM;
	}
	return CT_OK;
}
