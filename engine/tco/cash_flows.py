"""The cash flows of one vehicle of a class, by analysis year and component [USD per vehicle].

Year k = 0 .. N-1 (N the analysis period). With D_k the distance [km], the electric vehicle's costs are:

- ``vehicle``: (1 - f) P at k = 0, P the purchase price (given, or built up as NREL T3CO does) and f the
  financed share; ``financing``: the loan L = f P repaid as A = L r_f / (1 - (1 + r_f)^-n) at k = 1 .. n, what
  is owed after year N-1 paid in year N-1; ``purchase_tax``: t P at k = 0; ``incentives``: -I at k = 0;
  ``residual_value``: -rho P at k = N-1;
- ``battery_replacement``: C x c_rep at k = m, 2m, ... <= N-1 with m = floor((1 - s_min) / d) (capacity C
  [kWh], yearly loss d, replaced below s_min), never when d = 0;
- ``chargers``: the depot's count x (hardware + installation) at k = 0, L_c, 2 L_c, ... < N;
  ``charger_maintenance`` and ``network_fees``: count x the yearly fee; each divided among the depot's vehicles;
- ``depot_energy``: E_k (1 - s_pub - s_em) p_depot with E_k = D_k e (e [kWh/km] at the meter);
  ``public_charging``: E_k s_pub p_pub; ``emergency_charging``: E_k s_em (p_pub + premium);
  ``demand_charges``: the depot's demand charges per vehicle-year, both times the depot's tariff factor;
  ``session_fees``: operating days x fee;
- ``maintenance``: D_k m_k; ``insurance``, ``telematics``, ``software``: per year; ``downtime``: days x the
  class's cost per day.

The diesel baseline has the same purchase terms, ``fuel``: D_k c / 100 x p_fuel (c [L/100 km]),
``maintenance``, ``insurance``, ``telematics`` and ``downtime``.
"""

from __future__ import annotations

import numpy as np

from engine.tco.assumptions import Acquisition, BuildUp, DieselVehicle, TcoAssumptions, VehicleClass
from engine.tco.units import Quantity

Flows = dict[str, np.ndarray]  # component -> amount per analysis year [USD]
# A quantity's value is a number, one per year, or (in a Monte Carlo batch) one per draw as a column (S, 1):
# every formula below broadcasts, so a batch of S draws gives (S, N) flows in one pass.
Num = float | np.ndarray


def _yearly(qty: Quantity | None, n: int) -> np.ndarray:
    """One value per analysis year (0 when absent); a batch's column (S, 1) as it is."""
    if qty is None:
        return np.zeros(n)
    if isinstance(qty.value, np.ndarray):
        return qty.value
    return np.array(qty.value, dtype=float) if isinstance(qty.value, list) else np.full(n, float(qty.value))


def _v(qty: Quantity | None) -> Num:
    """A single value (0 when absent), or a batch's column (S, 1)."""
    if qty is None:
        return 0.0
    return qty.value if isinstance(qty.value, np.ndarray) else float(qty.value)  # type: ignore[arg-type]


def built_price(b: BuildUp, battery_kwh: float) -> dict[str, float]:
    """The build-up's parts [USD]: glider, motor, and the marked-up battery, engine, fuel storage and plug."""
    m = _v(b.markup)
    return {
        "glider": _v(b.glider),
        "motor": _v(b.motor_kw) * _v(b.motor_price),
        "battery": m * battery_kwh * _v(b.battery_price),
        "engine": m * (_v(b.engine_kw) * _v(b.engine_price) + _v(b.engine_base)) if b.engine_kw is not None else 0.0,
        "fuel_storage": m * _v(b.fuel_storage_kwh) * _v(b.fuel_storage_price),
        "plug": m * _v(b.plug),
    }


def purchase_price(acq: Acquisition, battery_kwh: float = 0.0) -> float:
    """P [USD]: the price, or the sum of the build-up's parts."""
    if acq.price is not None:
        return _v(acq.price)
    assert acq.build_up is not None
    return sum(built_price(acq.build_up, battery_kwh).values())


def loan_payments(amount: Num, rate: Num, term: Num, n: int) -> np.ndarray:
    """Payments [USD] at years 0 .. n-1 of a loan of ``amount`` taken at year 0: equal annuities at the end of
    years 1 .. term (whole years), and the balance still owed after year n-1 paid in year n-1."""
    k = np.arange(n)
    amount, rate = np.asarray(amount, dtype=float), np.asarray(rate, dtype=float)
    term = np.floor(np.asarray(term, dtype=float))
    safe = np.where(rate == 0, 1.0, rate)
    # 1 - (1 + r)^-n and (1 + r)^j - 1 through expm1/log1p: exact for rates down to the smallest float
    annuity = np.where(rate == 0, amount / term, amount * safe / -np.expm1(-term * np.log1p(safe)))
    paid = np.minimum(term, n - 1)
    growth = np.expm1(paid * np.log1p(safe))  # (1 + r)^paid - 1
    balance = np.where(rate == 0, amount - annuity * paid, amount * (1 + growth) - annuity * growth / safe)
    out = np.where((k >= 1) & (k <= paid), annuity, 0.0)
    return out + np.where((k == n - 1) & (paid < term), balance, 0.0)


def _purchase(acq: Acquisition, price: float, n: int) -> Flows:
    share = _v(acq.financing.share) if acq.financing else 0.0
    first = np.zeros(n)
    first[0] = 1.0
    last = np.zeros(n)
    last[-1] = 1.0
    flows = {
        "vehicle": first * price * (1 - share),
        "purchase_tax": first * price * _v(acq.purchase_tax),
        "incentives": -first * _v(acq.incentives),
        "residual_value": -last * price * _v(acq.residual_value),
    }
    if acq.financing is not None:
        f = acq.financing
        flows["financing"] = loan_payments(price * share, _v(f.rate), _v(f.term), n)
    return flows


def _every(interval: Num, n: int, start: Num = 0) -> np.ndarray:
    """1 at years start, start + interval, ... < n (``interval`` whole years, at least 1)."""
    k = np.arange(n)
    step = np.maximum(1.0, np.floor(interval))
    return ((k >= start) & ((k - start) % step == 0)).astype(float)


def depot_vehicles(a: TcoAssumptions, depot_id: str) -> Num:
    return sum((_v(c.count) for c in a.vehicle_classes if c.depot == depot_id), 0.0)


def ev_flows(a: TcoAssumptions, c: VehicleClass) -> Flows:
    """Cash flows of one electric vehicle of class ``c`` [USD per year] (module doc)."""
    n = int(_v(a.analysis.period))
    ev, depot = c.ev, a.depot(c.depot)
    b = ev.battery
    flows = _purchase(ev.acquisition, purchase_price(ev.acquisition, _v(b.capacity)), n)
    # replaced every m = floor((1 - s_min) / d) years, at least every year (a file may not lose more than the
    # headroom in one year, load.py; a sweep's draw may), never when d = 0
    d = _v(b.degradation)
    years = (1 - _v(b.replace_below)) / np.where(d > 0, np.maximum(d, 1e-12), 1.0) + 1e-9  # finite: no overflow
    every = np.maximum(1.0, np.floor(np.minimum(years, n + 1)))
    replaced = _every(every, n, every) * (np.asarray(d) > 0)
    flows["battery_replacement"] = replaced * _v(b.capacity) * _v(b.replacement_price)
    share = depot_vehicles(a, c.depot)
    if depot.chargers is not None:
        ch = depot.chargers
        count = _v(ch.count) / np.where(np.asarray(share) > 0, share, 1.0)
        flows["chargers"] = _every(_v(ch.life), n) * count * (_v(ch.hardware) + _v(ch.installation))
        flows["charger_maintenance"] = count * _yearly(ch.maintenance, n)
        flows["network_fees"] = count * _yearly(ch.network_fee, n)
    distance = _yearly(c.annual_distance, n)
    energy = distance * _v(ev.consumption)
    public, emergency = _yearly(ev.public_share, n), _yearly(ev.emergency_share, n)
    en = depot.energy
    factor = 1.0 if en.tariff_factor is None else _v(en.tariff_factor)
    flows["depot_energy"] = energy * (1 - public - emergency) * _yearly(en.price, n) * factor
    flows["demand_charges"] = _yearly(en.demand, n) * factor
    flows["session_fees"] = _yearly(c.operating_days, n) * _yearly(en.session_fee, n)
    flows["public_charging"] = energy * public * _yearly(ev.public_price, n)
    flows["emergency_charging"] = energy * emergency * (_yearly(ev.public_price, n) + _yearly(ev.emergency_premium, n))
    flows["maintenance"] = distance * _yearly(ev.maintenance, n)
    for name in ("insurance", "telematics", "software"):
        flows[name] = _yearly(getattr(ev, name), n)
    flows["downtime"] = _yearly(ev.downtime_days, n) * _v(c.downtime_cost)
    return flows


def diesel_flows(a: TcoAssumptions, c: VehicleClass, d: DieselVehicle) -> Flows:
    """Cash flows of one diesel vehicle of the baseline of class ``c`` [USD per year] (module doc)."""
    n = int(_v(a.analysis.period))
    flows = _purchase(d.acquisition, purchase_price(d.acquisition), n)
    distance = _yearly(c.annual_distance, n)
    flows["fuel"] = distance * _v(d.consumption) / 100 * _yearly(d.fuel_price, n)
    flows["maintenance"] = distance * _yearly(d.maintenance, n)
    flows["insurance"] = _yearly(d.insurance, n)
    flows["telematics"] = _yearly(d.telematics, n)
    flows["downtime"] = _yearly(d.downtime_days, n) * _v(c.downtime_cost)
    return flows


def discount_factors(a: TcoAssumptions) -> np.ndarray:
    """1 / (1 + r)^k for k = 0 .. N-1."""
    n = int(_v(a.analysis.period))
    return (1 + _v(a.analysis.discount_rate)) ** -np.arange(n, dtype=float)
