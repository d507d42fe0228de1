"""Django loads an app's models from here: the search app keeps them by concern, in
search.merchandising.models (rules, facet curation) and search.analytics.models (events)."""

from search.analytics.models import ClickEvent, SearchEvent
from search.merchandising.models import (
    BoostRule,
    FacetSetting,
    FieldWeights,
    PinnedProduct,
    PinRule,
    PriceBucketing,
    Redirect,
    RulesVersioned,
    ScheduledRule,
    SynonymSet,
)
from search.merchandising.version import RulesVersion

__all__ = [
    "BoostRule", "ClickEvent", "FacetSetting", "FieldWeights", "PinRule", "PinnedProduct", "PriceBucketing",
    "Redirect", "RulesVersion", "RulesVersioned", "ScheduledRule", "SearchEvent", "SynonymSet",
]
