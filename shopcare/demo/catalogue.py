"""Casa Verde's catalogue: categories and products, as plain data the seed loads."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


def N_(text: str) -> str:
    """Mark catalogue text for the shop's translations (``make demo-translations``
    extracts it); templates translate it when they show it: ``{{ _(product.name) }}``."""
    return text


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
    Category("plants", N_("Plants"), N_("Easy-going greenery for every corner"), "#e4efe4"),
    Category(
        "pots",
        N_("Pots & planters"),
        N_("Terracotta, stoneware and woven homes for plants"),
        "#f3e6dc",
    ),
    Category(
        "garden", N_("Garden tools"), N_("Sturdy tools for balconies, patios and plots"), "#e6ece9"
    ),
    Category(
        "kitchen",
        N_("Kitchen & table"),
        N_("Stoneware, olive wood and linen for slow meals"),
        "#f4efe2",
    ),
    Category(
        "living", N_("Home & light"), N_("Lamps, candles and textiles for warm evenings"), "#ece7f1"
    ),
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
    _p("PLT-MONS", N_("Monstera Deliciosa"), "plants", "34.90", N_("The split-leaf classic, 60 cm tall, in a 17 cm nursery pot."), "leafy", "#2f7d4f", "#c96f45", 5),
    _p("PLT-OLIV", N_("Potted Olive Tree"), "plants", "49.00", N_("A hardy little Olea europaea for a sunny balcony, about 80 cm."), "tree", "#6b8f5a", "#b9764a", 3),
    _p("PLT-SNAK", N_("Snake Plant"), "plants", "24.50", N_("Upright, architectural and very hard to kill. Low light is fine."), "spikes", "#3f7a52", "#d8c7a6", 4),
    _p("PLT-LAVE", N_("Lavender Trio"), "plants", "18.90", N_("Three fragrant English lavenders, ready for a window box."), "sprigs", "#8a74c2", "#5b8c5a", 4),
    _p("PLT-POTH", N_("Golden Pothos"), "plants", "14.90", N_("A trailing climber with marbled leaves that forgives forgetful waterers."), "trailing", "#5d9a3c", "#e6d27a", 5),
    _p("PLT-HERB", N_("Kitchen Herb Kit"), "plants", "22.00", N_("Basil, thyme and rosemary seedlings with a drip tray."), "herbs", "#4f8b4a", "#d59c5b", 3),
    # -- pots & planters
    _p("POT-TERR", N_("Terracotta Pot 20 cm"), "pots", "12.50", N_("Hand-thrown clay from Andalusia, with a drainage hole and saucer."), "pot", "#c8693f", "#e3a27d", 5),
    _p("POT-GLAZ", N_("Glazed Ceramic Planter"), "pots", "29.00", N_("Reactive sea-green glaze, each one a little different. 24 cm."), "pot", "#3d8a86", "#a7d3cd", 3),
    _p("POT-MACR", N_("Macramé Hanging Planter"), "pots", "19.90", N_("Knotted cotton cord with a stoneware bowl; hangs 90 cm."), "hanging", "#d9c6a5", "#9a6f4a", 2),
    _p("POT-SELF", N_("Self-Watering Pot"), "pots", "27.50", N_("A hidden reservoir keeps roots happy for up to two weeks."), "pot", "#f0ede6", "#7a9d7e", 3),
    _p("POT-BALC", N_("Balcony Planter Box"), "pots", "36.00", N_("A 60 cm recycled-plastic trough with rail hooks."), "box", "#5f6b5c", "#9bbd87", 2),
    _p("POT-CONC", N_("Concrete Bowl Planter"), "pots", "32.00", N_("A low, wide bowl for succulents and cacti. 30 cm across."), "bowl", "#9ea3a0", "#6fa36a", 2),
    # -- garden tools
    _p("GDN-CANS", N_("Copper Watering Can"), "garden", "44.00", N_("A 1.5 litre can with a long, gentle spout for indoor plants."), "can", "#c47f43", "#e9bc8c", 3),
    _p("GDN-SHEA", N_("Bypass Pruning Shears"), "garden", "26.90", N_("Forged steel blades, cushioned grips, a lock you can work one-handed."), "shears", "#cf3f3f", "#9aa1a6", 4),
    _p("GDN-TROW", N_("Trowel & Fork Set"), "garden", "21.50", N_("Stainless steel heads on ash handles, the pair in a canvas wrap."), "trowel", "#b5895b", "#a9b2b8", 3),
    _p("GDN-KNEE", N_("Garden Kneeler"), "garden", "16.90", N_("Thick, water-proof foam that saves your knees on paving."), "kneeler", "#4b7f6a", "#a9d0bc", 2),
    _p("GDN-GLOV", N_("Bamboo Gardening Gloves"), "garden", "9.90", N_("Breathable, grippy, and washable. Sizes S to L."), "gloves", "#7aa35f", "#e3e1d2", 4),
    _p("GDN-HOSE", N_("Compact Hose Reel"), "garden", "39.00", N_("15 metres of kink-free hose on a wall-mounted reel."), "reel", "#2f6f9f", "#7cc1b0", 2),
    # -- kitchen & table
    _p("KIT-MUGS", N_("Stoneware Mug"), "kitchen", "11.90", N_("A speckled 350 ml mug that keeps coffee warm and hands happy."), "mug", "#e3d7c3", "#5c7d8a", 5),
    _p("KIT-BOAR", N_("Olive Wood Board"), "kitchen", "28.00", N_("Cut from a single piece of olive wood; every grain is unique."), "board", "#b98a56", "#7a5532", 3),
    _p("KIT-NAPK", N_("Linen Napkins, Set of 4"), "kitchen", "19.50", N_("Stonewashed linen in sage, 45 x 45 cm, softer with every wash."), "napkins", "#a5b89a", "#e5e0d0", 3),
    _p("KIT-BOWL", N_("Ceramic Serving Bowl"), "kitchen", "24.00", N_("A generous 26 cm bowl in a matte oat glaze."), "servingbowl", "#e8dcc4", "#b07a4f", 3),
    _p("KIT-CARA", N_("Glass Carafe"), "kitchen", "17.90", N_("Mouth-blown glass, one litre, with a tumbler that doubles as a lid."), "carafe", "#a9d3dc", "#5c9aa8", 2),
    _p("KIT-ENAM", N_("Enamel Coffee Pot"), "kitchen", "31.00", N_("A stove-top enamel pot in forest green, for six cups."), "coffeepot", "#2e5e4e", "#f2efe6", 2),
    # -- home & light
    _p("LIV-LAMP", N_("Rattan Pendant Lamp"), "living", "59.00", N_("Hand-woven rattan that scatters a warm, dappled light. 40 cm."), "lamp", "#c49a5e", "#f6d77b", 2),
    _p("LIV-CAND", N_("Fig Leaf Soy Candle"), "living", "16.50", N_("Soy wax in a reusable amber jar, about 40 hours of fig and cedar."), "candle", "#8a5a3c", "#f2b84b", 5),
    _p("LIV-THRO", N_("Wool Throw"), "living", "64.00", N_("A herringbone throw in undyed Merino, 130 x 170 cm."), "throw", "#b7a58f", "#6e5d4b", 2),
    _p("LIV-CUSH", N_("Linen Cushion Cover"), "living", "22.90", N_("Washed linen in terracotta, 45 x 45 cm, hidden zip."), "cushion", "#c8734f", "#f0d5c2", 4),
    _p("LIV-BASK", N_("Seagrass Basket"), "living", "26.00", N_("A sturdy, hand-woven basket for throws, toys or a big plant."), "basket", "#c9ad72", "#8b6e3e", 3),
    _p("LIV-LITE", N_("Outdoor String Lights"), "living", "34.00", N_("Ten metres of warm festoon bulbs for the terrace, IP44."), "lights", "#3b3b3b", "#f7cf5a", 3),
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
