"""Where results are kept: an object store (content-addressed files) and, from the
understanding issue on, an index. Small interfaces so the backends can change."""
