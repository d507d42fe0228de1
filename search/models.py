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
    SemanticSettings,
    SynonymSet,
    TypoSettings,
)
from search.merchandising.version import RulesVersion
from search.semantic.models import Embedding, VocabularyTerm

__all__ = [
    "BoostRule", "CartEvent", "ClickEvent", "Experiment", "ExperimentVariant", "SearchStatsDay", "StatsDayDone",
    "FacetSetting", "FieldWeights", "PinRule", "PinnedProduct", "PriceBucketing",
    "Redirect", "RulesVersion", "RulesVersioned", "ScheduledRule", "SearchEvent", "SemanticSettings", "SynonymSet",
    "TypoSettings", "Embedding", "VocabularyTerm",
]
