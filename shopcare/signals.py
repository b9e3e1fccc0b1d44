"""The signals shopcare sends, in the ``shopcare`` blinker namespace.

Every signal is sent by a service after its change is flushed, with the Flask app
as sender; the keyword arguments of each are listed beside it and in the README.
Connect with ``shopcare.signals.order_recorded.connect(receiver, app)``.
"""

from __future__ import annotations

from blinker import Namespace

namespace = Namespace()

#: An order was recorded or updated. kwargs: ``order``, ``created`` (bool).
order_recorded = namespace.signal("order-recorded")
