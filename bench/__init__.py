"""Benchmarks, not tests: ``passend bench store|projections|load`` (install ``passend[bench]``)."""
