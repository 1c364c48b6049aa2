-- cnn_pkg: types and arithmetic shared by every block of the library.
--
-- All arithmetic is written with slices and explicit comparisons, never with
-- shift_right/sra, signed '/', mod, rem, abs, maximum or minimum on signed:
-- GHDL 2.0's Verilog writer translates those wrongly (see README, "Traps").
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

package cnn_pkg is

  -- Weights and biases arrive as generated constants of these types.
  type int_array is array (natural range <>) of integer;

  -- Round half to even of v / 2^sh (sh >= 0), result as wide as v.
  function rhe_shift(v : signed; sh : natural) return signed;

  -- Clamp to [-128, 127].
  function sat8(v : signed) return signed;

  -- Clamp to [-128, 127] after multiplying by 2^sh (sh >= 0, a left shift).
  function sat8_shl(v : signed; sh : natural) return signed;

  -- Activation codes of the output stage (ACT generics).
  constant ACT_NONE  : natural := 0;
  constant ACT_RELU  : natural := 1;
  constant ACT_LEAKY : natural := 2;

  -- The output stage of every layer (SPEC §2, ir.hpp): the exact value
  -- v * 2^-shift, activation applied to it (Relu: negative -> 0; Leaky:
  -- negative -> times 2^-k), rounded half to even once, clamped to
  -- [-128, hi] (hi in 0..127: 127 is plain int8 saturation; less is Clip(0,
  -- max), e.g. ReLU6). shift may be negative (a left shift).
  function requant(v : signed; shift : integer; act : natural; k : natural;
                   hi : integer := 127) return signed;

  -- The upper clamp alone, on an int8 value: min(v, hi), hi in 0..127 (the
  -- last step of requant, for output stages that round elsewhere).
  function clamp_hi8(v : signed(7 downto 0); hi : integer) return signed;

  -- The shift output stage with a zero point and a lower clamp (SPEC §2):
  -- y = clamp(r + zp, lo, hi), r = requant's rounding of v (shift, act, k)
  -- before any saturation; -128 <= lo <= hi <= 127, zp in -128..127.
  -- r is saturated to 10 bits first, exactly: |r| >= 384 lands beyond the
  -- same bound after + zp either way.
  function requant_zp(v : signed; shift : integer; act : natural; k : natural;
                      zp, lo, hi : integer) return signed;

  -- Saturate a signed value to n bits (n <= v'length), by its bits alone (no
  -- wide constants).
  function sat_bits(v : signed; n : positive) return signed;

  -- True when v (wider than n bits) fits n signed bits: its bits n-1 .. top
  -- are all equal. Written as two reductions (VHDL-2008 unary and/or), so
  -- the simulator sees two word compares instead of a chain of bit tests.
  function fits_bits(v : signed; n : positive) return boolean;

  function ceil_div(a, b : positive) return positive;
  -- Integer minimum and maximum for generic arithmetic (elaboration-time
  -- constants only: numeric_std's maximum/minimum on signed mistranslate).
  function min_int(a, b : integer) return integer;
  function max_int(a, b : integer) return integer;
  function clog2(n : positive) return natural;  -- bits to count 0 .. n-1 (>= 1)

  -- The average pools' pre-activation (a float segment's LeakyRelu / Relu
  -- before the pool, SPEC §2), exact at 2^-(f_in + pre_bits): x >= 0 becomes
  -- x * 2^k under ACT_LEAKY (the negative values keep their scale), x < 0
  -- becomes 0 under ACT_RELU, ACT_NONE is the identity. pre_bits(act, k) is
  -- the left shift (k for ACT_LEAKY, else 0); the result is w >= 8 + pre_bits
  -- bits wide.
  function pre_bits(act, k : natural) return natural;
  function pre_activation(x : signed; act, k : natural; w : positive) return signed;

end package;

package body cnn_pkg is

  function rhe_shift(v : signed; sh : natural) return signed is
    constant W      : natural := v'length;
    variable x      : signed(W - 1 downto 0) := v;
    variable q      : signed(W - 1 downto 0);
    variable sticky : std_logic := '0';
  begin
    if sh = 0 then
      return x;
    end if;
    -- floor(x / 2^sh): keep the high bits and repeat the sign bit.
    q := (others => x(W - 1));
    q(W - 1 - sh downto 0) := x(W - 1 downto sh);
    -- The dropped fraction is above one half when its top bit x(sh-1) is set
    -- and any bit below it is (sticky); exactly one half without them, then
    -- even wins. (Written with bits, not as "frac > half" against a vector
    -- variable with one bit set: GHDL 2.0's synthesis folded that half to 0
    -- in some instances, i.e. rounded every fraction up.)
    if sh >= 2 then
      sticky := or x(sh - 2 downto 0);  -- a reduction: one word compare, not a bit chain
    end if;
    if x(sh - 1) = '1' and (sticky = '1' or q(0) = '1') then
      q := q + 1;
    end if;
    return q;
  end function;

  function sat8(v : signed) return signed is
    constant W : natural := v'length;
    variable x : signed(W - 1 downto 0) := v;
  begin
    if x > to_signed(127, W) then
      return to_signed(127, 8);
    elsif x < to_signed(-128, W) then
      return to_signed(-128, 8);
    end if;
    return x(7 downto 0);
  end function;

  function sat8_shl(v : signed; sh : natural) return signed is
    constant W : natural := v'length;
    variable x : signed(W + sh - 1 downto 0) := (others => '0');
  begin
    x(W + sh - 1 downto sh) := v;
    return sat8(x);
  end function;

  -- Both shift amounts are elaboration-time constants, so each branch is a
  -- fixed slice; the sign bit only selects between them.
  function scale8(v : signed; s : integer) return signed is
  begin
    if s >= 0 then
      return sat8(rhe_shift(v, s));
    end if;
    return sat8_shl(v, -s);
  end function;

  function clamp_hi8(v : signed(7 downto 0); hi : integer) return signed is
  begin
    -- An 8-bit comparison with a constant: no wide literal (see the header).
    -- With hi = 127 it is never true and synthesis removes it.
    if v > to_signed(hi, 8) then
      return to_signed(hi, 8);
    end if;
    return v;
  end function;

  function requant(v : signed; shift : integer; act : natural; k : natural;
                   hi : integer := 127) return signed is
    constant W : natural := v'length;
    variable x : signed(W - 1 downto 0) := v;
  begin
    if x(W - 1) = '1' then
      if act = ACT_RELU then
        return to_signed(0, 8);
      elsif act = ACT_LEAKY then
        return clamp_hi8(scale8(x, shift + integer(k)), hi);
      end if;
    end if;
    return clamp_hi8(scale8(x, shift), hi);
  end function;

  function sat_bits(v : signed; n : positive) return signed is
    constant W : natural := v'length;
    variable x : signed(W - 1 downto 0) := v;
    variable r : signed(n - 1 downto 0);
  begin
    if n >= W then
      return resize(x, n);
    end if;
    if fits_bits(x, n) then
      return x(n - 1 downto 0);
    end if;
    r := (others => not x(W - 1));
    r(n - 1) := x(W - 1);
    return r;
  end function;

  function fits_bits(v : signed; n : positive) return boolean is
    constant W : natural := v'length;
    variable x : signed(W - 1 downto 0) := v;
  begin
    return (and x(W - 1 downto n - 1)) = '1' or (or x(W - 1 downto n - 1)) = '0';
  end function;

  -- v / 2^s rounded half to even (s >= 0) or v * 2^-s (s < 0), saturated
  -- to 10 bits.
  function scale10(v : signed; s : integer) return signed is
    constant W : natural := v'length;
    variable x : signed(W - 1 downto 0) := v;
    variable t : signed(W - s - 1 downto 0);
  begin
    if s >= 0 then
      return sat_bits(rhe_shift(x, s), 10);
    end if;
    t := (others => '0');
    t(W - s - 1 downto -s) := x;
    return sat_bits(t, 10);
  end function;

  function requant_zp(v : signed; shift : integer; act : natural; k : natural;
                      zp, lo, hi : integer) return signed is
    constant W : natural := v'length;
    variable x : signed(W - 1 downto 0) := v;
    variable r : signed(9 downto 0);
    variable y : signed(10 downto 0);
  begin
    if x(W - 1) = '1' and act = ACT_RELU then
      r := (others => '0');
    elsif x(W - 1) = '1' and act = ACT_LEAKY then
      r := scale10(x, shift + integer(k));
    else
      r := scale10(x, shift);
    end if;
    y := resize(r, 11) + to_signed(zp, 11);
    if y < to_signed(lo, 11) then
      return to_signed(lo, 8);
    elsif y > to_signed(hi, 11) then
      return to_signed(hi, 8);
    end if;
    return y(7 downto 0);
  end function;

  function ceil_div(a, b : positive) return positive is
  begin
    return (a + b - 1) / b;
  end function;

  function min_int(a, b : integer) return integer is
  begin
    if a < b then
      return a;
    end if;
    return b;
  end function;

  function max_int(a, b : integer) return integer is
  begin
    if a > b then
      return a;
    end if;
    return b;
  end function;

  function clog2(n : positive) return natural is
    variable r : natural := 1;
  begin
    while 2 ** r < n loop
      r := r + 1;
    end loop;
    return r;
  end function;

  function pre_bits(act, k : natural) return natural is
  begin
    if act = ACT_LEAKY then
      return k;
    end if;
    return 0;
  end function;

  function pre_activation(x : signed; act, k : natural; w : positive) return signed is
    constant PK : natural := pre_bits(act, k);
    variable v  : signed(7 downto 0) := x;
    variable t  : signed(w - 1 downto 0);
  begin
    t := resize(v, w);
    if v(7) = '0' and PK > 0 then
      t := (others => '0');            -- a left shift as a slice (v >= 0)
      t(PK + 7 downto PK) := v;
    elsif v(7) = '1' and act = ACT_RELU then
      t := (others => '0');
    end if;
    return t;
  end function;

end package body;
