"""store.pagination: one shape of page links for search results and reviews."""

from store.pagination import PageLink, page_window, paginate


def test_the_window_shows_the_ends_and_the_neighbours_with_gaps():
    assert page_window(7, 20) == [1, None, 5, 6, 7, 8, 9, None, 20]
    assert page_window(1, 3) == [1, 2, 3]
    assert page_window(4, 7) == [1, 2, 3, 4, 5, 6, 7]  # a gap of one page is the page itself


def test_links_previous_and_next():
    pages = paginate(3, 9, lambda n: f"?page={n}")
    assert pages.page == 3
    assert pages.previous_href == "?page=2" and pages.next_href == "?page=4"
    assert pages.links[:4] == [PageLink(1, "?page=1"), PageLink(2, "?page=2"), PageLink(3, "?page=3", True),
                               PageLink(4, "?page=4")]
    assert PageLink(None) in pages.links  # the gap before the last page
    assert paginate(1, 9, str).previous_href == "" and paginate(9, 9, str).next_href == ""


def test_one_page_needs_no_links():
    assert paginate(1, 1, str) is None
    assert paginate(1, 0, str) is None
