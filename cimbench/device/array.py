"""AnalogStore: weights held as conductances of simulated devices, updated by programming pulses.

Implements the weight-store interface of `cimbench.engine.store.IdealStore` (read, read_t,
write, weights, state_dict, load_state_dict, n_layers) without importing the engine.

Mapping weight <-> conductance (weights live in w in [-1, 1]; R = nominal Gmax - Gmin):

* ``reference``: one device per weight, read against a mid-conductance reference column
  Gref = (Gmax + Gmin) / 2 (nominal, noise-free):  w = 2 (G - Gref) / R.
  A requested change dw fires n = round(dw / 2 * Pmax_dir) pulses (Wmax - Wmin = 2), LTP for
  n > 0 with Pmax_LTP, LTD for n < 0 with Pmax_LTD.
* ``differential``: a G+ / G- pair per weight, w = (G+ - G-) / R. Update policy (push-pull):
  each requested change is split evenly between the two devices, so dw > 0 fires
  round(dw / 2 * Pmax_LTP) LTP pulses on G+ and round(dw / 2 * Pmax_LTD) LTD pulses on G-
  (mirror image for dw < 0). Both devices stay near mid-range on average; no refresh needed.
  Trace counts are per device: one weight change counts two written cells.

Pulse counts are clipped to [-Pmax_LTD, Pmax_LTP] (more pulses cannot move a device further
than end to end); the trace records the clipped counts. Pulses fired at stuck devices are
counted (the controller does not know they are stuck) but the devices do not move.

Performance: per-device constants (1/A and the curve constant for each direction, the Gmin and
Gmax factors, the stuck mask) are cached at construction, as scalars when they do not vary
per device. A write first counts the nonzero requested changes; when they are sparse (the
online, batch-1 protocol) only those cells are gathered, rounded, pushed along their curves
and scattered back. The effective weight matrix (float32) is cached and patched on write, so a
read is one matmul.
"""

from __future__ import annotations

import contextlib

import numpy as np

from cimbench.device import physics
from cimbench.device.preset import DevicePreset
from cimbench.errors import ConfigError
from cimbench.hardware.config import ADC_RANGES
from cimbench.trace import Trace

_SPARSE_FRAC = 0.25   # gather path when at most this fraction of dw is nonzero


def _per_device(a: np.ndarray) -> np.ndarray | float:
    """Collapse an array whose entries are all equal to a scalar (cheaper gathers)."""
    a = np.asarray(a)
    flat = a.reshape(-1)
    if flat.size and np.all(flat == flat[0]):
        return float(flat[0])
    return a.reshape(-1)


def _take(a, idx):
    return a if np.ndim(a) == 0 else a[idx]


class _Layer:
    """Device state and cached constants of one array (planes x n_in x n_out devices)."""

    def __init__(self, shape: tuple[int, int], planes: int):
        self.shape = shape
        self.size = shape[0] * shape[1]
        self.planes = planes
        self.u = np.zeros((planes, self.size), dtype=np.float32)   # normalized positions
        self.w = np.zeros(shape, dtype=np.float32)                 # cached effective weights
        self.g2: np.ndarray | None = None                          # cached sum of G^2 (w units)


class AnalogStore:
    """Weights as device conductances; writes become pulses on the device model.

    Parameters (keyword): weights (list of (n_in, n_out) arrays in [-1, 1]), trace, preset
    (kind "analog" or "digital"), adc_bits (None = no ADC), rngs with independent streams
    "d2d" (device-to-device and stuck-at draws), "c2c", "read" and "round", and adc_range:
    "calibrated" (full scale = max |y| of each read, physics.adc_quantize) or "full-scale"
    (MLP+NeuroSim's fixed scale, physics.adc_full_scale; forward reads of analog devices on
    the reference mapping; digital cells are then read exactly, bit by bit, as MLP+NeuroSim
    reads SRAM; transposed reads keep the calibrated rule).
    """

    def __init__(self, weights: list[np.ndarray], trace: Trace, preset: DevicePreset,
                 adc_bits: int | None, rngs: dict[str, np.random.Generator],
                 adc_range: str = "calibrated"):
        if preset.kind == "ideal":
            raise ConfigError(f"device preset '{preset.name}' is kind 'ideal': "
                              "it has no device physics and uses the ideal weight store")
        if adc_bits is not None and (isinstance(adc_bits, bool) or int(adc_bits) < 1):
            raise ConfigError(f"adc_bits must be a positive integer or None, got {adc_bits!r}")
        missing = {"d2d", "c2c", "read", "round"} - set(rngs)
        if missing:
            raise ValueError(f"AnalogStore needs rng streams {sorted(missing)}")
        self.trace = trace
        self.preset = preset
        self.adc_bits = None if adc_bits is None else int(adc_bits)
        self.rngs = rngs
        self.differential = preset.mapping == "differential"
        if adc_range not in ADC_RANGES:
            raise ConfigError(f"adc_range must be one of {', '.join(ADC_RANGES)}, got {adc_range!r}")
        self.full_scale = adc_range == "full-scale"
        if self.full_scale and self.differential:
            raise ConfigError(f"adc_range 'full-scale' needs the 'reference' mapping; device "
                              f"'{preset.name}' uses 'differential' (use adc_range 'calibrated')")
        self.planes = 2 if self.differential else 1
        self.p_ltp = int(preset.levels_ltp)
        self.p_ltd = int(preset.levels_ltd)
        # smallest |dw| that can round to a pulse under nearest rounding (prefilter, a bit low)
        self._thr = 0.999 / max(self.p_ltp, self.p_ltd)
        self._true1 = np.ones(1, dtype=bool)
        # C2C sigma per pulse count n (index n + Pmax_LTD): sigma sqrt|n| or sigma, 0 at n = 0
        nn = np.arange(-self.p_ltd, self.p_ltp + 1, dtype=np.float64)
        self._sig_tab = preset.c2c * (np.sqrt(np.abs(nn)) if preset.c2c_mode == "per-pulse"
                                      else (nn != 0).astype(np.float64))
        # conductances in units of the nominal range R = Gmax - Gmin
        rng_ = preset.gmax - preset.gmin
        self._gmin_r = preset.gmin / rng_
        self._gmax_r = preset.gmax / rng_
        self._gref_r = 0.5 * (self._gmin_r + self._gmax_r)
        self._layers: list[_Layer] = []
        self._const: list[dict] = []
        for w in weights:
            w = np.asarray(w, dtype=np.float64)
            layer = _Layer(w.shape, self.planes)
            self._layers.append(layer)
            self._const.append(self._draw_constants(layer))
            self._program(len(self._layers) - 1, w)

    # ------------------------------------------------------------------ construction
    def _draw_constants(self, layer: _Layer) -> dict:
        p = self.preset
        dev = physics.draw_d2d(self.rngs["d2d"], (layer.planes, layer.size), p.nl_ltp, p.nl_ltd,
                               p.d2d, p.levels_ltp, p.levels_ltd, p.d2d_g,
                               p.stuck_at_gmin, p.stuck_at_gmax)
        return self._derive(dev["c_ltp"], dev["c_ltd"], dev["gmin_f"], dev["gmax_f"],
                            dev["stuck"])

    def _derive(self, c_ltp, c_ltd, gmin_f, gmax_f, stuck) -> dict:
        lo = self._gmin_r * np.asarray(gmin_f, dtype=np.float64)
        hi = self._gmax_r * np.asarray(gmax_f, dtype=np.float64)
        hi = np.maximum(hi, lo + 1e-6)
        stuck = np.asarray(stuck, dtype=np.int8).reshape(-1)
        q_ltp, o_ltp = physics.update_constants(c_ltp, self.p_ltp)
        q_ltd, o_ltd = physics.update_constants(c_ltd, self.p_ltd)
        k = dict(
            c_ltp=_per_device(c_ltp), k_ltp=_per_device(physics.curve_constant(c_ltp, self.p_ltp)),
            c_ltd=_per_device(c_ltd),
            q_ltp=_per_device(q_ltp), o_ltp=_per_device(o_ltp),
            q_ltd=_per_device(q_ltd), o_ltd=_per_device(o_ltd),
            lo=_per_device(lo), span=_per_device(hi - lo),
            stuck_idx=((np.flatnonzero(stuck == 1), np.flatnonzero(stuck == 2))
                       if stuck.any() else None),
            raw=dict(c_ltp=np.asarray(c_ltp, dtype=np.float64),
                     c_ltd=np.asarray(c_ltd, dtype=np.float64),
                     gmin_f=np.asarray(gmin_f, dtype=np.float64),
                     gmax_f=np.asarray(gmax_f, dtype=np.float64), stuck=stuck))
        upd = ("c_ltp", "q_ltp", "o_ltp", "c_ltd", "q_ltd", "o_ltd")
        if all(np.ndim(k[n]) == 0 for n in upd):
            # per-pulse-count tables: u_new = u + em[n] * ((u - off[n]) + q[n]), index n + Pmax_LTD
            n = np.arange(-self.p_ltd, self.p_ltp + 1, dtype=np.float64)
            up = n > 0
            c = np.where(up, k["c_ltp"], k["c_ltd"])
            k["tables"] = dict(em=np.expm1(-c * n), q=np.where(up, k["q_ltp"], k["q_ltd"]),
                               o=np.where(up, k["o_ltp"], k["o_ltd"]))
        else:
            k["tables"] = None
        for name in upd + ("lo", "span"):
            if np.ndim(k[name]):
                k[name + "32"] = k[name].astype(np.float32)
        return k

    def _program(self, i: int, w: np.ndarray) -> None:
        """Set every device to the LTP-curve level (a whole pulse count from Gmin) whose
        conductance is closest to the target weight; stuck devices take their stuck value."""
        layer, k = self._layers[i], self._const[i]
        if w.shape != layer.shape:
            raise ValueError(f"layer {i}: weights of shape {w.shape}, expected {layer.shape}")
        wf = w.reshape(-1)
        if self.differential:
            targets = [self._gref_r + wf / 2.0, self._gref_r - wf / 2.0]
        else:
            targets = [self._gref_r + wf / 2.0]
        sl = np.arange(layer.size)
        for p, g in enumerate(targets):
            idx = sl + p * layer.size
            lo, span = _take(k["lo"], idx), _take(k["span"], idx)
            ut = np.clip((g - lo) / span, 0.0, 1.0)
            c, kk = _take(k["c_ltp"], idx), _take(k["k_ltp"], idx)
            with np.errstate(divide="ignore", invalid="ignore"):   # ut at the asymptote
                pos = np.nan_to_num(-np.log1p(ut / kk) / c, nan=self.p_ltp, posinf=self.p_ltp)
            pos = np.clip(pos, 0.0, self.p_ltp)
            lvl_lo = np.floor(pos)
            lvl_hi = np.minimum(lvl_lo + 1.0, self.p_ltp)
            u_lo = np.expm1(-c * lvl_lo) * kk
            u_hi = np.expm1(-c * lvl_hi) * kk
            layer.u[p] = np.clip(np.where(np.abs(u_hi - ut) < np.abs(u_lo - ut), u_hi, u_lo),
                                 0.0, 1.0)
        self._reset_stuck(i)
        self._refresh(i, None)

    # ------------------------------------------------------------------ conductance views
    def _g_r(self, i: int, plane: int, idx: np.ndarray | None) -> np.ndarray:
        """Conductance / R of devices `idx` (in-plane flat indices; None = all), in float32 and
        with the same arithmetic either way, so a partial refresh equals a full one."""
        layer, k = self._layers[i], self._const[i]
        lo, span = k["lo"], k["span"]
        if idx is None:
            sl = slice(plane * layer.size, (plane + 1) * layer.size)
            lo = np.float32(lo) if np.ndim(lo) == 0 else k["lo32"][sl]
            span = np.float32(span) if np.ndim(span) == 0 else k["span32"][sl]
            return layer.u[plane] * span + lo
        gidx = idx + plane * layer.size
        lo = np.float32(lo) if np.ndim(lo) == 0 else k["lo32"][gidx]
        span = np.float32(span) if np.ndim(span) == 0 else k["span32"][gidx]
        return layer.u[plane, idx] * span + lo

    def _refresh(self, i: int, idx: np.ndarray | None) -> None:
        """Recompute cached weights (and G^2 for read noise) at in-plane indices idx (None=all)."""
        layer = self._layers[i]
        gp = self._g_r(i, 0, idx)
        if self.differential:
            gm = self._g_r(i, 1, idx)
            w = gp - gm
            g2 = (gp * gp + gm * gm) if self.preset.read_noise > 0 else None
        else:
            g2 = (gp * gp * 4.0) if self.preset.read_noise > 0 else None
            gp -= self._gref_r
            gp *= 2.0
            w = gp
        if idx is None:
            layer.w[...] = w.reshape(layer.shape)
        else:
            layer.w.reshape(-1)[idx] = w
        if g2 is not None:
            if layer.g2 is None or idx is None:
                layer.g2 = np.asarray(g2, dtype=np.float32).reshape(layer.shape)
            else:
                layer.g2.reshape(-1)[idx] = g2

    def conductances(self, layer: int) -> np.ndarray:
        """Device conductances in siemens, shape (planes, n_in, n_out) (plane 1 = G- if any)."""
        L = self._layers[layer]
        r = self.preset.gmax - self.preset.gmin
        return np.stack([self._g_r(layer, p, None) * r for p in range(L.planes)]).reshape(
            (L.planes,) + L.shape)

    def stuck_mask(self, layer: int) -> np.ndarray:
        """int8 (planes, n_in, n_out): 0 free, 1 stuck at Gmin, 2 stuck at Gmax."""
        L = self._layers[layer]
        return self._const[layer]["raw"]["stuck"].reshape((L.planes,) + L.shape).copy()

    # ------------------------------------------------------------------ interface
    @property
    def n_layers(self) -> int:
        return len(self._layers)

    @contextlib.contextmanager
    def read_stream(self, rng: np.random.Generator):
        """Reads inside the block draw their read noise from rng (e.g. a separate test stream)."""
        saved, self.rngs["read"] = self.rngs["read"], rng
        try:
            yield
        finally:
            self.rngs["read"] = saved

    def _read(self, x: np.ndarray, w: np.ndarray, g2: np.ndarray | None) -> np.ndarray:
        sigma = self.preset.read_noise
        y = physics.noisy_matmul(x, w, g2 if sigma > 0 else None, sigma, self.rngs["read"])
        return physics.adc_quantize(y, self.adc_bits)

    def read(self, layer: int, x: np.ndarray) -> np.ndarray:
        """Forward read x @ w through read noise and the ADC."""
        L = self._layers[layer]
        if not self.full_scale or self.adc_bits is None:
            return self._read(x, L.w, L.g2)
        sigma = self.preset.read_noise
        y = physics.noisy_matmul(x, L.w, L.g2 if sigma > 0 else None, sigma, self.rngs["read"])
        if self.preset.kind == "digital":
            return y
        return physics.adc_full_scale(y, x.sum(axis=1), L.shape[0], self._gref_r, self.adc_bits)

    def read_fixed(self, B: np.ndarray, e: np.ndarray) -> np.ndarray:
        """e @ B through a fixed random feedback array: exact values, but the same ADC as the
        trained arrays (FA/DFA/DRTP hardware reads them with their own column ADCs)."""
        return physics.adc_quantize(e @ B, self.adc_bits)

    def read_t(self, layer: int, e: np.ndarray) -> np.ndarray:
        """Transposed read e @ w.T through read noise and the ADC."""
        L = self._layers[layer]
        return self._read(e, L.w.T, None if L.g2 is None else L.g2.T)

    def _pulses(self, v: np.ndarray) -> np.ndarray:
        """Requested weight changes (float32) -> signed pulse counts (float32 integers).

        x = v / 2 * Pmax_dir (Wmax - Wmin = 2); nearest = round half away from zero,
        stochastic = floor(x) + Bernoulli(frac) with rngs["round"]; clipped to
        [-Pmax_LTD, Pmax_LTP]. Avoids np.where (slow per element) on the dense path.
        """
        if self.p_ltp == self.p_ltd:
            x = v * np.float32(self.p_ltp / 2.0)
        else:
            x = np.maximum(v, 0) * np.float32(self.p_ltp / 2.0)
            x += np.minimum(v, 0) * np.float32(self.p_ltd / 2.0)
        if self.preset.rounding == "stochastic":
            n = np.floor(x)
            x -= n
            n += self.rngs["round"].random(x.shape, dtype=np.float32) < x
        else:
            n = np.abs(x)
            n += np.float32(0.5)
            np.floor(n, out=n)
            np.copysign(n, x, out=n)
        return np.clip(n, -self.p_ltd, self.p_ltp, out=n)

    def write(self, layer: int, dw: np.ndarray) -> None:
        """Apply a requested change dw (n_in, n_out) as programming pulses; record the trace."""
        L = self._layers[layer]
        d = np.asarray(dw).reshape(-1)
        if d.size != L.size:
            raise ValueError(f"layer {layer}: update of shape {np.shape(dw)}, expected {L.shape}")
        # cells that can fire at all: |dw| of at least half a level (nearest), or any dw != 0
        if self.preset.rounding == "nearest":
            cand = np.abs(d) >= self._thr
        else:
            cand = d != 0
        m = np.count_nonzero(cand)
        if m == 0:
            self.trace.layers[layer].add_write(0, 0, 0, 0, 0, 0)
            return
        if m <= _SPARSE_FRAC * L.size:
            idx = np.flatnonzero(cand)
            ns, fired = self._plane_pulses(d[idx].astype(np.float32))
            if not fired.all():
                idx = idx[fired]
                ns = [n[fired] for n in ns]
            self._write_sparse(layer, idx, ns)
            return
        ns, fired = self._plane_pulses(d.astype(np.float32, copy=False))
        mf = np.count_nonzero(fired)
        if mf <= _SPARSE_FRAC * L.size:
            idx = np.flatnonzero(fired)
            self._write_sparse(layer, idx, [n[idx] for n in ns])
        else:
            self._write_dense(layer, ns, fired)

    def _plane_pulses(self, v: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """Pulse counts per device plane for requested changes v (G- gets the opposite change),
        and which cells fire on any plane."""
        ns = [self._pulses(v)]
        if self.differential:
            ns.append(self._pulses(-v))
        fired = ns[0] != 0
        for n in ns[1:]:
            fired |= n != 0
        return ns, fired

    def _write_sparse(self, layer: int, idx: np.ndarray, ns: list[np.ndarray]) -> None:
        """Physics on the gathered cells `idx` (sorted in-plane flat indices), float64 math.

        Few NumPy calls on purpose (the online protocol calls this a million times): without
        D2D the per-direction factors depend only on the pulse count, so they come from tables.
        """
        L, k, p = self._layers[layer], self._const[layer], self.preset
        if idx.size == 0:
            self.trace.layers[layer].add_write(0, 0, 0, 0, 0, 0)
            return
        # trace: totals, per-row maxima (idx is sorted, so rows come in runs), cells, rows
        n0 = ns[0]
        ltp = np.maximum(n0, 0)
        ltd = ltp - n0
        cells = idx.size
        if self.differential:
            cells = np.count_nonzero(n0) + np.count_nonzero(ns[1])
            ltp_m = np.maximum(ns[1], 0)
            ltd_m = ltp_m - ns[1]
            ltp_tot = float(ltp.sum()) + float(ltp_m.sum())
            ltd_tot = float(ltd.sum()) + float(ltd_m.sum())
            ltp, ltd = np.maximum(ltp, ltp_m), np.maximum(ltd, ltd_m)
        else:
            ltp_tot, ltd_tot = float(ltp.sum()), float(ltd.sum())
        rows = idx // L.shape[1]
        if rows[0] == rows[-1]:
            rmax_ltp, rmax_ltd, nrows = float(ltp.max()), float(ltd.max()), 1
        else:
            starts = np.flatnonzero(np.concatenate((self._true1, rows[1:] != rows[:-1])))
            rmax_ltp = float(np.maximum.reduceat(ltp, starts).sum())
            rmax_ltd = float(np.maximum.reduceat(ltd, starts).sum())
            nrows = starts.size
        self.trace.layers[layer].add_write(round(ltp_tot), round(ltd_tot), round(rmax_ltp),
                                           round(rmax_ltd), int(cells), int(nrows))
        # physics: each pulsed device moves along its own curve; C2C; stuck devices reset
        tab = k["tables"]
        for plane, n in enumerate(ns):
            ni = n.astype(np.intp)
            ni += self.p_ltd
            u0 = L.u[plane, idx]
            if tab is not None:
                u1 = u0 + tab["em"][ni] * ((u0 - tab["o"][ni]) + tab["q"][ni])
            else:
                gidx = idx + plane * L.size if plane else idx
                pos = n > 0
                c = np.where(pos, _take(k["c_ltp"], gidx), _take(k["c_ltd"], gidx))
                q = np.where(pos, _take(k["q_ltp"], gidx), _take(k["q_ltd"], gidx))
                o = np.where(pos, _take(k["o_ltp"], gidx), _take(k["o_ltd"], gidx))
                u1 = u0 + np.expm1(-c * n) * ((u0 - o) + q)
            if p.c2c > 0:
                z = self.rngs["c2c"].standard_normal(idx.size)
                z *= self._sig_tab[ni]
                u1 += z
            np.minimum(np.maximum(u1, 0.0, out=u1), 1.0, out=u1)
            L.u[plane, idx] = u1
        self._reset_stuck(layer)
        self._refresh(layer, idx)  # weights from the stored (float32) state, as on reload

    def _write_dense(self, layer: int, ns: list[np.ndarray], fired: np.ndarray) -> None:
        """Physics on whole arrays in float32 (most cells fired): no gathers, no np.where."""
        L, k, p = self._layers[layer], self._const[layer], self.preset
        shape = L.shape
        ltp_tot = ltd_tot = 0.0
        ltp_row = ltd_row = None
        cells = 0
        for plane, n in enumerate(ns):
            npos = np.maximum(n, 0)
            nneg = np.minimum(n, 0)
            ltp_tot += float(npos.sum(dtype=np.float64))
            ltd_tot -= float(nneg.sum(dtype=np.float64))
            rp = npos.reshape(shape).max(axis=1)
            rn = nneg.reshape(shape).min(axis=1)
            np.negative(rn, out=rn)
            ltp_row = rp if ltp_row is None else np.maximum(ltp_row, rp)
            ltd_row = rn if ltd_row is None else np.maximum(ltd_row, rn)
            nz = n != 0
            cells += int(np.count_nonzero(nz))
            # u_new = u + expm1(-c n) * (u + k), c and k of the direction of each cell's pulses
            sl = slice(plane * L.size, (plane + 1) * L.size)
            c_ltp, c_ltd = self._c32(k, "c_ltp", sl), self._c32(k, "c_ltd", sl)
            q_ltp, q_ltd = self._c32(k, "q_ltp", sl), self._c32(k, "q_ltd", sl)
            o_ltp, o_ltd = self._c32(k, "o_ltp", sl), self._c32(k, "o_ltd", sl)
            arg = npos * (-c_ltp)
            arg -= nneg * c_ltd
            em = np.expm1(arg, out=arg)
            up = n > 0
            down = ~up
            # (q_ltd + up * (q_ltp - q_ltd) would cancel: near-linear q is huge)
            kk = up * q_ltp
            kk += down * q_ltd
            off = up * o_ltp
            off += down * o_ltd
            u = L.u[plane]
            np.subtract(u, off, out=off)
            kk += off
            em *= kk
            u += em
            if p.c2c > 0:
                fidx = np.flatnonzero(nz)
                z = self.rngs["c2c"].standard_normal(fidx.size, dtype=np.float32)
                z *= np.float32(p.c2c)
                if p.c2c_mode == "per-pulse":
                    z *= np.sqrt(np.abs(n[fidx]))
                u[fidx] += z
            np.clip(u, 0.0, 1.0, out=u)
        self.trace.layers[layer].add_write(
            round(ltp_tot), round(ltd_tot), round(float(ltp_row.sum(dtype=np.float64))),
            round(float(ltd_row.sum(dtype=np.float64))), cells,
            int(np.count_nonzero(fired.reshape(shape).any(axis=1))))
        self._reset_stuck(layer)
        self._refresh(layer, None)

    @staticmethod
    def _c32(k: dict, name: str, sl: slice):
        a = k[name]
        return np.float32(a) if np.ndim(a) == 0 else k[name + "32"][sl]

    def _reset_stuck(self, layer: int) -> None:
        st = self._const[layer]["stuck_idx"]
        if st is not None:
            u = self._layers[layer].u.reshape(-1)
            u[st[0]] = 0.0
            u[st[1]] = 1.0

    def weights(self, layer: int) -> np.ndarray:
        """Current effective weights (noise-free read of the conductances), a float32 copy."""
        return self._layers[layer].w.copy()

    def state_dict(self) -> dict[str, np.ndarray]:
        """Effective weights w{i}, device positions u{i} and the per-device D2D constants."""
        d: dict[str, np.ndarray] = {}
        for i, (L, k) in enumerate(zip(self._layers, self._const)):
            d[f"w{i}"] = L.w.copy()
            d[f"u{i}"] = L.u.reshape((L.planes,) + L.shape).copy()
            for name, arr in k["raw"].items():
                d[f"{name}{i}"] = np.asarray(arr).reshape((L.planes,) + L.shape).copy()
        return d

    def load_state_dict(self, d: dict[str, np.ndarray]) -> None:
        """Restore device positions (and D2D constants when present); with only w{i}, program
        the devices to those weights."""
        for i, L in enumerate(self._layers):
            if all(f"{n}{i}" in d for n in ("c_ltp", "c_ltd", "gmin_f", "gmax_f", "stuck")):
                self._const[i] = self._derive(*(np.asarray(d[f"{n}{i}"]).reshape(-1) for n in
                                                ("c_ltp", "c_ltd", "gmin_f", "gmax_f", "stuck")))
            if f"u{i}" in d:
                L.u[...] = np.asarray(d[f"u{i}"], dtype=np.float32).reshape(L.planes, L.size)
                self._refresh(i, None)
            else:
                self._program(i, np.asarray(d[f"w{i}"], dtype=np.float64))
