"""The object store and the dossier registry keep what they are given, once, forever."""
import hashlib
from datetime import date

import pytest

from storage.objects import LocalObjectStore, publish
from storage.registry import DossierRegistry


def test_put_is_content_addressed_and_idempotent(tmp_path):
    store = LocalObjectStore(tmp_path)
    key = store.put(b"scan bytes")
    assert key == hashlib.sha256(b"scan bytes").hexdigest()
    assert store.put(b"scan bytes") == key
    assert store.get(key) == b"scan bytes"
    assert not any(p.name.startswith(".tmp-") for p in tmp_path.rglob("*"))


def test_named_objects_are_never_overwritten(tmp_path):
    store = LocalObjectStore(tmp_path)
    assert store.put_named("pages/abc/0.json", b"first") is True
    assert store.put_named("pages/abc/0.json", b"second") is False
    assert store.get_named("pages/abc/0.json") == b"first"
    assert store.get_named("pages/abc/1.json") is None


@pytest.mark.parametrize("name", ["../escape", "a/../../b", "/abs", "a//b", ""])
def test_names_cannot_escape_the_store(tmp_path, name):
    with pytest.raises(ValueError):
        LocalObjectStore(tmp_path).put_named(name, b"x")


def test_publish_never_replaces_a_visible_file(tmp_path):
    store = LocalObjectStore(tmp_path / "store")
    first, second = store.put(b"one"), store.put(b"two")
    target = tmp_path / "out" / "doc.pdf"
    assert publish(store.local_path(first), target)
    assert not publish(store.local_path(second), target)
    assert target.read_bytes() == b"one"


def test_registry_numbers_are_stable_and_sequential(tmp_path):
    registry = DossierRegistry(f"sqlite:///{tmp_path / 'r.sqlite'}")
    day = date(2026, 10, 8)
    first = registry.dossier("HS-001", "H15.50.05.13", day)
    second = registry.dossier("HS-002", "H15.50.05.13", day)
    assert first[1] == "H15.50.05.13-261008-0001"
    assert second[1] == "H15.50.05.13-261008-0002"
    reopened = DossierRegistry(f"sqlite:///{tmp_path / 'r.sqlite'}")
    assert reopened.dossier("HS-001", "H15.50.05.13", date(2026, 10, 9)) == first
    assert reopened.document_order(first[0], "HS-001/b.png") == 1
    assert reopened.document_order(first[0], "HS-001/a.png") == 2
    assert reopened.document_order(first[0], "HS-001/b.png") == 1
