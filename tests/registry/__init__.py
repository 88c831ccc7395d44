"""The test registry: one table (``ROWS``) of every public optimizer and variant with its reference.

Each topic adds its rows in its own module here; generic tests (test_contract.py,
test_reference.py) run over all of them. ``EXEMPT`` lists the public names that are not
optimizers (schedules, problems, helpers, state classes), so that test_public_api.py can check
that every other public factory has a row.
"""

from tests.registry import adaptive, fused, gradient_descent, problems, rules, schedules, second_order
from tests.registry.row import Row

MODULES = (gradient_descent, problems, adaptive, rules, second_order, schedules, fused)
ROWS: list[Row] = [row for module in MODULES for row in module.ROWS]
EXEMPT: set[str] = set().union(*(module.EXEMPT for module in MODULES))

assert len({row.id for row in ROWS}) == len(ROWS), "registry ids must be unique"
