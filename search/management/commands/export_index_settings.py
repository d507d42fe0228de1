import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from search.backends.elasticsearch.mapping import index_body

MIRROR = Path(settings.BASE_DIR) / "deploy" / "elasticsearch" / "products-index.json"


def mirror_text() -> str:
    return json.dumps(index_body(), indent=2, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "Write the Elasticsearch product index settings and mappings to deploy/elasticsearch/ for operators."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", type=Path, default=MIRROR)

    def handle(self, *args, output: Path, **options) -> None:
        output.write_text(mirror_text())
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}"))
