/* privs.h - giving up privileges once the capture is open (-Z USER, run.user), as tcpdump does.
 *
 * The order main follows:
 *   1. open the capture (needs CAP_NET_RAW), bind the monitoring socket, read its key files;
 *   2. ct_privs_drop_caps(), while this is the only thread (capabilities and no_new_privs are
 *      per thread, and librdkafka starts threads): no_new_privs set; a process that is not root
 *      but holds capabilities (file capabilities from setcap, systemd's AmbientCapabilities=)
 *      drops every one; root that is to become a user empties its bounding set;
 *   3. open the outputs; when root is to become USER, under USER's effective ids and groups
 *      (ct_privs_assume/ct_privs_resume), so files and the spool directory are USER's from the
 *      start and a directory USER cannot write is an error at start, not at the first rotation;
 *   4. ct_privs_become(): root becomes USER for good (supplementary groups, gid, uid; the
 *      bounding and ambient sets cleared) keeping no capability, and checks it cannot go back.
 * Memory: struct ct_privs is the caller's (main's, on its stack); the user name is copied into
 * it; nothing is allocated and no pointer passed in is kept.
 * Root without run.user stays root (told at -v).
 */
#ifndef CT_PRIVS_H
#define CT_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ct_privs {
	char user[64];
	uid_t uid;
	gid_t gid;
	bool change;  /* root (euid 0) and a user to become */
};

/* Looks the user up (name, or a number). user empty: nothing to become. Returns CT_OK,
 * CT_ENOENT (no such user) or CT_EPERM (not root and the user is another one: only root can
 * switch); err says why. */
int ct_privs_init(struct ct_privs *p, const char *user, char *err, size_t errlen);
/* Step 2. Returns CT_OK or CT_EPERM; err says why. */
int ct_privs_drop_caps(const struct ct_privs *p, char *err, size_t errlen);
/* Step 3: effective ids (and groups) of the user, and back to root. No-ops unless p->change. */
int ct_privs_assume(const struct ct_privs *p, char *err, size_t errlen);
int ct_privs_resume(const struct ct_privs *p, char *err, size_t errlen);
/* Step 4. No-op unless p->change. Returns CT_OK or CT_EPERM; err says why. */
int ct_privs_become(const struct ct_privs *p, char *err, size_t errlen);

#endif
