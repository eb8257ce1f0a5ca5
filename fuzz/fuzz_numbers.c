/* fuzz_numbers.c - libFuzzer target for number normalisation and device sets. The input's first
 * line is parsed as numbers.rules and as a record.devices set; every further line is a number or
 * device looked up through them. Checks what numbers.h promises: the canonical form fits
 * CT_NUMBER_NORM_MAX and its length is the one returned; with no rules and no country code,
 * normalising a canonical form again gives it back (rules need not be idempotent, so they are
 * left out of that check); ct_number_same() is symmetric. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "correlator/devset.h"
#include "correlator/numbers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *line = text, *nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';

	char err[256];
	struct ct_numbers n, plain;
	struct ct_devset set;
	ct_numbers_init(&n);
	ct_numbers_init(&plain);
	(void)ct_numbers_set_country_code(&n, "49", err, sizeof(err));
	(void)ct_numbers_parse(&n, line, err, sizeof(err)); /* refused: n keeps no rules */
	if (ct_devset_parse(&set, line, err, sizeof(err)) != CT_OK)
		ct_devset_init(&set);

	const char *prev = line;
	while (nl) {
		line = nl + 1;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char out[CT_NUMBER_NORM_MAX], again[CT_NUMBER_NORM_MAX];
		size_t len = ct_number_norm(&n, line, out, sizeof(out));
		if (len != strlen(out) || len >= sizeof(out))
			__builtin_trap();
		/* without rules and prefixes, normalising is idempotent */
		size_t l1 = ct_number_norm(&plain, line, out, sizeof(out));
		size_t l2 = ct_number_norm(&plain, out, again, sizeof(again));
		if (l1 && (l1 != l2 || strcmp(out, again) != 0))
			__builtin_trap();
		if (ct_number_same(&n, line, prev) != ct_number_same(&n, prev, line))
			__builtin_trap();
		(void)ct_devset_selects(&set, &set, &n, line);
		prev = line;
	}
	free(text);
	return 0;
}
