"""Thin wrappers over the external programs sohoa runs (Tesseract, poppler's pdftoppm),
each with a start-up probe: the binary is there, its version is one we know, the language
model is installed. Everything else calls these, never the programs directly."""
