"""Django loads an app's models from here: the search app keeps them by concern, in
search.merchandising.models (rules, facet curation) and search.analytics.models (events)."""

from search.analytics.models import CartEvent, ClickEvent, SearchEvent, SearchStatsDay, StatsDayDone
from search.merchandising.experiments import Experiment, ExperimentVariant
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
    TypoSettings,
)
from search.merchandising.version import RulesVersion

__all__ = [
    "BoostRule", "CartEvent", "ClickEvent", "Experiment", "ExperimentVariant", "SearchStatsDay", "StatsDayDone",
    "FacetSetting", "FieldWeights", "PinRule", "PinnedProduct", "PriceBucketing",
    "Redirect", "RulesVersion", "RulesVersioned", "ScheduledRule", "SearchEvent", "SynonymSet",
    "TypoSettings",
]
