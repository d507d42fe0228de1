"""Django discovers an app's admin here: the search app's is kept by concern."""

from search.analytics import admin as analytics_admin  # noqa: F401
from search.merchandising import admin as merchandising_admin  # noqa: F401
