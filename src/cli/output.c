/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/textsafe.h"
#include "cli/output.h"

struct filtered {
	FILE *orig;
	struct textsafe st;
	int error;
};

static struct filtered out_f, err_f;

static int write_all(FILE *f, const char *buf, size_t n)
{
	if (n && fwrite(buf, 1, n, f) != n)
		return errno ? -errno : -EIO;
	return 0;
}

static int filter(struct filtered *x, const char *buf, size_t size, bool final)
{
	char out[4 * (256 + sizeof(x->st.pend))];

	/* a piece at a time: the output buffer is bounded */
	do {
		size_t take = size < 256 ? size : 256, len = 0;

		int k;

		textsafe_filter(&x->st, buf, take, final && take == size, out, &len);
		k = write_all(x->orig, out, len);
		if (k < 0)
			return x->error = k;
		buf += take;
		size -= take;
	} while (size);
	return 0;
}

static ssize_t filtered_write(void *cookie, const char *buf, size_t size)
{
	struct filtered *x = cookie;

	if (filter(x, buf, size, false) < 0) {
		errno = -x->error;
		return -1;
	}
	/* what the terminal gets now: an interleaved stderr comes after it */
	if (fflush(x->orig) != 0) {
		x->error = -errno;
		return -1;
	}
	return (ssize_t)size;
}

static FILE *wrap(FILE *orig, struct filtered *x, bool sgr)
{
	static const cookie_io_functions_t io = { .write = filtered_write };
	FILE *f;

	*x = (struct filtered){ .orig = orig, .st = { .sgr = sgr } };
	f = fopencookie(x, "w", io);
	return f;
}

int output_install(bool sgr)
{
	FILE *o = wrap(stdout, &out_f, sgr), *e;

	if (!o)
		return -errno;
	e = wrap(stderr, &err_f, false);
	if (!e) {
		int k = -errno;

		fclose(o);
		return k;
	}
	/* the buffering the originals had: stderr unbuffered, stdout by the line on a tty */
	setvbuf(e, NULL, _IONBF, 0);
	if (isatty(STDOUT_FILENO))
		setvbuf(o, NULL, _IOLBF, 0);
	stdout = o;
	stderr = e;
	return 0;
}

int output_finish(void)
{
	int r = 0;

	if (out_f.orig) {
		FILE *o = stdout;

		if (fflush(o) != 0 || filter(&out_f, "", 0, true) < 0 || out_f.error)
			r = out_f.error ? out_f.error : -EIO;
		stdout = out_f.orig;
		fclose(o);
		out_f.orig = NULL;
	}
	if (err_f.orig) {
		FILE *e = stderr;

		fflush(e);
		(void)filter(&err_f, "", 0, true);
		stderr = err_f.orig;
		fclose(e);
		err_f.orig = NULL;
	}
	return r;
}

bool output_use_color(int fd)
{
	const char *term = getenv("TERM");
	const char *no = getenv("NO_COLOR");

	if (no && *no)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fd);
}
