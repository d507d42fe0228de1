"""Benchmark: relevance on judged queries, both engines, this code and another tree side by side.

    .venv/bin/python bench/relevance.py [--products 3000] [--seed 42] [--compare /path/to/other/tree]

A throwaway PostgreSQL database holds the demo catalog (``seed_catalog --products N --seed
42``, what ``make run`` shows). Two judged query sets are built from the catalog's
structured data — category, brand, attributes, SKU, name — never from an engine's answers:
the main set (query seed 1) and a held-out set built the same way from other products and
categories (query seed 2), so that tuning for the main set's queries shows up as a gap.

Query classes: exact names, product types (category names), brand + type, attribute + type,
shoppers' own words for what the shop sells under other names ("sweatpants", "rucksack"),
plurals, one- and two-edit typos, transpositions, SKUs and SKU prefixes, stopwords
("jackets for men"), top-level category names, product types the shop does not carry, and
nonsense. Grades: 3 the product asked for (or one matching every constraint of the query),
2 a product of the type asked for, 1 a product of the type that misses a constraint
(another brand, colour or gender), 0 the rest.

Each tree (this one, and ``--compare``'s) is reindexed on tantivy and on Elasticsearch's API
(osmem-server, the in-memory stand-in: relevance only, never its timings) and asked every
query through ``GET /api/search?q=…&page_size=10`` — the shopper's path, relaxed fallbacks
included. Printed per engine, tree and set, overall and per class: NDCG@10, MRR, P@10 (of
min(10, relevant) places), the zero-result rate on queries that have relevant products and
the false-positive rate (any result) on queries that have none.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import string
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from harness import DEFAULT_SERVER, figure, indexed_catalog, print_header, setup_django, throwaway_database

PER_CLASS = 12
PAGE_SIZE = 24
# Product types a general shop might be asked for; those the catalog never names (in any
# product name, description, category or attribute) are the "not carried" queries.
NOT_CARRIED_CANDIDATES = (
    "kettle", "dress", "sofa", "lawnmower", "piano", "microwave", "aquarium", "chainsaw", "wheelbarrow",
    "saxophone", "trampoline", "chandelier", "harmonica", "snorkel", "tuxedo", "umbrella", "wallpaper",
    "birdhouse", "toaster", "accordion", "hammock", "bonsai", "easel", "kimono", "stroller", "crib",
)
# Shoppers' own words for what the shop sells under other names: (query, the category of the
# products it asks for, the product-type nouns of the names that answer it exactly). Graded from
# the catalog: 3 a product of that category whose name holds one of the nouns, 2 any product of
# the category (or its subtree). A query joins the class only when none of its words occurs in the
# catalog (names, descriptions, brands, attribute values, category names), so that lexical matching
# cannot find it; the pool is split in two fixed halves, one per set, so the held-out set's words
# are never the ones a rule was tuned on.
SHOPPER_WORDS = (
    ("sweatshirt", "Sweaters & Hoodies", ("Hoodie",)), ("jumper", "Sweaters & Hoodies", ("Sweater",)),
    ("sweatpants", "Trousers", ("Joggers",)), ("slacks", "Trousers", ("Trousers", "Chinos")),
    ("anorak", "Jackets", ("Rain Jacket",)), ("windbreaker", "Jackets", ("Rain Jacket", "Softshell Jacket")),
    ("raincoat", "Jackets", ("Rain Jacket",)), ("kicks", "Sneakers", ("Sneakers", "Trainers")),
    ("blouse", "Shirts", ()), ("cellphone", "Smartphones", ()), ("handset", "Smartphones", ()),
    ("earphones", "Earbuds", ()), ("headset", "Over-Ear Headphones", ()), ("loudspeaker", "Speakers", ()),
    ("wristwatch", "Smartwatches", ()), ("pedometer", "Fitness Trackers", ()),
    ("frypan", "Pots & Pans", ("Frying Pan", "Skillet")), ("casserole", "Pots & Pans", ("Dutch Oven",)),
    ("cleaver", "Knives", ()), ("cafetiere", "Coffee Makers", ()), ("percolator", "Coffee Makers", ()),
    ("liquidizer", "Blenders", ()), ("bedsheets", "Sheets", ()), ("bedspread", "Duvets", ("Comforter", "Quilt")),
    ("eiderdown", "Duvets", ("Duvet", "Comforter")), ("blanket", "Duvets", ("Comforter", "Quilt")),
    ("carpet", "Rugs", ("Area Rug",)), ("tealight", "Candles", ()), ("barbell", "Weights", ()),
    ("rucksack", "Backpacks", ()), ("knapsack", "Backpacks", ()), ("bicycle", "Bikes", ()),
    ("football", "Balls", ("Soccer Ball",)), ("sunblock", "Sunscreen", ()), ("suncream", "Sunscreen", ()),
    ("facewash", "Cleansers", ()), ("aftershave", "Cologne", ()), ("whodunit", "Mystery & Thriller", ()),
    ("autobiography", "Biography & Memoir", ()), ("scifi", "Science Fiction", ()), ("sweats", "Trousers", ("Joggers",)),
    ("hoody", "Sweaters & Hoodies", ("Hoodie",)), ("pushbike", "Bikes", ()), ("doona", "Duvets", ("Duvet",)),
    ("lippy", "Lipstick", ()), ("griddle", "Pots & Pans", ("Skillet", "Frying Pan")),
    ("moisturiser", "Moisturizers", ("Moisturizer",)),
)


def _typo(word: str, rng: random.Random, edits: int) -> str:
    """``edits`` substitutions, never of the first letter (shoppers rarely miss that one)."""
    letters = list(word)
    for i in rng.sample(range(1, len(letters)), edits):
        letters[i] = rng.choice([c for c in string.ascii_lowercase if c != letters[i].lower()])
    return "".join(letters)


def _transpose(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _longest_word(text: str) -> str:
    return max((w for w in text.replace("&", " ").split() if w.isalpha()), key=len, default="")


def build_judged_set(query_seed: int) -> list[dict]:
    """Queries with graded judgments ({product id: grade}) from the database alone."""
    from store.models import Category, Product

    rng = random.Random(query_seed)
    products = list(Product.objects.visible().select_related("brand", "category").order_by("pk"))
    by_category: dict[int, list] = defaultdict(list)
    for p in products:
        by_category[p.category_id].append(p)
    categories = {c.pk: c for c in Category.objects.all()}

    def subtree(category) -> list:
        prefix = category.slug_path
        return [p for p in products
                if p.category.slug_path == prefix or p.category.slug_path.startswith(prefix + "/")]

    leaves = [c for c in categories.values() if by_category.get(c.pk) and len(by_category[c.pk]) >= 3]
    rng.shuffle(leaves)
    tops = [c for c in categories.values() if c.depth == 1]
    queries: list[dict] = []

    def add(cls: str, text: str, grades: dict[int, int]) -> None:
        if text and not any(q["q"] == text for q in queries):
            queries.append({"class": cls, "q": text, "grades": {str(k): v for k, v in grades.items() if v}})

    def type_grades(category) -> dict[int, int]:
        return {p.pk: 2 for p in subtree(category)}

    for p in rng.sample(products, PER_CLASS):
        same = {q.pk: 3 for q in products if q.name == p.name}
        add("exact name", p.name, {**{q.pk: 1 for q in by_category[p.category_id] if q.brand_id == p.brand_id}, **same})
    for c in leaves[:PER_CLASS]:
        add("product type", c.name.lower(), type_grades(c))
    for c in leaves[:PER_CLASS]:
        members = subtree(c)
        brand = rng.choice(members).brand
        add("brand + type", f"{brand.name} {c.name}".lower(),
            {p.pk: 3 if p.brand_id == brand.pk else 1 for p in members})
    colored = [c for c in leaves if any("color" in (p.attributes or {}) for p in by_category[c.pk])]
    for c in colored[:PER_CLASS]:
        members = subtree(c)
        color = rng.choice([p.attributes["color"] for p in members if "color" in (p.attributes or {})])
        add("attribute + type", f"{color} {c.name}".lower(),
            {p.pk: 3 if (p.attributes or {}).get("color") == color else 1 for p in members})
    for c in leaves[PER_CLASS:2 * PER_CLASS] or leaves[:PER_CLASS]:
        word = c.name.lower()
        add("plural", word[:-1] if word.endswith("s") else word + "s", type_grades(c))
    long_enough = [c for c in leaves if len(_longest_word(c.name)) >= 5]
    for c in long_enough[:PER_CLASS]:
        word = _longest_word(c.name).lower()
        add("one typo", c.name.lower().replace(word, _typo(word, rng, 1)), type_grades(c))
    longer = [c for c in leaves if len(_longest_word(c.name)) >= 8] or long_enough
    for c in longer[:PER_CLASS]:
        word = _longest_word(c.name).lower()
        add("two typos", c.name.lower().replace(word, _typo(word, rng, 2)), type_grades(c))
    for c in long_enough[-PER_CLASS:]:
        word = _longest_word(c.name).lower()
        add("transposition", c.name.lower().replace(word, _transpose(word, rng)), type_grades(c))
    for p in rng.sample(products, PER_CLASS):
        add("sku", p.sku, {p.pk: 3})
    for p in rng.sample(products, PER_CLASS):
        prefix = p.sku[: max(4, len(p.sku) - 2)]
        add("sku prefix", prefix, {q.pk: 2 for q in products if q.sku.lower().startswith(prefix.lower())})
    gendered = [c for c in leaves if any("gender" in (p.attributes or {}) for p in by_category[c.pk])]
    for c in gendered[:PER_CLASS]:
        members = subtree(c)
        gender = rng.choice([p.attributes["gender"] for p in members if "gender" in (p.attributes or {})])
        add("stopwords", f"{c.name} for {gender}".lower(),
            {p.pk: 3 if (p.attributes or {}).get("gender") in (gender, "Unisex") else 1 for p in members})
    for c in tops:
        add("category name", c.name.lower(), type_grades(c))
    vocabulary = _catalog_words(products, categories.values())
    absent = [w for w in NOT_CARRIED_CANDIDATES if not ({w, w + "s", w + "es"} & vocabulary)]
    for word in rng.sample(absent, min(PER_CLASS, len(absent))):
        add("not carried", word, {})
    by_name = {c.name: c for c in categories.values()}
    unused = [(q, by_name[c], nouns) for q, c, nouns in SHOPPER_WORDS
              if c in by_name and not set(q.split()) & vocabulary]
    for text, category, nouns in unused[query_seed - 1::2]:
        add("shoppers' words", text, {p.pk: 3 if any(n in p.name for n in nouns) else 2 for p in subtree(category)})
    for _ in range(PER_CLASS):
        length = rng.randint(6, 10)
        add("nonsense", "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(length)), {})
    return queries


def _catalog_words(products, categories) -> set[str]:
    words: set[str] = set()
    for p in products:
        text = f"{p.name} {p.description} {p.brand.name} " + " ".join(str(v) for v in (p.attributes or {}).values())
        words.update(w.strip(string.punctuation).lower() for w in text.split())
    for c in categories:
        words.update(w.lower() for w in c.name.split())
    return words


# --- scoring -------------------------------------------------------------------------------------

def score_query(ranked: list[int], total: int, grades: dict[str, int]) -> dict:
    gains = [grades.get(str(pid), 0) for pid in ranked[:10]]
    dcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted(grades.values(), reverse=True)[:10]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    relevant = len(grades)
    first = next((i for i, g in enumerate(gains) if g), None)
    return {
        "ndcg": dcg / idcg if idcg else None,
        "mrr": (1 / (first + 1) if first is not None else 0.0) if relevant else None,
        "p10": sum(1 for g in gains if g) / min(10, relevant) if relevant else None,
        "zero": (total == 0) if relevant else None,
        "false_positive": (total > 0) if not relevant else None,
    }


def summarise(scores: list[dict]) -> dict:
    def mean(key: str) -> float | None:
        values = [s[key] for s in scores if s[key] is not None]
        return sum(float(v) for v in values) / len(values) if values else None

    return {"n": len(scores), "ndcg": mean("ndcg"), "mrr": mean("mrr"), "p10": mean("p10"),
            "zero": mean("zero"), "false_positive": mean("false_positive")}


# --- one tree, one engine (a child process: the tree's own code and settings) ---------------------

def evaluate(tree: str, judged_path: str, out_path: str) -> None:
    sys.path.insert(0, tree)
    os.chdir(tree)
    import django

    django.setup()
    from django.test import Client

    from store.models import Product

    client = Client()
    # The judgments name product ids: the tree's catalog must be the judged one, id for id.
    results: dict = {"catalog": catalog_fingerprint(Product.objects.order_by("pk").values_list("pk", "sku"))}
    for name, queries in json.loads(Path(judged_path).read_text()).items():
        answers = []
        for q in queries:
            # A first page as the storefront shows it (24): the metrics read its first 10, the
            # comparison of trees all of it.
            response = client.get("/api/search", {"q": q["q"], "page_size": str(PAGE_SIZE)})
            data = response.json() if response.status_code == 200 else {"hits": [], "total": 0}
            answers.append({"ids": [h["id"] for h in data["hits"]], "total": data["total"],
                            "status": response.status_code})
        results[name] = answers
    Path(out_path).write_text(json.dumps(results))


def catalog_fingerprint(rows) -> str:
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


# --- design 2, measured as a prototype ------------------------------------------------------------

class HybridPrototype:
    """Hybrid retrieval as issue 14's design 2 would do it, for its relevance only: every product's
    text (name and category path) embedded with the same model, the query's nearest products by
    exact (brute-force) cosine — an upper bound of what an approximate kNN index finds — above
    KNN_FLOOR, fused with the engine's lexical top 10 by reciprocal rank fusion (k = RRF_K).
    Filters, facets and pins do not enter a relevance run, so none are applied."""

    KNN_FLOOR = 0.5
    RRF_K = 60
    DEPTH = 10

    def __init__(self, judged: dict[str, list[dict]]) -> None:
        import time

        import numpy as np

        from search.semantic import embedder
        from store.models import Product

        self.np = np
        rows = [(p.pk, f"{p.name}. {' > '.join(p.category.get_ancestors().values_list('name', flat=True))}"
                       f"{' > ' if p.category.depth > 1 else ''}{p.category.name}")
                for p in Product.objects.visible().select_related("category").order_by("pk")]
        self.ids = [pk for pk, _ in rows]
        # Kept between runs (var/ is never committed): the same texts are not embedded twice.
        cache_path = Path(__file__).resolve().parent.parent / "var" / "bench-product-embeddings.npz"
        digests = [embedder.digest(text) for _, text in rows]
        cached: dict[str, object] = {}
        if cache_path.exists():
            with np.load(cache_path) as stored:
                cached = dict(zip(stored["digests"].tolist(), stored["vectors"], strict=True))
        missing = [text for (_, text), d in zip(rows, digests, strict=True) if d not in cached]
        started = time.monotonic()
        fresh = embedder.embed(missing)
        seconds = time.monotonic() - started
        cached.update(zip((embedder.digest(t) for t in missing), fresh, strict=True))
        self.vectors = np.stack([cached[d] for d in digests])
        if missing:
            print(f"design 2 prototype: embedded {len(missing):,} product texts in {seconds:.1f}s "
                  f"({len(missing) / seconds:,.0f} texts/s on this machine now)", flush=True)
            cache_path.parent.mkdir(exist_ok=True)
            np.savez(cache_path, digests=np.array(list(cached)), vectors=np.stack(list(cached.values())))
        texts = sorted({q["q"] for queries in judged.values() for q in queries})
        self.queries = dict(zip(texts, embedder.embed(texts), strict=True))
        self.judged = judged

    def nearest(self, text: str) -> list[int]:
        similarities = self.vectors @ self.queries[text]
        order = self.np.argsort(-similarities)[:self.DEPTH]
        return [self.ids[i] for i in order if similarities[i] >= self.KNN_FLOOR]

    def fuse(self, answers: dict) -> dict:
        fused: dict = {}
        for name, queries in self.judged.items():
            fused[name] = []
            for q, answer in zip(queries, answers[name], strict=True):
                knn = self.nearest(q["q"])
                scores: dict[int, float] = defaultdict(float)
                for ranked in (answer["ids"], knn):
                    for rank, pid in enumerate(ranked):
                        scores[pid] += 1 / (self.RRF_K + rank + 1)
                ids = sorted(scores, key=lambda pid: -scores[pid])[:10]
                extra = len(set(knn) - set(answer["ids"]))
                fused[name].append({"ids": ids, "total": answer["total"] + extra, "status": answer["status"]})
        return fused


def tree_manage(tree: Path, env: dict[str, str], *args: str) -> None:
    """``manage.py`` of another checkout, with that checkout's own code."""
    run = subprocess.run([sys.executable, str(tree / "manage.py"), *args], env=env, cwd=tree, text=True,
                         capture_output=True)
    if run.returncode:
        raise SystemExit(f"{tree}: manage.py {' '.join(args)} failed:\n{run.stdout}{run.stderr[-3000:]}")


def run_tree(tree: Path, label: str, env: dict[str, str], engine_env: dict[str, str], judged: Path,
             work: Path) -> dict:
    child_env = {**env, **engine_env, "RATELIMIT_ENABLED": "false"}
    child_env.pop("PYTHONPATH", None)
    tree_manage(tree, child_env, "reindex", "--no-input")
    out = work / f"{label}.json"
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--evaluate", str(tree), str(judged), str(out)],
                   env=child_env, cwd=tree, check=True)
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--database", default="bench_relevance")
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--compare", help="another checkout of this project (e.g. the last landed commit)")
    parser.add_argument("--keep", help="a directory to keep the judged sets and every answer in (JSON)")
    parser.add_argument("--semantic", action="store_true",
                        help="this tree lexical only, with semantic query expansion (design 1), with hybrid "
                             "retrieval (design 2: product vectors, kNN, reciprocal rank fusion) and with both")
    parser.add_argument("--evaluate", nargs=3, metavar=("TREE", "JUDGED", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.evaluate:
        evaluate(*args.evaluate)
        return

    print_header()
    from osmem_server import OsmemServer

    root = Path(__file__).resolve().parent.parent
    # (label, checkout, its database, extra environment): this tree as it is, or in each semantic mode.
    runs = ([("lexical", root, "this tree", {"SEMANTIC_SEARCH_ENABLED": "false"}),
             ("expansion", root, "this tree", {"SEMANTIC_SEARCH_ENABLED": "true"})] if args.semantic
            else [("this tree", root, "this tree", {})])
    if args.compare:
        runs.append(("compared tree", Path(args.compare).resolve(), "compared tree", {}))
    with indexed_catalog(args.server, args.database, args.products, args.seed) as (env, var_dir), \
            throwaway_database(args.server, f"{args.database}_compared") as compared_db, \
            tempfile.TemporaryDirectory(prefix="relevance-") as tmp:
        setup_django(env)
        from django.db import connections

        from store.models import Product

        judged = {"main": build_judged_set(1), "held-out": build_judged_set(2)}
        fingerprint = catalog_fingerprint(Product.objects.order_by("pk").values_list("pk", "sku"))
        connections.close_all()
        # Another checkout reads a database migrated and seeded by its own code (its models may
        # differ); the same seed gives the same catalog, which the fingerprint checks.
        tree_env = {"this tree": env, "compared tree": {**env, "DATABASE_URL": compared_db}}
        if args.compare:
            tree_manage(Path(args.compare).resolve(), tree_env["compared tree"], "migrate", "--verbosity", "0")
            tree_manage(Path(args.compare).resolve(), tree_env["compared tree"], "seed_catalog",
                        "--products", str(args.products), "--seed", str(args.seed))
        work = Path(tmp)
        judged_path = work / "judged.json"
        judged_path.write_text(json.dumps(judged))
        for name, queries in judged.items():
            classes = sorted({q["class"] for q in queries})
            print(f"{name} set: {len(queries)} queries in {len(classes)} classes")
        hybrid = HybridPrototype(judged) if args.semantic else None
        server = OsmemServer.start(japanese=False)
        try:
            rows = []
            for tree_label, tree, database, extra in runs:
                for engine, engine_env in (
                    ("tantivy", {"TANTIVY_PATH": str(var_dir / f"search-{len(rows)}"), "ELASTICSEARCH_URL": ""}),
                    # osmem is slow on a busy machine: relevance only, so wait for it.
                    ("elasticsearch", {"ELASTICSEARCH_URL": server.url, "ELASTICSEARCH_PLAIN_JSON": "1",
                                       "SEARCH_INDEX_NAME": f"relevance_{len(rows)}", "ELASTICSEARCH_TIMEOUT": "120"}),
                ):
                    answers = run_tree(tree, f"{engine}-{len(rows)}", tree_env[database], {**engine_env, **extra},
                                       judged_path, work)
                    if answers.pop("catalog") != fingerprint:
                        raise SystemExit(f"{tree_label}: its catalog differs from the judged one (ids or SKUs)")
                    rows.append((tree_label, engine, answers))
                    if hybrid is not None:
                        fused = "hybrid" if tree_label == "lexical" else "expansion+hybrid"
                        rows.append((fused, engine, hybrid.fuse(answers)))
        finally:
            server.close()
        if args.keep:
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            (keep / "judged.json").write_text(json.dumps(judged, indent=1))
            (keep / "answers.json").write_text(json.dumps(
                [{"tree": t, "engine": e, "answers": a} for t, e, a in rows], indent=1))

    for set_name, queries in judged.items():
        print(f"\n== {set_name} set ({len(queries)} queries)")
        print(f"{'engine':<14} {'tree':<14} {'class':<18} {'n':>3} {'NDCG@10':>8} {'MRR':>6} {'P@10':>6} "
              f"{'zero%':>6} {'FP%':>6}")
        for tree_label, engine, answers in rows:
            scores = [score_query(a["ids"], a["total"], q["grades"]) for q, a in zip(queries, answers[set_name],
                                                                                     strict=True)]
            by_class: dict[str, list] = defaultdict(list)
            for q, s in zip(queries, scores, strict=True):
                by_class[q["class"]].append(s)
            for cls, cls_scores in [("all", scores), *sorted(by_class.items())]:
                s = summarise(cls_scores)
                print(f"{engine:<14} {tree_label:<14} {cls:<18} {s['n']:>3} {_fmt(s['ndcg'])} {_fmt(s['mrr'], 6)} "
                      f"{_fmt(s['p10'], 6)} {_pct(s['zero'])} {_pct(s['false_positive'])}")
            overall = summarise(scores)
            tag = f"{set_name} set, {engine}, {tree_label}"
            figure(f"relevance NDCG@10 ({tag})", round(overall["ndcg"] or 0, 3), "", target="≥ 0.85",
                   met=(overall["ndcg"] or 0) >= 0.85)
            figure(f"zero results where something is relevant ({tag})", round(100 * (overall["zero"] or 0), 1), "%",
                   target="≤ 3%", met=(overall["zero"] or 0) <= 0.03)
            figure(f"false positives on queries with nothing relevant ({tag})",
                   round(100 * (overall["false_positive"] or 0), 1), "%", target="≤ 5%",
                   met=(overall["false_positive"] or 0) <= 0.05)

    if args.compare:
        print_tree_agreement(judged, rows)


def print_tree_agreement(judged: dict, rows: list) -> None:
    """Per engine and set: on how many queries the two trees answer the same first page (24
    products, in the same order), and the NDCG@10 of each where they differ."""
    print(f"\n== the same first page ({PAGE_SIZE} products, same order) in both trees")
    for engine in sorted({e for _, e, _ in rows}):
        ours, theirs = (next(a for t, e, a in rows if e == engine and t == label)
                        for label in ("this tree", "compared tree"))
        for set_name, queries in judged.items():
            pairs = list(zip(queries, ours[set_name], theirs[set_name], strict=True))
            differing = [(q, a, b) for q, a, b in pairs if a["ids"] != b["ids"]]
            print(f"{engine:<14} {set_name:<9} identical on {len(pairs) - len(differing)} of {len(pairs)} queries")
            for q, a, b in differing:
                new, old = (score_query(x["ids"], x["total"], q["grades"])["ndcg"] for x in (a, b))
                place = next(i for i, (x, y) in enumerate(zip(a["ids"] + [None] * PAGE_SIZE,
                                                              b["ids"] + [None] * PAGE_SIZE, strict=True)) if x != y)
                print(f"    {q['class']:<18} {q['q']!r}: NDCG@10 {_fmt(old, 0).strip()} (compared) -> "
                      f"{_fmt(new, 0).strip()} (this tree); first difference at place {place + 1}")


def _fmt(value: float | None, width: int = 8) -> str:
    return f"{'—':>{width}}" if value is None else f"{value:>{width}.3f}"


def _pct(value: float | None) -> str:
    return f"{'—':>6}" if value is None else f"{100 * value:>5.1f}%"


if __name__ == "__main__":
    main()
