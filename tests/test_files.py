"""Whole folders are published by one rename; a content-keyed cache keeps the first one published."""

from r1safe.files import fresh_partial_dir, partial_dir, publish_dir


def test_a_folder_is_published_whole_and_replaces_an_older_one(tmp_path):
    final = tmp_path / "model"
    for version in ("old", "new"):
        tmp = fresh_partial_dir(final)
        tmp.mkdir()
        (tmp / "weights").write_text(version)
        assert publish_dir(tmp, final)
    assert (final / "weights").read_text() == "new" and not partial_dir(final).exists()


def test_a_cache_built_by_two_processes_keeps_the_first_and_drops_the_second(tmp_path):
    final = tmp_path / "cache"
    first, second = fresh_partial_dir(final, owner="1"), fresh_partial_dir(final, owner="2")
    assert first != second
    for folder, text in ((first, "one"), (second, "two")):
        folder.mkdir()
        (folder / "head").write_text(text)
    assert publish_dir(first, final, keep_existing=True)
    assert not publish_dir(second, final, keep_existing=True)
    assert (final / "head").read_text() == "one" and not second.exists()
