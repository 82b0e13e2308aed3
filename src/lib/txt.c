/*
 * Sets of TXT texts: the state records of quorum eviction (plugin.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

void dfo_txtset_init(struct dfo_txtset *set)
{
	memset(set, 0, sizeof(*set));
}

bool dfo_txt_valid(const char *text)
{
	size_t n = 0;
	for (; text && text[n]; n++)
		if ((unsigned char)text[n] < 0x20 ||
		    (unsigned char)text[n] > 0x7e)
			return false;
	return n >= 1 && n <= DFO_TXT_MAX;
}

bool dfo_txtset_contains(const struct dfo_txtset *set, const char *text)
{
	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->texts[i], text) == 0)
			return true;
	return false;
}

int dfo_txtset_add(struct dfo_txtset *set, const char *text)
{
	if (!dfo_txt_valid(text))
		return -EINVAL;
	if (dfo_txtset_contains(set, text))
		return 0;
	char **v = dfo_grow(set->texts, &set->cap, set->count + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	set->texts = v;
	char *copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	set->texts[set->count++] = copy;
	return 0;
}

bool dfo_txtset_same(const struct dfo_txtset *a, const struct dfo_txtset *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (!dfo_txtset_contains(b, a->texts[i]))
			return false;
	return true;
}

void dfo_txtset_clear(struct dfo_txtset *set)
{
	for (size_t i = 0; i < set->count; i++)
		free(set->texts[i]);
	free(set->texts);
	set->texts = NULL;
	set->count = set->cap = 0;
}
