"""Reports: the tables (CSV, XLSX), the SVG charts, and the PDF that draws both."""

from __future__ import annotations

from .tables import report_filename, to_csv, to_xlsx


def to_pdf(report: dict, **options) -> bytes:
    """Lay out the report with its charts as a PDF (fpdf2 and the fonts load only when asked)."""
    from .pdf import to_pdf as write_pdf

    return write_pdf(report, **options)


__all__ = ["report_filename", "to_csv", "to_pdf", "to_xlsx"]
