/*-------------------------------------------------------------------------
 *
 * version.c
 *	  Migration versions: reading them from names and putting them in order.
 *
 * A version is made of the all-digit tokens at the start of a name, tokens
 * being split at '_', '-' and '.': "0001_init" is 0001, "2024-01-15-x" is
 * 20240115, "001_2fa" is 001.  It is shown as written ("2024-01-15").
 *
 * Order: a version of at least 8 digits that starts with 19 or 20 is a date.
 * Dates come after every other version and compare digit by digit from the
 * left, so "2024-02-01" sorts after "2024-01-15-093000" and a trailing
 * "-0000" keeps its place (diesel's rule).  Other versions compare as
 * numbers: 9 before 10, and 001 equals 0001.  A version of several tokens
 * that is not a date compares part by part as numbers, Flyway's way: "1.10"
 * after "1.9", "2" after "1.10", "1.1" before "11", "1.0" equals "1" (missing
 * parts count as 0).  Flyway names ("V1.2__x") have their version read from
 * after the "V" by the same rules.
 *
 * Copyright (c) 2026, the schemata developers
 *
 * IDENTIFICATION
 *	  src/version.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "migration.h"

static inline bool
is_separator(char c)
{
	return c == '_' || c == '-' || c == '.';
}

/*
 * Parse the leading version of "name".  Returns false when the name does not
 * start with an all-digit token.  *consumed receives the number of bytes of
 * the name that the version spans.
 */
static bool
parse_version(const char *name, MigrationVersion *version, int *consumed)
{
	const char *p = name;
	const char *end = name;
	char	   *digits;
	int			ndigits = 0;
	int			nparts = 0;
	int			skip = 0;

	for (;;)
	{
		const char *token = p;

		while (*p >= '0' && *p <= '9')
			p++;
		/* the token must be non-empty and end at a separator or the end */
		if (p == token || (*p != '\0' && !is_separator(*p)))
			break;
		ndigits += p - token;
		nparts++;
		end = p;
		if (*p == '\0')
			break;
		p++;					/* skip the separator */
	}

	if (ndigits == 0)
		return false;

	/* the text as written, then in the same chunk its digits */
	version->text = palloc((end - name) + 1 + ndigits + 1);
	memcpy(version->text, name, end - name);
	version->text[end - name] = '\0';
	digits = version->text +(end - name) + 1;
	ndigits = 0;
	for (p = name; p < end; p++)
		if (!is_separator(*p))
			digits[ndigits++] = *p;
	digits[ndigits] = '\0';

	version->is_date = ndigits >= 8 &&
		(strncmp(digits, "19", 2) == 0 || strncmp(digits, "20", 2) == 0);
	if (!version->is_date)
	{
		/* numbers compare by value: drop leading zeros */
		while (digits[skip] == '0' && skip < ndigits - 1)
			skip++;
		memmove(digits, digits + skip, ndigits - skip + 1);
	}
	version->digits = digits;
	version->ndigits = ndigits - skip;
	version->in_parts = !version->is_date && nparts > 1;
	version->key = 0;
	if (version->ndigits <= SCHEMATA_VERSION_KEY_DIGITS && !version->in_parts)
		for (int i = 0; i < version->ndigits; i++)
			version->key = version->key * 10 + (digits[i] - '0');
	*consumed = end - name;
	return true;
}

/*
 * The version at the start of an entry name (without its .sql suffix).
 */
bool
schemata_version_from_name(const char *name, MigrationVersion *version)
{
	int			consumed;

	return parse_version(name, version, &consumed);
}

/*
 * The version of a Flyway name without its .sql suffix: "V1.2__x" (a
 * migration) or "U1.2__x" (its down script) is 1.2.  False when the name is
 * not of that form.
 */
bool
schemata_flyway_version(const char *name, MigrationVersion *version)
{
	int			consumed;

	if (name[0] != 'V' && name[0] != 'U')
		return false;
	return parse_version(name + 1, version, &consumed) &&
		strncmp(name + 1 + consumed, "__", 2) == 0;
}

/*
 * A string that is a version and nothing else, such as a to_version argument
 * or a version stored in the history table.
 */
bool
schemata_version_from_text(const char *text, MigrationVersion *version)
{
	int			consumed;

	return parse_version(text, version, &consumed) && text[consumed] == '\0';
}

/*
 * A version given as a function argument; anything else is an error naming
 * the argument.
 */
MigrationVersion
schemata_version_argument(const char *argname, const char *text)
{
	MigrationVersion version;

	if (!schemata_version_from_text(text, &version))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid version \"%s\" for argument %s", text, argname),
				 errhint("A version is the numeric prefix of a migration's name, such as '0002' or '2024-01-15'.")));
	return version;
}

/*
 * The next all-digit part of a version's text from *p on, without its
 * leading zeros, as *start and *len; 0 digits ("0") when none is left.
 */
static void
next_part(const char **p, const char **start, int *len)
{
	while (**p != '\0' && is_separator(**p))
		(*p)++;
	while (**p == '0')
		(*p)++;
	*start = *p;
	while (**p >= '0' && **p <= '9')
		(*p)++;
	*len = *p - *start;
}

/* Versions compared part by part, each part as a number. */
static int
compare_parts(const char *a, const char *b)
{
	while (*a != '\0' || *b != '\0')
	{
		const char *pa;
		const char *pb;
		int			la;
		int			lb;
		int			cmp;

		next_part(&a, &pa, &la);
		next_part(&b, &pb, &lb);
		if (la != lb)
			return la < lb ? -1 : 1;
		cmp = memcmp(pa, pb, la);
		if (cmp != 0)
			return cmp < 0 ? -1 : 1;
	}
	return 0;
}

/*
 * qsort-style comparison: numbers before dates, numbers by value (part by
 * part when one has several), dates digit by digit.
 */
int
schemata_version_cmp(const MigrationVersion *a, const MigrationVersion *b)
{
	Assert(a->ndigits == (int) strlen(a->digits) && b->ndigits == (int) strlen(b->digits));
	Assert((a->ndigits <= SCHEMATA_VERSION_KEY_DIGITS || a->key == 0) &&
		   (b->ndigits <= SCHEMATA_VERSION_KEY_DIGITS || b->key == 0));
	if (a->is_date != b->is_date)
		return a->is_date ? 1 : -1;
	if (a->in_parts || b->in_parts)
		return compare_parts(a->text, b->text);
	if (!a->is_date && a->ndigits != b->ndigits)
		return a->ndigits < b->ndigits ? -1 : 1;
	/* digit strings of one length compare as their numbers do */
	if (a->ndigits == b->ndigits && a->ndigits <= SCHEMATA_VERSION_KEY_DIGITS)
		return a->key < b->key ? -1 : (a->key > b->key ? 1 : 0);
	return strcmp(a->digits, b->digits);
}
