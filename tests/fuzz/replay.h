/*
 * The plain build of a fuzz target (the one `make check` runs): main()
 * replays every file of the target's corpus directory, argv[1] or else
 * $TOP_SRCDIR/tests/fuzz/corpus/FUZZ_CORPUS, through
 * LLVMFuzzerTestOneInput().  Each input is handed over in a malloc'd
 * buffer of exactly its size, as libFuzzer does, so that an overread
 * shows under --enable-sanitizers.  The target aborts when one of its
 * invariants breaks.
 *
 * A target defines FUZZ_CORPUS and includes this after its
 * LLVMFuzzerTestOneInput().  Built with -DDFO_LIBFUZZER (`make fuzz`),
 * this is empty: libFuzzer brings main().
 */
#ifndef DFO_FUZZ_REPLAY_H
#define DFO_FUZZ_REPLAY_H

#ifndef DFO_LIBFUZZER
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replay one file; 0, or -1 if it cannot be read. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *b = realloc(buf, cap);
			if (!b) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = b;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	/* exactly len bytes, so that a read past the end is caught */
	uint8_t *exact = bad ? NULL : malloc(len ? len : 1);
	if (exact && len)
		memcpy(exact, buf, len);
	free(buf);
	if (!exact)
		return -1;
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

int main(int argc, char **argv)
{
	char dir[4096];
	const char *top = getenv("TOP_SRCDIR");
	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
			 top ? top : ".", FUZZ_CORPUS);
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return 1;
	}
	unsigned count = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[8192];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		printf("%s\n", e->d_name);
		fflush(stdout);
		if (replay_file(path) < 0) {
			perror(path);
			closedir(d);
			return 1;
		}
		count++;
	}
	closedir(d);
	printf("%u inputs replayed from %s\n", count, dir);
	return count ? 0 : 1;
}
#endif /* DFO_LIBFUZZER */
#endif
