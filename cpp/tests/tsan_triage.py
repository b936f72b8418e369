"""Sort ThreadSanitizer's reports (read from stdin) for `make test-tsan`; exit 1 on a race between workers.

libgomp is not built with TSan, so the fork and join of each OpenMP region are invisible to it: the main
thread's accesses before or after a region are reported as racing with the region's workers (false
positives, main <-> worker). Two threads of one region touching the same bytes without order (worker
<-> worker) is what a real race in a kernel looks like; those fail the target.
"""

import sys

text = sys.stdin.read()
reports = [r.split("SUMMARY")[0] for r in text.split("WARNING: ThreadSanitizer")[1:]]
between_workers = []
for report in reports:
    first, _, previous = report.partition("Previous")
    threads = ["by main thread" in first.split("\n", 2)[1], "by main thread" in previous.split("\n", 1)[0]]
    if not any(threads):
        between_workers.append(report)
tail = [line for line in text.splitlines() if line.startswith(("[  PASSED", "[  FAILED", "[==="))]
print("\n".join(tail))
n_main = len(reports) - len(between_workers)
print(
    f"ThreadSanitizer: {len(reports)} reports, {n_main} main<->worker across a region's fork/join "
    f"(libgomp, uninstrumented), {len(between_workers)} between two workers"
)
for report in between_workers[:5]:
    print("WARNING: ThreadSanitizer" + report)
sys.exit(1 if between_workers or "[  FAILED" in text else 0)
