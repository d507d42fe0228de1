"""Vocabulary of the demo catalog: the category tree with its attributes, brands, vendors and word lists.

Plain data and the small helpers that build it; ``generator`` draws from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

CHOICE, TEXT, NUMBER, BOOLEAN = "choice", "text", "number", "boolean"


# --- Vocabulary: attributes -----------------------------------------------------


def words(text: str) -> tuple[str, ...]:
    """'Tee|Crew Neck Top' -> ('Tee', 'Crew Neck Top'): keeps the vocabulary compact and diffable."""
    return tuple(text.split("|"))


@dataclass(frozen=True)
class Attr:
    """An attribute definition and how the generator draws its values.

    ``values`` are the allowed choices of a choice attribute, or the plausible
    values drawn for a number or text one. ``in_name`` formats the value when a
    product name mentions it (e.g. '{}"' for a screen size)."""

    code: str
    label: str
    kind: str
    values: tuple = ()
    weights: tuple[float, ...] | None = None
    true_share: float = 0.5
    in_name: str | None = None
    price_factors: Mapping[str, float] = field(default_factory=dict)


APPAREL_COLORS = words(
    "Black|White|Navy|Heather Gray|Olive|Burgundy|Sand|Sky Blue|Forest Green|Rust|Charcoal|Cream"
)
APPAREL_COLOR_WEIGHTS = (14, 12, 11, 9, 6, 5, 6, 6, 5, 4, 7, 5)
APPAREL_MATERIALS = words(
    "Cotton|Organic Cotton|Linen|Merino Wool|Polyester|Fleece|Cashmere Blend|Denim"
    "|Stretch Denim|Nylon|Leather|Suede|Canvas|Wool Blend|Mesh"
)
APPAREL_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
TECH_COLORS = words("Black|White|Silver|Space Gray|Midnight Blue|Graphite|Rose Gold|Sage Green")
HOME_COLORS = words("Black|White|Stainless|Gray|Sage|Navy|Natural|Terracotta|Cream")
SPORT_COLORS = words("Black|Blue|Red|Green|Orange|Gray|Yellow|Purple")

A_COLOR_APPAREL = Attr("color", "Color", CHOICE, APPAREL_COLORS, APPAREL_COLOR_WEIGHTS)
A_MATERIAL_APPAREL = Attr("material", "Material", CHOICE, APPAREL_MATERIALS)
A_GENDER = Attr("gender", "Gender", CHOICE, ("Men", "Women", "Unisex"), (4, 4, 2))
A_SIZE = Attr("size", "Size", CHOICE, APPAREL_SIZES, (3, 8, 12, 11, 7, 3))
A_SHOE_SIZE = Attr("shoe_size", "Shoe size (EU)", NUMBER, tuple(range(36, 48)))

A_COLOR_TECH = Attr("color", "Color", CHOICE, TECH_COLORS, (20, 10, 10, 9, 5, 7, 4, 3))
A_STORAGE_PHONE = Attr(
    "storage", "Storage", CHOICE, ("64 GB", "128 GB", "256 GB", "512 GB", "1 TB"), (2, 6, 6, 3, 1),
    in_name="{}",
    price_factors={"64 GB": 0.8, "128 GB": 1.0, "256 GB": 1.15, "512 GB": 1.35, "1 TB": 1.6},
)  # fmt: skip
A_STORAGE_LAPTOP = Attr(
    "storage", "Storage", CHOICE, ("256 GB", "512 GB", "1 TB", "2 TB"), (3, 6, 4, 1),
    in_name="{}", price_factors={"256 GB": 0.9, "512 GB": 1.0, "1 TB": 1.2, "2 TB": 1.45},
)  # fmt: skip
A_RAM = Attr(
    "ram", "Memory", CHOICE, ("8 GB", "16 GB", "32 GB", "64 GB"), (3, 6, 3, 1),
    price_factors={"8 GB": 0.85, "16 GB": 1.0, "32 GB": 1.25, "64 GB": 1.5},
)  # fmt: skip
A_SCREEN = Attr("screen_size", "Screen size (in)", NUMBER, (6.1, 6.4, 6.7), in_name='{}"')
A_RESOLUTION = Attr("resolution", "Resolution", CHOICE, ("Full HD", "QHD", "4K UHD", "5K"), (5, 5, 4, 1))
A_WIRELESS = Attr("wireless", "Wireless", BOOLEAN, true_share=0.7)
A_BATTERY = Attr("battery_life_hours", "Battery life (h)", NUMBER, (6, 8, 10, 12, 20, 24, 30, 40))
A_NOISE_CANCELLING = Attr("noise_cancelling", "Noise cancelling", BOOLEAN, true_share=0.55)
A_MEGAPIXELS = Attr("megapixels", "Megapixels", NUMBER, (12, 20, 24, 26, 33, 45))
A_WATER_RESISTANT = Attr("water_resistant", "Water resistant", BOOLEAN, true_share=0.6)

A_COLOR_HOME = Attr("color", "Color", CHOICE, HOME_COLORS)
A_MATERIAL_COOKWARE = Attr(
    "material", "Material", CHOICE,
    ("Stainless Steel", "Cast Iron", "Nonstick Aluminum", "Carbon Steel", "Ceramic", "Glass"),
)  # fmt: skip
A_DISHWASHER_SAFE = Attr("dishwasher_safe", "Dishwasher safe", BOOLEAN, true_share=0.6)
A_WATTAGE = Attr("wattage", "Power (W)", NUMBER, (600, 800, 1000, 1200, 1500))
A_BED_SIZE = Attr(
    "bed_size", "Bed size", CHOICE, ("Twin", "Full", "Queen", "King", "California King"), (2, 3, 6, 4, 1),
    in_name="{}",
)  # fmt: skip
A_MATERIAL_BEDDING = Attr(
    "material", "Material", CHOICE, ("Cotton", "Linen", "Bamboo", "Microfiber", "Down", "Down Alternative")
)
A_THREAD_COUNT = Attr("thread_count", "Thread count", NUMBER, (200, 300, 400, 600, 800))
A_MATERIAL_DECOR = Attr(
    "material",
    "Material",
    CHOICE,
    ("Ceramic", "Glass", "Wood", "Rattan", "Brass", "Wool", "Jute", "Cotton", "Soy Wax"),
)

A_COLOR_SPORT = Attr("color", "Color", CHOICE, SPORT_COLORS)
A_THICKNESS = Attr("thickness_mm", "Thickness (mm)", NUMBER, (3, 4, 5, 6, 8), in_name="{} mm")
A_WEIGHT = Attr("weight_kg", "Weight (kg)", NUMBER, (2, 4, 6, 8, 10, 12, 16, 20, 24, 32), in_name="{} kg")
A_RESISTANCE = Attr("resistance", "Resistance", CHOICE, ("Light", "Medium", "Heavy", "Extra Heavy"))
A_CAPACITY = Attr("capacity_persons", "Sleeps", NUMBER, (1, 2, 2, 3, 4, 6), in_name="{}-Person")
A_VOLUME_L = Attr("volume_l", "Volume (L)", NUMBER, (18, 22, 28, 35, 45, 55, 65), in_name="{} L")
A_TEMPERATURE = Attr("temperature_rating_c", "Comfort rating (°C)", NUMBER, (-10, -5, 0, 5, 10))
A_FRAME_SIZE = Attr("frame_size", "Frame size", CHOICE, ("XS", "S", "M", "L", "XL"), (1, 3, 4, 3, 1))
A_HELMET_SIZE = Attr("helmet_size", "Helmet size", CHOICE, ("S", "M", "L"), (2, 5, 3))
A_BALL_SIZE = Attr("ball_size", "Ball size", CHOICE, ("3", "4", "5", "6", "7"), in_name="Size {}")

A_AUTHOR = Attr("author", "Author", TEXT)  # values drawn from the author name pools
A_FORMAT = Attr(
    "format", "Format", CHOICE, ("Hardcover", "Paperback", "Ebook", "Audiobook"), (4, 6, 3, 1),
    price_factors={"Hardcover": 1.6, "Paperback": 1.0, "Ebook": 0.6, "Audiobook": 1.3},
)  # fmt: skip
A_PAGES = Attr("pages", "Pages", NUMBER, (96, 160, 224, 256, 288, 320, 352, 384, 416, 480, 544, 640))
A_LANGUAGE = Attr("language", "Language", CHOICE, ("English", "Spanish", "French", "German"), (40, 3, 2, 2))

A_VEGAN = Attr("vegan", "Vegan", BOOLEAN, true_share=0.45)
A_SKIN_TYPE = Attr(
    "skin_type", "Skin type", CHOICE, ("All", "Dry", "Oily", "Combination", "Sensitive"), (6, 3, 2, 2, 3)
)
A_VOLUME_ML = Attr("volume_ml", "Volume (ml)", NUMBER, (30, 50, 100, 150, 200, 250), in_name="{} ml")
A_SPF = Attr("spf", "SPF", NUMBER, (15, 30, 50), in_name="SPF {}")
A_SHADE = Attr(
    "shade", "Shade", CHOICE, words("Fair|Light|Medium|Tan|Deep|Nude|Rose|Berry|Red|Coral|Plum|Black|Brown")
)
A_HAIR_TYPE = Attr(
    "hair_type", "Hair type", CHOICE, ("All", "Curly", "Fine", "Thick", "Color-Treated", "Dry")
)
A_SCENT = Attr(
    "scent_family", "Scent family", CHOICE, ("Floral", "Woody", "Citrus", "Fresh", "Amber", "Gourmand")
)


# --- Vocabulary: the category tree ----------------------------------------------


@dataclass(frozen=True)
class Node:
    """A category. Products go into leaves; ``attrs`` apply to the whole subtree."""

    name: str
    children: tuple[Node, ...] = ()
    attrs: tuple[Attr, ...] = ()
    nouns: tuple[str, ...] = ()
    price: float = 0.0  # median price of the leaf's products
    spread: float = 0.45  # sigma of the log price
    only: Mapping[str, tuple] = field(default_factory=dict)  # narrower values for this subtree
    weight: float = 1.0  # share of the top category's products
    # For this subtree: adjectives instead of the top category's; specialist brands next to its brands.
    adjectives: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()


def cat(
    name: str,
    *children: Node,
    attrs: tuple[Attr, ...] = (),
    adjectives: str = "",
    brands: str = "",
    only: Mapping[str, str | tuple] | None = None,
) -> Node:
    return Node(
        name,
        children=children,
        attrs=attrs,
        only=_narrowed(only),
        adjectives=words(adjectives) if adjectives else (),
        brands=words(brands) if brands else (),
    )


def leaf(
    name: str,
    nouns: str,
    price: float,
    spread: float = 0.45,
    attrs: tuple[Attr, ...] = (),
    only: Mapping[str, str | tuple] | None = None,
    weight: float = 1.0,
    adjectives: str = "",
) -> Node:
    """A leaf category: ``nouns`` name its products ("Tee|Crew Neck Top"); ``only`` narrows an
    attribute's values for this leaf ("Denim|Stretch Denim", or a tuple of numbers)."""
    return Node(
        name,
        attrs=attrs,
        nouns=words(nouns),
        price=price,
        spread=spread,
        only=_narrowed(only),
        weight=weight,
        adjectives=words(adjectives) if adjectives else (),
    )


def _narrowed(only: Mapping[str, str | tuple] | None) -> dict[str, tuple]:
    return {code: words(v) if isinstance(v, str) else tuple(v) for code, v in (only or {}).items()}


@dataclass(frozen=True)
class Top:
    """A top category with what its products are named and sold with."""

    node: Node
    slug: str
    sku_prefix: str
    style: str  # how names and descriptions are built: apparel, tech, home, sport, book, beauty
    brands: tuple[str, ...]
    adjectives: tuple[str, ...]
    weight: float  # share of all products
    vendor: str  # the vendor that usually sells these


LAPTOP_SCREEN = Attr("screen_size", "Screen size (in)", NUMBER, (13.3, 14, 15.6, 16, 17.3), in_name='{}"')
MONITOR_SCREEN = Attr("screen_size", "Screen size (in)", NUMBER, (24, 27, 32, 34), in_name='{}"')
FRAGRANCE_VOLUME = Attr("volume_ml", "Volume (ml)", NUMBER, (30, 50, 100), in_name="{} ml")

CLOTHING = Top(
    cat(
        "Clothing",
        cat(
            "Tops",
            leaf("T-Shirts", "T-Shirt|Tee|Crew Neck Top|V-Neck Tee|Pocket Tee|Graphic Tee", 22, weight=1.6,
                 only={"material": "Cotton|Organic Cotton|Linen|Polyester"}),
            leaf("Shirts", "Oxford Shirt|Button-Down Shirt|Flannel Shirt|Linen Shirt|Denim Shirt", 45,
                 only={"material": "Cotton|Organic Cotton|Linen|Denim"}),
            leaf("Sweaters & Hoodies", "Hoodie|Crewneck Sweater|Cardigan|Zip Hoodie|Quarter-Zip Pullover", 60,
                 only={"material": "Merino Wool|Cotton|Fleece|Cashmere Blend|Wool Blend"}),
            attrs=(A_SIZE,),
        ),
        cat(
            "Bottoms",
            leaf("Jeans", "Slim Jeans|Straight Leg Jeans|Relaxed Jeans|Skinny Jeans|Bootcut Jeans", 65,
                 only={"material": "Denim|Stretch Denim"}),
            leaf("Trousers", "Chinos|Trousers|Cargo Pants|Joggers|Pleated Trousers", 55,
                 only={"material": "Cotton|Linen|Wool Blend|Polyester"}),
            leaf("Shorts", "Shorts|Chino Shorts|Running Shorts|Cargo Shorts", 30,
                 only={"material": "Cotton|Linen|Polyester|Nylon"}),
            attrs=(A_SIZE,),
        ),
        cat(
            "Outerwear",
            leaf("Jackets", "Denim Jacket|Bomber Jacket|Rain Jacket|Puffer Jacket|Softshell Jacket", 110,
                 only={"material": "Nylon|Polyester|Denim|Leather|Cotton"}),
            leaf("Coats", "Car Coat|Trench Coat|Parka|Peacoat|Overcoat", 180,
                 only={"material": "Wool Blend|Cotton|Nylon|Cashmere Blend"}),
            attrs=(A_SIZE,),
        ),
        cat(
            "Shoes",
            leaf("Sneakers", "Sneakers|Low-Top Sneakers|Running Shoes|Trainers|High-Top Sneakers", 85,
                 only={"material": "Canvas|Leather|Mesh|Suede"}),
            leaf("Boots", "Chelsea Boots|Hiking Boots|Lace-Up Boots|Chukka Boots", 130,
                 only={"material": "Leather|Suede"}),
            leaf("Sandals", "Sandals|Slides|Flip-Flops", 35, only={"material": "Leather|Nylon|Suede"}),
            attrs=(A_SHOE_SIZE,),
            brands="Stride Lab|Footloom",
        ),
        attrs=(A_COLOR_APPAREL, A_MATERIAL_APPAREL, A_GENDER),
    ),
    slug="clothing",
    sku_prefix="CLO",
    style="apparel",
    brands=words("Northwind|Kestrel & Co.|Alder Lane|Maple Thread|Urban Fable|Coastline|Wildweave"
                 "|Harbor Supply|Fernhill"),
    adjectives=words("Classic|Essential|Everyday|Relaxed|Slim-Fit|Heritage|Vintage-Wash|Lightweight"
                     "|Heavyweight|Premium|Oversized|Tailored|Garment-Dyed|Soft"),
    weight=25,
    vendor="Northwind Outfitters",
)  # fmt: skip

ELECTRONICS = Top(
    cat(
        "Electronics",
        cat(
            "Phones & Tablets",
            leaf("Smartphones", "Smartphone", 650, 0.5, weight=1.5),
            leaf("Tablets", "Tablet", 420, 0.45, only={"screen_size": (8.3, 10.9, 11, 12.9)}),
            attrs=(A_STORAGE_PHONE, A_SCREEN),
        ),
        cat(
            "Computers",
            cat(
                "Laptops",
                leaf("Ultrabooks", "Ultrabook|Thin & Light Laptop|Notebook", 1100, 0.35),
                leaf("Gaming Laptops", "Gaming Laptop", 1600, 0.3),
                attrs=(A_STORAGE_LAPTOP, A_RAM, LAPTOP_SCREEN),
            ),
            leaf("Monitors", "Monitor|Display|Gaming Monitor|Ultrawide Monitor", 320, 0.5,
                 attrs=(MONITOR_SCREEN, A_RESOLUTION)),
            leaf("Keyboards & Mice", "Mechanical Keyboard|Wireless Keyboard|Wireless Mouse|Ergonomic Mouse",
                 60, 0.5, attrs=(A_WIRELESS,)),
        ),
        cat(
            "Audio",
            cat(
                "Headphones",
                leaf("Over-Ear Headphones", "Over-Ear Headphones|Studio Headphones", 180, 0.55),
                leaf("Earbuds", "True Wireless Earbuds|Wireless Earbuds|Sport Earbuds", 110, 0.5,
                     only={"wireless": (True,)}),
                attrs=(A_NOISE_CANCELLING,),
            ),
            leaf("Speakers", "Bluetooth Speaker|Smart Speaker|Soundbar|Bookshelf Speakers", 140, 0.6),
            attrs=(A_WIRELESS, A_BATTERY),
            brands="Helix Audio|Sonora",
        ),
        cat(
            "Cameras",
            leaf("Digital Cameras", "Mirrorless Camera|Compact Camera|DSLR Camera", 900, 0.5),
            leaf("Action Cameras", "Action Camera", 280, 0.35, only={"megapixels": (12, 20, 24)}),
            attrs=(A_MEGAPIXELS,),
            brands="Pixelcraft|Aperture & Co.",
        ),
        cat(
            "Wearables",
            leaf("Smartwatches", "Smartwatch|Sport Watch", 280, 0.45),
            leaf("Fitness Trackers", "Fitness Tracker|Activity Band", 90, 0.4),
            attrs=(A_WATER_RESISTANT,),
        ),
        attrs=(A_COLOR_TECH,),
    ),
    slug="electronics",
    sku_prefix="ELE",
    style="tech",
    brands=words("Voltra|Lumen Labs|Arcwave|Nimbus|Quanta|Zephyr Tech|Orbitron"),
    # Electronics names use these as model lines ("Arcwave Nova 7 Pro").
    adjectives=words("Nova|Edge|Pulse|Orbit|Vista|Core|Flex|Aero|Prime|Spark|Halo"),
    weight=18,
    vendor="Gadget Harbor",
)  # fmt: skip

HOME = Top(
    cat(
        "Home & Kitchen",
        cat(
            "Cookware",
            leaf("Pots & Pans", "Frying Pan|Skillet|Saucepan|Dutch Oven|Stockpot|Cookware Set|Wok", 70, 0.55),
            leaf("Knives", "Chef's Knife|Santoku Knife|Paring Knife|Knife Set|Bread Knife", 60, 0.6,
                 only={"material": "Stainless Steel|Carbon Steel|Ceramic"}),
            leaf("Bakeware", "Baking Sheet|Loaf Pan|Muffin Tin|Cake Pan|Pie Dish", 25, 0.4,
                 only={"material": "Stainless Steel|Carbon Steel|Ceramic|Glass|Nonstick Aluminum"}),
            attrs=(A_MATERIAL_COOKWARE, A_DISHWASHER_SAFE),
        ),
        cat(
            "Small Appliances",
            leaf("Coffee Makers", "Drip Coffee Maker|Espresso Machine|Coffee Grinder|Cold Brew Maker", 150,
                 0.7, only={"wattage": (150, 600, 900, 1200, 1450)}),
            leaf("Blenders", "Blender|Personal Blender|Immersion Blender|High-Speed Blender", 90, 0.6,
                 only={"wattage": (300, 500, 700, 1000, 1400)}),
            leaf("Toasters", "2-Slice Toaster|4-Slice Toaster|Toaster Oven", 60, 0.5,
                 only={"wattage": (800, 1000, 1200, 1500, 1800)}),
            attrs=(A_WATTAGE,),
            adjectives="Classic|Professional|Compact|Smart|Digital|Retro|Programmable",
        ),
        cat(
            "Bedding",
            leaf("Sheets", "Sheet Set|Fitted Sheet|Flat Sheet", 80, 0.45, attrs=(A_THREAD_COUNT,),
                 only={"material": "Cotton|Linen|Bamboo|Microfiber"}),
            leaf("Pillows", "Pillow|Bed Pillow|Memory Foam Pillow|Body Pillow", 45, 0.45),
            leaf("Duvets", "Duvet|Comforter|Quilt|Duvet Cover Set", 140, 0.45),
            attrs=(A_BED_SIZE, A_MATERIAL_BEDDING),
            adjectives="Cloud|Luxe|Classic|Organic|Cooling|Hotel-Style|Everyday",
            only={"color": "White|Gray|Sage|Navy|Natural|Cream"},
            brands="Linenhaus|Dreamweave",
        ),
        cat(
            "Home Decor",
            leaf("Lamps", "Table Lamp|Floor Lamp|Desk Lamp|Pendant Light", 90, 0.55,
                 only={"material": "Ceramic|Glass|Wood|Rattan|Brass"}),
            leaf("Rugs", "Area Rug|Runner Rug|Doormat|Washable Rug", 150, 0.7,
                 only={"material": "Wool|Jute|Cotton"}),
            leaf("Candles", "Scented Candle|Candle Set|Pillar Candle|Travel Candle", 22, 0.4,
                 only={"material": "Soy Wax"}),
            attrs=(A_MATERIAL_DECOR,),
            adjectives="Modern|Nordic|Farmhouse|Artisan|Handwoven|Minimal|Vintage",
        ),
        attrs=(A_COLOR_HOME,),
    ),
    slug="home-kitchen",
    sku_prefix="HOM",
    style="home",
    brands=words("Hearth & Co.|Copperleaf|Oakridge Home|Casa Lumi|Ember Kitchen|Stillwater"
                 "|Bramble & Birch|Kiln Works"),
    adjectives=words("Classic|Professional|Everyday|Artisan|Nordic|Farmhouse|Modern|Heritage|Essential"
                     "|Compact|Signature"),
    weight=18,
    vendor="Trail & Table",
)  # fmt: skip

SPORTS = Top(
    cat(
        "Sports & Outdoors",
        cat(
            "Fitness",
            leaf("Yoga Mats", "Yoga Mat|Exercise Mat|Travel Yoga Mat", 35, 0.4, attrs=(A_THICKNESS,)),
            leaf("Weights", "Dumbbell Set|Adjustable Dumbbells|Hex Dumbbell|Kettlebell", 90, 0.7,
                 attrs=(A_WEIGHT,)),
            leaf("Resistance Bands", "Resistance Band Set|Loop Bands|Pull-Up Band", 20, 0.35,
                 attrs=(A_RESISTANCE,)),
            adjectives="Pro|Performance|Training|Everyday|Studio|Eco|Grip",
            brands="Ironform",
        ),
        cat(
            "Camping & Hiking",
            leaf("Tents", "Backpacking Tent|Camping Tent|Dome Tent|Ultralight Tent", 220, 0.55,
                 attrs=(A_CAPACITY,)),
            leaf("Backpacks", "Hiking Backpack|Daypack|Trekking Pack", 95, 0.5, attrs=(A_VOLUME_L,)),
            leaf("Sleeping Bags", "Sleeping Bag|Mummy Sleeping Bag|Down Sleeping Bag", 110, 0.5,
                 attrs=(A_TEMPERATURE,)),
        ),
        cat(
            "Cycling",
            cat(
                "Bikes",
                leaf("Road Bikes", "Road Bike|Endurance Road Bike|Gravel Bike", 1400, 0.45),
                leaf("Mountain Bikes", "Hardtail Mountain Bike|Full-Suspension Mountain Bike|Trail Bike",
                     1300, 0.45),
                attrs=(A_FRAME_SIZE,),
            ),
            leaf("Helmets", "Cycling Helmet|Road Helmet|MTB Helmet|Commuter Helmet", 70, 0.45,
                 attrs=(A_HELMET_SIZE,)),
            brands="Ridgeback Cycles|Velocity",
        ),
        cat(
            "Team Sports",
            leaf("Balls", "Soccer Ball|Basketball|Volleyball|Training Ball", 30, 0.4, attrs=(A_BALL_SIZE,)),
            leaf("Training Gear", "Agility Ladder|Training Cones|Rebounder Net|Pump and Needle Kit", 25, 0.5),
        ),
        attrs=(A_COLOR_SPORT,),
    ),
    slug="sports-outdoors",
    sku_prefix="SPO",
    style="sport",
    brands=words("Summit Gear|Trailhead|Peak & Pine|Tidewater|Basecamp|Northstar"),
    adjectives=words("Trail|Pro|Elite|Summit|Lightweight|All-Terrain|Performance|Ultralight|Everyday"
                     "|Training|Apex"),
    weight=12,
    vendor="Trail & Table",
)  # fmt: skip

BOOKS = Top(
    cat(
        "Books",
        cat(
            "Fiction",
            leaf("Mystery & Thriller", "mystery|thriller", 17, 0.3),
            leaf("Science Fiction", "science fiction novel", 17, 0.3),
            leaf("Fantasy", "fantasy novel", 18, 0.3),
            leaf("Romance", "romance", 14, 0.3),
            leaf("Literary Fiction", "novel", 18, 0.3),
        ),
        cat(
            "Non-Fiction",
            leaf("Biography & Memoir", "memoir|biography", 20, 0.3),
            leaf("History", "history", 22, 0.3),
            leaf("Science & Nature", "science book", 21, 0.3),
            leaf("Business", "business book", 22, 0.3),
            leaf("Cookbooks", "cookbook", 26, 0.3),
            leaf("Self-Help", "guide", 17, 0.3),
        ),
        cat(
            "Children's Books",
            leaf("Picture Books", "picture book", 12, 0.3, only={"pages": (24, 32, 40, 48)}),
            leaf("Early Readers", "early reader", 8, 0.3, only={"pages": (48, 64, 80, 96)}),
            leaf("Young Adult", "young adult novel", 15, 0.3),
        ),
        attrs=(A_AUTHOR, A_FORMAT, A_PAGES, A_LANGUAGE),
    ),
    slug="books",
    sku_prefix="BOO",
    style="book",
    # Publishers are the brands of books.
    brands=words("Harbor House Press|Lantern Books|Quill & Ink|Meridian Publishing|Foxglove Press"
                 "|Paper Crane|Atlas Editions|Inkwell"),
    adjectives=words("gripping|moving|thoughtful|sweeping|witty|tender|bold|luminous|absorbing"),
    weight=15,
    vendor="Blue Lantern Books",
)  # fmt: skip

BEAUTY = Top(
    cat(
        "Beauty",
        cat(
            "Skincare",
            cat(
                "Face",
                leaf("Moisturizers", "Face Cream|Moisturizer|Night Cream|Gel Moisturizer", 32),
                leaf("Cleansers", "Foaming Cleanser|Cleansing Balm|Micellar Water|Gel Cleanser", 18),
                leaf("Serums", "Vitamin C Serum|Hyaluronic Serum|Retinol Serum|Niacinamide Serum", 38,
                     only={"volume_ml": (15, 30, 50)}),
                attrs=(A_SKIN_TYPE,),
            ),
            cat(
                "Body",
                leaf("Body Lotion", "Body Lotion|Body Butter|Body Oil|Hand Cream", 16),
                leaf("Sunscreen", "Sunscreen|Mineral Sunscreen|Sun Lotion", 20, attrs=(A_SPF,)),
            ),
            attrs=(A_VOLUME_ML,),
        ),
        cat(
            "Makeup",
            leaf("Lipstick", "Lipstick|Matte Lipstick|Lip Tint|Lip Gloss", 18,
                 only={"shade": "Nude|Rose|Berry|Red|Coral|Plum"}),
            leaf("Foundation", "Foundation|Skin Tint|BB Cream|Concealer", 30,
                 only={"shade": "Fair|Light|Medium|Tan|Deep"}),
            leaf("Mascara", "Mascara|Volumizing Mascara|Lengthening Mascara", 16,
                 only={"shade": "Black|Brown"}),
            attrs=(A_SHADE,),
            adjectives="Long-Wear|Matte|Satin|Sheer|Velvet|Luminous|Weightless",
        ),
        cat(
            "Hair Care",
            leaf("Shampoo", "Shampoo|Daily Shampoo|Scalp Shampoo", 14, attrs=(A_VOLUME_ML,),
                 only={"volume_ml": (250, 300, 500)}),
            leaf("Conditioner", "Conditioner|Leave-In Conditioner|Hair Mask", 16, attrs=(A_VOLUME_ML,),
                 only={"volume_ml": (150, 250, 300)}),
            leaf("Hair Oils", "Hair Oil|Scalp Serum|Hair Serum", 24, attrs=(A_VOLUME_ML,),
                 only={"volume_ml": (30, 50, 100)}),
            attrs=(A_HAIR_TYPE,),
            adjectives="Repairing|Volumizing|Smoothing|Curl-Defining|Moisturizing|Strengthening",
        ),
        cat(
            "Fragrance",
            leaf("Perfume", "Eau de Parfum|Perfume|Parfum Intense", 85, 0.4),
            leaf("Cologne", "Eau de Toilette|Cologne|Body Mist", 65, 0.4),
            attrs=(A_SCENT, FRAGRANCE_VOLUME),
            adjectives="Noir|Bloom|Azure|Velvet|Neroli|Amber|Midnight|Wild Fig|Santal",
            brands="Maison Aurel",
        ),
        attrs=(A_VEGAN,),
    ),
    slug="beauty",
    sku_prefix="BEA",
    style="beauty",
    brands=words("Lumière|Verdant|Petal & Pearl|Dewdrop|Aurelle|Botanica Lab|Silk & Sage|Nova Skin"),
    adjectives=words("Hydrating|Brightening|Soothing|Nourishing|Clarifying|Daily|Overnight|Radiance"
                     "|Barrier Repair|Gentle|Ultra-Light"),
    weight=12,
    vendor="Glow Street",
)  # fmt: skip


TOPS: tuple[Top, ...] = (CLOTHING, ELECTRONICS, HOME, SPORTS, BOOKS, BEAUTY)
VENDORS = words("Northwind Outfitters|Gadget Harbor|Trail & Table|Blue Lantern Books|Glow Street")
# Share of products sold by the shop itself (no vendor), by a top category's usual vendor, or by another.
VENDOR_MIX = (0.45, 0.42, 0.13)


# --- Vocabulary: words ------------------------------------------------------------

FIRST_NAMES = words(
    "Olivia|Liam|Emma|Noah|Ava|Mateo|Sophia|Lucas|Mia|Ethan|Amara|Kenji|Isabella|Omar|Chloe"
    "|Ravi|Hannah|Diego|Freya|Jonas|Leila|Samuel|Nora|Tomás|Grace|Yusuf|Elena|Arjun|Zoe|Felix"
    "|Maya|Theo|Aisha|Hugo|Ingrid|Marcus|Priya|Daniel|Sofia|Kai"
)
LAST_NAMES = words(
    "Smith|Garcia|Nguyen|Müller|Okafor|Rossi|Johnson|Kowalski|Tanaka|Silva|Brown|Haddad"
    "|Andersen|Patel|Martin|Dubois|Kim|Lopez|O'Brien|Novak|Weber|Costa|Fischer|Ahmed|Larsen"
    "|Moreau|Hughes|Ivanova|Chen|Walker|Sato|Reyes|Jensen|Bianchi|Clarke|Mendes"
)
MODEL_SUFFIXES = ("", "", "", " Pro", " Max", " Lite", " Plus", " Mini", " Ultra", " S", " SE")

FICTION_ADJECTIVES = words(
    "Silent|Hidden|Forgotten|Burning|Glass|Winter|Midnight|Crimson|Hollow|Distant|Painted"
    "|Broken|Golden|Lost|Secret|Wild|Quiet|Salt|Paper|Iron"
)
FICTION_NOUNS = words(
    "Harbor|Garden|Orchard|Lighthouse|Kingdom|River|Letter|Promise|Station|Cartographer"
    "|Archivist|Tide|Island|Crown|Witness|Compass|Summer|Shadow|Mirror|Sparrow|Clockmaker"
    "|Inheritance|Ferryman|Map|Storm"
)
PLACES = words("Lisbon|Wren Hollow|Marrakesh|the North|Eastwood|Kyoto|Saltmarsh|Avalon|Prague")
SUBJECTS = words(
    "Sleep|Money|the Ocean|Bread|Attention|Rivers|the Stars|Habits|Leadership|Fermentation"
    "|the Brain|Trees|Cities|Salt|Memory|Maps|Time|Negotiation|Soup"
)
GERUNDS = words("Baking|Listening|Deciding|Walking|Building|Resting|Leading|Noticing|Cooking")
ANIMALS = words("Fox|Bear|Owl|Hedgehog|Otter|Moose|Penguin|Rabbit|Badger|Duck")

APPAREL_OPENERS = (
    "The {name} is cut from {material} for all-day comfort.",
    "{A_adj} {noun} from {brand}, made in {material} and finished in {color}.",
    "{brand} built this {noun} to be the one you reach for first.",
    "An easy {noun} in {color} that works on its own or layered.",
)
APPAREL_FEATURES = (
    "The fit is true to size, with room to move.",
    "Reinforced seams and a pre-washed finish mean it keeps its shape wash after wash.",
    "The {material} is soft from the first wear and gets better with time.",
    "Details are kept simple so it pairs with everything already in your wardrobe.",
    "It is machine washable at 30 °C; hang to dry.",
    "Responsibly made in small batches.",
)
TECH_OPENERS = (
    "The {name} brings flagship features to a price that makes sense.",
    "Meet the {brand} {noun}: fast, reliable and built to last.",
    "Designed by {brand}, this {noun} balances performance and battery life.",
)
TECH_FEATURES = (
    "A precision-machined body in {color} keeps it light and sturdy.",
    "Setup takes minutes and updates arrive automatically.",
    "It comes with a two-year limited warranty.",
    "USB-C charging and fast pairing keep your desk tidy.",
    "Independent reviewers praise its build quality and low latency.",
)
HOME_OPENERS = (
    "The {name} is made for everyday use in a busy kitchen or home.",
    "{brand} designed this {noun} to look as good as it works.",
    "{A_adj} {noun} in {color} that brings warmth to any room.",
)
HOME_FEATURES = (
    "Durable materials and careful finishing mean it will last for years.",
    "It is easy to clean and stores neatly away.",
    "Each piece is inspected by hand before it leaves the workshop.",
    "Its timeless design fits modern and traditional homes alike.",
    "Backed by a lifetime guarantee against manufacturing defects.",
)
SPORT_OPENERS = (
    "The {name} is built for athletes who train hard and travel light.",
    "From weekend trails to daily workouts, this {noun} from {brand} keeps up.",
    "{A_adj} {noun} in {color}, tested in the field by the {brand} team.",
)
SPORT_FEATURES = (
    "Weather-resistant materials shrug off rain, mud and sweat.",
    "It packs down small and weighs less than you would expect.",
    "Reinforced stress points stand up to seasons of hard use.",
    "Designed with input from coaches and guides.",
)
BOOK_OPENERS = (
    "{title} is {a_adj} {noun} by {author}.",
    "In this {adj} {noun}, {author} takes readers somewhere they will not forget.",
    "From {author} comes {title}, {a_adj} {noun} for curious readers.",
)
BOOK_FEATURES = (
    "Critics have called it one of the most absorbing books of the season.",
    "It is the kind of book you lend to a friend and never get back.",
    "Includes a reading group guide and an interview with the author.",
    "A perfect gift for anyone who loves a good story.",
    "Clear, warm and full of surprising detail.",
)
BEAUTY_OPENERS = (
    "The {name} is {a_adj} formula for a simple daily routine.",
    "{brand}'s {noun} is made with gentle, skin-loving ingredients.",
    "{A_adj} {noun} that layers well and absorbs quickly.",
)
BEAUTY_FEATURES = (
    "Dermatologist tested and free from parabens and added fragrance.",
    "A little goes a long way, so one bottle lasts for months.",
    "Packaged in recyclable materials.",
    "Suitable for daily use, morning and night.",
)
CLOSERS = (
    "Free returns within 30 days.",
    "Ships within one business day.",
    "A customer favourite, restocked regularly.",
    "",
    "",
)
TEXTS_BY_STYLE = {
    "apparel": (APPAREL_OPENERS, APPAREL_FEATURES),
    "tech": (TECH_OPENERS, TECH_FEATURES),
    "home": (HOME_OPENERS, HOME_FEATURES),
    "sport": (SPORT_OPENERS, SPORT_FEATURES),
    "book": (BOOK_OPENERS, BOOK_FEATURES),
    "beauty": (BEAUTY_OPENERS, BEAUTY_FEATURES),
}

REVIEW_TITLES = {
    5: ("Love it", "Exactly what I wanted", "Excellent quality", "Best purchase this year",
        "Highly recommend", "Five stars", "Perfect", "Worth every penny"),
    4: ("Very good", "Great value", "Happy with it", "Solid choice", "Nice, with one small gripe",
        "Pretty great"),
    3: ("It's okay", "Does the job", "Mixed feelings", "Average", "Fine for the price"),
    2: ("Disappointed", "Not as described", "Expected more", "Meh"),
    1: ("Returned it", "Poor quality", "Would not buy again", "Stopped working", "Not for me"),
}  # fmt: skip
REVIEW_SENTENCES = {
    5: ("This {noun} is exactly as pictured and the quality is excellent.",
        "I have used it every day for a month and it still feels new.", "Arrived quickly and well packed.",
        "Already ordered a second one as a gift.", "Honestly better than the expensive one I had before."),
    4: ("Really nice {noun} overall.", "Good quality for the price.",
        "Delivery took a little longer than expected.",
        "One small flaw, but nothing that bothers me day to day.", "Would buy again."),
    3: ("The {noun} is fine, nothing special.", "It does what it says, but the finish could be better.",
        "Okay for the price.", "Took a while to get used to it."),
    2: ("The {noun} looked different from the photos.", "Quality is lower than I hoped.",
        "Customer service was helpful, at least.", "Not sure it was worth it."),
    1: ("The {noun} stopped working after a week.", "Very poor quality, I sent it back.",
        "Nothing like the description.", "Save your money."),
}  # fmt: skip
# Mostly 4–5 stars with a bump at 1 (the J-shaped curve of real shops), by product quality tier.
RATING_WEIGHTS = {
    "good": (0.03, 0.02, 0.06, 0.27, 0.62),
    "mixed": (0.10, 0.08, 0.20, 0.32, 0.30),
    "poor": (0.35, 0.18, 0.20, 0.15, 0.12),
}
QUALITY_TIERS = (("good", 0.72), ("mixed", 0.2), ("poor", 0.08))
REVIEW_STATUSES = (("approved", 0.85), ("pending", 0.11), ("rejected", 0.04))
