// SPDX-License-Identifier: GPL-2.0
/*
 * oomx rules: the operator's protect=, avoid= and prefer= lists, parsed
 * and matched by pure functions over the structs in oomx_policy.h (no
 * task_struct, no locks), so that KUnit can pin down every form.
 *
 * A list is comma-separated selectors:
 *
 *   comm:GLOB		the process name (what ps shows, 15 characters)
 *   uid:N		the real uid, in the initial user namespace
 *   cgroup:GLOB	the cgroup v2 path from the hierarchy's root
 *
 * GLOB is the kernel's glob_match(): *, ?, [set].  A task matched by
 * several rules takes the first of the first list in precedence order:
 * protect, then avoid, then prefer.  Sparing a task always wins over
 * taking it first.
 */
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/glob.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/string.h>

#include "oomx_policy.h"

static const char * const oomx_rule_list_names[OOMX_RULE_LISTS] = {
	[OOMX_RULE_PROTECT] = "protect",
	[OOMX_RULE_AVOID] = "avoid",
	[OOMX_RULE_PREFER] = "prefer",
};

static const char * const oomx_selector_kinds[OOMX_SELECTOR_NR] = {
	[OOMX_SELECTOR_COMM] = "comm",
	[OOMX_SELECTOR_UID] = "uid",
	[OOMX_SELECTOR_CGROUP] = "cgroup",
};

const char *oomx_rule_list_name(enum oomx_rule_list l)
{
	return l < OOMX_RULE_LISTS ? oomx_rule_list_names[l] : "?";
}

/* One selector, @len characters at @tok (not NUL-terminated). */
static int oomx_selector_parse(const char *tok, size_t len,
			       struct oomx_selector *sel)
{
	const char *colon = memchr(tok, ':', len);
	char num[12];
	size_t klen, plen, i;
	int k;

	if (!colon)
		return -EINVAL;
	klen = colon - tok;
	plen = len - klen - 1;
	for (k = 0; k < OOMX_SELECTOR_NR; k++)
		if (strlen(oomx_selector_kinds[k]) == klen &&
		    !memcmp(tok, oomx_selector_kinds[k], klen))
			break;
	if (k == OOMX_SELECTOR_NR || !plen || plen >= OOMX_RULE_PAT_MAX)
		return -EINVAL;
	for (i = 0; i < plen; i++)
		if (!isgraph(colon[1 + i]))
			return -EINVAL;
	memset(sel, 0, sizeof(*sel));
	sel->kind = k;
	memcpy(sel->pat, colon + 1, plen);
	switch (k) {
	case OOMX_SELECTOR_COMM:
		/* A name is at most 15 characters: a longer glob is a typo. */
		if (plen >= OOMX_COMM_LEN && !strpbrk(sel->pat, "*?["))
			return -EINVAL;
		break;
	case OOMX_SELECTOR_UID:
		if (plen >= sizeof(num))
			return -EINVAL;
		memcpy(num, sel->pat, plen + 1);
		/* (uid_t)-1 is the invalid uid, never a process's. */
		if (kstrtou32(num, 10, &sel->uid) || sel->uid == U32_MAX)
			return -EINVAL;
		break;
	case OOMX_SELECTOR_CGROUP:
		if (sel->pat[0] != '/')
			return -EINVAL;
		break;
	}
	return 0;
}

/**
 * oomx_rule_set_parse - a comma-separated selector list into @out
 * @s: the list as written: one line (a trailing newline and blanks are
 *	ignored, text on a second line is refused); empty clears
 * @out: the list; on failure a partial one, for the caller to discard
 * @bad: on -EINVAL, where the offending token starts
 * @badlen: ... and its length
 *
 * The list is taken whole or not at all: -EINVAL for a malformed
 * selector, an unknown kind, an empty token, or more than
 * OOMX_RULES_MAX selectors (then the first one too many is the token).
 */
int oomx_rule_set_parse(const char *s, struct oomx_rule_set *out,
			const char **bad, size_t *badlen)
{
	struct oomx_rule_set *rs = out;
	size_t n = strcspn(s, "\n"), i = 0, j;

	rs->nr = 0;
	/*
	 * One line: what echo adds (a newline) and blanks go, but more text
	 * after a newline is refused, not dropped: "comm:a\ncomm:b" is not
	 * the list comm:a.
	 */
	for (j = n; s[j]; j++) {
		if (!isspace(s[j])) {
			*bad = s + j;
			*badlen = strcspn(s + j, "\n");
			return -EINVAL;
		}
	}
	while (n && isspace(s[n - 1]))
		n--;
	while (i < n) {
		size_t len = strcspn(s + i, ",");

		if (i + len > n)
			len = n - i;
		if (rs->nr == OOMX_RULES_MAX ||
		    oomx_selector_parse(s + i, len, &rs->sel[rs->nr])) {
			*bad = s + i;
			*badlen = len;
			return -EINVAL;
		}
		rs->nr++;
		i += len;
		if (i < n) {
			i++;	/* the comma */
			if (i == n) {	/* a trailing comma: an empty token */
				*bad = s + i;
				*badlen = 0;
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* The list in its canonical form, as the parameter reads back. */
int oomx_rule_set_print(const struct oomx_rule_set *rs, char *buf,
			size_t len)
{
	size_t off = 0;
	unsigned int i;

	if (!len)
		return 0;
	buf[0] = '\0';
	for (i = 0; i < rs->nr && off < len; i++)
		off += scnprintf(buf + off, len - off, "%s%s:%s",
				 i ? "," : "",
				 oomx_selector_kinds[rs->sel[i].kind],
				 rs->sel[i].pat);
	return off;
}

bool oomx_rules_have(const struct oomx_rules *r, enum oomx_selector_kind k)
{
	unsigned int l, i;

	for (l = 0; l < OOMX_RULE_LISTS; l++)
		for (i = 0; i < r->list[l].nr; i++)
			if (r->list[l].sel[i].kind == k)
				return true;
	return false;
}

bool oomx_rules_empty(const struct oomx_rules *r)
{
	return !r->list[OOMX_RULE_PROTECT].nr && !r->list[OOMX_RULE_AVOID].nr &&
	       !r->list[OOMX_RULE_PREFER].nr;
}

/*
 * The first bytes of a name that comm:@pat can match, into @f: a literal
 * (or one escaped with a backslash) is the only one; a pattern that
 * starts with a wildcard or a class, or is malformed there, could match
 * any, as glob_match() reads it.
 */
static void oomx_filter_comm(struct oomx_rule_filter *f, const char *pat)
{
	unsigned char d = pat[0];

	if (d == '\\' && pat[1]) {
		d = pat[1];
	} else if (d == '*' || d == '?' || d == '[' || d == '\\') {
		bitmap_fill(f->comm_first, 256);
		return;
	}
	__set_bit(d, f->comm_first);
}

/**
 * oomx_rule_filter_build - the quick "no rule" for @r's comm: and uid:
 * @r: the rules
 * @f: filled in: a task passes it if some comm: selector could match its
 *     name's first byte, or its uid may be one a uid: selector names
 */
void oomx_rule_filter_build(const struct oomx_rules *r,
			    struct oomx_rule_filter *f)
{
	unsigned int l, i;

	memset(f, 0, sizeof(*f));
	for (l = 0; l < OOMX_RULE_LISTS; l++) {
		for (i = 0; i < r->list[l].nr; i++) {
			const struct oomx_selector *sel = &r->list[l].sel[i];

			if (sel->kind == OOMX_SELECTOR_COMM)
				oomx_filter_comm(f, sel->pat);
			else if (sel->kind == OOMX_SELECTOR_UID)
				f->uid_bloom |= BIT_ULL(oomx_uid_bit(sel->uid));
		}
	}
}

static bool oomx_selector_match(const struct oomx_selector *sel,
				const char *comm, u32 uid, const char *cgroup)
{
	switch (sel->kind) {
	case OOMX_SELECTOR_COMM:
		return comm && glob_match(sel->pat, comm);
	case OOMX_SELECTOR_UID:
		return comm && sel->uid == uid;
	case OOMX_SELECTOR_CGROUP:
		return cgroup && glob_match(sel->pat, cgroup);
	default:
		return false;
	}
}

/**
 * oomx_rules_match - the rule that decides for a task, or OOMX_RULE_NONE
 * @r: the rules
 * @comm: the task's name, or NULL to look at cgroup selectors only
 * @uid: its uid (looked at only with @comm)
 * @cgroup: its cgroup v2 path, or NULL to look at comm and uid only
 *
 * The result encodes list and index (oomx_rule_id(), never 0, which is
 * OOMX_RULE_NONE); a lower one takes precedence, so that matches
 * made separately (a cgroup's, cached, and a task's own) combine with
 * oomx_rule_first().
 */
int oomx_rules_match(const struct oomx_rules *r, const char *comm, u32 uid,
		     const char *cgroup)
{
	unsigned int l, i;

	for (l = 0; l < OOMX_RULE_LISTS; l++)
		for (i = 0; i < r->list[l].nr; i++)
			if (oomx_selector_match(&r->list[l].sel[i], comm, uid,
						cgroup))
				return oomx_rule_id(l, i);
	return OOMX_RULE_NONE;
}

int oomx_rule_first(int a, int b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return min(a, b);
}

/* The tier a rule puts its task in (OOMX_TIER_NORMAL for none). */
enum oomx_tier oomx_rule_tier(int rule)
{
	if (rule <= OOMX_RULE_NONE || rule > OOMX_RULE_ID_MAX)
		return OOMX_TIER_NORMAL;
	switch ((rule - 1) / OOMX_RULES_MAX) {
	case OOMX_RULE_PROTECT:
		return OOMX_TIER_PROTECT;
	case OOMX_RULE_AVOID:
		return OOMX_TIER_AVOID;
	default:
		return OOMX_TIER_PREFER;
	}
}

/* "prefer:comm:make", say, or "-" for no rule, into @buf. */
int oomx_rule_print(const struct oomx_rules *r, int rule, char *buf,
		    size_t len)
{
	const struct oomx_selector *sel;
	unsigned int l, i;

	if (rule <= OOMX_RULE_NONE || rule > OOMX_RULE_ID_MAX)
		return scnprintf(buf, len, "-");
	l = (rule - 1) / OOMX_RULES_MAX;
	i = (rule - 1) % OOMX_RULES_MAX;
	if (!r || i >= r->list[l].nr)
		return scnprintf(buf, len, "%s:?", oomx_rule_list_names[l]);
	sel = &r->list[l].sel[i];
	return scnprintf(buf, len, "%s:%s:%s", oomx_rule_list_names[l],
			 oomx_selector_kinds[sel->kind], sel->pat);
}
