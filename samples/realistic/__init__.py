"""A harder synthetic family that resembles what real archives hold, for MEASUREMENT ONLY.

The standard family (samples/generate.py) draws clean forms the pipeline was built on;
on real phone photos and scans the pipeline reads far fewer types and fields, and marks
wrong documents `done`. This family draws what those real inputs have: phone photos on
a table in perspective with shadows (photo.py), aged tinted guilloche paper with red
titles, a seal over the signer, numbers written in by hand and pencil notes (paper.py,
hand.py), the form generations the spec lists (birth.py, cards.py, land.py, admin.py),
card-size scans and tiny non-documents (tiny.py). `sohoa samples OUT --family realistic`
writes a batch (generate.py); `sohoa eval` and `python -m bench.realistic` measure it.

Seed split, fixed; do not move it:

- seeds 1000-1999 are the TUNING family: look at them, debug on them, tune on them;
- seeds 9000 and up are the HOLD-OUT: run them only to measure (bench/realistic.py),
  never look at their pages, results or mistakes while changing the pipeline, and never
  tune anything on them. A figure measured on a hold-out seed after tuning on it means
  nothing.
- other seeds belong to neither (tests use them).
"""

TUNING = range(1000, 2000)
HOLD_OUT_FROM = 9000


def split_of(seed: int) -> str:
    """"tuning", "hold-out" or "other" (see the module's docstring)."""
    if seed in TUNING:
        return "tuning"
    return "hold-out" if seed >= HOLD_OUT_FROM else "other"


def __getattr__(name: str):
    # lazy, so that importing the split does not load the renderers
    if name == "generate_realistic":
        from .generate import generate_realistic
        return generate_realistic
    raise AttributeError(f"module 'samples.realistic' has no attribute {name!r}")


__all__ = ["HOLD_OUT_FROM", "TUNING", "generate_realistic", "split_of"]
