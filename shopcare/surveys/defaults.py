"""The surveys shopcare ships ready: the post-purchase survey (the eight index areas,
NPS, CSAT and CES) and a mystery-shopper checklist (DOMAIN.md; document 000)."""

from __future__ import annotations

from typing import Any

POST_PURCHASE = "post_purchase"
MYSTERY_SHOPPER = "mystery_shopper"

COMPARISON_OPTIONS = [
    {"value": "1", "en": "Worse", "es": "Peor"},
    {"value": "2", "en": "About the same", "es": "Más o menos igual"},
    {"value": "3", "en": "Better", "es": "Mejor"},
]

#: The default post-purchase survey: ``{title_en, title_es, intro_en, intro_es, questions}``.
POST_PURCHASE_SURVEY: dict[str, Any] = {
    "title_en": "How did we do?",
    "title_es": "¿Qué tal lo hemos hecho?",
    "intro_en": "A few questions about your order. It takes two minutes.",
    "intro_es": "Unas preguntas sobre tu pedido. Son dos minutos.",
    "questions": [
        # page 1: the question in the e-mail, and overall satisfaction (CSAT)
        {
            "key": "nps",
            "type": "nps",
            "area": "satisfaction",
            "required": True,
            "page": 1,
            "text_en": "How likely are you to recommend us to a friend or colleague?",
            "text_es": "¿Qué probabilidad hay de que nos recomiendes a un amigo o colega?",
        },
        {
            "key": "csat",
            "type": "rating",
            "area": "satisfaction",
            "dimension": "service",
            "required": True,
            "page": 1,
            "text_en": "Overall, how satisfied are you with this order?",
            "text_es": "En general, ¿qué tan satisfecho estás con este pedido?",
        },
        # page 2: the order itself
        {
            "key": "ces",
            "type": "ces",
            "area": "processes",
            "required": False,
            "page": 2,
            "text_en": "How easy was it to order and receive your items? (1 very hard, 7 very easy)",
            "text_es": "¿Qué tan fácil fue pedir y recibir tus artículos? (1 muy difícil, 7 muy fácil)",
        },
        {
            "key": "delivery",
            "type": "rating",
            "area": "processes",
            "dimension": "reliability",
            "page": 2,
            "text_en": "Delivery: on time and as promised",
            "text_es": "Entrega: a tiempo y como se prometió",
        },
        {
            "key": "product",
            "type": "rating",
            "area": "product",
            "dimension": "conformity",
            "page": 2,
            "text_en": "The products: quality and as described",
            "text_es": "Los productos: calidad y tal como se describían",
        },
        {
            "key": "site",
            "type": "rating",
            "area": "infrastructure",
            "dimension": "features",
            "page": 2,
            "text_en": "Our website and the packaging",
            "text_es": "Nuestra web y el embalaje",
        },
        # page 3: the shop
        {
            "key": "information",
            "type": "rating",
            "area": "commercial",
            "dimension": "service",
            "page": 3,
            "text_en": "The information and help you received from us",
            "text_es": "La información y la ayuda que recibiste de nosotros",
        },
        {
            "key": "trust",
            "type": "rating",
            "area": "image",
            "page": 3,
            "text_en": "How much do you trust us as a shop?",
            "text_es": "¿Cuánto confías en nosotros como tienda?",
        },
        {
            "key": "after_sale",
            "type": "rating",
            "area": "post_sale",
            "dimension": "durability",
            "page": 3,
            "text_en": "Our after-sales service: returns, guarantees and advice",
            "text_es": "Nuestro servicio posventa: devoluciones, garantías y asesoramiento",
        },
        {
            "key": "competition",
            "type": "comparison",
            "area": "competition",
            "page": 3,
            "options": COMPARISON_OPTIONS,
            "text_en": "Compared with other shops where you buy similar things, we are…",
            "text_es": "Comparados con otras tiendas donde compras cosas parecidas, somos…",
        },
        {
            "key": "comment",
            "type": "text",
            "area": "satisfaction",
            "page": 3,
            "text_en": "Anything you would like to tell us?",
            "text_es": "¿Algo que quieras contarnos?",
        },
    ],
}

#: The default mystery-shopper checklist (checks: met or not).
MYSTERY_SHOPPER_SURVEY: dict[str, Any] = {
    "title_en": "Mystery-shopper audit",
    "title_es": "Auditoría de cliente misterioso",
    "intro_en": "Fill in after placing an order as a normal customer.",
    "intro_es": "Rellénala tras hacer un pedido como un cliente normal.",
    "questions": [
        {
            "key": "site_findable",
            "type": "check",
            "area": "infrastructure",
            "weight": 1,
            "text_en": "The product was easy to find on the site",
            "text_es": "El producto fue fácil de encontrar en la web",
        },
        {
            "key": "info_complete",
            "type": "check",
            "area": "commercial",
            "weight": 1,
            "text_en": "Price, delivery time and return terms were shown before paying",
            "text_es": "Precio, plazo de entrega y condiciones de devolución se mostraban antes de pagar",
        },
        {
            "key": "confirmation",
            "type": "check",
            "area": "processes",
            "weight": 1,
            "text_en": "An order confirmation arrived within an hour",
            "text_es": "La confirmación del pedido llegó en menos de una hora",
        },
        {
            "key": "on_time",
            "type": "check",
            "area": "processes",
            "weight": 2,
            "text_en": "The parcel arrived within the promised window",
            "text_es": "El paquete llegó en el plazo prometido",
        },
        {
            "key": "as_described",
            "type": "check",
            "area": "product",
            "weight": 2,
            "text_en": "The product matched its description",
            "text_es": "El producto coincidía con su descripción",
        },
        {
            "key": "packaging",
            "type": "check",
            "area": "infrastructure",
            "weight": 1,
            "text_en": "The packaging was intact and suitable",
            "text_es": "El embalaje estaba intacto y era adecuado",
        },
        {
            "key": "question_answered",
            "type": "check",
            "area": "post_sale",
            "weight": 2,
            "text_en": "A question to customer care was answered kindly within a working day",
            "text_es": "Una pregunta a atención al cliente se respondió con amabilidad en un día laborable",
        },
        {
            "key": "brand",
            "type": "check",
            "area": "image",
            "weight": 1,
            "text_en": "Mails and parcel carried the shop's name and contact details",
            "text_es": "Correos y paquete llevaban el nombre y contacto de la tienda",
        },
        {
            "key": "notes",
            "type": "text",
            "area": "satisfaction",
            "text_en": "Notes",
            "text_es": "Notas",
        },
    ],
}

DEFAULTS = {
    POST_PURCHASE: ("post_purchase", POST_PURCHASE_SURVEY),
    MYSTERY_SHOPPER: ("audit", MYSTERY_SHOPPER_SURVEY),
}
