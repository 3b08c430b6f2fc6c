#!/usr/bin/env python3
"""The test command's closing summary: reads the saved output of each `cargo test` run of
scripts/test-all.sh and prints, last, exactly one line `N passed, N failed, N skipped`.

    scripts/test-summary.py [--failed-step NAME] LOG...
    scripts/test-summary.py --self-test

Each LOG is one run's output (stdout and stderr) followed by a last line `exit status: N`, as
test-all.sh writes it. Counts come from libtest's `test result:` lines only: `passed` and `failed`
as libtest counts them; `skipped` is libtest's `ignored` plus `filtered out` (a test that was not run
was not passed). The reasons of ignored tests (`test NAME ... ignored, REASON`) and the test binaries
that filtered tests out are listed above the summary line.

Fails closed: a run that exited non-zero without a failing test (a build error, a test binary that
crashed before its `test result:` line), a test binary that started and never reported, a log
without its exit status, and `--failed-step` (a step of test-all.sh other than `cargo test` that
failed) each count as one failed test, with the reason printed. Exit status 1 when anything failed.
"""

import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
RESULT = re.compile(
    r"^test result: (ok|FAILED)\. (\d+) passed; (\d+) failed; (\d+) ignored; (\d+) measured; (\d+) filtered out"
)
STARTED = re.compile(r"^\s+(Running|Doc-tests) (.*)$")
IGNORED = re.compile(r"^test (.+?) \.\.\. ignored(?:, (.*))?$")
FAILED_TEST = re.compile(r"^test (.+?) \.\.\. FAILED$")
EXIT = re.compile(r"^exit status: (-?\d+)$")


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.ignored = []  # (test, reason)
        self.filtered = []  # (binary, count)
        self.failures = []  # what failed, one line each

    def fail(self, why):
        self.failed += 1
        self.failures.append(why)


def read_run(name, text, tally):
    """Adds one `cargo test` run's counts to `tally`."""
    binary = None  # the test binary whose output is being read, until its `test result:` line
    run_failed = 0
    exit_status = None
    for raw in text.splitlines():
        line = ANSI.sub("", raw).rstrip("\r")
        started = STARTED.match(line)
        if started:
            if binary is not None:
                tally.fail(f"{name}: {binary} ended without a `test result:` line (crashed?)")
                run_failed += 1
            binary = started.group(2).strip()
            continue
        ignored = IGNORED.match(line)
        if ignored:
            tally.ignored.append((ignored.group(1), ignored.group(2) or "no reason given"))
            continue
        failed_test = FAILED_TEST.match(line)
        if failed_test:
            tally.failures.append(f"{name}: {failed_test.group(1)}")
            continue
        result = RESULT.match(line)
        if result:
            passed, failed, ignored_n, _measured, filtered = (int(g) for g in result.groups()[1:])
            tally.passed += passed
            tally.failed += failed
            run_failed += failed
            tally.skipped += ignored_n + filtered
            if filtered:
                tally.filtered.append((binary or name, filtered))
            if result.group(1) == "FAILED" and failed == 0:
                tally.fail(f"{name}: {binary or 'a test binary'} reported FAILED with no failed test")
                run_failed += 1
            binary = None
            continue
        status = EXIT.match(line)
        if status:
            exit_status = int(status.group(1))
    if binary is not None:
        tally.fail(f"{name}: {binary} ended without a `test result:` line (crashed?)")
        run_failed += 1
    if exit_status is None:
        tally.fail(f"{name}: no `exit status:` line (the run was cut short)")
    elif exit_status != 0 and run_failed == 0:
        tally.fail(f"{name}: exited with status {exit_status} and no failed test (a build error?)")


def summarize(runs, failed_step=None, out=sys.stdout):
    """`runs`: (name, text) pairs. Prints the lists and the summary line; returns the tally."""
    tally = Tally()
    for name, text in runs:
        read_run(name, text, tally)
    if failed_step:
        tally.fail(f"step failed: {failed_step}")
    if not runs and not failed_step:
        tally.fail("no `cargo test` run to summarize")
    if tally.ignored:
        print(f"skipped (ignored), {len(tally.ignored)}:", file=out)
        for test, reason in tally.ignored:
            print(f"  {test}: {reason}", file=out)
    if tally.filtered:
        print("skipped (filtered out by name):", file=out)
        for binary, n in tally.filtered:
            print(f"  {n} in {binary}", file=out)
    if tally.failures:
        print("failed:", file=out)
        for why in tally.failures:
            print(f"  {why}", file=out)
    print(f"{tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped", file=out)
    return tally


def self_test():
    """The parser on synthetic runs: passing, failing, ignored, filtered, crashed, cut short, build error."""
    import io

    ok_run = """\
   Compiling invent-api v0.1.0
     Running unittests src/lib.rs (target/debug/deps/invent_api-1)

running 3 tests
test a ... ok
test b ... ignored, needs Redis at INVENT_TEST_REDIS_URL
test c ... ok

test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s

     Running tests/x.rs (target/debug/deps/x-2)

running 1 test
test d ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 4 filtered out; finished in 0.00s

   Doc-tests invent_api

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

exit status: 0
"""
    failing_run = """\
     Running tests/y.rs (target/debug/deps/y-3)

running 2 tests
test e ... FAILED
test f ... ok

failures:
    e

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.10s

error: test failed, to rerun pass `--test y`
exit status: 101
"""
    crashed_run = """\
     Running tests/z.rs (target/debug/deps/z-4)

running 2 tests
test g ... ok
error: test failed, to rerun pass `--test z`
Caused by:
  process didn't exit successfully: `target/debug/deps/z-4` (signal: 11, SIGSEGV)
exit status: 101
"""
    build_error = "error[E0425]: cannot find value `x`\nerror: could not compile `invent-api`\nexit status: 101\n"
    colored = "\x1b[1m     Running\x1b[0m tests/w.rs\ntest result: \x1b[32mok\x1b[0m. 5 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\nexit status: 0\n"
    cut_short = "     Running tests/v.rs\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n"

    cases = [
        ([("ok", ok_run)], None, (3, 0, 5), "3 passed, 0 failed, 5 skipped"),
        ([("ok", ok_run), ("failing", failing_run)], None, (4, 1, 5), "4 passed, 1 failed, 5 skipped"),
        ([("crashed", crashed_run)], None, (0, 1, 0), "0 passed, 1 failed, 0 skipped"),
        ([("build", build_error)], None, (0, 1, 0), "0 passed, 1 failed, 0 skipped"),
        ([("ok", ok_run)], "lint: scripts/lint.sh", (3, 1, 5), "3 passed, 1 failed, 5 skipped"),
        ([("cut", cut_short)], None, (1, 1, 0), "1 passed, 1 failed, 0 skipped"),
        ([], None, (0, 1, 0), "0 passed, 1 failed, 0 skipped"),
    ]
    problems = []
    for runs, step, counts, last in cases:
        out = io.StringIO()
        tally = summarize(runs, step, out)
        lines = out.getvalue().splitlines()
        label = "+".join(n for n, _ in runs) or "nothing"
        if (tally.passed, tally.failed, tally.skipped) != counts:
            problems.append(f"{label}: counted {(tally.passed, tally.failed, tally.skipped)}, expected {counts}")
        if lines[-1] != last:
            problems.append(f"{label}: last line {lines[-1]!r}, expected {last!r}")
        if not re.fullmatch(r"\d+ passed, \d+ failed, \d+ skipped", lines[-1]):
            problems.append(f"{label}: last line {lines[-1]!r} is not the summary line")
    # Colour codes are stripped: the coloured run reads as 5 passed.
    out = io.StringIO()
    tally = summarize([("colored", colored)], None, out)
    if (tally.passed, tally.failed) != (5, 0):
        problems.append(f"colored: counted {(tally.passed, tally.failed)}, expected (5, 0)")
    # The reasons of ignored tests and the filtering binaries are listed above the summary.
    out = io.StringIO()
    summarize([("ok", ok_run)], None, out)
    text = out.getvalue()
    for wanted in ("b: needs Redis at INVENT_TEST_REDIS_URL", "4 in tests/x.rs (target/debug/deps/x-2)"):
        if wanted not in text:
            problems.append(f"the list lacks {wanted!r}:\n{text}")
    out = io.StringIO()
    summarize([("failing", failing_run)], None, out)
    if "failing: e" not in out.getvalue():
        problems.append(f"the failed test is not named:\n{out.getvalue()}")
    for p in problems:
        print(f"test-summary self-test: {p}", file=sys.stderr)
    print(f"test-summary self-test: {len(cases) + 3 - len(problems)} of {len(cases) + 3} checks pass")
    return not problems


def main(argv):
    if argv == ["--self-test"]:
        return 0 if self_test() else 1
    failed_step = None
    if len(argv) >= 2 and argv[0] == "--failed-step":
        failed_step, argv = argv[1], argv[2:]
    runs = []
    for path in argv:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                runs.append((path, f.read()))
        except OSError as e:
            runs.append((path, ""))
            print(f"test-summary: cannot read {path}: {e}", file=sys.stderr)
    tally = summarize(runs, failed_step)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
