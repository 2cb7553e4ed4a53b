/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Standard output and standard error, through textsafe.c: whatever the root
 * put in a string (a CPU model, a driver name, a file name) reaches the
 * terminal or the log escaped, never as a control sequence.
 */

#include <stdbool.h>

/* Replaces stdout and stderr with filtered streams; sgr: colour sequences
 * pass on stdout. 0 or -errno (the streams are then left as they were). */
int output_install(bool sgr);
/* Flushes what the filters hold (an unfinished sequence, escaped) and puts
 * the original streams back. 0, or -errno of a failed write. */
int output_finish(void);

/* Colour on fd: a terminal, TERM not "dumb", NO_COLOR unset or empty. */
bool output_use_color(int fd);
