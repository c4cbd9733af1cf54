"""The stages of sohoa as plain functions over a small typed data model.

Nothing here imports Celery or a storage backend: `workers/` orchestrates the stages and
`storage/` keeps what they produce.
"""
