"""Run jobs in real threads released together by a barrier: the PostgreSQL race tests' one harness."""

import threading

from django.db import connection

JOIN_TIMEOUT = 30  # seconds; a thread still alive after this is taken as a deadlock


def run_together(*jobs):
    """Run each callable in its own thread and connection, all at once; return (results, errors) by index."""
    barrier = threading.Barrier(len(jobs), timeout=JOIN_TIMEOUT)
    results, errors = {}, {}

    def worker(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except BaseException as exc:  # noqa: BLE001  (every outcome is checked by the test)
            errors[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    stuck = [i for i, thread in enumerate(threads) if thread.is_alive()]
    assert not stuck, f"threads {stuck} never finished: deadlock or lock wait"
    return results, errors
