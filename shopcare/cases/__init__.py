"""After-sales cases (``care.cases``): EU withdrawals, policy returns and exchanges, and
legal guarantee claims — one :class:`~shopcare.cases.models.Case` model whose *kind* is
its legal basis, each kind with its own clock, reasons and remedies."""
