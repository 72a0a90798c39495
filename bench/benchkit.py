"""What every benchmark here prints besides its own figures: machine speed, code measured, percentiles."""

from __future__ import annotations

import math
import os
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh_database(sqlite_name: str) -> str:
    """Drop and create the bench's database: DATABASE_URL's PostgreSQL one, or var/<sqlite_name> without it.

    Returns what to print of it; without DATABASE_URL, points DATABASE_URL at the SQLite file.
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        path = ROOT / "var" / sqlite_name
        path.parent.mkdir(exist_ok=True)
        if path.exists():
            path.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        return str(path)
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    name = config["NAME"]
    admin = psycopg.connect(host=config.get("HOST") or None, port=config.get("PORT") or None,
                            user=config.get("USER") or None, password=config.get("PASSWORD") or None,
                            dbname="postgres", autocommit=True)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql {name}"


def calibrate() -> float:
    """A fixed pure-Python workload, to tell a slow (shared, throttled) machine from slow code."""
    best = math.inf
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(3_000_000):
            total += i
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def code_state() -> str:
    """Return the commit measured and how many files differ from it (the tree may change under a run)."""
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        changed = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True, timeout=10).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}" + (f" + uncommitted changes in {len(changed)} files" if changed else "")


def announce_and_migrate(where: str) -> None:
    """Print the run's first line (database, code, calibration, load) and migrate the fresh database (Django set up)."""
    from django.core.management import call_command

    print(f"database: {where}; code {code_state()}; calibration {calibrate():.0f} ms; "
          f"load {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def write(model, objects: list) -> None:
    """Insert model instances with their ids set: COPY on PostgreSQL, bulk_create elsewhere."""
    from django.db import connection

    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=2000)
        return
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.copy(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
