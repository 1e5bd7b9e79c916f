"""export_products: the products export (one row per variant) to CSV and to XLSX.

Uses the 100,000-variant catalogue of bench/inventory_list (created once, reused). Each
case runs the export service as a worker would (`export_job_run` on a fresh job: count,
progress updates, streaming to a temporary file, saving through the storage) in a fresh
Python process, so its memory figures are its own:

- `peak_rss_mb`: the highest resident set size seen (sampled every 5 ms by a thread);
- `rss_growth_mb`: that peak minus the resident size just before the export started;
- `cpu_seconds` (this process only) and the 1-minute load average, since other work on
  the machine slows the wall-clock figure.

Two sizes per format: every variant in the bench database (at least 100,000) and one
category's variants (about 17,000): similar growth for both shows that memory does not
grow with the number of rows. Targets: CSV >= 250,000 rows/s, XLSX >= 20,000 rows/s.
"""
import json
import os
import subprocess
import sys
import threading
import time

from bench.common import log

TARGETS = {"csv": 250_000, "xlsx": 20_000}
SAMPLE_SECONDS = 0.005


def _catalogue() -> dict:
    """Make sure the catalogue exists; the filters of the two sizes."""
    from bench.inventory_list import _catalogue_ensure
    from inventory.models import Category

    _catalogue_ensure()
    one_category = Category.objects.get(name="Bench Desks")
    return {"all": {}, "one_category": {"category": one_category.pk}}


class RssSampler:
    """The peak resident set size of this process while the block runs."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self._stop = threading.Event()
        self.baseline = self._process.memory_info().rss
        self.peak = self.baseline
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def run_case(format: str, size: str, filters: dict) -> dict:
    """One export in this process (called in a child process by export_products)."""
    import gc

    from django.core.files.storage import default_storage

    from dataio.models import ExportJob
    from dataio.exports import export_job_run

    job = ExportJob.objects.create(type="products", format=format, filters=filters)
    gc.collect()
    with RssSampler() as memory:
        began, cpu_began = time.perf_counter(), time.process_time()
        job = export_job_run(job=job)
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu_began
    if job.status != "COMPLETED":
        raise RuntimeError(f"export {job.pk} ended {job.status}: {job.error}")
    record = {
        "bench": "export_products",
        "format": format,
        "size": size,
        "rows": job.row_count,
        "seconds": round(seconds, 3),
        "rows_per_s": round(job.row_count / seconds),
        # This process's CPU time (PostgreSQL's is not in it): with other work on the
        # machine, wall-clock seconds include time spent waiting for a core.
        "cpu_seconds": round(cpu_seconds, 3),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "target_rows_per_s": TARGETS[format],
        "file_mb": round(job.file_size / 2**20, 1),
        "peak_rss_mb": round(memory.peak / 2**20, 1),
        "rss_growth_mb": round((memory.peak - memory.baseline) / 2**20, 1),
    }
    default_storage.delete(job.file_name)
    job.delete()
    return record


def export_products() -> list[dict]:
    cases = _catalogue()
    records = []
    for format in ("csv", "xlsx"):
        for size in ("one_category", "all"):
            log(f"export_products: {format}, {size}")
            child = subprocess.run(
                [sys.executable, "-m", "bench.exports", format, size, json.dumps(cases[size])],
                capture_output=True, text=True, env=os.environ.copy(), check=False,
            )
            if child.returncode != 0:
                raise RuntimeError(f"export_products {format} {size} failed:\n{child.stderr}")
            record = json.loads(child.stdout.strip().splitlines()[-1])
            log(f"export_products {format} {size}: {record['rows']} rows, {record['rows_per_s']} rows/s, "
                f"peak {record['peak_rss_mb']} MB (+{record['rss_growth_mb']} MB)")
            records.append(record)
    return records


if __name__ == "__main__":
    # A child process: python -m bench.exports FORMAT SIZE FILTERS_JSON
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    print(json.dumps(run_case(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))), flush=True)
