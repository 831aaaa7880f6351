"""Peak memory and time of `suivi import iati` on a large IATI file (made here, never committed).

The file repeats the 100 real activities of the D-Portal sample (tests/fixtures/real) with
fresh identifiers until it reaches the asked size. The import runs in a child process so its
peak resident memory (ru_maxrss) is its own.

Run from the repository root: `.venv/bin/python -m bench.bench_iati [MEGABYTES]` (default 200).
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "fixtures" / "real" / "iati_dportal_ebola_sample_100_activities.xml"


def make_file(path: Path, megabytes: int) -> int:
    """Write an IATI file of about `megabytes` MB; returns its number of activities."""
    text = SAMPLE.read_text(encoding="utf-8")
    opening, _, rest = text.partition("\n")
    body = rest.rsplit("</iati-activities>", 1)[0]
    activities = re.findall(r"<iati-activity\b.*?</iati-activity>", body, flags=re.S)
    target, written, count = megabytes * 1_000_000, 0, 0
    with path.open("w", encoding="utf-8") as output:
        output.write(opening + "\n")
        while written < target:
            for activity in activities:
                renamed = activity.replace("<iati-identifier>", f"<iati-identifier>B{count}-", 1)
                output.write(renamed + "\n")
                written += len(renamed) + 1
                count += 1
        output.write("</iati-activities>\n")
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("megabytes", nargs="?", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suivi-bench-iati-") as folder:
        source = Path(folder) / "large.xml"
        count = make_file(source, args.megabytes)
        size = source.stat().st_size / 1e6
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "suivi.cli", "import", "iati", str(source),
             "--out", str(Path(folder) / "large.xlsx")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"IATI file: {size:.0f} MB, {count} activities")
        print(f"import: exit {done.returncode}, {seconds:.1f} s, peak RSS {peak_mb:.0f} MB")
        if done.returncode not in (0, 1):
            print(done.stderr[-2000:])


if __name__ == "__main__":
    main()
