"""Hand a linear Pyomo model to HiGHS as arrays, solve it, and load the primal values back into the model.

The model stays the Pyomo model every constraint family builds (named constraints, Expressions per cost term);
only the hand-over is ours. Pyomo's persistent HiGHS interface walks each constraint twice (once to find its
variables, once for its standard representation) and keeps per-variable bookkeeping for later updates: on the
ACN month (89k columns, 24k rows) that took 1.2 s of a 3.3 s optimisation. Here one pass reads each row:

    row r:  lb_r - c_r <= sum_j a_rj x_j <= ub_r - c_r      (body = sum_j a_rj x_j + c_r)

with a fast path for the flat sums the families build (variables and ``coef * var`` terms) and Pyomo's own
``generate_standard_repn`` for anything else; a non-linear term is refused with the constraint's name.
Columns are all variables of the model in Pyomo's declaration order (fixed ones with lb = ub = value), rows
all active constraints in declaration order, so the same model always gives HiGHS the same arrays: same
plan. A kept :class:`HighsLP` re-solves after bound changes (warm re-plans) from its last basis.
"""

from __future__ import annotations

import io
import math
import time

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.common.tee import capture_output
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.objective import ObjectiveData
from pyomo.core.base.var import ScalarVar, VarData
from pyomo.core.expr.numeric_expr import (
    DivisionExpression,
    LinearExpression,
    MonomialTermExpression,
    NegationExpression,
    ProductExpression,
    SumExpression,
)
from pyomo.core.expr.numvalue import native_numeric_types
from pyomo.repn.standard_repn import generate_standard_repn

from engine.results import SolverInfo

INF = highspy.kHighsInf

# HiGHS prints its banner to the process's stdout (C level) when the first instance is made; make that one here,
# once at import, with the file descriptor captured, so `plan --json` and served responses stay clean.
with capture_output(io.StringIO(), capture_fd=True):
    highspy.Highs()
_VARS = (VarData, ScalarVar)
_SUMS = (SumExpression, LinearExpression)


class NonLinearError(ValueError):
    """A constraint or objective of the model is not linear (the scheduler builds LPs and MIPs only)."""


def _constant(arg) -> bool:
    """Whether an expression argument holds no variable (a number, a Param, an expression of those)."""
    return arg.__class__ in native_numeric_types or not arg.is_potentially_variable()


class _Linear:
    """Accumulates one linear form: variables, their coefficients and a constant."""

    __slots__ = ("coefs", "const", "vars")

    def __init__(self) -> None:
        self.vars: list = []
        self.coefs: list[float] = []
        self.const = 0.0

    def terms(self, args, mult: float, where) -> None:
        """Add ``mult * sum(args)``: variables, monomials and numbers read in this loop (the families' flat sums
        are made of them; one call per row instead of one per term), anything else through :meth:`add`."""
        variables, coefs = self.vars, self.coefs
        for arg in args:
            kind = arg.__class__
            if kind in _VARS:
                variables.append(arg)
                coefs.append(mult)
            elif kind is MonomialTermExpression:
                coef, var = arg._args_
                if coef.__class__ not in native_numeric_types:
                    coef = pyo.value(coef)
                variables.append(var)
                coefs.append(mult * coef)
            elif kind in native_numeric_types:
                self.const += mult * arg
            else:
                self.add(arg, mult, where)

    def add(self, expr, mult: float, where) -> None:
        """Add ``mult * expr`` (see module doc: fast path for flat sums, ``generate_standard_repn`` otherwise).
        ``where``: the constraint or objective being read, named in the error if a term is not linear."""
        cls = expr.__class__
        if cls in _SUMS:
            self.terms(expr.args, mult, where)
        elif cls in _VARS or cls is MonomialTermExpression or cls in native_numeric_types:
            self.terms((expr,), mult, where)
        elif cls is NegationExpression:
            self.add(expr.args[0], -mult, where)
        elif not expr.is_potentially_variable():
            self.const += mult * pyo.value(expr)
        elif expr.is_named_expression_type():
            self.add(expr.expr, mult, where)
        elif cls is ProductExpression and _constant(expr.args[0]):
            self.add(expr.args[1], mult * pyo.value(expr.args[0]), where)
        elif cls is ProductExpression and _constant(expr.args[1]):
            self.add(expr.args[0], mult * pyo.value(expr.args[1]), where)
        elif cls is DivisionExpression and _constant(expr.args[1]):
            self.add(expr.args[0], mult / pyo.value(expr.args[1]), where)
        else:
            repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
            if repn.nonlinear_expr is not None or repn.quadratic_vars:
                kind = next(
                    (
                        k
                        for c, k in ((ObjectiveData, "objective"), (ConstraintData, "constraint"))
                        if isinstance(where, c)
                    ),
                    "expression",
                )
                raise NonLinearError(f"{kind} {getattr(where, 'name', where)} is not linear: {expr}")
            self.const += mult * pyo.value(repn.constant)
            for coef, var in zip(repn.linear_coefs, repn.linear_vars, strict=True):
                self.vars.append(var)
                self.coefs.append(mult * pyo.value(coef))


def linear_value(expr) -> float:
    """Value of a linear expression (a named cost term, a row body) at the variables' current values: the same
    one pass as the hand-over instead of Pyomo's general evaluator (0.14 s for the cost terms of 500 vehicles)."""
    acc = _Linear()
    acc.add(expr, 1.0, expr)
    return acc.const + math.fsum(c * v.value for v, c in zip(acc.vars, acc.coefs, strict=True) if c)


def _bound(value: float | None, const: float, default: float) -> float:
    """A row bound moved by the body's constant; None is +-infinity."""
    return default if value is None else float(pyo.value(value)) - const


def row_name(family: str, index: object) -> str:
    """``<family>:<entity>:<detail>``: the constraint's family (its Pyomo component), then its index (entity
    first, e.g. vehicle, depot or pool; then slots and pieces), e.g. ``site_limit:lax-1:72``."""
    if index is None:
        return family
    if isinstance(index, tuple):
        return family + ":" + ":".join(map(str, index))
    return f"{family}:{index}"


def _active_rows(model: pyo.ConcreteModel):
    """(constraint, row name) of every active constraint, in declaration and index order (the order of
    ``component_data_objects``), the index read from the component rather than asked of each constraint."""
    for comp in model.component_objects(pyo.Constraint, active=True, descend_into=True, sort=False):
        family = comp.local_name
        for index, con in comp.items():
            if con.active:
                yield con, row_name(family, index)


class HighsLP:
    """The model's LP (or MIP) inside one HiGHS instance: ``HighsLP(model)`` hands it over, :meth:`solve` solves
    and loads the values; the column methods change bounds, integrality or the starting point in HiGHS only."""

    def __init__(self, model: pyo.ConcreteModel) -> None:
        with PauseGC():  # many short lists and no garbage: cyclic collections would only cost time
            self._hand_over(model)

    def _hand_over(self, model: pyo.ConcreteModel) -> None:
        """Columns, rows and objective into ``self.highs`` (see module doc)."""
        t0 = time.perf_counter()
        self.vars: list = list(model.component_data_objects(pyo.Var, descend_into=True, sort=False))
        col_of = {id(v): j for j, v in enumerate(self.vars)}
        n = len(self.vars)
        lower, upper = np.empty(n), np.empty(n)
        integer: list[int] = []
        kinds: dict[int, bool] = {}  # id(domain) -> integral
        for j, v in enumerate(self.vars):
            lower[j], upper[j] = self._col_bounds(v)
            dom = v.domain
            integral = kinds.get(id(dom))
            if integral is None:
                integral = kinds[id(dom)] = dom.get_interval()[2] == 1
            if integral:
                integer.append(j)
        starts, index, value, row_lo, row_hi = [0], [], [], [], []
        self.rows: list = []
        names: list[str] = []
        for con, name in _active_rows(model):
            self.rows.append(con)
            names.append(name)
            lb, body, ub = con.to_bounded_expression(True)
            acc = _Linear()
            acc.add(body, 1.0, con)
            cols, coefs = [col_of[id(v)] for v in acc.vars], acc.coefs
            if len(set(cols)) != len(cols):
                merged: dict[int, float] = {}
                for c, a in zip(cols, coefs, strict=True):
                    merged[c] = merged.get(c, 0.0) + a
                cols, coefs = list(merged), list(merged.values())
            index += cols
            value += coefs
            starts.append(len(index))
            row_lo.append(_bound(lb, acc.const, -INF))
            row_hi.append(_bound(ub, acc.const, INF))
        objectives = list(model.component_data_objects(pyo.Objective, active=True, descend_into=True))
        if len(objectives) != 1:
            raise ValueError(f"model {model.name} has {len(objectives)} active objectives, expected 1")
        obj = objectives[0]
        acc = _Linear()
        acc.add(obj.expr, 1.0 if obj.sense == pyo.minimize else -1.0, obj)
        cost = np.zeros(n)
        np.add.at(cost, np.asarray([col_of[id(v)] for v in acc.vars], dtype=np.int64), np.asarray(acc.coefs))
        self.sign = 1.0 if obj.sense == pyo.minimize else -1.0
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(row_lo)
        lp.col_cost_ = cost
        lp.col_lower_ = lower
        lp.col_upper_ = upper
        lp.row_lower_ = np.asarray(row_lo)
        lp.row_upper_ = np.asarray(row_hi)
        lp.offset_ = acc.const
        lp.row_names_ = names
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.asarray(value, dtype=np.float64)
        if integer:
            kind = [highspy.HighsVarType.kContinuous] * n
            for j in integer:
                kind[j] = highspy.HighsVarType.kInteger
            lp.integrality_ = kind
        self.is_mip = bool(integer)
        self.stopped_by_clock = False  # whether the last run ended on its wall-clock safety net
        self.highs = highspy.Highs()
        self.highs.silent()
        self.highs.passModel(lp)
        self._col_of: dict[int, int] = col_of  # id(variable) -> column
        self._row_of: dict[int, int] = {id(c): i for i, c in enumerate(self.rows)}  # id(constraint) -> row
        self.handover_seconds = time.perf_counter() - t0

    @staticmethod
    def _col_bounds(v) -> tuple[float, float]:
        """Column bounds: the value for a fixed variable, else its bounds (domain included) [model units]."""
        if v.fixed:
            if v.value is None:
                raise ValueError(f"variable {v.name} is fixed without a value")
            return float(v.value), float(v.value)
        lb, ub = v.bounds
        return (-INF if lb is None else float(lb)), (INF if ub is None else float(ub))

    def columns(self, variables: list) -> np.ndarray:
        """Column indices of these model variables."""
        return np.asarray([self._col_of[id(v)] for v in variables], dtype=np.int32)

    def update_bounds(self, variables: list) -> None:
        """Re-read these variables' bounds (or fixed values) from the model: the next solve starts from the last
        basis (a warm re-plan)."""
        if not variables:
            return
        lo, hi = zip(*(self._col_bounds(v) for v in variables), strict=True)
        cols = self.columns(variables)
        self.highs.changeColsBounds(len(cols), cols, np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))

    def fix_columns(self, variables: list, values: list[float]) -> None:
        """Fix these columns at ``values`` inside HiGHS only (the model is unchanged)."""
        cols = self.columns(variables)
        v = np.asarray(values, dtype=float)
        self.highs.changeColsBounds(len(cols), cols, v, v)

    def relax_integrality(self) -> None:
        """Make every integer column continuous: the LP relaxation of a MIP."""
        lp = self.highs.getLp()
        integer = [j for j, kind in enumerate(lp.integrality_) if kind != highspy.HighsVarType.kContinuous]
        if integer:
            self.highs.changeColsIntegrality(
                len(integer),
                np.asarray(integer, dtype=np.int32),
                np.asarray([highspy.HighsVarType.kContinuous] * len(integer)),
            )
        self.is_mip = False

    def make_semicontinuous(self, variables: list, lows: list[float]) -> None:
        """These columns become semi-continuous in HiGHS: 0 or between ``lows`` and their upper bound (the model
        is a MIP from here on)."""
        cols = self.columns(variables)
        lp = self.highs.getLp()
        upper = np.asarray(lp.col_upper_)[cols]
        self.highs.changeColsIntegrality(
            len(cols), cols, np.asarray([highspy.HighsVarType.kSemiContinuous] * len(cols))
        )
        self.highs.changeColsBounds(len(cols), cols, np.asarray(lows, dtype=float), upper)
        self.is_mip = True

    def set_start(self, variables: list, values: list[float]) -> None:
        """A (partial) starting solution for a MIP: HiGHS fixes these integer columns at ``values``, solves for
        the rest and, if that is feasible, starts from it as its first incumbent."""
        cols = self.columns(variables)
        status = self.highs.setSolution(len(cols), cols, np.asarray(values, dtype=float))
        if status == highspy.HighsStatus.kError:
            raise ValueError("HiGHS refused the starting solution")

    def basis(self) -> highspy.HighsBasis:
        """HiGHS's current basis (to come back to the same vertex after other solves)."""
        return self.highs.getBasis()

    def set_basis(self, basis: highspy.HighsBasis) -> None:
        """Start the next solve from ``basis`` (from :meth:`basis` on this instance)."""
        self.highs.setBasis(basis)

    def evaluate(self, expr) -> float:
        """A linear expression of the model's variables at HiGHS's last solution (not the values loaded into the
        model): e.g. one objective term, priced by the solver's own columns."""
        acc = _Linear()
        acc.add(expr, 1.0, expr)
        x = np.asarray(self.highs.getSolution().col_value)
        return float(acc.const + sum(a * x[j] for a, j in zip(acc.coefs, self.columns(acc.vars), strict=True)))

    def objective_value(self) -> float:
        """HiGHS's objective at its last solution [model units]."""
        return self.sign * float(self.highs.getInfo().objective_function_value)

    def row_duals(self, constraints: list) -> np.ndarray:
        """Duals of these rows at HiGHS's last LP solution: d objective / d bound [objective units per row unit]
        (for a binding ``<=`` row in a minimisation, <= 0: raising the bound saves -dual)."""
        rows = np.asarray([self._row_of[id(c)] for c in constraints], dtype=np.int64)
        return self.sign * np.asarray(self.highs.getSolution().row_dual)[rows]

    def column_duals(self, variables: list) -> np.ndarray:
        """Reduced costs of these columns at HiGHS's last LP solution: at a bound, d objective / d bound."""
        return self.sign * np.asarray(self.highs.getSolution().col_dual)[self.columns(variables)]

    def values(self, variables: list) -> np.ndarray:
        """Values of these columns in HiGHS's last solution (not loaded into the model)."""
        return np.asarray(self.highs.getSolution().col_value)[self.columns(variables)]

    def run(
        self, time_limit: float | None = None, mip_gap: float | None = None, seed: int = 0, threads: int = 1
    ) -> tuple[str, float | None, float | None]:
        """Run HiGHS (fixed seed and threads: same input, same result) without loading values: status
        (optimal | feasible | infeasible | noSolution), objective and its bound (None without a solution)."""
        h = self.highs
        h.setOptionValue("random_seed", seed)
        h.setOptionValue("threads", threads)
        h.setOptionValue("time_limit", INF if time_limit is None else float(time_limit))
        if mip_gap is not None:
            h.setOptionValue("mip_rel_gap", float(mip_gap))
        h.run()
        ms = h.getModelStatus()
        self.stopped_by_clock = ms == highspy.HighsModelStatus.kTimeLimit
        info = h.getInfo()
        if ms == highspy.HighsModelStatus.kOptimal:
            status = "optimal"
        elif ms in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            status = "infeasible"
        elif info.primal_solution_status == 2:  # kSolutionStatusFeasible
            status = "feasible"
        else:
            status = "noSolution"
        if status not in ("optimal", "feasible"):
            return status, None, None
        objective = self.sign * info.objective_function_value
        return status, objective, self.sign * info.mip_dual_bound if self.is_mip else objective

    def load_values(self) -> None:
        """Write HiGHS's last solution into the model's (unfixed) variables."""
        for var, x in zip(self.vars, self.highs.getSolution().col_value, strict=True):
            if not var.fixed:
                var.set_value(x, skip_validation=True)

    def solve(
        self, time_limit: float | None = None, mip_gap: float | None = None, seed: int = 0, threads: int = 1
    ) -> SolverInfo:
        """:meth:`run`, then load the values into the model when a solution exists. ``seconds`` [s] counts the
        hand-over (the first time), the solve and loading the values."""
        t0 = time.perf_counter()
        status, objective, bound = self.run(time_limit, mip_gap, seed, threads)
        if objective is not None:
            self.load_values()
        gap = None
        if objective is not None and bound is not None and math.isfinite(bound) and abs(objective) > 1e-9:
            gap = max(0.0, abs(objective - bound) / abs(objective))
        seconds = time.perf_counter() - t0 + self.handover_seconds
        self.handover_seconds = 0.0
        return SolverInfo(status=status, gap=gap, seconds=seconds, objective=objective)
