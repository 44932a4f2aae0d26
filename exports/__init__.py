"""Exports: the JSON API's numbers as JSON, CSV, Parquet and Excel files, and the management report.

* :mod:`exports.formats` — the format registry (content types, which dataset allows which);
* :mod:`exports.filenames` — ``kcloud-<kind>-<clusters>-<start>-<end>.<ext>``;
* :mod:`exports.datasets` — power, energy and metrics datasets built on the monitoring services;
* :mod:`exports.writers` — one streaming writer per format;
* :mod:`exports.api` — ``/api/v1/export/*``; ``manage.py export`` — the same code from the shell;
* :mod:`exports.report` — the management report (PDF/XLSX).
"""
