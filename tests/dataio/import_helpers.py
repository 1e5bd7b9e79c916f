"""Running an import start to finish in a test: upload, validate, process (the task runs
eagerly on commit), and the job as stored."""
from dataio.models import ImportJob, ImportStatus
from dataio.services.imports import import_job_create, import_job_process, import_job_validate


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def validate(text: bytes | str, *, type: str, mode: str = "UPSERT", dry_run: bool = False, user=None,
             name: str = "file.csv") -> ImportJob:
    data = text.encode() if isinstance(text, str) else text
    job = import_job_create(data=data, file_name=name, type=type, mode=mode, dry_run=dry_run, user=user)
    return import_job_validate(job=job)


def run(capture, text: bytes | str, *, type: str, mode: str = "UPSERT", on_error: str = "rollback", user=None,
        name: str = "file.csv") -> ImportJob:
    """Validate and process; `capture` is pytest-django's django_capture_on_commit_callbacks."""
    job = validate(text, type=type, mode=mode, user=user, name=name)
    if job.status != ImportStatus.VALIDATED:
        return job
    with capture(execute=True):
        import_job_process(job=job, on_error=on_error, user=user)
    job.refresh_from_db()
    return job


def errors(job: ImportJob) -> list[tuple[int, str, str]]:
    return list(job.row_errors.values_list("row", "column", "message"))
