# SPDX-License-Identifier: GPL-2.0-only
"""Every command's --help: exit 0 on stdout, within 100 columns, every option of the synopsis
listed under Options with a description; `bindprof help CMD` prints the same; an unknown
command is one line and exit 2. No BPF, no root."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BINDPROF, check, main, run  # noqa: E402

COMMANDS = ["record", "load", "profile", "diff", "baseline save", "baseline check", "compare", "report",
            "flamegraph", "doctor", "export", "history", "history add", "history show", "history check"]


def helptext(cmd):
    r = run([BINDPROF, *cmd.split(), "--help"])
    check(r.returncode == 0, f"{cmd} --help: exit {r.returncode}: {r.stderr}")
    check(r.stdout.startswith("usage: bindprof "), f"{cmd} --help: {r.stdout[:60]!r}")
    return r.stdout


def test_every_help_within_100_columns():
    for cmd in COMMANDS:
        for ln in helptext(cmd).splitlines():
            check(len(ln) <= 100, f"{cmd} --help: a {len(ln)}-column line: {ln!r}")


def test_every_option_described():
    for cmd in COMMANDS:
        text = helptext(cmd)
        if "\nOptions:\n" not in text:
            check(not re.search(r"\[--?[a-z]", text.split("\n\n")[0]), f"{cmd}: options without an Options list")
            continue
        synopsis, opts = text.split("\nOptions:\n", 1)
        described = {}
        last = None
        for ln in opts.splitlines():
            m = re.match(r"  (?:-(\w), )?\s*--([a-z0-9-]+)(?: \S+)?(?:\s{2,}(\S.*))?$", ln)
            if m:
                last = m.group(2)
                described[last] = m.group(3) or ""
            elif last and ln.startswith(" " * 8) and ln.strip():
                described[last] += " " + ln.strip()
            elif not ln.strip():
                last = None
        usage = synopsis.split("\n\n")[0]
        for name in re.findall(r"--([a-z0-9-]+)", usage):
            check(name in described, f"{cmd}: --{name} is in the synopsis, not under Options")
        for name, d in described.items():
            check(len(d.strip()) >= 4, f"{cmd}: --{name} has no description")


def test_required_options_unbracketed():
    """--url is required by load and profile: the synopsis shows it without brackets, and leaving it
    out is one line and exit 2"""
    for cmd in ("load", "profile"):
        check(helptext(cmd).startswith(f"usage: bindprof {cmd} --url URL "), helptext(cmd)[:80])
        r = run([BINDPROF, cmd, "-d" if cmd == "load" else "--duration", "1"])
        check(r.returncode == 2 and "--url" in r.stderr and r.stderr.count("\n") == 1, f"{cmd}: {r.stderr!r}")


def test_help_cmd_is_cmd_help():
    for cmd in ["record", "report", "flamegraph", "doctor"]:
        r = run([BINDPROF, "help", cmd])
        check(r.returncode == 0 and r.stdout == helptext(cmd), f"bindprof help {cmd} differs from {cmd} --help")
    r = run([BINDPROF, "help", "nosuch"])
    check(r.returncode == 2 and r.stderr.count("\n") == 1 and "unknown command 'nosuch'" in r.stderr, r.stderr)
    r = run([BINDPROF, "help"])
    check(r.returncode == 0 and "flamegraph" in r.stdout and "help COMMAND" in r.stdout, r.stdout)


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
