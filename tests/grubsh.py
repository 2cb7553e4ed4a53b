"""What bash makes of GRUB defaults files: the oracle the GRUB tests judge by.

sourced(*paths) sources the files in order in a clean bash and returns every
variable as `declare -p` prints it; value() decodes such a line; kwords()
splits a value into kernel words (white space separates, double quotes
group), as the kernel's next_arg() does.
"""
import os
import re
import subprocess
import tempfile

SOURCE = r'''
set -a
for __grubsh_f in "$@"; do . "$__grubsh_f" >/dev/null 2>&1; done
set +a
for v in $(compgen -v); do
  case $v in BASH*|FUNCNAME|GROUPS|PPID|PWD|OLDPWD|SHLVL|_|RANDOM|LINENO|SECONDS|EPOCH*|SRANDOM|HOSTNAME|HOSTTYPE|MACHTYPE|OSTYPE|UID|EUID|IFS|PS4|OPTIND|OPTERR|SHELLOPTS|COLUMNS|LINES|HISTCMD|PIPESTATUS|DIRSTACK|v|__grubsh_f) continue;; esac
  declare -p "$v" 2>/dev/null
done
'''


def sourced(*paths):
    with tempfile.TemporaryDirectory() as cwd:
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c", SOURCE, "_"] +
                           [os.path.abspath(x) for x in paths],
                           capture_output=True, cwd=cwd, timeout=30,
                           env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LC_ALL": "C"})
    out = {}
    for line in p.stdout.decode("utf-8", "surrogateescape").splitlines():
        m = re.match(r"declare -\S+ ([A-Za-z_][A-Za-z0-9_]*)(=.*)?$", line)
        if m:
            out[m.group(1)] = line
    return out


def value(decl):
    """the value of a `declare -p NAME="..."` line, as bash prints it"""
    if decl is None:
        return None
    m = re.match(r'declare -\S+ [A-Za-z_0-9]+="(.*)"$', decl, re.S)
    if m:
        return re.sub(r'\\(.)', r'\1', m.group(1))
    m = re.match(r"declare -\S+ [A-Za-z_0-9]+=\$'(.*)'$", decl, re.S)
    if m:
        return m.group(1).encode().decode("unicode_escape")
    return ""


def kwords(v):
    """kernel words: white space separates, double quotes group"""
    words, cur, q, started = [], "", False, False
    for c in v or "":
        if c.isspace() and not q:
            if started:
                words.append(cur)
            cur, started = "", False
            continue
        if c == '"':
            q = not q
        cur += c
        started = True
    if started:
        words.append(cur)
    return words
