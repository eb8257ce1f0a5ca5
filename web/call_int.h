/* call_int.h - one call's page, inside: the model of the call that call_model.c builds from its
 * records, and what call_text.c (labels), call_svg.c (the ladder) and call_page.c (the page and
 * its tables) share. Internal to web/.
 *
 * Caps: view.max_messages arrows, MAX_LANES lanes (further hosts share the last lane), MAX_STREAMS
 * RTP bands, MAX_MARKS marks, MAX_REC_DEVICES recording columns; each cut is said on the page.
 */
#ifndef CT_WEB_CALL_INT_H
#define CT_WEB_CALL_INT_H

#include "view_int.h"

#define MAX_HOSTS 64
#define MAX_LANES 10
#define MAX_STREAMS 32
#define MAX_MARKS 64
#define MAX_DEVICES 64
#define MAX_HOLDS 64
#define MAX_INVITES 256
#define MAX_LINKS 8
#define MAX_REC_DEVICES 4
#define MAX_TABLE_ROWS 1000

#define ROW_H 24
#define TOP 74
#define SPAN_X0 70
#define SPAN_W 15
#define LANE_W 196

enum cview_role { R_CARRIER, R_PBX, R_PHONE, R_PBX_CTI, R_CTI_CLIENT, R_MEDIA, R_HOST, R_NONE };

struct cview_host {
	char ip[64];
	enum cview_role role;
	char dev[48];     /* a phone's device */
	bool cti_server;  /* server side of a CSTA link */
	bool cti_client;
	bool pbx_hint;
	unsigned first;   /* order of first appearance */
	int lane;
};

struct cview_rec {
	const struct vrec *r;
	json_t *j;
};

enum cview_row_kind { ROW_MSG, ROW_RTP, ROW_MARK };

struct cview_row {
	ct_time_t ts;
	uint64_t seq;
	enum cview_row_kind kind;
	unsigned idx;      /* recs (message, stream) or marks */
	int y;
};

struct cview_mark {
	ct_time_t ts;
	const char *cls;   /* "transfer", "conference", "diversion", "audit" */
	char text[240];    /* raw: escaped when written */
};

struct cview_interval {
	ct_time_t a, b;
	char who[48];
};

struct cview_model {
	const struct ct_view_cfg *cfg;
	const struct ventry *e;
	struct cview_rec *recs;
	unsigned n;
	const json_t *call;
	ct_time_t t0, t1, answer;
	bool has_answer;
	struct cview_host hosts[MAX_HOSTS];
	unsigned nhosts;
	bool hosts_full;          /* some host did not fit: it is in the "other hosts" lane */
	int lane_host[MAX_LANES]; /* host of each lane; -1: the other hosts */
	unsigned nlanes;
	unsigned other_lane_hosts;
	const char *devices[MAX_DEVICES];
	unsigned ndevices;
	const char *links[MAX_LINKS];     /* CTI links of the call's CSTA messages, in order */
	const char *link_enc[MAX_LINKS];
	unsigned nlinks;
	unsigned msgs_total, msgs_drawn, streams_total, streams_drawn;
	struct cview_row *rows;
	unsigned nrows;
	struct cview_mark marks[MAX_MARKS];
	unsigned nmarks, marks_cut;
	struct cview_interval holds[MAX_HOLDS];
	unsigned nholds;
	const char *rec_dev[MAX_REC_DEVICES];
	struct cview_interval recs_iv[MAX_HOLDS];
	int recs_col[MAX_HOLDS];
	unsigned nrec_dev, nrec_iv, rec_dev_cut;
	int lanes_x0;
	int height, width;
};

/* ---- small helpers ---- */

/* ---- call_model.c ---- */

int cview_model_build(struct cview_model *m, const struct ct_view_cfg *cfg, const struct ventry *e, struct ct_buf *tmp);
/* Frees what cview_model_build() allocated (not m). */
void cview_model_free(struct cview_model *m);
/* a and b both set and equal */
bool cview_streq(const char *a, const char *b);
/* "10.1.0.1:5060" -> "10.1.0.1", "[2001:db8::1]:5060" -> "2001:db8::1"; text without a port as is
 * (cut to size); "?" for NULL. */
void cview_addr_host(char *dst, size_t size, const char *addr);
/* The host of that address, or -1. */
int cview_host_find(const struct cview_model *m, const char *ip);
/* The index of a CTI link among the call's, or -1. */
int cview_link_index(const struct cview_model *m, const char *link);
/* A time field of o, or dflt when absent or not RFC 3339 as ctitap writes it. */
ct_time_t cview_jtime(const json_t *o, const char *key, ct_time_t dflt);
/* The y of a time on the spans' axis: the top of the first row at or after it. */
int cview_y_of(const struct cview_model *m, ct_time_t t);
/* An RTP stream's class, "q-good", "q-fair" or "q-bad" (static text), from its loss, jitter and
 * MOS; loss_pct, has_mos and mos are set. */
const char *cview_stream_quality(const json_t *j, double *loss_pct, bool *has_mos, double *mos);

/* ---- call_text.c: raw texts (the caller escapes them) and times ---- */

/* The CSS class of a lane's role (static text). */
const char *cview_role_class(enum cview_role r);
/* The lane's name: "PBX", "phone 2001", ... */
void cview_host_label(const struct cview_host *h, char *out, size_t size);
/* "09:00:03.617015" of an RFC 3339 time, escaped; the text as it is otherwise. */
void cview_put_hms(struct ct_buf *out, const char *ts);
/* "+3.617" seconds of t after t0 ("-" before). */
void cview_put_rel(struct ct_buf *out, ct_time_t t, ct_time_t t0);
/* An arrow's label: "INVITE 2000→0896407881", "180 Ringing", "delivered 2002 (alerting) [L1]". */
void cview_msg_label(struct ct_buf *b, const struct cview_model *m, const json_t *j);
/* A message's ids: its SIP Call-ID, or its CSTA call id and link. */
void cview_msg_ids(struct ct_buf *b, const json_t *j, bool for_title);
/* "RTP PCMU · 343 pkts · lost 0 (0.0%) · jitter 0.2 ms · MOS 4.30" */
void cview_stream_label(struct ct_buf *b, const json_t *j);

/* ---- call_svg.c ---- */

/* The ladder diagram of m (its lanes' x are set here), tmp a scratch buffer. */
void cview_draw_svg(struct ct_buf *out, struct cview_model *m, struct ct_buf *tmp);

#endif
