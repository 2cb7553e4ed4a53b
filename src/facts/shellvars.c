/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/macro.h"
#include "facts/shellvars.h"

/* A growing string */
struct buf {
	char *s;
	size_t n, alloc;
	bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->alloc) {
		size_t na = b->alloc ? b->alloc * 2 : 64;
		char *p;

		while (na < b->n + n + 1)
			na *= 2;
		p = realloc(b->s, na);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->alloc = na;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

struct word {
	struct buf text;    /* the decoded value */
	bool known;	    /* no expansion we cannot evaluate */
	const char *why;    /* when !known */
	bool quoted;	    /* any quoting: a quoted keyword is not a keyword */
	bool assignment;    /* NAME=... or NAME+=... */
	bool append;	    /* += */
	bool bashism;	    /* $'...' or $"...": read differently by dash */
	bool self_ref;	    /* an assignment whose value refers to its own variable */
	size_t name_len;    /* of the NAME in an assignment */
	size_t start, end;  /* raw byte span in the text */
	size_t value_start; /* raw offset of the value in an assignment */
};

struct lexer {
	struct shenv *env;
	const char *text; /* the start, for offsets */
	const char *p, *end;
	const char *file;
	unsigned line;
	int depth;	    /* open if/case/loops/braces/subshells */
	int parens;	    /* open subshells, so that a case pattern's ')' closes nothing */
	unsigned word_line; /* where the word being read started */
	unsigned open_line; /* where the outermost open block started */
	bool conditional;   /* the command follows && or || or is in a pipeline */
};

static bool is_name_start(char c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* NAME in NAME=value: letters, digits, '_', not starting with a digit */
static bool is_name(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(s[i]))
			return false;
	return n > 0 && is_name_start(s[0]);
}

static bool at(const struct lexer *lx, size_t i, char c)
{
	return lx->p + i < lx->end && lx->p[i] == c;
}

static void advance(struct lexer *lx, size_t n)
{
	for (size_t i = 0; i < n && lx->p < lx->end; i++, lx->p++)
		if (*lx->p == '\n')
			lx->line++;
}

static void unknown(struct word *w, const char *why)
{
	if (w->known) {
		w->known = false;
		w->why = why;
	}
}

static struct shvar *find_var(struct shenv *env, const char *name, size_t len)
{
	for (size_t i = 0; i < env->n; i++)
		if (strlen(env->vars[i].name) == len && strncmp(env->vars[i].name, name, len) == 0)
			return &env->vars[i];
	return NULL;
}

static void unterminated(struct lexer *lx)
{
	if (!lx->env->unterminated_line)
		lx->env->unterminated_line = lx->word_line;
}

/* Skips a $(...) or `...` with nesting and quotes; the value is unknown. */
static void skip_substitution(struct lexer *lx, struct word *w)
{
	if (*lx->p == '`') {
		advance(lx, 1);
		while (lx->p < lx->end && *lx->p != '`') {
			if (*lx->p == '\\')
				advance(lx, 1);
			advance(lx, 1);
		}
		if (lx->p >= lx->end)
			unterminated(lx);
		advance(lx, 1);
	} else {
		int depth = 0;

		do {
			char c = *lx->p;

			if (c == '\\') {
				advance(lx, 2);
				continue;
			}
			if (c == '\'') {
				advance(lx, 1);
				while (lx->p < lx->end && *lx->p != '\'')
					advance(lx, 1);
			} else if (c == '"') {
				advance(lx, 1);
				while (lx->p < lx->end && *lx->p != '"') {
					if (*lx->p == '\\')
						advance(lx, 1);
					advance(lx, 1);
				}
			} else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			advance(lx, 1);
		} while (lx->p < lx->end && depth > 0);
		if (depth > 0)
			unterminated(lx);
	}
	unknown(w, "command substitution");
}

/* After a '$': expands into w, or marks it unknown. */
static void expand(struct lexer *lx, struct word *w, bool in_dquotes)
{
	const char *name;
	size_t len = 0;
	struct shvar *v;

	if (at(lx, 0, '(') || at(lx, 0, '`')) {
		/* $(...) and $((...)) */
		skip_substitution(lx, w);
		return;
	}
	if (!in_dquotes && (at(lx, 0, '\'') || at(lx, 0, '"'))) {
		/* $'...' and $"...": bash only, and dash reads them otherwise */
		unknown(w, "bash-only $'...' quoting");
		w->bashism = true;
		return;
	}
	if (at(lx, 0, '{')) {
		name = lx->p + 1;
		while (name + len < lx->end && is_name_char(name[len]))
			len++;
		if (len == 0 || name + len >= lx->end || name[len] != '}') {
			/* ${VAR:-x}, ${#VAR}, ${VAR%x} ...: skip to the closing brace */
			int depth = 0;

			while (lx->p < lx->end) {
				if (*lx->p == '{')
					depth++;
				else if (*lx->p == '}' && --depth == 0) {
					advance(lx, 1);
					break;
				}
				advance(lx, 1);
			}
			if (depth > 0)
				unterminated(lx);
			unknown(w, "parameter expansion with an operator");
			return;
		}
		advance(lx, len + 2);
	} else if (lx->p < lx->end && is_name_start(*lx->p)) {
		name = lx->p;
		while (name + len < lx->end && is_name_char(name[len]))
			len++;
		advance(lx, len);
	} else if (lx->p < lx->end && strchr("0123456789@*#?$!-", *lx->p)) {
		advance(lx, 1);
		unknown(w, "special parameter");
		return;
	} else {
		/* a lone '$' is literal */
		buf_addc(&w->text, '$');
		return;
	}

	if (lx->env->watch && strlen(lx->env->watch) == len &&
	    strncmp(lx->env->watch, name, len) == 0)
		lx->env->watch_line = lx->line;
	if (w->assignment && w->name_len == len && strncmp(w->text.s, name, len) == 0)
		w->self_ref = true;
	v = find_var(lx->env, name, len);
	if (v && !v->known)
		unknown(w, "refers to a variable whose value is unknown");
	else if (!v && lx->env->uncertain)
		unknown(w, "refers to a variable that earlier code may have set");
	else if (v && v->value)
		buf_add(&w->text, v->value, strlen(v->value));
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool ends_word(char c)
{
	return is_blank(c) || c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' ||
	       c == '>' || c == '(' || c == ')';
}

/* Reads one word at lx->p (not blank, not an operator). */
static void read_word(struct lexer *lx, struct word *w)
{
	const char *start = lx->p;
	bool checked_assignment = false;

	*w = (struct word){ .known = true, .start = (size_t)(lx->p - lx->text) };
	lx->word_line = lx->line;
	buf_add(&w->text, "", 0);
	while (lx->p < lx->end && !ends_word(*lx->p)) {
		char c = *lx->p;

		/* NAME= or NAME+= with an unquoted, unescaped name */
		if (!checked_assignment && (c == '=' || (c == '+' && at(lx, 1, '=')))) {
			checked_assignment = true;
			if (lx->p > start && is_name_start(*start) && !w->quoted &&
			    w->text.n == (size_t)(lx->p - start) && is_name(w->text.s, w->text.n)) {
				w->assignment = true;
				w->append = c == '+';
				w->name_len = w->text.n;
				buf_addc(&w->text, '=');
				advance(lx, w->append ? 2 : 1);
				w->value_start = (size_t)(lx->p - lx->text);
				continue;
			}
		}
		if (c == '\\') {
			if (at(lx, 1, '\n'))
				advance(lx, 2); /* line continuation */
			else if (lx->p + 1 < lx->end) {
				buf_addc(&w->text, lx->p[1]);
				w->quoted = true;
				advance(lx, 2);
			} else
				advance(lx, 1);
		} else if (c == '\'') {
			w->quoted = true;
			advance(lx, 1);
			while (lx->p < lx->end && *lx->p != '\'') {
				buf_addc(&w->text, *lx->p);
				advance(lx, 1);
			}
			if (lx->p >= lx->end) {
				unknown(w, "unterminated single quote");
				unterminated(lx);
			}
			advance(lx, 1);
		} else if (c == '"') {
			w->quoted = true;
			advance(lx, 1);
			while (lx->p < lx->end && *lx->p != '"') {
				char d = *lx->p;

				if (d == '\\' && at(lx, 1, '\n'))
					advance(lx, 2);
				else if (d == '\\' && lx->p + 1 < lx->end &&
					 strchr("$`\"\\", lx->p[1])) {
					buf_addc(&w->text, lx->p[1]);
					advance(lx, 2);
				} else if (d == '$') {
					advance(lx, 1);
					expand(lx, w, true);
				} else if (d == '`') {
					skip_substitution(lx, w);
				} else {
					buf_addc(&w->text, d);
					advance(lx, 1);
				}
			}
			if (lx->p >= lx->end) {
				unknown(w, "unterminated double quote");
				unterminated(lx);
			}
			advance(lx, 1);
		} else if (c == '$') {
			advance(lx, 1);
			expand(lx, w, false);
		} else if (c == '`') {
			skip_substitution(lx, w);
		} else {
			if (c == '*' || c == '?' || c == '[' || c == '~')
				if (!w->assignment)
					unknown(w, "glob or tilde");
			buf_addc(&w->text, c);
			advance(lx, 1);
		}
	}
	w->end = (size_t)(lx->p - lx->text);
}

static int set_var(struct lexer *lx, const char *name, size_t len, const char *value, bool known,
		   const char *why)
{
	struct shenv *env = lx->env;
	struct shvar *v = find_var(env, name, len);

	if (!v) {
		if (env->n == env->alloc) {
			size_t na = env->alloc ? env->alloc * 2 : 16;
			struct shvar *nv = realloc(env->vars, na * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			env->vars = nv;
			env->alloc = na;
		}
		v = &env->vars[env->n];
		*v = (struct shvar){ .name = strndup(name, len) };
		if (!v->name)
			return -ENOMEM;
		env->n++;
	}
	free(v->value);
	free(v->file);
	v->value = value ? strdup(value) : NULL;
	v->file = strdup(lx->file);
	if ((value && !v->value) || !v->file)
		return -ENOMEM;
	v->known = known;
	v->why = known ? NULL : why;
	v->line = lx->line;
	return 0;
}

static int make_uncertain(struct lexer *lx, const char *why)
{
	struct shenv *env = lx->env;

	if (!env->uncertain) {
		env->uncertain = true;
		env->uncertain_why = why;
		env->uncertain_line = lx->line;
		free(env->uncertain_file);
		env->uncertain_file = strdup(lx->file);
		if (!env->uncertain_file)
			return -ENOMEM;
	}
	for (size_t i = 0; i < env->n; i++) {
		if (env->vars[i].known) {
			env->vars[i].known = false;
			env->vars[i].why = why;
		}
		/* the assignment is no longer the last word on the variable */
		if (env->vars[i].editable) {
			env->vars[i].editable = false;
			env->vars[i].edit_why = why;
		}
	}
	return 0;
}

static bool is_function(const struct shenv *env, const char *name)
{
	for (size_t i = 0; i < env->n_functions; i++)
		if (strcmp(env->functions[i], name) == 0)
			return true;
	return false;
}

static int add_function(struct shenv *env, const char *name, size_t len)
{
	char **nf = realloc(env->functions, (env->n_functions + 1) * sizeof(*nf));

	if (!nf)
		return -ENOMEM;
	env->functions = nf;
	nf[env->n_functions] = strndup(name, len);
	if (!nf[env->n_functions])
		return -ENOMEM;
	env->n_functions++;
	return 0;
}

static void chain_clear(struct shvar *v)
{
	for (size_t i = 0; i < v->n_chain; i++)
		free(v->chain[i].file);
	free(v->chain);
	v->chain = NULL;
	v->n_chain = 0;
}

/* this assignment made the value: on top of the earlier ones when it appends */
static int chain_push(struct shvar *v, const struct lexer *lx, bool appends)
{
	struct shassign *n;

	if (!appends)
		chain_clear(v);
	n = realloc(v->chain, (v->n_chain + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	v->chain = n;
	n[v->n_chain] = (struct shassign){ .file = strdup(lx->file), .line = lx->line };
	if (!n[v->n_chain].file)
		return -ENOMEM;
	v->n_chain++;
	return 0;
}

static int assign(struct lexer *lx, const struct word *w, bool conditional)
{
	const char *value = w->text.s + w->name_len + 1;
	const char *not_editable = NULL;
	struct shvar *v;
	int r;

	if (w->append) {
		not_editable = "assigned with += (bash appends, dash runs a command)";
		r = set_var(lx, w->text.s, w->name_len, NULL, false, not_editable);
	} else if (conditional) {
		not_editable =
			"assigned inside an if, a case, a loop, a subshell, a function or after && / ||";
		r = set_var(lx, w->text.s, w->name_len, NULL, false, not_editable);
	} else
		r = set_var(lx, w->text.s, w->name_len, w->known ? value : NULL, w->known, w->why);
	if (r < 0)
		return r;
	if (!not_editable && w->bashism)
		not_editable = "bash-only $'...' quoting, which dash reads otherwise";
	v = find_var(lx->env, w->text.s, w->name_len);
	/* references to the watched variable before this assignment see an older value */
	if (lx->env->watch && strcmp(v->name, lx->env->watch) == 0)
		lx->env->watch_line = 0;
	v->value_start = w->value_start;
	v->value_end = w->end;
	v->editable = !not_editable;
	v->edit_why = not_editable;
	return chain_push(v, lx, w->self_ref && !w->append && !conditional);
}

static bool word_is(const struct word *w, const char *s)
{
	return !w->quoted && strcmp(w->text.s, s) == 0;
}

/* One simple command: its words, then what it does to the variables. */
static int run_command(struct lexer *lx, struct word *words, size_t n)
{
	size_t i = 0, k;
	struct shvar *v;
	int r;

	/* inside a compound command (a case arm's "pat) NAME=x", a loop body) any
	 * assignment may or may not happen: every one makes its variable unknown */
	if (lx->depth > 0)
		for (size_t j = 0; j < n; j++)
			if (words[j].assignment) {
				r = assign(lx, &words[j], true);
				if (r < 0)
					return r;
			}

	/* reserved words at the start of a command */
	while (i < n && !words[i].assignment) {
		struct word *w = &words[i];

		if (word_is(w, "if") || word_is(w, "while") || word_is(w, "until") ||
		    word_is(w, "{") || word_is(w, "(")) {
			if (lx->depth++ == 0)
				lx->open_line = lx->line;
		} else if (word_is(w, "function") && i + 1 < n) {
			/* bash's "function name {" */
			r = add_function(lx->env, words[i + 1].text.s, words[i + 1].text.n);
			if (r < 0)
				return r;
			i++;
		} else if (word_is(w, "for") || word_is(w, "case") || word_is(w, "select")) {
			if (lx->depth++ == 0)
				lx->open_line = lx->line;
			return 0; /* the rest of the command is not a command */
		} else if (word_is(w, "fi") || word_is(w, "done") || word_is(w, "esac") ||
			   word_is(w, "}")) {
			if (lx->depth > 0)
				lx->depth--;
		} else if (!(word_is(w, "then") || word_is(w, "else") || word_is(w, "elif") ||
			     word_is(w, "do") || word_is(w, "!")))
			break;
		i++;
	}
	if (i == n)
		return 0;

	/* a case pattern "x)" inside a case: skip it */
	for (k = i; k < n && words[k].assignment; k++)
		;
	if (k == n) {
		/* only assignments: they stay */
		for (; i < n; i++) {
			r = assign(lx, &words[i], lx->depth > 0 || lx->conditional);
			if (r < 0)
				return r;
		}
		return 0;
	}

	/* a command runs; prefix assignments are only its environment */
	{
		const struct word *cmd = &words[k];
		const char *name = cmd->text.s;

		if (word_is(cmd, "export") || word_is(cmd, "readonly")) {
			for (size_t j = k + 1; j < n; j++)
				if (words[j].assignment) {
					r = assign(lx, &words[j], lx->depth > 0 || lx->conditional);
					if (r < 0)
						return r;
				}
			return 0;
		}
		if (word_is(cmd, "unset")) {
			for (size_t j = k + 1; j < n; j++) {
				if (words[j].text.s[0] == '-')
					continue;
				r = set_var(lx, words[j].text.s, strlen(words[j].text.s), NULL,
					    lx->depth == 0 && !lx->conditional,
					    "unset conditionally");
				if (r < 0)
					return r;
				v = find_var(lx->env, words[j].text.s, strlen(words[j].text.s));
				chain_clear(v);
				/* no assignment is the last word on it any more */
				v->editable = false;
				v->edit_why = "unset after its last assignment";
			}
			return 0;
		}
		if (word_is(cmd, ".") || word_is(cmd, "source"))
			return make_uncertain(lx, "a file is sourced, which may set anything");
		if (word_is(cmd, "eval") || word_is(cmd, "read") || word_is(cmd, "declare") ||
		    word_is(cmd, "typeset") || word_is(cmd, "local") || word_is(cmd, "let") ||
		    word_is(cmd, "mapfile") || word_is(cmd, "readarray") ||
		    word_is(cmd, "printf") || word_is(cmd, "getopts"))
			return make_uncertain(lx, "a builtin that can set variables runs");
		if (is_function(lx->env, name))
			return make_uncertain(lx, "a shell function defined in the file runs");
	}
	return 0;
}

static void words_free(struct word *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(words[i].text.s);
}

int shenv_source(struct shenv *env, const char *text, size_t len, const char *file)
{
	struct lexer lx = {
		.env = env, .text = text, .p = text, .end = text + len, .file = file, .line = 1
	};
	struct word words[64];
	size_t n = 0;
	unsigned cmd_line = 1;
	char *heredoc = NULL; /* the delimiter of a here-document whose body comes next */
	bool heredoc_tabs = false;
	int r = 0;

	while (lx.p <= lx.end) {
		char c = lx.p < lx.end ? *lx.p : '\n';

		if (is_blank(c) || (c == '\\' && at(&lx, 1, '\n'))) {
			advance(&lx, c == '\\' ? 2 : 1);
			continue;
		}
		if (c == '#' && n == 0) {
			while (lx.p < lx.end && *lx.p != '\n')
				advance(&lx, 1);
			continue;
		}
		if (c == '#' && n > 0 && lx.p > text && is_blank(lx.p[-1])) {
			while (lx.p < lx.end && *lx.p != '\n')
				advance(&lx, 1);
			continue;
		}
		if (c == '\n' || c == ';' || c == '&' || c == '|') {
			bool is_and_or = (c == '&' && at(&lx, 1, '&')) || (c == '|');
			unsigned line = lx.line;

			lx.line = cmd_line; /* report the line where the command started */
			r = run_command(&lx, words, n);
			lx.line = line;
			words_free(words, n);
			n = 0;
			if (r < 0)
				break;
			if (lx.p >= lx.end)
				break;
			if (c == '\n' && heredoc) {
				/* the body, up to the line that is the delimiter */
				bool found = false;

				advance(&lx, 1);
				while (lx.p < lx.end && !found) {
					const char *eol =
						memchr(lx.p, '\n', (size_t)(lx.end - lx.p));
					const char *b = lx.p;
					size_t ll = eol ? (size_t)(eol - lx.p)
							: (size_t)(lx.end - lx.p);

					while (heredoc_tabs && ll && *b == '\t')
						b++, ll--;
					found = ll == strlen(heredoc) &&
						memcmp(b, heredoc, ll) == 0;
					advance(&lx,
						(size_t)(eol ? eol - lx.p + 1 : lx.end - lx.p));
				}
				free(heredoc);
				heredoc = NULL;
				if (!found && !env->unterminated_line)
					env->unterminated_line = line;
				lx.conditional = false;
				cmd_line = lx.line;
				continue;
			}
			lx.conditional = is_and_or;
			if (c == '\n' || c == ';')
				lx.conditional = false;
			advance(&lx, (c == '&' || c == '|') && lx.p + 1 < lx.end && lx.p[1] == c
					     ? 2
					     : 1);
			cmd_line = lx.line;
			continue;
		}
		if (c == '(' || c == ')') {
			/* name() { ...: a function definition */
			if (c == '(' && at(&lx, 1, ')') && n == 1 && !words[0].assignment) {
				r = add_function(env, words[0].text.s, words[0].text.n);
				if (r < 0)
					break;
				words_free(words, n);
				n = 0;
				advance(&lx, 2);
				continue;
			}
			/* a subshell: whatever it assigns does not stay */
			if (c == '(') {
				lx.parens++;
				if (lx.depth++ == 0)
					lx.open_line = lx.line;
			} else if (lx.parens > 0) {
				/* the command before ')' ran in the subshell (or the case arm) */
				r = run_command(&lx, words, n);
				words_free(words, n);
				n = 0;
				if (r < 0)
					break;
				lx.parens--;
				lx.depth--;
			}
			advance(&lx, 1);
			continue;
		}
		if (c == '<' && at(&lx, 1, '<') && !at(&lx, 2, '<')) {
			/* a here-document: its lines are text for a command, not commands;
			 * what the command makes of them is not known */
			struct word w;

			advance(&lx, 2);
			heredoc_tabs = at(&lx, 0, '-');
			if (heredoc_tabs)
				advance(&lx, 1);
			while (lx.p < lx.end && is_blank(*lx.p))
				advance(&lx, 1);
			read_word(&lx, &w);
			free(heredoc);
			heredoc = w.text.oom ? NULL : w.text.s;
			if (!heredoc) {
				free(w.text.s);
				r = -ENOMEM;
				break;
			}
			r = make_uncertain(&lx, "a here-document feeds a command");
			if (r < 0)
				break;
			continue;
		}
		if (c == '<' || c == '>') {
			/* a redirection: skip the operator; its target is read as a word */
			while (lx.p < lx.end && (*lx.p == '<' || *lx.p == '>' || *lx.p == '&'))
				advance(&lx, 1);
			continue;
		}
		if (n == ARRAY_SIZE(words)) {
			/* a very long command line: its words no longer matter for variables */
			struct word w;

			read_word(&lx, &w);
			free(w.text.s);
			continue;
		}
		if (n == 0)
			cmd_line = lx.line;
		read_word(&lx, &words[n]);
		if (words[n].text.oom) {
			words_free(words, n + 1);
			return -ENOMEM;
		}
		n++;
	}
	words_free(words, n);
	free(heredoc);
	/* an if, loop, brace or subshell that never closes: the shell stops with a
	 * syntax error there, and nothing after it means what it seems to */
	if (lx.depth > 0 && !env->unterminated_line)
		env->unterminated_line = lx.open_line;
	return r;
}

void shenv_done(struct shenv *env)
{
	for (size_t i = 0; i < env->n; i++) {
		free(env->vars[i].name);
		free(env->vars[i].value);
		free(env->vars[i].file);
		chain_clear(&env->vars[i]);
	}
	free(env->vars);
	for (size_t i = 0; i < env->n_functions; i++)
		free(env->functions[i]);
	free(env->functions);
	free(env->uncertain_file);
	memset(env, 0, sizeof(*env));
}

const struct shvar *shenv_get(const struct shenv *env, const char *name)
{
	for (size_t i = 0; i < env->n; i++)
		if (strcmp(env->vars[i].name, name) == 0)
			return &env->vars[i];
	return NULL;
}

bool shenv_known(const struct shenv *env, const char *name)
{
	const struct shvar *v = shenv_get(env, name);

	return v ? v->known : !env->uncertain;
}
