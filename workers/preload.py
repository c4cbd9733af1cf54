"""Imported by the local executor's fork server once, before it forks the workers.

Workers forked from a server that already holds OpenCV, NumPy, pikepdf and pyHanko share
those pages instead of each loading its own copy; gc.freeze() keeps the collector from
writing to every inherited object, which would copy each page into every worker.
"""
import gc

import pipeline.ocr  # noqa: F401
import pipeline.orient  # noqa: F401
import pipeline.pdfa  # noqa: F401
import pipeline.signing  # noqa: F401
import pipeline.understand  # noqa: F401
import workers.graph  # noqa: F401

gc.freeze()
