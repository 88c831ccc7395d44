"""Registry entries of problems, losses, data, proximal regularization and the drivers (docs/spec/sgd.md,
docs/spec/regularization.md, docs/spec/losses.md, docs/spec/problems.md, docs/spec/driver.md).

None of these is an optimizer row: ``proximal`` is a post-processing step that needs a preceding
optimizer (alone it would step *along* the gradient), so the generic convergence contract does not
apply; its contract (jit once, dtypes, lax.cond, ShapeDtypeStruct init, extra kwargs) and its
jaxopt reference are checked in tests/test_proximal.py.
"""

from __future__ import annotations

from tests.registry.row import Row

ROWS: list[Row] = []

EXEMPT = {"problems", "losses", "data", "minimize", "Trace", "fit", "FitHistory", "proximal", "ProximalState"}
