"""Casa Verde's catalogue: categories and products, as plain data the seed loads."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Category:
    """A shelf of the shop."""

    slug: str
    name: str
    tagline: str
    #: Background tint of the category's product pictures.
    tint: str


@dataclass(frozen=True)
class ProductData:
    """One catalogue entry, before it becomes a ``Product`` row."""

    sku: str
    name: str
    category: str
    price: Decimal
    blurb: str
    motif: str
    colour: str
    accent: str
    #: How often shoppers pick it, relative to the rest (the seed uses this).
    popularity: int = 3

    @property
    def slug(self) -> str:
        return "-".join(
            "".join(c for c in word if c.isalnum()) for word in self.name.lower().split()
        )


CATEGORIES: tuple[Category, ...] = (
    Category("plants", "Plants", "Easy-going greenery for every corner", "#e4efe4"),
    Category(
        "pots", "Pots & planters", "Terracotta, stoneware and woven homes for plants", "#f3e6dc"
    ),
    Category("garden", "Garden tools", "Sturdy tools for balconies, patios and plots", "#e6ece9"),
    Category(
        "kitchen", "Kitchen & table", "Stoneware, olive wood and linen for slow meals", "#f4efe2"
    ),
    Category("living", "Home & light", "Lamps, candles and textiles for warm evenings", "#ece7f1"),
)

CATEGORY_BY_SLUG = {category.slug: category for category in CATEGORIES}


def _p(
    sku: str,
    name: str,
    category: str,
    price: str,
    blurb: str,
    motif: str,
    colour: str,
    accent: str,
    popularity: int = 3,
) -> ProductData:
    return ProductData(
        sku, name, category, Decimal(price), blurb, motif, colour, accent, popularity
    )


# One product a line reads best as a table.
# fmt: off
PRODUCTS: tuple[ProductData, ...] = (
    # -- plants
    _p("PLT-MONS", "Monstera Deliciosa", "plants", "34.90", "The split-leaf classic, 60 cm tall, in a 17 cm nursery pot.", "leafy", "#2f7d4f", "#c96f45", 5),
    _p("PLT-OLIV", "Potted Olive Tree", "plants", "49.00", "A hardy little Olea europaea for a sunny balcony, about 80 cm.", "tree", "#6b8f5a", "#b9764a", 3),
    _p("PLT-SNAK", "Snake Plant", "plants", "24.50", "Upright, architectural and very hard to kill. Low light is fine.", "spikes", "#3f7a52", "#d8c7a6", 4),
    _p("PLT-LAVE", "Lavender Trio", "plants", "18.90", "Three fragrant English lavenders, ready for a window box.", "sprigs", "#8a74c2", "#5b8c5a", 4),
    _p("PLT-POTH", "Golden Pothos", "plants", "14.90", "A trailing climber with marbled leaves that forgives forgetful waterers.", "trailing", "#5d9a3c", "#e6d27a", 5),
    _p("PLT-HERB", "Kitchen Herb Kit", "plants", "22.00", "Basil, thyme and rosemary seedlings with a drip tray.", "herbs", "#4f8b4a", "#d59c5b", 3),
    # -- pots & planters
    _p("POT-TERR", "Terracotta Pot 20 cm", "pots", "12.50", "Hand-thrown clay from Andalusia, with a drainage hole and saucer.", "pot", "#c8693f", "#e3a27d", 5),
    _p("POT-GLAZ", "Glazed Ceramic Planter", "pots", "29.00", "Reactive sea-green glaze, each one a little different. 24 cm.", "pot", "#3d8a86", "#a7d3cd", 3),
    _p("POT-MACR", "Macramé Hanging Planter", "pots", "19.90", "Knotted cotton cord with a stoneware bowl; hangs 90 cm.", "hanging", "#d9c6a5", "#9a6f4a", 2),
    _p("POT-SELF", "Self-Watering Pot", "pots", "27.50", "A hidden reservoir keeps roots happy for up to two weeks.", "pot", "#f0ede6", "#7a9d7e", 3),
    _p("POT-BALC", "Balcony Planter Box", "pots", "36.00", "A 60 cm recycled-plastic trough with rail hooks.", "box", "#5f6b5c", "#9bbd87", 2),
    _p("POT-CONC", "Concrete Bowl Planter", "pots", "32.00", "A low, wide bowl for succulents and cacti. 30 cm across.", "bowl", "#9ea3a0", "#6fa36a", 2),
    # -- garden tools
    _p("GDN-CANS", "Copper Watering Can", "garden", "44.00", "A 1.5 litre can with a long, gentle spout for indoor plants.", "can", "#c47f43", "#e9bc8c", 3),
    _p("GDN-SHEA", "Bypass Pruning Shears", "garden", "26.90", "Forged steel blades, cushioned grips, a lock you can work one-handed.", "shears", "#cf3f3f", "#9aa1a6", 4),
    _p("GDN-TROW", "Trowel & Fork Set", "garden", "21.50", "Stainless steel heads on ash handles, the pair in a canvas wrap.", "trowel", "#b5895b", "#a9b2b8", 3),
    _p("GDN-KNEE", "Garden Kneeler", "garden", "16.90", "Thick, water-proof foam that saves your knees on paving.", "kneeler", "#4b7f6a", "#a9d0bc", 2),
    _p("GDN-GLOV", "Bamboo Gardening Gloves", "garden", "9.90", "Breathable, grippy, and washable. Sizes S to L.", "gloves", "#7aa35f", "#e3e1d2", 4),
    _p("GDN-HOSE", "Compact Hose Reel", "garden", "39.00", "15 metres of kink-free hose on a wall-mounted reel.", "reel", "#2f6f9f", "#7cc1b0", 2),
    # -- kitchen & table
    _p("KIT-MUGS", "Stoneware Mug", "kitchen", "11.90", "A speckled 350 ml mug that keeps coffee warm and hands happy.", "mug", "#e3d7c3", "#5c7d8a", 5),
    _p("KIT-BOAR", "Olive Wood Board", "kitchen", "28.00", "Cut from a single piece of olive wood; every grain is unique.", "board", "#b98a56", "#7a5532", 3),
    _p("KIT-NAPK", "Linen Napkins, Set of 4", "kitchen", "19.50", "Stonewashed linen in sage, 45 x 45 cm, softer with every wash.", "napkins", "#a5b89a", "#e5e0d0", 3),
    _p("KIT-BOWL", "Ceramic Serving Bowl", "kitchen", "24.00", "A generous 26 cm bowl in a matte oat glaze.", "servingbowl", "#e8dcc4", "#b07a4f", 3),
    _p("KIT-CARA", "Glass Carafe", "kitchen", "17.90", "Mouth-blown glass, one litre, with a tumbler that doubles as a lid.", "carafe", "#a9d3dc", "#5c9aa8", 2),
    _p("KIT-ENAM", "Enamel Coffee Pot", "kitchen", "31.00", "A stove-top enamel pot in forest green, for six cups.", "coffeepot", "#2e5e4e", "#f2efe6", 2),
    # -- home & light
    _p("LIV-LAMP", "Rattan Pendant Lamp", "living", "59.00", "Hand-woven rattan that scatters a warm, dappled light. 40 cm.", "lamp", "#c49a5e", "#f6d77b", 2),
    _p("LIV-CAND", "Fig Leaf Soy Candle", "living", "16.50", "Soy wax in a reusable amber jar, about 40 hours of fig and cedar.", "candle", "#8a5a3c", "#f2b84b", 5),
    _p("LIV-THRO", "Wool Throw", "living", "64.00", "A herringbone throw in undyed Merino, 130 x 170 cm.", "throw", "#b7a58f", "#6e5d4b", 2),
    _p("LIV-CUSH", "Linen Cushion Cover", "living", "22.90", "Washed linen in terracotta, 45 x 45 cm, hidden zip.", "cushion", "#c8734f", "#f0d5c2", 4),
    _p("LIV-BASK", "Seagrass Basket", "living", "26.00", "A sturdy, hand-woven basket for throws, toys or a big plant.", "basket", "#c9ad72", "#8b6e3e", 3),
    _p("LIV-LITE", "Outdoor String Lights", "living", "34.00", "Ten metres of warm festoon bulbs for the terrace, IP44.", "lights", "#3b3b3b", "#f7cf5a", 3),
)
# fmt: on

PRODUCT_BY_SKU = {product.sku: product for product in PRODUCTS}

#: What the shop front shows first.
FEATURED: tuple[str, ...] = (
    "PLT-MONS",
    "POT-TERR",
    "KIT-MUGS",
    "LIV-CAND",
    "PLT-POTH",
    "GDN-SHEA",
    "LIV-CUSH",
    "PLT-LAVE",
)
