/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Verdicts over a host snapshot. Pure: struct host in, records out; the
 * caller renders them (text or JSON) and maps them to the exit status.
 */

#include "facts/host.h"
#include "facts/pdev.h"

enum check_level {
	CHECK_PASS,
	CHECK_NOTE,
	CHECK_WARN,
	CHECK_FAIL,
	_CHECK_LEVEL_MAX,
};

/* a check that finds the same thing many times says this many of them */
#define CHECK_FINDINGS_SHOWN 8

struct check {
	const char *id;	  /* stable and unique in a report: "firmware.iommu_table" */
	const char *code; /* the finding, stable: "FIRMWARE_IOMMU_OFF"; NULL for a pass */
	enum check_level level;
	char label[48];		    /* what was checked, for people (a constant of the code) */
	char device[PCI_ADDR_SIZE]; /* the PCI function it is about, "" for the host */
	char *summary;		    /* what was found */
	char *hint;		    /* what to do about it; NULL when nothing */
	bool oom;		    /* a text could not be made */
	unsigned extended; /* findings in the summary (CHECK_FINDINGS_SHOWN, then "and more") */
};

/* What the firmware says about the IOMMU, for the report. */
struct fw_summary {
	const char *iommu;	  /* "Intel VT-d", "AMD-Vi", NULL when the CPU has none we know */
	const char *table;	  /* "DMAR", "IVRS" */
	const struct fw_table *t; /* the table consulted, NULL when none applies */
	bool valid;		  /* present and decoded */
	unsigned units;		  /* IOMMU units described */
	bool intr_remap;	  /* the firmware makes interrupt remapping possible */
	bool x2apic_opt_out, dma_opt_in;
};

struct check_report {
	struct check *items; /* as many as were made: the list grows */
	size_t n;
	struct fw_summary fw;
	const struct check *blocking; /* first FAIL, NULL when ready */
	int error;		      /* -ENOMEM: the report is incomplete */
	struct check sink;	      /* where a check goes when memory ran out */
};

/* 0, or -ENOMEM (the report is then incomplete; checks_done() it all the same) */
int checks_run(const struct host *h, struct check_report *ret);
void checks_done(struct check_report *r);
/* What the firmware says, alone (the part of checks_run() the plan needs). */
void checks_firmware_summary(const struct host *h, struct fw_summary *fw);
/* The firmware describes no usable IOMMU: no configuration makes the host ready */
bool checks_firmware_blocks(const struct host *h);
const char *check_level_to_string(enum check_level l);

/* Making a report's items (for the checks of other verbs: verify) */
struct check *check_add(struct check_report *r, const char *id, const char *code,
			enum check_level level, const char *label);
/* the item with this id, or a new one: a check found many times is one item */
struct check *check_add_or_extend(struct check_report *r, const char *id, const char *code,
				  enum check_level level, const char *label);
__attribute__((format(printf, 2, 3))) void check_summary(struct check *c, const char *fmt, ...);
/* "; text" appended to the summary (CHECK_FINDINGS_SHOWN, then "and more") */
__attribute__((format(printf, 2, 3))) void check_summary_more(struct check *c, const char *fmt,
							      ...);
__attribute__((format(printf, 2, 3))) void check_hint(struct check *c, const char *fmt, ...);

/* This boot is the pending trial's (apply --trial): the running kernel's
 * line is the trial entry's, in a boot after the one apply ran in. */
bool host_trial_booted(const struct host *h);
