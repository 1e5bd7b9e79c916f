"""Writing an export to a file: the CSV lines made by the database where it can, otherwise
the rows through `dataio.writers`, read ahead in a thread where that is possible."""
from collections.abc import Callable

from dataio.exports.readahead import _read_ahead, _read_ahead_possible
from dataio.exports.sources import export_rows
from dataio.models import ExportType, FileFormat
from dataio.writers import WRITERS, csv_lines_write


def export_write(*, type: str, format: str, filters: dict, file,
                 progress: Callable[[int, int], None] | None = None) -> int:
    """Write the export to an open binary file; `progress(done, total)` is called per chunk.
    Returns the number of rows written."""
    source = export_rows(type=type, filters=filters)
    total = source.total() if progress is not None else 0
    if progress is not None:
        progress(0, total)
    report = (lambda done: progress(done, total)) if progress is not None else None
    if format == FileFormat.CSV and source.csv_lines is not None:
        source.chunks.close()  # never started: the database writes the lines
        # No reading thread: the database does the work here, and a second connection
        # would only add its start-up.
        blocks = source.csv_lines()
        try:
            return csv_lines_write(file=file, header=source.header, blocks=blocks, progress=report)
        finally:
            blocks.close()
    options = {"title": ExportType(type).label} if format == FileFormat.XLSX else {}
    chunks = _read_ahead(source.chunks) if _read_ahead_possible() else source.chunks
    try:
        return WRITERS[format](file=file, header=source.header, kinds=source.kinds, chunks=chunks,
                               progress=report, **options)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()  # stops the reading thread at once when the writer gave up
