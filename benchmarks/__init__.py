"""Benchmarks of the project's pipeline. A package so the tests can import their helpers
(``from benchmarks.clinc150.scoring import oos_metrics``) instead of loading files by path."""
