// SPDX-License-Identifier: GPL-2.0
/*
 * Replays inputs through a fuzz target without libFuzzer (any compiler):
 * `replay FILE...` runs LLVMFuzzerTestOneInput() once per file. make check
 * uses it on the seed corpus and on every crash ever found
 * (tests/fuzz/regress/), in the ASan+UBSan build. Prints "N inputs".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf = NULL;
		long len;

		if (!f) {
			fprintf(stderr, "replay: cannot open %s\n", argv[i]);
			return 2;
		}
		if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
			fclose(f);
			fprintf(stderr, "replay: cannot read %s\n", argv[i]);
			return 2;
		}
		buf = malloc(len ? (size_t)len : 1);
		if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			fclose(f);
			fprintf(stderr, "replay: cannot read %s\n", argv[i]);
			return 2;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t)len);
		free(buf);
		n++;
	}
	printf("%d inputs\n", n);
	return 0;
}
