"""Numbers as Terraform's cty has them: binary floating point with 512 bits of mantissa (Go's
``big.Float``, rounding to nearest even), printed as the shortest decimal that reads back to the
same value (``big.Float.Text('f', -1)``).

A number is a Python ``int`` when it is an integer below 2**512 in magnitude (exact, and the
common case: counts, sizes, indexes), otherwise a ``Num``: fractions, infinities, negative zero,
integers too large for 512 bits, and results of functions that compute in float64 (``pow``,
``log``), whose 53-bit precision decides how they print. Every operation here returns an ``int``
whenever that is exact, so integer arithmetic stays plain Python.
"""

from __future__ import annotations

import math
import re
from functools import total_ordering

PREC = 512
"""Bits of mantissa of numbers parsed and computed (cty's big.Float precision)."""

_LIMIT = 1 << PREC


class NumberError(Exception):
    """An operation with no result (Inf - Inf, 0 * Inf): Go's big.Float panics with ErrNaN."""


@total_ordering
class Num:
    """±mant·2^exp, rounded to ``prec`` bits; or ±Inf. Immutable."""

    __slots__ = ("neg", "mant", "exp", "prec", "inf")

    def __init__(self, neg: bool, mant: int, exp: int, prec: int = PREC, inf: bool = False):
        self.neg = neg
        self.mant = mant
        self.exp = exp
        self.prec = prec
        self.inf = inf

    # -- conversions ----------------------------------------------------------------------------
    def fraction(self) -> tuple[int, int]:
        """(numerator, denominator) of a finite value, exactly."""
        if self.exp >= 0:
            n, d = self.mant << self.exp, 1
        else:
            n, d = self.mant, 1 << -self.exp
        return (-n if self.neg else n), d

    def __float__(self) -> float:
        if self.inf:
            return -math.inf if self.neg else math.inf
        if self.mant == 0:
            return -0.0 if self.neg else 0.0
        try:
            return math.ldexp(-self.mant if self.neg else self.mant, self.exp)
        except OverflowError:
            return -math.inf if self.neg else math.inf

    def is_integer(self) -> bool:
        return not self.inf and (self.exp >= 0 or self.mant % (1 << -self.exp) == 0)

    def __repr__(self) -> str:
        return f"Num({format_number(self)})"

    def __hash__(self) -> int:
        if self.inf:
            return hash(-math.inf if self.neg else math.inf)
        from fractions import Fraction  # (with decimal: only when a number is hashed)

        n, d = self.fraction()
        return hash(Fraction(n, d))  # equal to the hash of an equal int or float

    def __eq__(self, other: object) -> bool:
        if isinstance(other, float) and not math.isnan(other):
            other = from_float(other)
        if not is_number(other):
            return NotImplemented
        return compare(self, other) == 0  # type: ignore[arg-type]

    def __lt__(self, other: object) -> bool:
        if isinstance(other, float) and not math.isnan(other):
            other = from_float(other)
        if not is_number(other):
            return NotImplemented
        return compare(self, other) < 0  # type: ignore[arg-type]

    def __reduce__(self) -> tuple[type[Num], tuple[bool, int, int, int, bool]]:
        return (Num, (self.neg, self.mant, self.exp, self.prec, self.inf))


Number = int | Num

POS_INF = Num(False, 0, 0, PREC, True)
NEG_INF = Num(True, 0, 0, PREC, True)
NEG_ZERO = Num(True, 0, 0, PREC)


def is_number(v: object) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or isinstance(v, Num)


def _make(neg: bool, mant: int, exp: int, prec: int, sticky: bool = False) -> Number:
    """±mant·2^exp rounded to ``prec`` bits (nearest, ties to even); ``sticky``: the true value is a
    little larger in magnitude than mant·2^exp (bits were dropped below it)."""
    if mant == 0:
        if sticky:  # pragma: no cover - callers keep enough guard bits
            raise AssertionError("sticky zero")
        return NEG_ZERO if neg else 0
    bl = mant.bit_length()
    if bl > prec:
        shift = bl - prec
        keep = mant >> shift
        rem = mant & ((1 << shift) - 1)
        half = 1 << (shift - 1)
        if rem > half or (rem == half and (sticky or keep & 1)):
            keep += 1
            if keep.bit_length() > prec:
                keep >>= 1
                shift += 1
        mant, exp = keep, exp + shift
    elif sticky:  # pragma: no cover
        raise AssertionError("sticky without rounding")
    # strip trailing zero bits so equal values have one representation
    tz = (mant & -mant).bit_length() - 1
    if tz:
        mant >>= tz
        exp += tz
    if exp >= 0 and prec >= PREC and mant.bit_length() + exp <= PREC:
        v = mant << exp
        return -v if neg else v
    return Num(neg, mant, exp, prec)


def _parts(x: Number) -> tuple[bool, int, int, int]:
    if isinstance(x, Num):
        return x.neg, x.mant, x.exp, x.prec
    if x < 0:
        return True, -x, 0, PREC
    return False, x, 0, PREC


def from_int(n: int) -> Number:
    if -_LIMIT < n < _LIMIT:
        return n
    return _make(n < 0, abs(n), 0, PREC)


def from_float(f: float) -> Number:
    """A float64 result (``pow``, ``log``): 53 bits of precision, as Go's ``SetFloat64``."""
    if math.isinf(f):
        return NEG_INF if f < 0 else POS_INF
    if math.isnan(f):
        raise NumberError("NaN")
    if f == 0:
        return NEG_ZERO if math.copysign(1, f) < 0 else 0
    m, e = math.frexp(abs(f))
    mant = int(m * (1 << 53))
    return _make(f < 0, mant, e - 53, 53)


def from_fraction(num: int, den: int, prec: int = PREC) -> Number:
    """num/den rounded to ``prec`` bits."""
    if den < 0:
        num, den = -num, -den
    neg = num < 0
    num = abs(num)
    if num == 0:
        return 0
    # enough quotient bits for prec plus guard bits
    shift = max(0, prec + 2 - (num.bit_length() - den.bit_length()))
    q, r = divmod(num << shift, den)
    return _make(neg, q, -shift, prec, sticky=r != 0) if r else _make(neg, q, -shift, prec)


_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")


def parse(text: str, prec: int = PREC) -> Number | None:
    """A decimal numeral (``1``, ``-2.5``, ``1e3``) as cty's ParseNumberVal reads it; None if the text
    is not one. Also ``Inf``/``+Inf``/``-Inf``, which Go's parser accepts."""
    s = text
    if not s:
        return None
    if s in ("Inf", "+Inf", "inf", "+inf"):  # big.Float.Parse's spellings; not "Infinity"
        return POS_INF
    if s in ("-Inf", "-inf"):
        return NEG_INF
    if _NUMBER_RE.match(s) is None:
        return None
    neg = s.startswith("-")
    body = s.lstrip("+-")
    mant_text, _, exp_text = body.replace("E", "e").partition("e")
    whole, _, frac = mant_text.partition(".")
    digits = (whole + frac).lstrip("0") or "0"
    dexp = (int(exp_text) if exp_text else 0) - len(frac)
    n = int(digits)
    if n == 0:
        return NEG_ZERO if neg else 0
    if dexp >= 0:
        if dexp > 100000:
            return NEG_INF if neg else POS_INF
        return _make(neg, n * 10**dexp, 0, prec)
    if -dexp > 100000:
        return NEG_ZERO if neg else 0
    r = from_fraction(n, 10**-dexp, prec)
    return negate(r) if neg else r


# -- arithmetic --------------------------------------------------------------------------------


def negate(x: Number) -> Number:
    if isinstance(x, int):
        return -x if x else NEG_ZERO
    return Num(not x.neg, x.mant, x.exp, x.prec, x.inf)


def absolute(x: Number) -> Number:
    if isinstance(x, int):
        return abs(x)
    return Num(False, x.mant, x.exp, x.prec, x.inf)


def _prec(a: Number, b: Number) -> int:
    return max(a.prec if isinstance(a, Num) else PREC, b.prec if isinstance(b, Num) else PREC)


def is_zero(x: Number) -> bool:
    return x == 0 if isinstance(x, int) else (not x.inf and x.mant == 0)


def is_inf(x: Number) -> bool:
    return isinstance(x, Num) and x.inf


def sign(x: Number) -> int:
    if isinstance(x, int):
        return (x > 0) - (x < 0)
    if not x.inf and x.mant == 0:
        return 0
    return -1 if x.neg else 1


def add(a: Number, b: Number) -> Number:
    if isinstance(a, int) and isinstance(b, int):
        return from_int(a + b)
    if is_inf(a) or is_inf(b):
        if is_inf(a) and is_inf(b) and sign(a) != sign(b):
            raise NumberError("addition of infinities with opposite signs")
        return a if is_inf(a) else b
    an, am, ae, _ = _parts(a)
    bn, bm, be, _ = _parts(b)
    e = min(ae, be)
    x = (am << (ae - e)) * (-1 if an else 1) + (bm << (be - e)) * (-1 if bn else 1)
    if x == 0:
        # Go: the sum of two zeros of opposite sign, or x + (-x), is +0 (ToNearestEven)
        return NEG_ZERO if (an and bn and am == 0 and bm == 0) else 0
    return _make(x < 0, abs(x), e, _prec(a, b))


def sub(a: Number, b: Number) -> Number:
    return add(a, negate(b))


def mul(a: Number, b: Number) -> Number:
    if isinstance(a, int) and isinstance(b, int) and (a * b or (a >= 0 and b >= 0)):
        return from_int(a * b)
    neg = _negative(a) != _negative(b)
    if is_inf(a) or is_inf(b):
        if is_zero(a) or is_zero(b):
            raise NumberError("multiplication of zero by infinity")
        return NEG_INF if neg else POS_INF
    _, am, ae, _ = _parts(a)
    _, bm, be, _ = _parts(b)
    if am == 0 or bm == 0:
        return NEG_ZERO if neg else 0
    return _make(neg, am * bm, ae + be, _prec(a, b))


def div(a: Number, b: Number) -> Number:
    neg = _negative(a) != _negative(b)
    if is_inf(a) and is_inf(b):
        raise NumberError("division of infinity by infinity")
    if is_zero(a) and is_zero(b):
        raise NumberError("division of zero by zero")
    if is_inf(a) or is_zero(b):
        return NEG_INF if neg else POS_INF
    if is_inf(b) or is_zero(a):
        return NEG_ZERO if neg else 0
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return from_int(a // b)
    _, am, ae, _ = _parts(a)
    _, bm, be, _ = _parts(b)
    prec = _prec(a, b)
    r = from_fraction(am, bm, prec)
    _, rm, re_, _ = _parts(r)
    return _make(neg, rm, re_ + ae - be, prec)


def _negative(x: Number) -> bool:
    return x < 0 if isinstance(x, int) else x.neg


def trunc(x: Number) -> int:
    """Towards zero (big.Float.Int); x must be finite."""
    if isinstance(x, int):
        return x
    n, d = x.fraction()
    q = abs(n) // d
    return -q if n < 0 else q


def floor(x: Number) -> Number:
    if isinstance(x, int) or x.inf:
        return x
    n, d = x.fraction()
    return from_int(n // d)


def ceil(x: Number) -> Number:
    if isinstance(x, int) or x.inf:
        return x
    n, d = x.fraction()
    return from_int(-((-n) // d))


def modulo(a: Number, b: Number) -> Number:
    """cty's Modulo: a - b·trunc(a/b); a % 0 is a; with an infinity there is no result."""
    if is_inf(a) or is_inf(b):
        raise NumberError("can't use modulo with zero and infinity")
    if is_zero(b):
        return a
    if isinstance(a, int) and isinstance(b, int):
        q = abs(a) // abs(b)
        q = q if (a < 0) == (b < 0) else -q
        return from_int(a - b * q)
    q = trunc(div(a, b))
    return sub(a, mul(b, q))


def compare(a: Number, b: Number) -> int:
    if isinstance(a, int) and isinstance(b, int):
        return (a > b) - (a < b)
    if is_inf(a) or is_inf(b):
        ka = (1 if not _negative(a) else -1) if is_inf(a) else 0
        kb = (1 if not _negative(b) else -1) if is_inf(b) else 0
        if ka != kb:
            return (ka > kb) - (ka < kb)
        if ka:
            return 0
    an, ad = a.fraction() if isinstance(a, Num) else (a, 1)
    bn, bd = b.fraction() if isinstance(b, Num) else (b, 1)
    x, y = an * bd, bn * ad
    return (x > y) - (x < y)


def to_int(x: Number) -> int | None:
    """The value as a Python int when it is a finite integer, else None."""
    if isinstance(x, int):
        return x
    if x.inf or not x.is_integer():
        return None
    n, d = x.fraction()
    return n // d


def to_float(x: Number) -> float:
    return float(x)


def plain(x: Number) -> int | float:
    """For JSON and the model outside the language: an int when integral, else a float."""
    i = to_int(x)
    if i is not None and not (isinstance(x, Num) and x.neg and x.mant == 0):
        return i
    return float(x)


# -- formatting --------------------------------------------------------------------------------


def _decimal(mant: int, exp: int) -> tuple[str, int]:
    """mant·2^exp as (digits without trailing zeros, decimal point position): 0.digits × 10^dp."""
    if exp >= 0:
        s = str(mant << exp)
        dp = len(s)
    else:
        s = str(mant * 5 ** (-exp))
        dp = len(s) + exp
    stripped = s.rstrip("0")
    return stripped, dp


def _round_up(digits: str, dp: int, n: int) -> tuple[str, int]:
    head = digits[:n]
    i = len(head) - 1
    while i >= 0 and head[i] == "9":
        i -= 1
    if i < 0:
        return "1", dp + 1
    return head[:i] + chr(ord(head[i]) + 1), dp


def _round_down(digits: str, dp: int, n: int) -> tuple[str, int]:
    head = digits[:n].rstrip("0")
    return head, dp


def _round(digits: str, dp: int, n: int) -> tuple[str, int]:
    if n < 0 or n >= len(digits):
        return digits, dp
    if digits[n] == "5" and n + 1 == len(digits):
        up = n > 0 and (ord(digits[n - 1]) - 48) & 1 == 1
    else:
        up = digits[n] >= "5"
    return _round_up(digits, dp, n) if up else _round_down(digits, dp, n)


def _shortest(mant: int, exp: int, prec: int) -> tuple[str, int]:
    digits, dp = _decimal(mant, exp)
    # mantissa with prec+1 bits: its lsb is half an ulp
    s = mant.bit_length() - (prec + 1)
    m2 = mant << -s if s < 0 else mant >> s
    e2 = exp + s
    lower, _ = _decimal(m2 - 1, e2)
    upper, _ = _decimal(m2 + 1, e2)
    inclusive = m2 & 2 == 0
    for i, m in enumerate(digits):
        low = lower[i] if i < len(lower) else "0"
        up = upper[i] if i < len(upper) else "0"
        okdown = low != m or (inclusive and i + 1 == len(lower))
        okup = m != up and (inclusive or ord(m) + 1 < ord(up) or i + 1 < len(upper))
        if okdown and okup:
            return _round(digits, dp, i + 1)
        if okdown:
            return _round_down(digits, dp, i + 1)
        if okup:
            return _round_up(digits, dp, i + 1)
    return digits, dp


def format_number(x: Number) -> str:
    """As Terraform prints a number: ``1``, ``0.3``, ``-0``, ``+Inf``, ``1e20`` in full."""
    if isinstance(x, int):
        return str(x)
    if x.inf:
        return "-Inf" if x.neg else "+Inf"
    sign_ = "-" if x.neg else ""
    if x.mant == 0:
        return sign_ + "0"
    digits, dp = _shortest(x.mant, x.exp, x.prec)
    if dp > 0:
        whole = digits[:dp] + "0" * max(0, dp - len(digits))
        frac = digits[dp:]
    else:
        whole = "0"
        frac = "0" * (-dp) + digits
    return sign_ + whole + ("." + frac if frac else "")


def format_float(value: float) -> str:
    """A float64 printed as Go's strconv 'f' with precision -1 (shortest)."""
    return format_number(from_float(value))


def format_g(x: Number, prec: int) -> str:
    """Go's ``big.Float.Text('g', prec)`` (``String()`` is prec 10): cty hashes set elements with it."""
    if isinstance(x, Num) and x.inf:
        return "-Inf" if x.neg else "+Inf"
    neg, mant, exp, _ = _parts(x)
    sign_ = "-" if neg else ""
    if mant == 0:
        return sign_ + "0"
    digits, dp = _decimal(mant, exp)
    digits, dp = _round(digits, dp, prec)
    eprec = prec
    if eprec > len(digits) and len(digits) >= dp:
        eprec = len(digits)
    e = dp - 1
    if e < -4 or e >= eprec:
        p = min(prec, len(digits)) - 1
        body = digits[0] + ("." + digits[1 : p + 1].ljust(p, "0") if p > 0 else "")
        return f"{sign_}{body}e{'-' if e < 0 else '+'}{abs(e):02d}"
    p = len(digits) if prec > dp else prec
    frac_digits = max(p - dp, 0)
    if dp > 0:
        whole = digits[:dp].ljust(dp, "0")
    else:
        whole = "0"
    frac = "".join(digits[dp + i] if 0 <= dp + i < len(digits) else "0" for i in range(frac_digits))
    return sign_ + whole + ("." + frac if frac else "")


def format_text(x: Number, fmt: str, prec: int) -> str:
    """Go's ``big.Float.Text(fmt, prec)`` for 'e', 'E', 'f', 'g', 'G'; prec -1 is the shortest
    representation at the number's precision."""
    if isinstance(x, Num) and x.inf:
        return "-Inf" if x.neg else "+Inf"
    neg, mant, exp, p = _parts(x)
    sign_ = "-" if neg else ""
    if mant == 0:
        digits, dp = "", 0
    elif prec < 0:
        digits, dp = _shortest(mant, exp, p)
    else:
        digits, dp = _decimal(mant, exp)
    shortest = prec < 0
    if shortest:
        if fmt in "eE":
            prec = len(digits) - 1
        elif fmt == "f":
            prec = max(len(digits) - dp, 0)
        else:
            prec = len(digits)
    elif digits:
        if fmt in "eE":
            digits, dp = _round(digits, dp, 1 + prec)
        elif fmt == "f":
            digits, dp = _round(digits, dp, dp + prec)
        else:
            digits, dp = _round(digits, dp, prec or 1)
            prec = prec or 1
    if fmt in "eE":
        return sign_ + _fmt_e(digits, dp, prec, fmt)
    if fmt == "f":
        return sign_ + _fmt_f(digits, dp, prec)
    eprec = prec
    if eprec > len(digits) and len(digits) >= dp:
        eprec = len(digits)
    if shortest:
        eprec = 6
    e = dp - 1
    if e < -4 or e >= eprec:
        if prec > len(digits):
            prec = len(digits)
        return sign_ + _fmt_e(digits, dp, prec - 1, "e" if fmt == "g" else "E")
    if prec > dp:
        prec = len(digits)
    return sign_ + _fmt_f(digits, dp, max(prec - dp, 0))


def _fmt_e(digits: str, dp: int, prec: int, ch: str) -> str:
    first = digits[0] if digits else "0"
    out = first
    if prec > 0:
        rest = digits[1 : prec + 1]
        out += "." + rest + "0" * (prec - len(rest))
    e = dp - 1 if digits else 0
    return f"{out}{ch}{'-' if e < 0 else '+'}{abs(e):02d}"


def _fmt_f(digits: str, dp: int, prec: int) -> str:
    if dp > 0:
        whole = digits[:dp] + "0" * max(0, dp - len(digits))
    else:
        whole = "0"
    if prec > 0:
        frac = "".join(digits[dp + i] if 0 <= dp + i < len(digits) else "0" for i in range(prec))
        return whole + "." + frac
    return whole


def format_float_verb(x: Number, verb: str, flags: str, width: int | None, prec: int | None) -> str:
    """Go's fmt of a *big.Float with %e %E %f %g %G, flags ``+ -0`` and space, width and precision."""
    if prec is None:
        prec = 6 if verb in "eEf" else -1
    text = format_text(x, "f" if verb == "F" else verb, prec)
    sign_ = ""
    if text[0] == "-":
        sign_, text = "-", text[1:]
    elif text[0] == "+":
        sign_, text = ("+" if " " not in flags else " "), text[1:]
    elif "+" in flags:
        sign_ = "+"
    elif " " in flags:
        sign_ = " "
    pad = 0 if width is None else max(0, width - len(sign_) - len(text))
    if "0" in flags and not is_inf(x) and "-" not in flags:
        return sign_ + "0" * pad + text
    if "-" in flags:
        return sign_ + text + " " * pad
    return " " * pad + sign_ + text


def format_int(i: int, verb: str, flags: str, width: int | None, prec: int | None) -> str:
    """Go's fmt of a *big.Int with %b %d %o %x %X."""
    base = {"b": 2, "o": 8, "d": 10, "x": 16, "X": 16}[verb]
    sign_ = "-" if i < 0 else ("+" if "+" in flags else (" " if " " in flags else ""))
    prefix = ""
    if "#" in flags:
        prefix = {"b": "0b", "o": "0", "x": "0x", "X": "0X"}.get(verb, "")
    digits = {2: format(abs(i), "b"), 8: format(abs(i), "o"), 10: str(abs(i)), 16: format(abs(i), "x")}[base]
    if verb == "X":
        digits = digits.upper()
    zeros = left = right = 0
    if prec is not None:
        if len(digits) < prec:
            zeros = prec - len(digits)
        elif digits == "0" and prec == 0:
            return ""
    length = len(sign_) + len(prefix) + zeros + len(digits)
    if width is not None and length < width:
        d = width - length
        if "-" in flags:
            right = d
        elif "0" in flags and prec is None:
            zeros = d
        else:
            left = d
    return " " * left + sign_ + prefix + "0" * zeros + digits + " " * right
