"""search.paths gives exactly what reverse() gives, for every kind of value."""

import pytest
from django.urls import NoReverseMatch, reverse

from search.paths import path_maker, path_with, reversed_path


@pytest.mark.parametrize(("name", "kwarg", "value"), [
    ("product", "slug", "plain-slug_1"),
    ("product", "slug", "ünïcode"),
    ("product", "slug", "with space"),
    ("product", "slug", 42),
    ("category", "slug_path", "clothing/tops/t-shirts"),
    ("category", "slug_path", "a/b c/ü"),
])
def test_links_are_what_reverse_gives(name, kwarg, value):
    try:
        expected = reverse(name, kwargs={kwarg: value})
    except NoReverseMatch:
        with pytest.raises(NoReverseMatch):
            path_maker(name, kwarg)(value)
        with pytest.raises(NoReverseMatch):
            path_with(name, kwarg, value)
        return
    assert path_maker(name, kwarg)(value) == expected
    assert path_with(name, kwarg, value) == expected


def test_a_route_without_arguments():
    assert reversed_path("search") == reverse("search")
