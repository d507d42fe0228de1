from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from search.facets import FACETS
        from search.facets.labels import forget_labels

        # A catalog edit (a category renamed, a brand added…) forgets the facet labels.
        for model in {model for facet in FACETS for model in facet.label_sources()}:
            post_save.connect(forget_labels, sender=model, dispatch_uid=f"facet-labels-save-{model.__name__}")
            post_delete.connect(forget_labels, sender=model, dispatch_uid=f"facet-labels-delete-{model.__name__}")
