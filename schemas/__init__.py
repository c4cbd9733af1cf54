"""Schemas are data: JSON Schema files loaded by name."""
import json
from functools import cache
from importlib.resources import files


@cache
def load(name: str) -> dict:
    return json.loads(files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8"))
