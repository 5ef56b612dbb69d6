"""tracegrid bench compare: DuckDB's side, run as a child process.

Reads a job (JSON) from the file named on the command line: the database file to create, the
statements that load it, and the questions with their samples. Loads, then runs each question's
samples, stopping a question when its time budget is spent and
interrupting a query that runs past the timeout. Prints one JSON object: load time, database
size, and per question the milliseconds and rows of each sample run.
"""

import glob
import json
import os
import sys
import threading
import time

import duckdb
import duckdb_extension_spatial


def spatial_path():
    here = os.path.join(os.path.dirname(duckdb_extension_spatial.__file__), "extensions")
    path = os.path.join(here, "v" + duckdb.__version__, "spatial.duckdb_extension")
    if not os.path.exists(path):
        found = [os.path.basename(os.path.dirname(p))
                 for p in glob.glob(os.path.join(here, "*", "spatial.duckdb_extension"))]
        sys.exit(f"duckdb {duckdb.__version__} needs duckdb-extension-spatial of the same "
                 f"version; installed: {', '.join(found) or 'none'} "
                 f"(pip install duckdb=={duckdb.__version__} "
                 f"duckdb-extension-spatial=={duckdb.__version__})")
    return path


def cell(v):
    return "" if v is None else str(v)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    for suffix in ("", ".wal"):
        if os.path.exists(job["db"] + suffix):
            os.remove(job["db"] + suffix)
    con = duckdb.connect(job["db"])
    con.execute(f"LOAD '{spatial_path()}'")
    t = time.perf_counter()
    for statement in job["load"]:
        con.execute(statement)
    out = {"load_s": time.perf_counter() - t, "bytes": os.path.getsize(job["db"]),
           "version": duckdb.__version__, "questions": []}
    for q in job["questions"]:
        result = {"name": q["name"], "ms": [], "rows": [], "skipped": 0, "timed_out": False}
        spent = 0.0
        samples = q["samples"]
        for i, params in enumerate(samples):
            if i > 0 and spent > q["budget_s"]:
                result["skipped"] = len(samples) - i
                break
            timer = threading.Timer(q["timeout_s"], con.interrupt)
            timer.start()
            t = time.perf_counter()
            try:
                rows = con.execute(q["sql"], params).fetchall()
            except duckdb.InterruptException:
                timer.cancel()
                result["timed_out"] = True
                result["skipped"] = len(samples) - i - 1
                break
            finally:
                timer.cancel()
            elapsed = time.perf_counter() - t
            spent += elapsed
            result["ms"].append(elapsed * 1000.0)
            result["rows"].append([[cell(v) for v in r] for r in rows])
        out["questions"].append(result)
        print(f"  duckdb {q['name']}: {len(result['ms'])} run", file=sys.stderr, flush=True)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
