/* recorder_upkeep.c - the recorder's folder over time: at start-up the files a crash left (a
 * WAV header fixed to what was written, a pcap cut after its last whole record, anything else
 * marked .broken, each chained), the disk guard (record.min_free_mb, record.max_mb), and
 * retention by age, a bounded amount of work per tick. Policies: docs/recording.md. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../util/cursor.h"
#include "../util/log.h"
#include "recorder_int.h"

#define RETENTION_BATCH 64      /* files removed per tick */
#define RETENTION_EVERY_S 60    /* wall-clock seconds between looks for an old day */

/* ---- WAV header repair ---- */

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A RIFF/WAVE header as libsndfile writes it (RIFF, fmt, optional fact, data) fixed to a file
 * of file_size bytes: the data chunk takes whole frames of what is there. hdr holds the first
 * bytes of the file (cap of them); *hlen gets the data offset. Returns CT_EFORMAT when the
 * bytes are not such a header. */
int rec_wav_repair_header(uint8_t *hdr, size_t cap, uint64_t file_size, size_t *hlen, uint64_t *frames,
			  unsigned *rate)
{
	struct ct_cur c = ct_cur_make(hdr, cap);
	const uint8_t *riff = ct_cur_take(&c, 4);
	ct_cur_skip(&c, 4);
	const uint8_t *wave = ct_cur_take(&c, 4);
	if (c.err || memcmp(riff, "RIFF", 4) != 0 || memcmp(wave, "WAVE", 4) != 0)
		return CT_EFORMAT;
	size_t fact_at = 0, data_at = 0;
	unsigned block = 0, channels = 0;
	*rate = 0;
	while (!data_at) {
		size_t at = c.pos;
		const uint8_t *id = ct_cur_take(&c, 4);
		uint32_t size = ct_cur_le32(&c);
		if (c.err)
			return CT_EFORMAT;
		if (memcmp(id, "fmt ", 4) == 0) {
			struct ct_cur f = ct_cur_make(ct_cur_here(&c), ct_cur_avail(&c) < size ? ct_cur_avail(&c) : size);
			ct_cur_skip(&f, 2);
			channels = ct_cur_u8(&f) | (unsigned)ct_cur_u8(&f) << 8;
			*rate = ct_cur_le32(&f);
			ct_cur_skip(&f, 4);
			block = ct_cur_u8(&f) | (unsigned)ct_cur_u8(&f) << 8;
			if (f.err)
				return CT_EFORMAT;
		} else if (memcmp(id, "fact", 4) == 0) {
			fact_at = c.pos;
		} else if (memcmp(id, "data", 4) == 0) {
			data_at = at;
			break;
		}
		ct_cur_skip(&c, size + (size & 1));
	}
	if (!block || !channels || !*rate || c.err)
		return CT_EFORMAT;
	*hlen = data_at + 8;
	if (file_size < *hlen)
		return CT_EFORMAT;
	uint64_t data = (file_size - *hlen) / block * block;
	if (data > 0xffffffffu - *hlen)
		data = (0xffffffffu - *hlen) / block * block;
	*frames = data / block;
	put_le32(hdr + 4, (uint32_t)(*hlen - 8 + data));
	put_le32(hdr + data_at + 4, (uint32_t)data);
	if (fact_at && fact_at + 4 <= cap)
		put_le32(hdr + fact_at, (uint32_t)*frames);
	return CT_OK;
}

/* ---- start-up: what a crash left ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* The call id of a file name "<call>-<12 hex>[-n].<ext>...": for the chain entry. */
static void call_of_name(const char *name, char *call, size_t cap)
{
	size_t n = strcspn(name, ".");
	char base[REC_PATH_MAX];
	snprintf(base, sizeof(base), "%.*s", (int)n, name);
	char *dash = strrchr(base, '-');
	if (dash && dash[1] && strspn(dash + 1, "0123456789") == strlen(dash + 1) && strlen(dash + 1) < 3) {
		*dash = '\0'; /* an ordinal */
		dash = strrchr(base, '-');
	}
	if (dash && strlen(dash + 1) == 12)
		*dash = '\0';
	size_t bl = strlen(base) < cap - 1 ? strlen(base) : cap - 1;
	memcpy(call, base, bl);
	call[bl] = '\0';
}

static int hash_fd(struct ct_recorder *r, int fd, uint64_t size, char *hex)
{
	crypto_hash_sha256_state s;
	crypto_hash_sha256_init(&s);
	uint64_t off = 0;
	while (off < size) {
		size_t n = size - off < REC_SCRATCH ? (size_t)(size - off) : REC_SCRATCH;
		ssize_t k = pread(fd, r->scratch, n, (off_t)off);
		if (k <= 0)
			return ct_esys(k < 0 ? errno : EIO);
		crypto_hash_sha256_update(&s, r->scratch, (size_t)k);
		off += (uint64_t)k;
	}
	uint8_t d[32];
	crypto_hash_sha256_final(&s, d);
	rec_hex(d, 32, hex);
	return CT_OK;
}

/* A pcap cut short: keeps whole records. Returns the good length, 0 when not a pcap. */
static uint64_t pcap_good_length(struct ct_recorder *r, int fd, uint64_t size)
{
	uint8_t g[24];
	if (size < 24 || pread(fd, g, 24, 0) != 24)
		return 0;
	uint32_t magic = le32_at(g);
	bool swap;
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = false;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = true;
	else
		return 0;
	(void)r;
	uint64_t off = 24;
	uint8_t h[16];
	while (off + 16 <= size && pread(fd, h, 16, (off_t)off) == 16) {
		uint32_t incl = le32_at(h + 8);
		if (swap)
			incl = __builtin_bswap32(incl);
		if (incl > 262144 || off + 16 + incl > size)
			break;
		off += 16 + incl;
	}
	return off;
}

static void repair_one(struct ct_recorder *r, int dfd, const char *day, const char *name)
{
	char rel[REC_PATH_MAX + 16], final[REC_PATH_MAX + 8], call[80];
	snprintf(rel, sizeof(rel), "%s/%s", day, name);
	size_t n = strlen(name) - 5; /* without ".part" */
	snprintf(final, sizeof(final), "%.*s", (int)n, name);
	call_of_name(name, call, sizeof(call));
	struct ct_rec_file info;
	memset(&info, 0, sizeof(info));
	char relfinal[REC_PATH_MAX + 16];
	snprintf(relfinal, sizeof(relfinal), "%s/%s", day, final);
	info.call = call;
	info.path = relfinal;
	info.reason = "crash";
	bool repaired = false;
	int fd = openat(dfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	/* no packet time at start-up: the entry is dated by the file's last write, when the crash
	 * was (a replayed capture's files carry the replay's wall time there) */
	ct_time_t when = r->now;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (!when)
			when = (ct_time_t)st.st_mtim.tv_sec * CT_USEC_PER_SEC + (ct_time_t)st.st_mtim.tv_nsec / 1000;
		uint64_t size = (uint64_t)st.st_size;
		if (ends_with(final, ".wav")) {
			uint8_t hdr[REC_HDR_MAX];
			ssize_t k = pread(fd, hdr, sizeof(hdr), 0);
			size_t hlen = 0;
			uint64_t frames = 0;
			unsigned rate = 0;
			if (k > 0 && rec_wav_repair_header(hdr, (size_t)k, size, &hlen, &frames, &rate) == CT_OK &&
			    pwrite(fd, hdr, hlen, 0) == (ssize_t)hlen) {
				uint64_t good = hlen + (uint64_t)le32_at(hdr + hlen - 4);
				if (good < size && ftruncate(fd, (off_t)good) != 0)
					good = 0;
				if (good && hash_fd(r, fd, good, info.sha256) == CT_OK) {
					info.kind = CT_REC_FILE_AUDIO;
					info.format = "wav";
					info.bytes = good;
					info.duration_ms = rate ? frames * 1000 / rate : 0;
					repaired = true;
				}
			}
		} else if (ends_with(final, ".pcap")) {
			uint64_t good = pcap_good_length(r, fd, size);
			if (good && (good == size || ftruncate(fd, (off_t)good) == 0) &&
			    hash_fd(r, fd, good, info.sha256) == CT_OK) {
				info.kind = ends_with(final, ".rtp.pcap") ? CT_REC_FILE_PAYLOAD : CT_REC_FILE_EVIDENCE;
				info.format = "pcap";
				info.bytes = good;
				repaired = true;
			}
		}
		/* an encrypted file cannot be repaired here (the sensor holds no key): `ctitap
		 * decrypt --salvage` recovers what authenticates */
		if (repaired && fsync(fd) != 0)
			repaired = false;
	}
	if (fd >= 0)
		close(fd);
	if (!repaired) {
		snprintf(final + strlen(final), sizeof(final) - strlen(final), ".broken");
		snprintf(relfinal, sizeof(relfinal), "%s/%s", day, final);
	}
	if (rec_rename_noreplace(r, rel, final) != CT_OK) {
		ct_warn("recorder: cannot rename %s/%s to %s: %s", r->dir, rel, final, strerror(errno));
		return;
	}
	info.end = when;
	struct rec_entry e = { .ts = when,
			       .action = repaired ? "repaired" : "broken",
			       .call = call,
			       .reason = "crash",
			       .file = &info };
	rec_chain_append(r, &e, &info.chain);
	struct ct_rec_event ev = { .kind = repaired ? CT_REC_EV_REPAIRED : CT_REC_EV_BROKEN,
				   .ts = when,
				   .file = &info,
				   .call = call,
				   .reason = "crash",
				   .chain = &info.chain };
	if (repaired)
		r->st.repaired++;
	else
		r->st.broken++;
	ct_warn("recorder: %s/%s was left by a crash: %s", r->dir, rel, repaired ? "repaired" : "marked broken");
	rec_emit(r, &ev);
}

static void scan_day(const char *day, void *arg)
{
	struct ct_recorder *r = arg;
	int dfd = rec_day_open(r, day, false);
	if (dfd < 0)
		return;
	DIR *d = rec_opendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	/* names first, then repairs: a rename while reading the folder could be listed twice */
	char (*parts)[256] = NULL;
	size_t nparts = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		struct stat st;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (!S_ISREG(st.st_mode)) {
			if (S_ISLNK(st.st_mode))
				ct_warn("recorder: %s/%s/%s is a symlink: not followed", r->dir, day, e->d_name);
			continue;
		}
		r->disk_bytes += (uint64_t)st.st_size;
		if (!ends_with(e->d_name, ".part") || strlen(e->d_name) >= 256)
			continue;
		if (nparts == cap) {
			size_t nc = cap ? cap * 2 : 8;
			void *np = realloc(parts, nc * sizeof(*parts));
			if (!np)
				break;
			parts = np;
			cap = nc;
		}
		snprintf(parts[nparts++], 256, "%s", e->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < nparts; i++)
		repair_one(r, dfd, day, parts[i]);
	free(parts);
	close(dfd);
}

int rec_store_scan(struct ct_recorder *r)
{
	rec_walk_days(r->dirfd, scan_day, r);
	/* the chain folder counts too */
	DIR *d = rec_opendir(r->chaindirfd);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		struct stat st;
		if (fstatat(r->chaindirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			r->disk_bytes += (uint64_t)st.st_size;
	}
	if (d)
		closedir(d);
	return CT_OK;
}

/* ---- disk guard ---- */

void rec_store_guard(struct ct_recorder *r, ct_time_t now, bool force)
{
	uint64_t now_ms = now / 1000;
	if (!force && r->guard_checked_ms && now_ms < r->guard_checked_ms + 1000)
		return;
	r->guard_checked_ms = now_ms ? now_ms : 1;
	const char *why = NULL;
	bool clear = true;
	if (r->cfg.min_free_mb) {
		struct statvfs sv;
		if (fstatvfs(r->dirfd, &sv) == 0) {
			uint64_t free_b = (uint64_t)sv.f_bavail * sv.f_frsize;
			uint64_t min_b = (uint64_t)r->cfg.min_free_mb << 20;
			if (free_b < min_b)
				why = "min_free_mb";
			if (free_b < min_b + min_b / 20)
				clear = false; /* 5 % hysteresis before recording again */
		}
	}
	if (r->cfg.max_mb) {
		uint64_t max_b = (uint64_t)r->cfg.max_mb << 20;
		if (r->disk_bytes >= max_b)
			why = "max_mb";
		if (r->disk_bytes >= max_b - max_b / 20)
			clear = false;
	}
	if (why && !r->guard) {
		ct_warn("recorder: %s reached in %s: recording stops", why, r->dir);
		r->guard = true;
		rec_engine_stop_all(r, why, now);
	} else if (r->guard && clear) {
		ct_info("recorder: space in %s again: recording resumes for new calls", r->dir);
		r->guard = false;
	}
}

/* ---- retention ---- */

struct oldest {
	struct ct_recorder *r;
	char day[16];
	char cutoff[40];
};

/* The oldest day before the cutoff and after the last one emptied this round (a day that still
 * holds files being written is passed over until the next round). */
static void find_oldest(const char *day, void *arg)
{
	struct oldest *o = arg;
	if (strcmp(day, o->cutoff) < 0 && strcmp(day, o->r->retention_after) > 0 && (!o->day[0] || strcmp(day, o->day) < 0))
		snprintf(o->day, sizeof(o->day), "%s", day);
}

static void rmdir_parents(struct ct_recorder *r, const char *day)
{
	char p[16];
	snprintf(p, sizeof(p), "%s", day);
	(void)unlinkat(r->dirfd, p, AT_REMOVEDIR);
	p[7] = '\0';
	(void)unlinkat(r->dirfd, p, AT_REMOVEDIR); /* fails while the month holds other days */
	p[4] = '\0';
	(void)unlinkat(r->dirfd, p, AT_REMOVEDIR);
}

void rec_store_retention(struct ct_recorder *r)
{
	if (!r->cfg.retention_days)
		return;
	time_t now = r->cfg.wall_clock ? r->cfg.wall_clock() : time(NULL);
	if (!r->retention_busy) {
		if (now < r->retention_next)
			return;
		r->retention_next = now + RETENTION_EVERY_S;
		struct oldest o;
		memset(&o, 0, sizeof(o));
		o.r = r;
		time_t cut = now - (time_t)r->cfg.retention_days * 86400;
		struct tm tm;
		gmtime_r(&cut, &tm);
		snprintf(o.cutoff, sizeof(o.cutoff), "%04d/%02d/%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		rec_walk_days(r->dirfd, find_oldest, &o);
		if (!o.day[0]) {
			r->retention_after[0] = '\0'; /* the next round starts from the oldest again */
			return;
		}
		snprintf(r->retention_day, sizeof(r->retention_day), "%s", o.day);
		r->retention_busy = true;
		r->retention_files = 0;
	}
	int dfd = rec_day_open(r, r->retention_day, false);
	unsigned removed = 0, left = 0;
	if (dfd >= 0) {
		DIR *d = rec_opendir(dfd);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL && removed < RETENTION_BATCH) {
			if (e->d_name[0] == '.')
				continue;
			struct stat st;
			if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			if (ends_with(e->d_name, ".part")) {
				left++; /* still being written: left alone */
				continue;
			}
			if (unlinkat(dfd, e->d_name, 0) == 0) {
				removed++;
				if (S_ISREG(st.st_mode))
					r->disk_bytes -= (uint64_t)st.st_size < r->disk_bytes ? (uint64_t)st.st_size : r->disk_bytes;
			}
		}
		if (d)
			closedir(d);
		close(dfd);
	}
	r->retention_files += removed;
	r->st.retention_files += removed;
	if (removed == RETENTION_BATCH)
		return; /* more next tick */
	r->retention_busy = false;
	r->retention_next = 0; /* look for the next old day at once */
	snprintf(r->retention_after, sizeof(r->retention_after), "%s", r->retention_day);
	if (!left)
		rmdir_parents(r, r->retention_day);
	if (!r->retention_files)
		return; /* nothing was removed: nothing to say */
	struct rec_entry e = { .ts = r->now, .action = "retention", .day = r->retention_day, .files = r->retention_files };
	struct ct_rec_chain chain;
	rec_chain_append(r, &e, &chain);
	struct ct_rec_event ev = { .kind = CT_REC_EV_RETENTION,
				   .ts = r->now,
				   .reason = r->retention_day,
				   .files = r->retention_files,
				   .chain = &chain };
	rec_emit(r, &ev);
}
