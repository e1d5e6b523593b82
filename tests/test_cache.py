"""The content-hash cache: keys from canonical JSON, entries that are whole or missing."""

from shiftgen.cache import Cache, content_key


def test_key_is_canonical():
    assert content_key({"a": 1, "b": [1, 2]}) == content_key({"b": [1, 2], "a": 1})
    assert content_key({"a": 1}) != content_key({"a": 2})
    assert len(content_key({})) == 64


def test_put_get_and_damaged_entries(tmp_path):
    cache = Cache(tmp_path / "cache")
    key = content_key({"x": 1})
    assert cache.get(key) is None
    doc = cache.put(key, {"result": 3})
    assert doc == {"key": key, "result": 3} and cache.get(key) == doc
    cache.path(key).write_text("{")  # a damaged entry counts as missing
    assert cache.get(key) is None
    other = content_key({"x": 2})
    cache.path(other).write_text(cache.path(key).read_text().replace("{", '{"key": "no"}'))
    assert cache.get(other) is None  # an entry naming another key, too
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.name.startswith(".")] == []
