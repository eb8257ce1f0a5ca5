/* view_render.c - the live call view without the HTTP endpoint: feeds a store through the
 * view's output (ct_view_sink_ops, as the pipeline's outputs would) with the records of
 * JSON-lines files, then renders the given paths as ct_view_render() answers them.
 *
 *   view_render OUTDIR FILE.jsonl... -- PATH...
 *
 * Each PATH ("index.html", "calls/<id>.html", "index.html?disp=busy") is written to OUTDIR/PATH
 * with '?', '&' and '=' made '_' (and ".html" added after a query); "STATUS PATH CONTENT-TYPE"
 * goes to stdout. The test compares the pages
 * with ctitap --html's, byte for byte. Plain JSON lines only (the test writes them). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../web/view.h"

static enum ct_rec_type type_of(const char *s)
{
	for (int t = 0; t < CT_REC_NTYPES; t++)
		if (s && strcmp(s, ct_rec_type_name((enum ct_rec_type)t)) == 0)
			return (enum ct_rec_type)t;
	return CT_REC_NTYPES;
}

static int feed(void *st, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return 1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		json_error_t e;
		json_t *j = json_loadb(line, (size_t)n, 0, &e);
		if (!j)
			continue;
		/* what the pipeline hands every output: type and call id beside the bytes */
		const json_t *t = json_object_get(j, "type"), *c = json_object_get(j, "call");
		struct ct_record r = {
			.type = type_of(json_string_value(t)),
			.json = line,
			.len = (size_t)n,
			.key = json_is_string(c) ? json_string_value(c) : NULL,
		};
		if (r.type != CT_REC_NTYPES)
			ct_view_sink_ops.write(st, &r);
		json_decref(j);
	}
	free(line);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: view_render OUTDIR FILE.jsonl... -- PATH...\n");
		return 2;
	}
	struct ct_view_cfg cfg;
	ct_view_cfg_default(&cfg);
	struct ct_view_store *s;
	if (ct_view_store_new(&s, &cfg) != CT_OK)
		return 1;
	int i = 2;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (feed(s, argv[i]))
			return 1;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/calls", argv[1]);
	mkdir(argv[1], 0755);
	mkdir(dir, 0755);
	struct ct_buf out;
	ct_buf_init(&out);
	for (i++; i < argc; i++) {
		ct_buf_reset(&out);
		const char *type = NULL;
		int status = ct_view_render(s, argv[i], &out, &type);
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s%s", argv[1], argv[i], strchr(argv[i], '?') ? ".html" : "");
		for (char *p = path + strlen(argv[1]); *p; p++) {
			if (*p == '?' || *p == '&' || *p == '=')
				*p = '_';
			if (p[0] == '.' && p[1] == '.') { /* "calls/../x" is asked for, not written there */
				p[0] = p[1] = '_';
				if (p[2] == '/')
					p[2] = '_';
			}
		}
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(out.p ? out.p : "", 1, out.len, f) != out.len || fclose(f) != 0) {
			fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
			return 1;
		}
		printf("%d %s %s\n", status, argv[i], type ? type : "-");
	}
	const struct ct_view_counters *c = ct_view_store_counters(s);
	fprintf(stderr, "records %llu kept %llu no_call %llu bad %llu evicted %llu\n", (unsigned long long)c->records,
		(unsigned long long)c->kept, (unsigned long long)c->no_call, (unsigned long long)c->bad,
		(unsigned long long)c->evicted);
	ct_buf_free(&out);
	ct_view_sink_ops.close(s);
	ct_view_store_free(s);
	return 0;
}
