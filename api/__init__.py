"""The archive service: a REST API (FastAPI) over the archive. No pipeline logic lives
here: routes call workers/ (intake, jobs, corrections), storage/ (index, versions, tokens,
audit) and pipeline.signing / pipeline.certification use cases."""
