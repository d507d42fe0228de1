"""Django discovers an app's admin here: the search app's back office lives in its web layer."""

from search.web import analytics_admin, experiments_admin, merchandising_admin  # noqa: F401
