/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests: proxmox-boot-tool's ESP list and status (facts/pbt.c). */
#include <stdio.h>
#include <string.h>

#include "facts/pbt.h"

#include "unit.h"

static char ids[PBT_ESPS_MAX][PBT_UUID_SIZE];
static size_t n;
static struct file_error err;

static int parse(const char *text)
{
	memset(&err, 0, sizeof(err));
	return pbt_uuids_parse(text, strlen(text), ids, PBT_ESPS_MAX, &n, &err);
}

/* as proxmox-boot-tool init writes it (sorted, one a line); blank lines and
 * a repeated ID (init of the same ESP twice, by hand) count once */
static void test_uuids(void)
{
	CHECK(parse("1A2B-3C4D\n5e6f-7a8b\n") == 0 && n == 2);
	CHECK(strcmp(ids[0], "1A2B-3C4D") == 0 && strcmp(ids[1], "5e6f-7a8b") == 0);
	CHECK(parse("\n  1A2B-3C4D \r\n\n1a2b-3c4d\n5E6F-7A8B") == 0 && n == 2);
	CHECK(parse("") == 0 && n == 0);
}

/* anything else is an error naming the line, never a line skipped */
static void test_uuids_bad(void)
{
	char many[PBT_ESPS_MAX * 11 + 16] = "";

	CHECK(parse("1A2B-3C4D\n/dev/sda2\n") < 0 && err.line == 2);
	CHECK(strstr(err.message, "\"/dev/sda2\" is not the volume ID"));
	CHECK(strcmp(err.file, PBT_UUIDS_FILE) == 0);
	CHECK(parse("1A2B-3C4DE\n") < 0 && err.line == 1);
	CHECK(parse("1A2B3C4D\n") < 0);
	CHECK(parse("1A2G-3C4D\n") < 0);
	CHECK(parse("1A2B-3C4D\x01\n") < 0 && strstr(err.message, "1A2B-3C4D?"));
	for (unsigned i = 0; i <= PBT_ESPS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%04X-0000\n", i);
	CHECK(parse(many) < 0 && err.line == PBT_ESPS_MAX + 1 && strstr(err.message, "more than"));
}

static const char status[] = "System currently booted with uefi\n"
			     "1A2B-3C4D is configured with: uefi (versions: 6.8.12-1-pve, "
			     "6.8.8-4-pve)\n"
			     "5E6F-7A8B is configured with: grub (versions: 6.8.8-4-pve)\n"
			     "9C9C-0D0D is configured with: uefi (versions: 6.8.12-1-pve), grub "
			     "(versions: 6.8.8-4-pve)\n";

/* an ESP holds a kernel when its line lists it in either mode's versions */
static void test_status(void)
{
	char why[400];

	CHECK(pbt_status_has(status, "1A2B-3C4D", "6.8.12-1-pve", why, sizeof(why)));
	CHECK(pbt_status_has(status, "1a2b-3c4d", "6.8.8-4-pve", why, sizeof(why)));
	CHECK(pbt_status_has(status, "9C9C-0D0D", "6.8.8-4-pve", why, sizeof(why)));
	/* a prefix of a version is not that version */
	CHECK(!pbt_status_has(status, "1A2B-3C4D", "6.8.12-1", why, sizeof(why)));
	CHECK(!pbt_status_has(status, "5E6F-7A8B", "6.8.12-1-pve", why, sizeof(why)));
	CHECK(strstr(why, "does not hold kernel 6.8.12-1-pve"));
	/* refresh skipped it: its line is missing */
	CHECK(!pbt_status_has(status, "AAAA-BBBB", "6.8.12-1-pve", why, sizeof(why)));
	CHECK(strstr(why, "does not list the ESP AAAA-BBBB"));
	CHECK(!pbt_status_has("", "1A2B-3C4D", "6.8.12-1-pve", why, sizeof(why)));
	CHECK(!pbt_status_has("1A2B-3C4D is configured with: uefi (versions: )\n", "1A2B-3C4D",
			      "6.8.12-1-pve", why, sizeof(why)));
}

int main(int argc, char *argv[])
{
	UNIT_MAIN_BEGIN(argc, argv);
	RUN(test_uuids);
	RUN(test_uuids_bad);
	RUN(test_status);
	UNIT_MAIN_END();
}
